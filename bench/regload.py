#!/usr/bin/env python3
"""Registry load: C clients (processes), each with one authenticated connection to lanad,
each sending N single "block alloc PARENT /LEN" requests one after the other (a request, its
reply, the next). Prints the total rate and checks that no prefix was handed out twice.

usage: regload.py HOST PORT TOKEN_FILE PARENT LEN [CLIENTS] [REQUESTS_PER_CLIENT] [SECONDS]
Bounded: every client stops after REQUESTS or SECONDS (default 8 clients x 2000, 60 s)."""

import hashlib
import hmac
import json
import multiprocessing
import os
import socket
import sys
import time


def client(args):
    host, port, token, parent, plen, n, deadline = args
    s = socket.create_connection((host, port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    f = s.makefile("rb")
    x = int.from_bytes(os.urandom(4), "big")
    s.sendall(f"HELLO lana/1 seq={x}\n".encode())
    y = int(f.readline().split()[3].split(b"=")[1])
    key = hashlib.sha256(token).digest()
    sig = hmac.new(key, f"{x}:{y}".encode(), hashlib.sha256).digest()
    proof = bytes(a ^ b for a, b in zip(token, sig)).hex()
    s.sendall(f"ACK ack={(y + 1) % 2**32} user=admin proof={proof}\n".encode())
    if not f.readline().startswith(b"READY"):
        return [], 1
    got, errors = [], 0
    req = f"block alloc {parent} /{plen}\n".encode()
    for _ in range(n):
        if time.time() > deadline:
            break
        s.sendall(req)
        r = json.loads(f.readline())
        if r.get("ok"):
            got.append(r["block"]["prefix"])
        else:
            errors += 1
    s.sendall(b"quit\n")
    s.close()
    return got, errors


def main():
    if len(sys.argv) < 6:
        sys.exit(__doc__)
    host, port, token_file, parent, plen = sys.argv[1:6]
    clients = int(sys.argv[6]) if len(sys.argv) > 6 else 8
    n = int(sys.argv[7]) if len(sys.argv) > 7 else 2000
    seconds = float(sys.argv[8]) if len(sys.argv) > 8 else 60
    token = bytes.fromhex(open(token_file).read().strip())
    deadline = time.time() + seconds
    t0 = time.monotonic()
    with multiprocessing.Pool(clients) as pool:
        results = pool.map(client, [(host, int(port), token, parent, int(plen), n, deadline)] * clients)
    dt = time.monotonic() - t0
    allp = [p for got, _ in results for p in got]
    errors = sum(e for _, e in results)
    dups = len(allp) - len(set(allp))
    print(f"clients={clients} allocations={len(allp)} errors={errors} duplicates={dups} "
          f"seconds={dt:.2f} per_second={len(allp) / dt:.0f}")
    return 0 if dups == 0 and errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
