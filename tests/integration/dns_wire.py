#!/usr/bin/env python3
"""Wire-level integration test of lanad: malformed and hostile packets, opcodes, and the TCP
rules of RFC 7766 (framing, pipelining, idle timeout, connection cap, slow clients), against a
real daemon on loopback. Needs LANAD and TEST_DATA in the environment."""

import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from lanatest import LANAD, Daemon, check, finish  # noqa: E402

TEST_DATA = os.environ["TEST_DATA"]


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def query(name, qtype=1, qid=0x1234, flags=0x0000, qdcount=1, extra=b""):
    header = struct.pack("!HHHHHH", qid, flags, qdcount, 0, 0, 1 if extra else 0)
    return header + encode_name(name) + struct.pack("!HH", qtype, 1) + extra


def header(resp):
    qid, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", resp[:12])
    return {"id": qid, "qr": flags >> 15, "opcode": (flags >> 11) & 15, "aa": (flags >> 10) & 1,
            "tc": (flags >> 9) & 1, "rcode": flags & 15, "qd": qd, "an": an, "ns": ns, "ar": ar}


def udp(port, packet, timeout=1.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    s.sendto(packet, ("127.0.0.1", port))
    try:
        return s.recv(65535)
    except socket.timeout:
        return None
    finally:
        s.close()


def tcp_connect(port, timeout=2.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def tcp_read(s):
    """One framed message, or None when the server closed the connection."""
    try:
        ln = recv_exact(s, 2)
        return None if ln is None else recv_exact(s, struct.unpack("!H", ln)[0])
    except (ConnectionResetError, socket.timeout):
        return None


def frame(packet):
    return struct.pack("!H", len(packet)) + packet


def works(port):
    r = udp(port, query("web.test"))
    return r is not None and header(r)["rcode"] == 0 and header(r)["an"] == 1


def malformed_packets(d):
    port = d.dns_port
    q = query("web.test")
    cases = {
        # name: (packet, expected rcode or None for "dropped")
        "short header is dropped": (q[:7], None),
        "a response (QR=1) is not answered": (query("web.test", flags=0x8000), None),
        "qdcount 0: FORMERR": (struct.pack("!HHHHHH", 7, 0, 0, 0, 0, 0), 1),
        "qdcount 2: FORMERR": (query("web.test", qdcount=2) + encode_name("web.test")
                               + struct.pack("!HH", 1, 1), 1),
        "question cut short: FORMERR": (q[:-3], 1),
        "count larger than the packet: FORMERR": (query("web.test")[:4] + struct.pack(
            "!HHHH", 1, 5, 0, 0) + q[12:], 1),
        "label over 63 octets: FORMERR": (q[:12] + bytes([64]) + b"a" * 64 + b"\0"
                                          + struct.pack("!HH", 1, 1), 1),
        "name over 255 octets: FORMERR": (q[:12] + (bytes([63]) + b"a" * 63) * 4 + b"\0"
                                          + struct.pack("!HH", 1, 1), 1),
        "compression pointer loop: FORMERR": (q[:12] + b"\xc0\x0c" + struct.pack("!HH", 1, 1), 1),
        "forward compression pointer: FORMERR": (q[:12] + b"\xc0\x20" + struct.pack("!HH", 1, 1)
                                                 + b"\0" * 32, 1),
        "trailing garbage after the question: FORMERR": (q + b"\x01\x02\x03", 1),
        "two OPT records: FORMERR": (struct.pack("!HHHHHH", 9, 0, 1, 0, 0, 2) + q[12:]
                                     + b"\0\0\x29\x04\xd0\0\0\0\0\0\0" * 2, 1),
        "NOTIFY of a zone served here: NOERROR": (query("test", 6, flags=4 << 11), 0),
        "NOTIFY of another zone: NOTAUTH": (query("elsewhere", 6, flags=4 << 11), 9),
        "STATUS opcode: NOTIMP": (query("test", flags=2 << 11), 4),
        "UPDATE opcode: NOTIMP": (query("test", 6, flags=5 << 11), 4),
    }
    for name, (packet, want) in cases.items():
        r = udp(port, packet, timeout=0.3 if want is None else 1.0)
        if want is None:
            check("udp: " + name, r is None, "got an answer")
        else:
            check("udp: " + name, r is not None and header(r)["rcode"] == want
                  and header(r)["qr"] == 1 and header(r)["id"] == struct.unpack("!H", packet[:2])[0],
                  "got %r" % (r and header(r)))
    # the same over TCP: a FORMERR is answered and the connection stays usable or is closed,
    # the daemon in any case keeps serving
    s = tcp_connect(port)
    s.sendall(frame(cases["compression pointer loop: FORMERR"][0]))
    r = tcp_read(s)
    check("tcp: pointer loop: FORMERR", r is not None and header(r)["rcode"] == 1)
    s.close()
    # random garbage of every length 0..300 over UDP, then one query: the daemon still answers
    rnd = open("/dev/urandom", "rb")
    for n in range(0, 300):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(rnd.read(n), ("127.0.0.1", port))
        s.close()
    rnd.close()
    # a stub resolver retries: the burst may still fill the socket's queue when the first
    # query arrives, and a loaded machine may drop it; an exited daemon is what fails here
    answered = any(works(port) for _ in range(3))
    check("300 random packets: the daemon keeps serving", d.alive() and answered,
          ("exited with %s" % d.proc.poll() if not d.alive() else "no answer to 3 queries")
          + "; log: " + open(d.log, errors="replace").read()[-800:])


def tcp_rules(d):
    port = d.dns_port
    # 1. many queries in one write, all answered in order of arrival (ids checked)
    s = tcp_connect(port)
    names = ["web.test", "nope.test", "www.test", "txt.test"] * 25
    s.sendall(b"".join(frame(query(n, qid=i)) for i, n in enumerate(names)))
    ids = []
    for _ in names:
        r = tcp_read(s)
        if r is None:
            break
        ids.append(header(r)["id"])
    check("tcp: 100 pipelined queries in one write, all answered", sorted(ids) == list(range(100)),
          "answered %d" % len(ids))
    # 2. a query dribbled one byte at a time
    m = frame(query("web.test", qid=777))
    for b in m:
        s.send(bytes([b]))
        time.sleep(0.002)
    r = tcp_read(s)
    check("tcp: a query sent one byte at a time is answered", r is not None and header(r)["id"] == 777)
    # 3. a zero-length message or a 2-byte junk message is FORMERR or closes; the daemon lives
    s.sendall(frame(b"\0\1"))
    r = tcp_read(s)
    check("tcp: too-short message: connection closed or no answer", r is None or header(r)["rcode"] == 1)
    s.close()
    check("tcp: daemon alive after junk", d.alive() and works(port))


def wait_for_log(d, text, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in open(d.log, errors="replace").read():
            return True
        time.sleep(0.05)
    return False


def stalled_clients(work):
    """Back-pressure: a client that pipelines many queries and reads nothing (a small receive
    buffer, so the kernel cannot absorb the answers) drives its connection's output over
    tcp-max-buffer; lanad stops reading from it (logged at info level). One worker serves
    everybody, so the 50 other clients are answered by the thread holding the stalled one;
    once the stalled client reads, every one of its answers arrives, in order."""
    d = Daemon(work, "--workers", "1", "--tcp-max-buffer", "4096", "--log-level", "info")
    try:
        port = d.dns_port
        slow = tcp_connect(port)
        slow.send(b"\0")  # half a length prefix, then nothing
        hog = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        hog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        hog.settimeout(3)
        hog.connect(("127.0.0.1", port))
        # 10000 answers of 668 bytes: 6.7 MB, more than the kernel holds on the way (lanad's
        # send buffer grows to tcp_wmem's 4 MB); fewer are absorbed without a pause
        nq = 10000
        pending = b"".join(frame(query("big.test", qid=i)) for i in range(nq))
        hog.setblocking(False)
        try:
            while pending:
                pending = pending[hog.send(pending):]
        except BlockingIOError:
            pass
        check("tcp: a client that does not read makes lanad pause reading it",
              wait_for_log(d, "paused reading: output over cap", 5))
        t0 = time.monotonic()
        ok_all = True
        for i in range(50):
            c = tcp_connect(port)
            c.sendall(frame(query("web.test", qid=i)))
            r = tcp_read(c)
            ok_all = ok_all and r is not None and header(r)["id"] == i
            c.close()
        elapsed = time.monotonic() - t0
        check("tcp: with a stalled and a non-reading client, 50 others are answered at once",
              ok_all and elapsed < 2.0, "%.3f s, ok=%s" % (elapsed, ok_all))
        check("udp: still answered meanwhile", works(port))
        # now the stalled client reads (and sends what did not fit): every answer, in order
        buf, ids = b"", []
        deadline = time.monotonic() + 30
        while len(ids) < nq and time.monotonic() < deadline:
            try:
                if pending:
                    pending = pending[hog.send(pending):]
            except BlockingIOError:
                pass
            try:
                chunk = hog.recv(65536)
                if not chunk:
                    break
                buf += chunk
            except BlockingIOError:
                time.sleep(0.001)
            while len(buf) >= 2 and len(buf) >= 2 + struct.unpack("!H", buf[:2])[0]:
                n = struct.unpack("!H", buf[:2])[0]
                ids.append(header(buf[2:2 + n])["id"])
                buf = buf[2 + n:]
        check("tcp: once the stalled client reads, all its answers arrive in order",
              ids == list(range(nq)), "%d of %d answers" % (len(ids), nq))
        slow.close()
        hog.close()
        check("daemon alive after the stalled clients", d.alive() and works(port))
    finally:
        d.stop()


def half_close(work):
    """A client may send its queries and shut down its sending side (RFC 7766 §6.2.4): every
    answer still arrives. It reads only after the shutdown, through a small receive buffer, so
    lanad reads the end of stream while most answers wait in its own output buffer (637989f
    then closed the connection and lost them)."""
    d = Daemon(work, "--workers", "1", "--tcp-max-buffer", "16777216")
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(10)
        s.connect(("127.0.0.1", d.dns_port))
        nq = 10000  # 6.7 MB of answers: more than the kernel holds on the way (~3 MB)
        s.sendall(b"".join(frame(query("big.test", qid=i)) for i in range(nq)))
        s.shutdown(socket.SHUT_WR)
        time.sleep(0.5)  # lanad reads every query and the end of stream meanwhile
        buf, ids = b"", []
        deadline = time.monotonic() + 20
        while len(ids) < nq and time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            buf += chunk
            while len(buf) >= 2 and len(buf) >= 2 + struct.unpack("!H", buf[:2])[0]:
                n = struct.unpack("!H", buf[:2])[0]
                ids.append(header(buf[2:2 + n])["id"])
                buf = buf[2 + n:]
        closed = False
        try:
            closed = s.recv(1) == b""
        except socket.timeout:
            pass
        s.close()
        check("tcp: after a half-close every answer still arrives, in order",
              ids == list(range(nq)), "%d of %d answers" % (len(ids), nq))
        check("tcp: then lanad closes the connection", closed)
        check("daemon alive after the half-close", d.alive() and works(d.dns_port))
    finally:
        d.stop()


def cap_eviction_in_one_pass(work):
    """At the connection cap, the accept of B evicts A while A's query waits in the same
    batch of events: A's event must not reach the closed (freed) connection. SIGSTOP makes
    both events pending before the worker wakes, so they arrive in one epoll_wait, the
    listener's first. Built with ASan, the daemon of d88c2ae dies here (heap-use-after-free
    in worker_main)."""
    d = Daemon(work, "--workers", "1", "--tcp-max-connections", "1")
    try:
        port = d.dns_port
        a = tcp_connect(port, timeout=3)
        a.sendall(frame(query("web.test", qid=1)))
        r = tcp_read(a)
        check("tcp cap 1: the first connection is served", r is not None and header(r)["id"] == 1)
        # Let the worker wait again first: an item epoll has just reported stays at the head
        # of its ready list until the next wait, and A must come after the listener.
        time.sleep(0.3)
        os.kill(d.proc.pid, signal.SIGSTOP)
        try:
            b = tcp_connect(port, timeout=3)  # completed by the kernel, waiting to be accepted
            a.sendall(frame(query("web.test", qid=2)))
            time.sleep(0.2)
        finally:
            os.kill(d.proc.pid, signal.SIGCONT)
        b.sendall(frame(query("web.test", qid=3)))
        r = tcp_read(b)
        check("tcp cap 1: the new connection is served after evicting one with a pending event",
              r is not None and header(r)["id"] == 3)
        a.settimeout(2)
        try:
            gone = a.recv(1) == b""
        except (ConnectionResetError, socket.timeout):
            gone = True
        check("tcp cap 1: the evicted connection is closed", gone)
        a.close()
        b.close()
        time.sleep(0.1)
        log = open(d.log, errors="replace").read()
        check("tcp cap 1: daemon alive, no memory error", d.alive() and works(port) and
              "AddressSanitizer" not in log, log[-2000:])
    finally:
        d.stop()


def idle_and_cap(work):
    d = Daemon(work, "--workers", "1", "--tcp-idle-timeout", "1", "--tcp-max-connections", "4")
    try:
        port = d.dns_port
        # idle timeout: a silent connection is closed after about one second
        s = tcp_connect(port, timeout=5)
        t0 = time.monotonic()
        r = s.recv(1)
        dt = time.monotonic() - t0
        check("tcp: idle connection closed after the timeout", r == b"" and 0.8 <= dt <= 3.5,
              "recv %r after %.2f s" % (r, dt))
        s.close()
        # an active connection is not closed while it keeps asking
        s = tcp_connect(port, timeout=5)
        alive = True
        for i in range(4):
            time.sleep(0.5)
            s.sendall(frame(query("web.test", qid=i)))
            alive = alive and tcp_read(s) is not None
        check("tcp: a connection in use outlives the idle timeout", alive)
        s.close()
        # connection cap: the fifth connection makes the least recently used one go
        conns = [tcp_connect(port, timeout=3) for _ in range(4)]
        for i, c in enumerate(conns):
            c.sendall(frame(query("web.test", qid=i)))
            tcp_read(c)
            time.sleep(0.01)
        fifth = tcp_connect(port, timeout=3)
        fifth.sendall(frame(query("web.test", qid=5)))
        r = tcp_read(fifth)
        check("tcp: a new connection at the cap is served", r is not None and header(r)["id"] == 5)
        conns[0].settimeout(2)
        try:
            gone = conns[0].recv(1) == b""
        except (ConnectionResetError, socket.timeout):
            gone = True
        check("tcp: at the cap the least recently active connection is closed", gone)
        conns[3].sendall(frame(query("web.test", qid=9)))
        r = tcp_read(conns[3])
        check("tcp: the others stay open", r is not None and header(r)["id"] == 9)
        for c in conns + [fifth]:
            c.close()
        check("daemon alive after the cap", d.alive() and works(port))
    finally:
        d.stop()


def main():
    with tempfile.TemporaryDirectory(prefix="lana-wire.") as work:
        db = os.path.join(work, "lana.db")
        subprocess.run([LANAD, "--db", db, "zone", "import", os.path.join(TEST_DATA, "test.zone")],
                       check=True, stdout=subprocess.DEVNULL)
        d = Daemon(work, "--workers", "2")
        try:
            malformed_packets(d)
            header_pointers(d)
            tcp_rules(d)
            check("daemon still running at the end", d.alive())
        finally:
            d.stop()
        check("SIGTERM: exit 0", d.proc.returncode == 0, "exit %s" % d.proc.returncode)
        stop_line(work)
        stalled_clients(work)
        half_close(work)
        idle_and_cap(work)
        cap_eviction_in_one_pass(work)
        idle_worker_holds_no_snapshot(work)
    return finish()


def stop_line(work):
    """lanad's last log line counts the queries it answered and those answered from its cache,
    started without a ready file as well (the port from its "ready:" line)."""
    import re
    log = os.path.join(work, "stop.log")
    with open(log, "wb") as f:
        p = subprocess.Popen([LANAD, "--db", os.path.join(work, "lana.db"), "--workers", "1",
                              "--listen-dns", "127.0.0.1:0", "--listen-registry", "127.0.0.1:0",
                              "--listen-http", "127.0.0.1:0"], stderr=f)
    try:
        port, deadline = None, time.monotonic() + 10
        while port is None and p.poll() is None and time.monotonic() < deadline:
            m = re.search(r"ready: DNS on 127\.0\.0\.1:(\d+)", open(log).read())
            port = int(m.group(1)) if m else time.sleep(0.02)
        check("no ready file: lanad starts and logs its port", port is not None,
              open(log).read()[-500:])
        # the first answer is read from the database and kept, the next three from the cache
        answered = sum(works(port) for _ in range(4)) if port else 0
        check("the same question four times: answered", answered == 4, "%d of 4" % answered)
    finally:
        p.terminate()
        p.wait(10)
    text = open(log, errors="replace").read()
    m = re.search(r"stopped after (\d+) UDP and (\d+) TCP queries, (\d+) answered from the "
                  r"cache", text)
    check("the stop line: 4 UDP queries, 3 answered from the cache",
          m is not None and m.groups() == ("4", "0", "3"), text[-500:])


def idle_worker_holds_no_snapshot(work):
    """A worker reads its queries in SQLite read snapshots of up to a millisecond, and one
    that went idle lets go of its snapshot within a millisecond or two (a timer): an idle
    daemon never keeps the WAL from being checkpointed and reset.
    A registry commit puts frames in the WAL (kept there: an older read snapshot of ours stops
    any checkpoint from copying them to the database file meanwhile); queries after it read
    them; then a TRUNCATE checkpoint, which waits for no reader, must find none in the WAL."""
    import sqlite3
    from lanatest import Line
    d = Daemon(work, "--workers", "1")
    try:
        db = os.path.join(work, "lana.db")
        con = sqlite3.connect(db, timeout=0, isolation_level=None)
        con.execute("BEGIN")
        con.execute("SELECT count(*) FROM zone").fetchone()
        c = Line(d.registry_port)
        c.login(d.token)
        c.send("zone add snap.test.")
        added = c.recv()
        c.close()
        check("zone snap.test. added", added is not None and '"ok":true' in added, added)
        answered = 0
        for i in range(200):  # names never asked before: each is read from the database
            r = udp(d.dns_port, query("h%d.snap.test" % i, qid=i))
            answered += r is not None and header(r)["rcode"] == 3 and header(r)["ns"] == 1
        check("queries read the new zone", answered == 200, "%d of 200" % answered)
        con.execute("COMMIT")
        for _ in range(20):  # the daemon's own brief reads may cross one attempt
            time.sleep(0.05)
            busy, log, done = con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if busy == 0 and log == 0:
                break
        con.close()
        check("idle worker: a TRUNCATE checkpoint is not kept busy by a held snapshot",
              busy == 0 and log == 0, "busy %d, %d frames in the WAL" % (busy, log))
        r = udp(d.dns_port, query("snap.test", 6, qid=9))
        check("and the worker reads again after it", r is not None and header(r)["an"] == 1)
    finally:
        d.stop()


def header_pointers(d):
    """A compression pointer into the 12-octet header is FORMERR (it would decode the id,
    flags and counts as labels: at offset 4 the qdcount 00 01 reads as the root)."""
    port = d.dns_port
    for target in (0, 4, 5, 11):
        packet = struct.pack("!HHHHHH", 0x4d00 + target, 0, 1, 0, 0, 0) + bytes([0xc0, target]) \
            + struct.pack("!HH", 1, 1)
        r = udp(port, packet)
        check("udp: pointer to header offset %d: FORMERR" % target,
              r is not None and header(r)["rcode"] == 1 and header(r)["qr"] == 1
              and header(r)["id"] == 0x4d00 + target, "got %r" % (r and header(r)))
    s = tcp_connect(port)
    s.sendall(frame(struct.pack("!HHHHHH", 0x4d99, 0, 1, 0, 0, 0) + b"\xc0\x04"
                    + struct.pack("!HH", 2, 1)))
    r = tcp_read(s)
    check("tcp: pointer into the header: FORMERR", r is not None and header(r)["rcode"] == 1
          and header(r)["id"] == 0x4d99, "got %r" % (r and header(r)))
    s.close()
    check("daemon serves after header pointers", works(port))

if __name__ == "__main__":
    sys.exit(main())
