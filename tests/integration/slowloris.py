#!/usr/bin/env python3
"""Integration test of the registry service under attack (server/regguard.c): a slowloris of
1,000 connections (half trickling an unfinished HELLO, half idle, from 100 loopback
addresses) while a real client completes handshakes and allocations; the handshake deadline
and the idle limit against a trickle; the cap per client address; the failed-authentication
limit; the read rate and reply size of clients without a token; and accept() out of file
descriptors (the registry and DNS TCP must not spin, and serve again once descriptors are
free). Every loop is bounded in count and time. Needs LANAD (and LANA for the CLI check)."""

import errno
import json
import multiprocessing
import os
import resource
import selectors
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import lanatest  # noqa: E402
from lanatest import Daemon, Line, check, finish, proof  # noqa: E402

ATTACK_CONNS = 1000
ATTACK_ADDRS = 100  # 127.1.0.1 .. 127.1.0.100, ten connections each


def raise_fd_limit(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def Conn(port, src="127.0.0.1", timeout=5):
    """A line-oriented client from source address src."""
    return Line(port, src, timeout)


def login(port, token=None, src="127.0.0.1", x=1000, user="admin"):
    """HELLO/ACK (with the token's proof when given); returns (conn, READY or ERROR line)."""
    c = Conn(port, src)
    c.send(f"HELLO lana/1 seq={x}")
    w = c.recv()
    if w is None or not w.startswith("WELCOME"):
        return c, w
    y = int(w.split()[3].split("=")[1])
    if token is None:
        c.send(f"ACK ack={y + 1}")
    else:
        c.send(f"ACK ack={y + 1} user={user} proof={proof(token, x, y)}")
    return c, c.recv()


RETRIES = []  # busy refusals before WELCOME that alloc_once retried, as lana does


def alloc_once(port, token):
    """A real client: handshake and one allocation. Returns (ok, seconds, detail). Like lana
    (client/regclient.c), it connects again after 50, 100, 200 ms when refused as busy before
    WELCOME: a client the scheduler keeps from sending HELLO looks like the flood's silent
    connections and may be closed to make room."""
    t0 = time.monotonic()
    try:
        for attempt in range(4):
            c, ready = login(port, token)
            if attempt == 3 or ready is None or not ready.startswith("ERROR ") or \
                    '"code":"busy"' not in ready:
                break
            c.close()
            RETRIES.append(ready)
            time.sleep(0.05 * 2 ** attempt)
        if ready is None or not ready.startswith("READY"):
            c.close()
            return False, time.monotonic() - t0, str(ready)
        c.send("block alloc 198.18.0.0/15 /28")
        r = c.recv()
        c.close()
        ok = r is not None and json.loads(r).get("ok") is True
        return ok, time.monotonic() - t0, str(r)[:200]
    except OSError as e:
        return False, time.monotonic() - t0, str(e)


class Attack(threading.Thread):
    """n connections from `addrs` source addresses, reopened when the server closes them
    (at most max_connects in all); even ones trickle a byte of "HELLO lana/1 seq=" every
    `every` seconds, odd ones stay silent. Stops at `seconds` or stop()."""

    TRICKLE = b"HELLO lana/1 seq="

    def __init__(self, port, n=ATTACK_CONNS, addrs=ATTACK_ADDRS, seconds=30, every=1.0,
                 max_connects=30000):
        super().__init__(daemon=True)
        self.port, self.n, self.addrs, self.seconds, self.every = port, n, addrs, seconds, every
        self.max_connects = max_connects
        self.connects = self.closed_by_server = 0
        self.open_peak = 0
        self._halt = threading.Event()

    def stop(self):
        self._halt.set()
        self.join(10)

    def _open(self, i):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        j = i % self.addrs
        s.bind((f"127.1.{j // 250}.{1 + j % 250}", 0))
        err = s.connect_ex(("127.0.0.1", self.port))
        if err not in (0, errno.EINPROGRESS):
            s.close()
            return None
        self.connects += 1
        return s

    def run(self):
        sel = selectors.DefaultSelector()
        socks = {}  # slot -> [socket, bytes sent, next send time]
        end = time.monotonic() + self.seconds
        next_fill = 0
        while not self._halt.is_set() and time.monotonic() < end:
            now = time.monotonic()
            if now >= next_fill:  # reopen what the server closed, a slice per round
                next_fill = now + 0.05
                for i in range(self.n):
                    if i not in socks and self.connects < self.max_connects:
                        s = self._open(i)
                        if s is not None:
                            socks[i] = [s, 0, now + self.every * (i % 10) / 10]
                            sel.register(s, selectors.EVENT_READ, i)
                self.open_peak = max(self.open_peak, len(socks))
            for key, _ in sel.select(timeout=0.02):
                i = key.data
                try:
                    data = socks[i][0].recv(4096)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:  # closed by the server: reopened on the next fill
                    sel.unregister(socks[i][0])
                    socks[i][0].close()
                    del socks[i]
                    self.closed_by_server += 1
            now = time.monotonic()
            for i, st in list(socks.items()):
                if i % 2 == 0 and now >= st[2] and st[1] < len(self.TRICKLE):
                    try:
                        st[0].send(self.TRICKLE[st[1]:st[1] + 1])
                        st[1] += 1
                    except (BlockingIOError, OSError):
                        pass
                    st[2] = now + self.every
        for st in socks.values():
            sel.unregister(st[0])
            st[0].close()
        sel.close()


def _attack_main(kw, ready, halt, out):
    a = Attack(**kw)
    a.start()
    time.sleep(2)  # it has filled every place it can
    ready.set()
    halt.wait(kw["seconds"])
    a.stop()
    out.put({"open_peak": a.open_peak, "connects": a.connects,
             "closed_by_server": a.closed_by_server, "max_connects": a.max_connects})


class AttackProcess:
    """An Attack in a process of its own (a real client does not share an interpreter lock
    with its attacker): start() returns once it holds its connections, stop() its figures."""

    def __init__(self, port, **kw):
        self.kw = dict(kw, port=port)
        self.ready, self.halt = multiprocessing.Event(), multiprocessing.Event()
        self.out = multiprocessing.Queue()
        self.p = multiprocessing.Process(target=_attack_main,
                                         args=(self.kw, self.ready, self.halt, self.out))

    def start(self):
        self.p.start()
        self.ready.wait(15)

    def stop(self):
        self.halt.set()
        try:
            stats = self.out.get(timeout=30)
        except Exception:  # noqa: BLE001 -- queue.Empty: the process did not report
            stats = {}
        self.p.join(10)
        if self.p.is_alive():
            self.p.kill()
        return stats


def cpu_seconds(pid):
    """User + system CPU time of a process, in seconds."""
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def test_slowloris(work):
    d = Daemon(work, "--registry-idle-timeout", "3", "--registry-handshake-timeout", "3",
               "--registry-max-per-address", "16")
    try:
        port = d.registry_port
        atk = AttackProcess(port, seconds=40)
        atk.start()
        results = []
        t_end = time.monotonic() + 6
        while time.monotonic() < t_end and len(results) < 40:
            results.append(alloc_once(port, d.token))
            time.sleep(0.1)
        good = [r for r in results if r[0]]
        check(f"during a slowloris of {ATTACK_CONNS} connections a real client allocates "
              f"({len(good)}/{len(results)}, {len(RETRIES)} retried after busy)",
              len(results) >= 10 and len(good) == len(results),
              str([r for r in results if not r[0]][:3]))
        worst = max(r[1] for r in results) if results else 0
        check("and no handshake+allocation took over 2 s", worst < 2, f"worst {worst:.3f} s")
        lana = os.environ.get("LANA")
        if lana:
            tf = os.path.join(work, "admin.token")
            p = subprocess.run([lana, "--server", f"127.0.0.1:{port}", "--token-file", tf,
                                "block", "alloc", "198.18.0.0/15", "/28"],
                               capture_output=True, text=True, timeout=20)
            check("the lana CLI allocates during the attack", p.returncode == 0,
                  f"exit {p.returncode}: {p.stderr[:300]}")

        st = atk.stop()
        check("the attack held its connections", st.get("open_peak", 0) >= 900, str(st))
        check("the attack was bounded", 0 < st.get("connects", 0) <= st.get("max_connects", 0),
              str(st))
        time.sleep(1.2)  # the sweep logs its summary once a second
        log = open(d.log).read()
        check("evictions and deadlines are logged in a summary",
              "too slow in the handshake closed to make room" in log
              and log.count("closed to make room") < 200, log[-400:])

        # the handshake deadline counts from the accept: a trickle does not extend it
        c = Conn(port, "127.0.2.1")
        t0 = time.monotonic()
        gone = False
        for b in b"HELLO lana/1 seq=12345678901234567890":
            try:
                c.s.send(bytes([b]))
            except OSError:
                gone = True
            if gone or time.monotonic() - t0 > 8:
                break
            time.sleep(0.5)
            c.s.settimeout(0.01)
            try:
                gone = c.s.recv(4096) == b"" or gone
            except socket.timeout:
                pass
            except OSError:
                gone = True
        dt = time.monotonic() - t0
        check("a trickled HELLO is closed at the handshake deadline", gone and dt < 6,
              f"gone={gone} after {dt:.1f} s")
        c.close()

        # after READY, the idle clock moves only on complete lines
        c, ready = login(port, d.token, src="127.0.2.2")
        check("READY", ready is not None and ready.startswith("READY"), str(ready))
        t0 = time.monotonic()
        gone = False
        while not gone and time.monotonic() - t0 < 10:
            try:
                c.s.send(b"p")
            except OSError:
                gone = True
                break
            c.s.settimeout(0.5)
            try:
                data = c.s.recv(4096)
                gone = data == b"" or b"idle" in data
            except socket.timeout:
                pass
            except OSError:
                gone = True
        dt = time.monotonic() - t0
        check("a trickle of bytes without a newline is idle", gone and dt < 6,
              f"gone={gone} after {dt:.1f} s")
        c.close()
        check("daemon alive", d.alive())
    finally:
        d.stop()


def test_per_address(work):
    d = Daemon(work, "--registry-max-per-address", "4")
    try:
        port = d.registry_port
        ready = [login(port, src="127.0.3.1")[0] for _ in range(4)]
        extra = Conn(port, "127.0.3.1")
        line = extra.recv()
        check("over the per-address cap: busy", line is not None and "busy" in line
              and "address" in line and extra.closed(), str(line))
        extra.close()
        c, r = login(port, src="127.0.3.2")
        check("another address gets in", r is not None and r.startswith("READY"), str(r))
        c.close()
        # at its cap, a new connection of that address evicts its oldest handshake
        for k in ready[:2]:
            k.close()
        time.sleep(0.2)
        slow = [Conn(port, "127.0.3.1") for _ in range(2)]
        time.sleep(0.2)
        c, r = login(port, src="127.0.3.1")
        gone = slow[0].recv()
        check("at the per-address cap a handshake gives way", r is not None
              and r.startswith("READY") and gone is not None and "make room" in gone
              and slow[0].closed(), f"{r} / {gone}")
        for k in ready[2:] + slow + [c]:
            k.close()
    finally:
        d.stop()


def test_auth_limit(work):
    d = Daemon(work, "--registry-auth-failures", "3", "--registry-auth-window", "3")
    try:
        port = d.registry_port
        bad = bytes(32)
        refused = []
        for i in range(3):
            c, r = login(port, bad, src="127.0.4.1", x=i)
            refused.append(r is not None and "permission" in r)
            c.close()
        check("bad proofs refused", all(refused), str(refused))
        c, r = login(port, d.token, src="127.0.4.1")
        check("after 3 failures even a good proof from that address is refused: busy, wait",
              r is not None and r.startswith("ERROR ") and "busy" in r
              and "too many failed authentications; wait" in r, str(r))
        c.close()
        for i in range(5):
            c, r = login(port, bad, src="127.0.4.1", x=i)
            c.close()
        c, r = login(port, d.token, src="127.0.4.2")
        check("a good client from another address is not refused",
              r is not None and json.loads(r[6:])["role"] == "admin", str(r))
        c.close()
        c, r = login(port, src="127.0.4.1")
        check("reading without a token stays open to that address",
              r is not None and r.startswith("READY"), str(r))
        c.close()
        time.sleep(0.2)
        log = open(d.log).read()
        check("one log line for the limit, not one per attempt",
              log.count("too many failed authentications") == 1
              and log.count("authentication as admin refused") == 3, log[-600:])
        time.sleep(3.2)  # registry-auth-window: the address's window is over
        c, r = login(port, d.token, src="127.0.4.1")
        check("once the window is over, a good proof from that address is accepted",
              r is not None and r.startswith("READY"), str(r))
        c.close()
    finally:
        d.stop()


def test_anon_reads(work):
    d = Daemon(work, "--registry-anon-read-rate", "5", "--registry-anon-reply-max", "3000")
    try:
        port = d.registry_port
        c, r = login(port, src="127.0.5.1")
        c.s.sendall(b"pool list\n" * 20)
        rs = [json.loads(c.recv()) for _ in range(20)]
        ok = sum(1 for x in rs if x.get("ok"))
        busy = [x for x in rs if not x.get("ok")]
        check("reads without a token are limited in rate",
              5 <= ok <= 7 and busy and all(x["error"]["code"] == "busy" for x in busy)
              and "authenticate" in busy[0]["error"]["message"], f"{ok} ok: {rs[-1]}")
        time.sleep(1.1)
        c.send("pool list")
        check("and the bucket refills", json.loads(c.recv()).get("ok"))
        c.close()
        a, r = login(port, d.token, src="127.0.5.1")
        a.s.sendall(b"pool list\n" * 20)
        check("a client with a token is not held to it",
              all(json.loads(a.recv()).get("ok") for _ in range(20)))
        for _ in range(40):
            a.send("block alloc 198.18.0.0/15 /24 --desc filler-text-for-a-long-reply")
            a.recv()
        a.send("block list 198.18.0.0/15")
        big = a.recv()
        check("the block list is long", big is not None and len(big) > 3000, str(len(big or "")))
        a.close()
        time.sleep(1.1)
        c, r = login(port, src="127.0.5.2")
        c.send("block list 198.18.0.0/15")
        x = json.loads(c.recv())
        check("an anonymous reply over the size limit is an error saying what to do",
              not x.get("ok") and x["error"]["code"] == "too_long"
              and "authenticate or narrow the query" in x["error"]["message"], str(x)[:300])
        c.send("pool list")
        check("a small read still works", json.loads(c.recv()).get("ok"))
        c.close()
    finally:
        d.stop()


def dns_query_tcp(port):
    q = struct.pack("!HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0) + b"\x03lab\x00" + struct.pack("!HH", 6, 1)
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    try:
        s.sendall(struct.pack("!H", len(q)) + q)
        head = s.recv(4)
        return len(head) >= 4 and head[2:4] == b"\x42\x42"
    except OSError:
        return False
    finally:
        s.close()


def flood(port, n):
    """n connections opened without waiting (many stay in the listener's queue)."""
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        socks.append(s)
    return socks


def test_out_of_fds(work):
    wrapper = os.path.join(work, "lanad-nofile")
    with open(wrapper, "w") as f:
        f.write(f'#!/bin/sh\nulimit -n 96 || exit 1\nexec "{lanatest.LANAD}" "$@"\n')
    os.chmod(wrapper, 0o755)
    real = lanatest.LANAD
    lanatest.LANAD = wrapper
    try:  # no cap per address: the descriptors run out first
        d = Daemon(work, "--registry-max-per-address", "100000")
    finally:
        lanatest.LANAD = real
    try:
        check("a descriptor limit below the caps is logged at start",
              "file descriptor limit (96) is below" in open(d.log).read())
        for name, port in (("registry", d.registry_port), ("DNS TCP", d.dns_port)):
            socks = flood(port, 200)
            time.sleep(0.5)
            c0 = cpu_seconds(d.proc.pid)
            time.sleep(2)
            used = cpu_seconds(d.proc.pid) - c0
            check(f"{name}: out of descriptors, lanad does not spin", used < 0.5,
                  f"{used:.2f} s of CPU in 2 s")
            for s in socks:
                s.close()
            served = False
            t0 = time.monotonic()
            while not served and time.monotonic() - t0 < 5:
                time.sleep(0.3)
                if name == "registry":
                    c, r = login(d.registry_port, d.token)
                    served = r is not None and r.startswith("READY")
                    c.close()
                else:
                    served = dns_query_tcp(d.dns_port)
            check(f"{name}: serves again once descriptors are free", served)
        log = open(d.log).read()
        check("out of descriptors logged once per episode, not per attempt",
              1 <= log.count("registry: cannot accept") <= 3
              and 1 <= log.count("tcp: cannot accept") <= 6, log[-800:])
        check("daemon alive", d.alive())
    finally:
        d.stop()


def main():
    have = raise_fd_limit(ATTACK_CONNS + 512)
    if have < ATTACK_CONNS + 64:
        print(f"# skipped: only {have} file descriptors for the test")
        return 77
    for t in (test_slowloris, test_per_address, test_auth_limit, test_anon_reads,
              test_out_of_fds):
        with tempfile.TemporaryDirectory(prefix="lana-slow.") as work:
            t(work)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
