"""OpenSSL's PBKDF2-HMAC-SHA512 (through Python's hashlib) at ITERATIONS for SECONDS, with the
salt shape of a PBES2 token: prints derivations per second. The baseline both bench scripts
put beside icnode's figures.
Usage: python3 bench/openssl-pbkdf2.py ITERATIONS SECONDS"""
import hashlib
import sys
import time

iterations, seconds = int(sys.argv[1]), float(sys.argv[2])
salt = b"PBES2-HS512+A256KW\x00" + b"s" * 21
count, start = 0, time.perf_counter()
while time.perf_counter() - start < seconds:
    hashlib.pbkdf2_hmac("sha512", b"icnode bench secret", salt, iterations, 32)
    count += 1
print(count / (time.perf_counter() - start))
