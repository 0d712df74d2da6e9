"""Helpers of the Python integration tests: TAP-like checks, and a private lanad on free
loopback ports with a temporary database, stopped by PID."""

import hashlib
import hmac
import os
import socket
import subprocess
import sys
import time

LANAD = os.environ.get("LANAD", "lanad")
_count = {"pass": 0, "fail": 0}


def need_dnspython():
    """Makes Debian's python3-dnspython importable under any python3 (it lives in
    /usr/lib/python3/dist-packages), or ends the test as skipped (exit 77) without it."""
    if "/usr/lib/python3/dist-packages" not in sys.path:
        sys.path.append("/usr/lib/python3/dist-packages")
    try:
        import dns.message  # noqa: F401
    except ImportError:
        print("# python3-dnspython missing (tools/install-deps.sh installs it): skipped")
        sys.exit(77)


def check(name, cond, detail=""):
    if cond:
        _count["pass"] += 1
        print("ok -", name)
    else:
        _count["fail"] += 1
        print("not ok -", name)
        if detail:
            print("#  ", detail)


def finish():
    """Prints the totals; the exit status for sys.exit()."""
    print(f"{_count['pass']} passed, {_count['fail']} failed")
    return 0 if _count["fail"] == 0 else 1


def proof(token, x, y):
    """The registry handshake's proof: token XOR HMAC-SHA256(SHA-256(token), "X:Y"), hex."""
    key = hashlib.sha256(token).digest()
    sig = hmac.new(key, f"{x}:{y}".encode(), hashlib.sha256).digest()
    return bytes(a ^ b for a, b in zip(token, sig)).hex()


def read_token_file(path):
    """A token file's key=value lines as a dict (common/tokfile.h); a file holding only the
    64 hex digits (the format before TLS) gives {"token": HEX}."""
    text = open(path).read()
    if "=" not in text:
        return {"token": text.strip()}
    return dict(l.strip().split("=", 1) for l in text.splitlines()
                if l.strip() and not l.lstrip().startswith("#"))


def read_token(path):
    """The token's bytes from a token file."""
    return bytes.fromhex(read_token_file(path)["token"])


class Daemon:
    """lanad with DNS, the registry and HTTP on 127.0.0.1, ports chosen by the kernel:
    .dns_port, .registry_port, .http_port, .token (the admin token's bytes), .log (the path of
    its stderr)."""

    def __init__(self, work, *args):
        self.ready = os.path.join(work, "ready")
        if os.path.exists(self.ready):
            os.unlink(self.ready)
        self.log = os.path.join(work, "lanad.log")
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [LANAD, "--db", os.path.join(work, "lana.db"), "--listen-dns", "127.0.0.1:0",
                 "--listen-registry", "127.0.0.1:0", "--listen-http", "127.0.0.1:0",
                 "--ready-file", self.ready, *args],
                stderr=log)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.ready):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                sys.exit("lanad did not start: " + open(self.log).read()[-500:])
            time.sleep(0.02)
        self.whois_ports = []  # in the order of the --listen-whois flags
        for line in open(self.ready):
            f = line.split()
            if f[0] == "dns":
                self.dns_port = int(f[1].rsplit(":", 1)[1])
            elif f[0] == "registry":
                self.registry_port = int(f[1].rsplit(":", 1)[1])
            elif f[0] == "http" and not hasattr(self, "http_port"):  # the first: 127.0.0.1
                self.http_port = int(f[1].rsplit(":", 1)[1])
            elif f[0] == "whois":
                self.whois_ports.append(int(f[1].rsplit(":", 1)[1]))
        self.token = read_token(os.path.join(work, "admin.token"))

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Line:
    """A line-oriented registry connection to 127.0.0.1:port from source address src (a
    small receive buffer, when rcvbuf is given, is set before connecting: a window the kernel
    does not grow). recv() gives a line without its newline, or None at the end of the stream,
    on a reset or a timeout."""

    def __init__(self, port, src="127.0.0.1", timeout=30, rcvbuf=None):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.s.settimeout(timeout)
        self.s.bind((src, 0))
        self.s.connect(("127.0.0.1", port))
        self.f = self.s.makefile("rb")
        self.ready = None

    def login(self, token=None, x=4242, user="admin"):
        """HELLO/ACK, with the token's proof when given; returns (and keeps in .ready) the
        READY line, or the ERROR line where it came instead."""
        self.send(f"HELLO lana/1 seq={x}")
        w = self.recv()
        if w is None or not w.startswith("WELCOME"):
            self.ready = w
            return w
        y = int(w.split()[3].split("=")[1])
        if token is None:
            self.send(f"ACK ack={y + 1}")
        else:
            self.send(f"ACK ack={y + 1} user={user} proof={proof(token, x, y)}")
        self.ready = self.recv()
        return self.ready

    def send(self, line):
        self.s.sendall(line.encode() + b"\n")

    def recv(self):
        try:
            line = self.f.readline()
        except (ConnectionResetError, socket.timeout):
            return None
        return line.decode().rstrip("\n") if line else None

    def batch(self, body):
        """Sends `body` (command lines, each ending in a newline) as one batch and returns
        the batch's summary line (its JSON has "batch":{...}), or None when the connection
        ends first."""
        self.s.sendall(b"batch\n" + body.encode() + b"end\n")
        while True:
            line = self.recv()
            if line is None or '"batch":{' in line:
                return line

    def closed(self):
        """Whether the server ends the stream (or resets it) before sending another line."""
        try:
            return self.f.readline() == b""
        except (ConnectionResetError, socket.timeout):
            return True

    def close(self):
        self.f.close()  # the file object holds the socket open too
        self.s.close()
