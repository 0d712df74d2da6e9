#!/usr/bin/env python3
"""Registry load: C clients (processes), each with one authenticated connection to lanad,
each sending N single "block alloc PARENT /LEN" requests one after the other (a request, its
reply, the next). Prints the total rate and checks that no prefix was handed out twice.

usage: regload.py HOST PORT TOKEN_FILE PARENT LEN [CLIENTS] [REQUESTS_PER_CLIENT] [SECONDS] [tls]
Bounded: every client stops after REQUESTS or SECONDS (default 8 clients x 2000, 60 s).
With "tls" every connection runs inside TLS, the certificate pinned by the token file."""

import json
import multiprocessing
import sys
import time

from lanaproto import login, read_token_file


def client(args):
    host, port, token, parent, plen, n, deadline, pin = args
    try:
        s, f = login(host, port, token, pin=pin)
    except ConnectionError:
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
    tls = len(sys.argv) > 9 and sys.argv[9] == "tls"
    token, pin = read_token_file(token_file)
    if tls and pin is None:
        sys.exit("regload.py: tls needs a token file with tls-sha256=")
    deadline = time.time() + seconds
    t0 = time.monotonic()
    with multiprocessing.Pool(clients) as pool:
        results = pool.map(client, [(host, int(port), token, parent, int(plen), n, deadline,
                                    pin if tls else None)] * clients)
    dt = time.monotonic() - t0
    allp = [p for got, _ in results for p in got]
    errors = sum(e for _, e in results)
    dups = len(allp) - len(set(allp))
    print(f"{'tls' if tls else 'plain'} clients={clients} allocations={len(allp)} errors={errors} duplicates={dups} "
          f"seconds={dt:.2f} per_second={len(allp) / dt:.0f}")
    return 0 if dups == 0 and errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
