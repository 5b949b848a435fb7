#!/usr/bin/env bash
# Tokens minted per second by `icnode bench mint`, beside OpenSSL's PBKDF2-HMAC-SHA512
# (Python's hashlib, OpenSSL underneath) at the same iteration count. The two alternate for
# ROUNDS rounds so that a noisy machine slows both alike; medians and their ratio are printed.
# A token costs one PBKDF2 derivation plus an HMAC and an AES-GCM pass, so the ratio shows how
# close minting is to the key-derivation floor.
# Usage: bench/mint-vs-openssl.sh [ITERATIONS] [SECONDS_PER_RUN] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
iterations=${1:-13602}
seconds=${2:-3}
rounds=${3:-5}

cargo build --release --quiet -p icnode
ours=()
baseline=()
for _ in $(seq "$rounds"); do
  ours+=("$(./target/release/icnode bench mint --iterations "$iterations" --seconds "$seconds" --json)")
  baseline+=("$(python3 bench/openssl-pbkdf2.py "$iterations" "$seconds")")
done
python3 - "${#ours[@]}" "${ours[@]}" "${baseline[@]}" <<'PY'
import json, statistics, sys
n = int(sys.argv[1])
ours = [json.loads(x) for x in sys.argv[2:2 + n]]
base = [float(x) for x in sys.argv[2 + n:]]
o = statistics.median(r["tokensPerSecond"] for r in ours)
b = statistics.median(base)
print(f"rounds: {n}; per round ours " + ", ".join(f"{r['tokensPerSecond']:.1f}" for r in ours)
      + "; OpenSSL " + ", ".join(f"{x:.1f}" for x in base))
print(f"OpenSSL PBKDF2-HMAC-SHA512 ({ours[0]['iterations']} it): {b:8.1f} derivations/s (median)  1.00")
print(f"icnode mint {ours[0]['alg']}/{ours[0]['enc']}: {o:8.1f} tokens/s (median)       {o / b:.2f}")
PY
