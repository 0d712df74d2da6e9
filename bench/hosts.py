#!/usr/bin/env python3
"""Host registration throughput (not a test: it prints figures).

Starts lanad on a temporary database and registers hosts two ways: N in one batch (one
transaction) and M one per transaction, on one connection, with replies read as they come.
Every host add writes A, AAAA and PTR records and steps two serials, so this measures the
record-writing path (the journal's triggers and its seal at commit included).

    bench/hosts.py [-n BATCH] [-m SINGLE] [--lanad PATH]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lanaproto import login, read_token_file  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=10000, help="hosts in one batch (default 10000)")
    ap.add_argument("-m", type=int, default=2000, help="hosts one per commit (default 2000)")
    ap.add_argument("--lanad", default="lanad")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="lana-bench-hosts.")
    ready = os.path.join(work, "ready")
    p = subprocess.Popen([a.lanad, "--db", os.path.join(work, "lana.db"), "--listen-dns",
                          "127.0.0.1:0", "--listen-registry", "127.0.0.1:0", "--ready-file",
                          ready, "--log-level", "warn", "--listen-http", "127.0.0.1:0"],
                         stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not os.path.exists(ready) and time.monotonic() < deadline:
            time.sleep(0.02)
        port = next(int(l.split()[1].rsplit(":", 1)[1]) for l in open(ready)
                    if l.startswith("registry"))
        token, pin = read_token_file(os.path.join(work, "admin.token"))
        s, f = login("127.0.0.1", port, token, pin=pin)
        t0 = time.monotonic()
        s.sendall(b"batch\n" + "".join(f"host add b{i:06d}.lab.\n" for i in range(a.n)).encode()
                  + b"end\n")
        while b'"batch":{' not in f.readline():
            pass
        t1 = time.monotonic()
        for i in range(a.m):
            s.sendall(f"host add s{i:06d}.lab.\n".encode())
            f.readline()
        t2 = time.monotonic()
        print(f"batch: {a.n} hosts in {t1 - t0:.2f} s = {a.n / (t1 - t0):.0f} hosts/s")
        print(f"single: {a.m} hosts in {t2 - t1:.2f} s = {a.m / (t2 - t1):.0f} hosts/s "
              f"(one commit each)")
    finally:
        p.terminate()
        p.wait(10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
