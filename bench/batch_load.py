#!/usr/bin/env python3
"""Other clients' latency while one client runs a long batch (not a test: it prints figures).

Starts lanad on a temporary database (or uses --server HOST:PORT --token-file PATH), sends one
batch of N allocations (default 100,000) on one connection, reading its replies as they come,
and while it runs measures from other connections: the latency of reads (whois, block show,
pool list, one at a time on R connections) and of complete handshakes (connect, HELLO,
WELCOME, ACK, READY). Prints p50/p99/max of each over the batch's run, and the batch's time.

    bench/batch_load.py [-n LINES] [-r READERS] [--lanad PATH]
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lanaproto import login, read_token_file  # noqa: E402


def pct(xs, p):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))]


def handshake(host, port):
    s = socket.create_connection((host, port), timeout=30)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    f = s.makefile("rb")
    s.sendall(b"HELLO lana/1 seq=1\n")
    y = int(f.readline().split()[3].split(b"=")[1])
    s.sendall(f"ACK ack={(y + 1) % 2**32}\n".encode())
    ok = f.readline().startswith(b"READY")
    s.sendall(b"quit\n")
    f.close()
    s.close()
    return ok


def start_lanad(lanad, work):
    ready = os.path.join(work, "ready")
    proc = subprocess.Popen([lanad, "--db", os.path.join(work, "lana.db"), "--listen-dns",
                             "127.0.0.1:0", "--listen-registry", "127.0.0.1:0", "--ready-file",
                             ready, "--log-level", "warn", "--listen-http", "127.0.0.1:0"])
    try:
        deadline = time.monotonic() + 10
        while not os.path.exists(ready):
            if proc.poll() is not None or time.monotonic() > deadline:
                sys.exit("lanad did not start")
            time.sleep(0.02)
        port = next(int(ln.split()[1].rsplit(":", 1)[1]) for ln in open(ready)
                    if ln.startswith("registry "))
        token, _ = read_token_file(os.path.join(work, "admin.token"))
    except BaseException:  # the lanad started here stops with the script, whatever happened
        proc.terminate()
        proc.wait()
        raise
    return proc, port, token


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=100000, help="lines of the batch")
    ap.add_argument("-r", type=int, default=2, help="reading connections")
    ap.add_argument("--lanad", default=os.environ.get("LANAD", "build/lanad"))
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as work:
        proc, port, token = start_lanad(a.lanad, work)
        try:
            run(a, "127.0.0.1", port, token)
        finally:
            proc.terminate()
            proc.wait()


def run(a, host, port, token):
    bs, bf = login(host, port, token, timeout=120)
    running = threading.Event()
    done = threading.Event()
    t = {}

    def batch_reader():
        n = 0
        while True:
            line = bf.readline()
            if not line:
                break
            if line.startswith(b"PROGRESS "):
                continue
            n += 1
            if n == 1:
                t["first"] = time.monotonic()
                running.set()
            if b'"batch":{' in line:
                t["end"] = time.monotonic()
                t["summary"] = line.decode().strip()
                break
        done.set()
        running.set()

    reads, shakes = [], []

    def reader(i):
        s, f = login(host, port, token)
        reqs = [b"whois 198.18.0.1\n", b"block show 198.18.0.0/15\n", b"pool list\n"]
        k = 0
        running.wait()
        while not done.is_set():
            t0 = time.monotonic()
            s.sendall(reqs[k % len(reqs)])
            f.readline()
            reads.append(time.monotonic() - t0)  # started while the batch ran
            k += 1
        s.close()

    def shaker():
        running.wait()
        while not done.is_set():
            t0 = time.monotonic()
            handshake(host, port)
            shakes.append(time.monotonic() - t0)

    th = [threading.Thread(target=batch_reader)]
    th += [threading.Thread(target=reader, args=(i,)) for i in range(a.r)]
    th += [threading.Thread(target=shaker)]
    for x in th:
        x.start()
    body = b"batch\n" + b"block alloc 198.18.0.0/15 /32\n" * a.n + b"end\n"
    t_send = time.monotonic()
    bs.sendall(body)
    for x in th:
        x.join(600)
    ms = 1000.0
    print(f"batch of {a.n} allocations: {t['end'] - t_send:.2f} s from send to summary "
          f"({a.n / (t['end'] - t_send):.0f}/s); {t.get('summary', '')[:120]}")
    print(f"reads started during the batch ({a.r} connections, {len(reads)} reads): "
          f"p50 {pct(reads, 50) * ms:.2f} ms, p99 {pct(reads, 99) * ms:.2f} ms, "
          f"max {max(reads or [0]) * ms:.2f} ms")
    print(f"handshakes started during the batch ({len(shakes)}): p50 {pct(shakes, 50) * ms:.2f} ms, "
          f"p99 {pct(shakes, 99) * ms:.2f} ms, max {max(shakes or [0]) * ms:.2f} ms")


if __name__ == "__main__":
    main()
