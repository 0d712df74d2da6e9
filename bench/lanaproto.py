"""The registry protocol's handshake for the benchmark scripts: one authenticated connection."""

import hashlib
import hmac
import os
import socket


def login(host, port, token, timeout=10):
    """Connects, runs HELLO/WELCOME/ACK with the token's proof; returns (socket, reader)."""
    s = socket.create_connection((host, port), timeout=timeout)
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
        raise ConnectionError("the registry refused the token")
    return s, f
