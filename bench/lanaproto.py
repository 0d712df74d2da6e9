"""The registry protocol's handshake for the benchmark scripts: one authenticated connection,
plain or inside TLS (EPP over TLS, RFC 5734) with the server's certificate pinned."""

import hashlib
import hmac
import os
import socket
import ssl


def read_token_file(path):
    """(token bytes, TLS pin as hex or None) from a token file: key=value lines (user=,
    token=, tls-sha256=, server=; '#' comments) or, in the format before TLS, 64 hex digits."""
    text = open(path).read()
    if "=" not in text:
        return bytes.fromhex(text.strip()), None
    kv = dict(l.strip().split("=", 1) for l in text.splitlines()
              if l.strip() and not l.lstrip().startswith("#"))
    return bytes.fromhex(kv["token"]), kv.get("tls-sha256")


def login(host, port, token, timeout=10, pin=None):
    """Connects, runs HELLO/WELCOME/ACK with the token's proof; returns (socket, reader).
    With pin (hex SHA-256 of the server's certificate) the exchange runs inside TLS and the
    certificate must be the pinned one."""
    s = socket.create_connection((host, port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if pin is not None:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # the pin below is the check
        s = ctx.wrap_socket(s)
        if hashlib.sha256(s.getpeercert(binary_form=True)).hexdigest() != pin.lower():
            raise ConnectionError("the server's certificate is not the pinned one")
    f = s.makefile("rb")
    x = int.from_bytes(os.urandom(4), "big")
    s.sendall(f"HELLO lana/1 seq={x}\n".encode())
    y = int(f.readline().split()[3].split(b"=")[1])
    key = hashlib.sha256(token).digest()
    sig = hmac.new(key, f"{x}:{y}".encode(), hashlib.sha256).digest()
    proof = bytes(a ^ b for a, b in zip(token, sig)).hex()
    s.sendall(f"ACK ack={(y + 1) % 2**32} user=admin proof={proof}\n".encode())
    if not f.readline().startswith(b"READY"):
        raise ConnectionError("the registry refused the token")
    return s, f
