#!/usr/bin/env python3
"""Registrations at a steady rate while something else is measured: one authenticated
registry connection alternating "host add chN.lab" and "host del chN.lab" at RATE changes per
second for SECONDS (bounded). Prints how many changes were made and how late it ran.

usage: churn.py HOST PORT TOKEN_FILE RATE SECONDS"""

import hashlib
import hmac
import json
import os
import socket
import sys
import time


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    host, port, token_file, rate, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], \
        float(sys.argv[4]), float(sys.argv[5])
    token = bytes.fromhex(open(token_file).read().strip())
    s = socket.create_connection((host, port), timeout=10)
    f = s.makefile("rb")
    x = int.from_bytes(os.urandom(4), "big")
    s.sendall(f"HELLO lana/1 seq={x}\n".encode())
    y = int(f.readline().split()[3].split(b"=")[1])
    key = hashlib.sha256(token).digest()
    sig = hmac.new(key, f"{x}:{y}".encode(), hashlib.sha256).digest()
    s.sendall(f"ACK ack={(y + 1) % 2**32} user=admin proof={bytes(a ^ b for a, b in zip(token, sig)).hex()}\n".encode())
    assert f.readline().startswith(b"READY")
    t0 = time.monotonic()
    done = errors = 0
    i = 0
    while time.monotonic() - t0 < seconds:
        due = t0 + done / rate
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        name = f"ch{os.getpid()}-{i // 2}.lab"
        s.sendall((f"host add {name} --v6 none\n" if i % 2 == 0 else f"host del {name}\n").encode())
        if not json.loads(f.readline()).get("ok"):
            errors += 1
        i += 1
        done += 1
    dt = time.monotonic() - t0
    print(f"# churn: {done} registry changes in {dt:.1f} s ({done / dt:.0f}/s), {errors} errors")
    s.sendall(b"quit\n")


if __name__ == "__main__":
    main()
