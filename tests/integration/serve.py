#!/usr/bin/env python3
"""lana serve, concurrent (client/cli_serve.c): 30 clients at once on 127.0.0.1, one of them
silent from the start, each sending its own bytes in interleaved parts; 30 distinct sockets
reported by accept() and 30 correct echoes, none delayed by the silent one. Then --once,
--max-clients (the next client waits in the backlog until one leaves), --idle, SIGTERM, and the exit
statuses of a usage error and a port in use. Loopback only; every wait is bounded."""
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

LANA = os.environ.get("LANA", "lana")
STEP = 5.0  # the longest any single step may take, in seconds
procs = []


def fail(msg):
    print("FAIL:", msg)
    for p in procs:
        if p.poll() is None:
            p.kill()
    sys.exit(1)


class Serve:
    """A lana serve it started, with its stdout read line by line in a thread."""

    def __init__(self, *args):
        self.p = subprocess.Popen([LANA, "serve", "0", "--bind", "127.0.0.1", *args],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        procs.append(self.p)
        self.lines = []
        self.cv = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        m = self.wait_line(r"^listening socket (\d+) on 127\.0\.0\.1:(\d+)")
        self.lfd, self.port = int(m.group(1)), int(m.group(2))

    def _read(self):
        for line in self.p.stdout:
            with self.cv:
                self.lines.append(line.rstrip("\n"))
                self.cv.notify_all()
        with self.cv:
            self.lines.append(None)
            self.cv.notify_all()

    def matches(self, pattern):
        with self.cv:
            return [m for m in (re.search(pattern, l) for l in self.lines if l) if m]

    def wait_line(self, pattern, count=1, timeout=STEP):
        end = time.monotonic() + timeout
        with self.cv:
            while True:
                found = [m for m in (re.search(pattern, l) for l in self.lines if l) if m]
                if len(found) >= count:
                    return found[count - 1]
                left = end - time.monotonic()
                if left <= 0 or None in self.lines:
                    fail(f"no {count} lines matching {pattern!r} in {timeout} s:\n"
                         + "\n".join(l for l in self.lines if l))
                self.cv.wait(left)

    def wait_exit(self, timeout=STEP):
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            fail("lana serve did not exit in time")

    def connect(self):
        return socket.create_connection(("127.0.0.1", self.port), timeout=STEP)


def recv_exact(s, n):
    """n bytes from s, within STEP seconds in all."""
    end, got = time.monotonic() + STEP, b""
    while len(got) < n:
        s.settimeout(max(0.01, end - time.monotonic()))
        try:
            k = s.recv(n - len(got))
        except socket.timeout:
            break
        if not k:
            break
        got += k
    return got


def test_thirty():
    srv = Serve()  # the default cap, 64
    silent = srv.connect()  # connected first, never sends: must delay nobody
    srv.wait_line(r"accept\(\) → new socket \d+ for 127\.0\.0\.1:\d+ \(local 127\.0\.0\.1:")
    # a client that sends and never reads (until the end): the server's buffer for it fills,
    # the kernel's buffers fill, its sends stop; the others are served all the same
    hog = srv.connect()
    hog.setblocking(False)
    sent, chunk = 0, bytes(range(256)) * 64
    twice = chunk * 2  # the stream is chunk repeated, whatever each send() took of it
    end = time.monotonic() + STEP
    while time.monotonic() < end:
        try:
            sent += hog.send(twice[sent % len(chunk):][:len(chunk)])
        except BlockingIOError:
            time.sleep(0.05)
            try:
                sent += hog.send(twice[sent % len(chunk):][:len(chunk)])
            except BlockingIOError:
                break
    t0 = time.monotonic()
    clients = [srv.connect() for _ in range(28)]
    data = [(f"client {i:02d} first half|".encode(), f"second half {i * 7919}\n".encode() * (i + 1))
            for i in range(28)]
    for s, (a, _) in zip(clients, data):  # first halves of all, then second halves
        s.sendall(a)
    for s, (a, _) in zip(clients[::2], data[::2]):  # the even ones' echoes before the others send
        if recv_exact(s, len(a)) != a:
            fail("an interleaved first half was not echoed at once")
    for s, (_, b) in zip(clients, data):
        s.sendall(b)
    for i, (s, (a, b)) in enumerate(zip(clients, data)):
        want = b if i % 2 == 0 else a + b
        got = recv_exact(s, len(want))
        if got != want:
            fail(f"client {i}: echo {got[:60]!r}... is not {want[:60]!r}...")
    took = time.monotonic() - t0
    srv.wait_line(r"accept\(\) → new socket (\d+) for 127\.0\.0\.1:(\d+)", 30)
    fds = {int(m.group(1)) for m in srv.matches(r"accept\(\) → new socket (\d+) for")}
    ports = {int(m.group(2)) for m in srv.matches(r"accept\(\) → new socket (\d+) for 127\.0\.0\.1:(\d+)")}
    if len(fds) != 30 or srv.lfd in fds:
        fail(f"{len(fds)} distinct sockets reported for 30 clients at once: {sorted(fds)}")
    if len(ports) != 30:
        fail(f"{len(ports)} distinct client ports for 30 clients")
    if srv.matches(r"socket \d+ closed"):
        fail("a client was closed while all 30 were connected")
    # the hog reads: every byte it sent comes back, in order
    want = (chunk * (sent // len(chunk) + 1))[:sent]
    end, got = time.monotonic() + STEP, bytearray()
    hog.setblocking(True)
    while len(got) < sent and time.monotonic() < end:
        hog.settimeout(max(0.01, end - time.monotonic()))
        try:
            k = hog.recv(65536)
        except socket.timeout:
            break
        if not k:
            break
        got += k
    if bytes(got) != want:
        fail(f"the client that did not read got {len(got)} of its {sent} bytes back, or others")
    # the silent client is still served when it speaks
    silent.sendall(b"late words")
    if recv_exact(silent, 10) != b"late words":
        fail("the silent client was not echoed")
    for s in clients + [silent, hog]:
        s.close()
    srv.wait_line(r"closed \(client closed\) after echoing", 30)
    if not srv.matches(r"^socket\(\) → bind\(\) → listen\(backlog \d+\) → accept\(\): "
                       rf"listening socket {srv.lfd}$"):
        fail("the calls are not named at start")
    srv.p.send_signal(signal.SIGTERM)
    if srv.wait_exit() != 0:
        fail("SIGTERM: exit status not 0")
    print(f"ok 30 clients at once (one silent, one not reading {sent} bytes): 30 distinct "
          f"sockets, 28 echoes in {took:.2f} s, then the other two")


def test_once():
    srv = Serve("--once")
    s = srv.connect()
    s.sendall(b"just once")
    if recv_exact(s, 9) != b"just once":
        fail("--once: no echo")
    s.close()
    if srv.wait_exit() != 0:
        fail("--once: exit status not 0")
    srv.wait_line(r"^listening socket \d+ closed after 1 connection$")
    print("ok --once: one client served, then exit 0")


def test_max_clients():
    srv = Serve("--max-clients", "2")
    a, b = srv.connect(), srv.connect()
    for s, msg in ((a, b"aaa"), (b, b"bbb")):
        s.sendall(msg)
        if recv_exact(s, 3) != msg:
            fail("--max-clients 2: one of the first two clients was not echoed")
    srv.wait_line(r"^at --max-clients 2: new connections wait in the backlog")
    c = srv.connect()  # completes in the kernel's backlog, not accepted yet
    c.sendall(b"ccc")
    c.settimeout(0.5)
    try:
        early = c.recv(3)
    except socket.timeout:
        early = None
    if early is not None:
        fail(f"--max-clients 2: a third client was served at once ({early!r})")
    if len(srv.matches(r"accept\(\) → new socket")) != 2:
        fail("--max-clients 2: a third client was accepted")
    a.close()
    if recv_exact(c, 3) != b"ccc":
        fail("--max-clients 2: the waiting client was not served when a slot came free")
    srv.wait_line(r"^connection 3: accept\(\) → new socket")
    b.close()
    c.close()
    srv.p.send_signal(signal.SIGINT)
    if srv.wait_exit() != 0:
        fail("SIGINT: exit status not 0")
    print("ok --max-clients 2: the third waited in the backlog, then was served")


def test_idle():
    srv = Serve("--idle", "1")
    s = srv.connect()
    srv.wait_line(r"closed \(idle 1 s\) after echoing 0 bytes", timeout=4)
    s.settimeout(STEP)
    if s.recv(1) != b"":
        fail("--idle 1: the silent client's socket was not closed")
    s.close()
    srv.p.send_signal(signal.SIGTERM)
    srv.wait_exit()
    print("ok --idle 1: a silent client closed after a second")


def test_stop_and_status():
    srv = Serve()
    s = srv.connect()
    srv.wait_line(r"accept\(\) → new socket")
    srv.p.send_signal(signal.SIGTERM)
    if srv.wait_exit() != 0:
        fail("SIGTERM with a client: exit status not 0")
    srv.wait_line(r"closed \(server stopping\)")
    s.settimeout(STEP)
    if s.recv(1) != b"":
        fail("SIGTERM: the client's socket was not closed")
    s.close()
    # a port in use: 73; a usage error: 64
    busy = Serve()
    r = subprocess.run([LANA, "serve", str(busy.port), "--bind", "127.0.0.1"],
                       capture_output=True, text=True, timeout=STEP)
    if r.returncode != 73 or "bind()" not in r.stderr:
        fail(f"port in use: exit {r.returncode} {r.stderr!r}, not 73 naming bind()")
    busy.p.send_signal(signal.SIGTERM)
    busy.wait_exit()
    for args in (["--max-clients", "0"], ["--bogus"], []):
        r = subprocess.run([LANA, "serve", *(["0"] if args else []), *args],
                           capture_output=True, text=True, timeout=STEP)
        if r.returncode != 64:
            fail(f"serve {args}: exit {r.returncode}, not 64")
    print("ok SIGTERM closes every socket (exit 0); port in use 73; usage 64")


def main():
    try:
        test_thirty()
        test_once()
        test_max_clients()
        test_idle()
        test_stop_and_status()
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


if __name__ == "__main__":
    main()
