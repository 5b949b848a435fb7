#!/usr/bin/env bash
# Minting beside the physical limit of one core. A token costs one PBKDF2-HMAC-SHA512
# derivation, and one iteration is two SHA-512 compressions of a 128-byte block, so one core
# can derive at most (SHA-512 bytes/s on large buffers / 128) / (2 x iterations) keys per second.
# The SHA-512 rate is OpenSSL's (`openssl speed -evp sha512 -bytes 16384`), measured in the same
# run; OpenSSL's own PBKDF2 (Python's hashlib) is the second baseline. The three alternate for
# ROUNDS rounds so a noisy machine slows all alike; medians and ratios to the limit are printed.
# Usage: bench/crypto-limit.sh [ITERATIONS] [SECONDS_PER_RUN] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
iterations=${1:-13602}
seconds=${2:-3}
rounds=${3:-3}

cargo build --release --quiet -p icnode
sha512=()
ours=()
pbkdf2=()
for _ in $(seq "$rounds"); do
  sha512+=("$(openssl speed -evp sha512 -bytes 16384 -seconds "$seconds" 2>/dev/null |
    awk '/^sha512/ { sub("k", "", $2); printf "%.0f\n", $2 * 1000 }')")
  ours+=("$(./target/release/icnode bench mint --iterations "$iterations" --seconds "$seconds" --json)")
  pbkdf2+=("$(python3 bench/openssl-pbkdf2.py "$iterations" "$seconds")")
done
python3 - "$iterations" "$rounds" "${sha512[@]}" "${ours[@]}" "${pbkdf2[@]}" <<'PY'
import json, statistics, sys
iterations, n = int(sys.argv[1]), int(sys.argv[2])
rest = sys.argv[3:]
sha = statistics.median(float(x) for x in rest[:n])
ours = statistics.median(json.loads(x)["tokensPerSecond"] for x in rest[n:2 * n])
base = statistics.median(float(x) for x in rest[2 * n:])
limit = sha / 128 / (2 * iterations)
print(f"{n} rounds at {iterations} iterations; SHA-512 {sha / 1e6:.0f} MB/s (OpenSSL, 16 KiB buffers)")
print(f"{'what':<44} {'per second':>12} {'of limit':>9}")
print(f"{'limit of one core (SHA-512 rate / 128 / 2n)':<44} {limit:12.1f} {1:9.2f}")
print(f"{'icnode bench mint (tokens)':<44} {ours:12.1f} {ours / limit:9.2f}")
print(f"{'OpenSSL PBKDF2-HMAC-SHA512 (derivations)':<44} {base:12.1f} {base / limit:9.2f}")
PY
