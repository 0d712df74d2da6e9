#!/usr/bin/env python3
"""Wire-level integration test of lanad's registry protocol: the HELLO/WELCOME/ACK handshake
and its seq/ack checks, the token proof (and that a captured proof cannot be replayed), bad
lines, over-long lines, pipelined requests, the command table (every write row refused
without a token, nothing outside the table accepted), idle timeout and the connection cap.
Needs LANAD."""

import json
import os
import socket
import sqlite3
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from lanatest import Daemon, Line, check, finish, proof  # noqa: E402


def Conn(port):
    return Line(port, timeout=5)


def hello(port, x=1000):
    c = Conn(port)
    c.send(f"HELLO lana/1 seq={x}")
    w = c.recv().split()
    return c, w


def login(port, token=None, x=1000):
    c, w = hello(port, x)
    y = int(w[3].split("=")[1])
    if token is None:
        c.send(f"ACK ack={y + 1}")
    else:
        c.send(f"ACK ack={y + 1} user=admin proof={proof(token, x, y)}")
    return c, c.recv(), y


def dump(db):
    """Every row of every table of the daemon's database (committed state)."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {t: sorted(map(repr, con.execute(f'SELECT * FROM "{t}"'))) for t in tables}
    finally:
        con.close()


# Requests that no row of the table names (options before the subcommand, other case, a
# longer or shorter word, trailing words, option names that only contain an allowed one).
NOT_IN_TABLE = [
    "block --holder x alloc 198.18.0.0/15 /24",
    "host --v4 auto add sneaky.lab.",
    "Block alloc 198.18.0.0/15 /24",
    "block ALLOC 198.18.0.0/15 /24",
    "block allocate 198.18.0.0/15 /24",
    "block all 198.18.0.0/15 /24",
    "zone import-zone",
    "ping now",
    "help me",
    'block alloc 198.18.0.0/15 /24 "--holder x" y',
    'block alloc 198.18.0.0/15 /24 "--desc assign" y',
    "quit now",
]


def table_walk(port, token, db):
    """Walks the table that help reports: without a token every write row is refused with
    "permission" and the database does not change; read rows are not refused; requests that
    no row names are refused for anyone and change nothing."""
    c, _, _ = login(port)
    c.send("help")
    r = json.loads(c.recv())
    rows = r.get("table") or []
    check("help lists the command table", len(rows) > 30 and all("write" in x for x in rows),
          str(r)[:300])
    writes = [x for x in rows if x["write"]]
    check("the table has write rows for every changing verb",
          {x["verb"] for x in writes} >= {"pool", "block", "zone", "host", "record", "service"},
          str(writes)[:300])
    before = dump(db)
    refused, leaked = [], []
    for x in rows:
        words = x["verb"] + (" " + x["sub"] if x["sub"] else "")
        # the usage line with its placeholders is enough: permission comes before arguments
        c.send(x["usage"].split(",")[0])
        reply = json.loads(c.recv())
        if x["verb"] == "zone" and x["sub"] == "import":
            c.send(".")  # the refused import's lines are read and dropped up to the dot
        code = reply.get("error", {}).get("code")
        if x["write"] and code != "permission":
            leaked.append((words, reply))
        if not x["write"] and x["auth"] == "public" and code == "permission":
            refused.append((words, reply))
        if not x["write"] and x["auth"] == "account" and code != "permission":
            leaked.append((words, reply))
        if x["verb"] == "quit":
            c.close()
            c, _, _ = login(port)
    check("no token: every write and account-only row is refused with permission", not leaked,
          str(leaked)[:400])
    check("no token: no public read row is refused for permission", not refused, str(refused)[:400])
    check("no token: the database did not change", dump(db) == before)
    c.close()
    for who in ("anonymous", "admin"):
        c, _, _ = login(port, token if who == "admin" else None)
        accepted = []
        for line in NOT_IN_TABLE:
            c.send(line)
            reply = c.recv()
            if reply is None or json.loads(reply)["ok"]:
                accepted.append((line, reply))
            if reply is None:  # closed: go on with a fresh connection
                c, _, _ = login(port, token if who == "admin" else None)
        check(f"{who}: requests no row names are refused", not accepted, str(accepted)[:400])
        check(f"{who}: and the database did not change", dump(db) == before)
        c.close()


def main():
    with tempfile.TemporaryDirectory(prefix="lana-reg.") as work:
        d = Daemon(work, "--registry-idle-timeout", "1", "--registry-max-connections", "4")
        try:
            port = d.registry_port
            # the handshake: WELCOME acknowledges X+1 and brings a fresh random Y
            c, w = hello(port, 4294967295)
            check("WELCOME lana/1 ack=X+1 seq=Y", w[0] == "WELCOME" and w[1] == "lana/1"
                  and w[2] == "ack=0", " ".join(w))  # X+1 wraps at 2^32
            y1 = int(w[3].split("=")[1])
            c.close()
            c, w = hello(port, 5)
            check("Y is random per connection", int(w[3].split("=")[1]) != y1)
            c.send("ACK ack=12")
            line = c.recv()
            check("wrong ack: ERROR handshake and close",
                  line.startswith("ERROR ") and json.loads(line[6:])["error"]["code"] == "handshake"
                  and c.closed(), line)
            c = Conn(port)
            c.send("HELLO lana/2 seq=1")
            line = c.recv()
            check("wrong version refused", line.startswith("ERROR ") and "lana/1" in line and c.closed())
            c = Conn(port)
            c.send("pool list")
            check("a command before the handshake is refused", c.recv().startswith("ERROR ") and c.closed())

            # without a proof: read-only
            c, ready, _ = login(port)
            check("READY without a token: anonymous, read-only",
                  ready.startswith("READY ") and json.loads(ready[6:]) ==
                  {"user": "", "role": "anonymous", "write": False}, ready)
            c.send("pool list")
            r = json.loads(c.recv())
            check("anonymous may read", r["ok"] and len(r["pools"]) == 2)
            c.send("block alloc 198.18.0.0/15 /16")
            r = json.loads(c.recv())
            check("anonymous may not write", not r["ok"] and r["error"]["code"] == "permission")
            c.close()

            # with the token's proof
            c, ready, y = login(port, d.token, x=77)
            check("READY with the proof: admin", json.loads(ready[6:])["role"] == "admin", ready)
            # several requests in one write, answered in order
            c.s.sendall(b"block alloc 198.18.0.0/15 /16\nping\nblock alloc 198.18.0.0/15 /16\nbogus\n")
            rs = [json.loads(c.recv()) for _ in range(4)]
            check("pipelined requests answered in order",
                  rs[0]["block"]["prefix"] == "198.18.0.0/16" and rs[1].get("pong")
                  and rs[2]["block"]["prefix"] == "198.19.0.0/16" and rs[3]["error"]["code"] == "usage",
                  str(rs))
            c.send('block update 198.18.0.0/16 --desc "quoted \\"words\\" and \\\\"')
            r = json.loads(c.recv())
            check("quoted words", r["ok"] and r["block"]["description"] == 'quoted "words" and \\', str(r))
            c.send("block alloc 198.18.0.0/15 /16 --desc \"unterminated")
            check("unterminated quote: usage error, connection stays",
                  json.loads(c.recv())["error"]["code"] == "usage")
            c.send("x" * 5000)
            r = json.loads(c.recv())
            check("over-long line: too_long, then closed", r["error"]["code"] == "too_long" and c.closed())

            # a captured proof is worthless in another handshake (the server's Y differs)
            c2, w = hello(port, 77)
            y2 = int(w[3].split("=")[1])
            c2.send(f"ACK ack={y2 + 1} user=admin proof={proof(d.token, 77, y)}")
            line = c2.recv()
            check("replayed proof refused", line.startswith("ERROR ") and "permission" in line
                  and c2.closed(), line)
            c3, line, _ = login(port, bytes(32))
            check("wrong token refused", line.startswith("ERROR ") and "permission" in line)
            time.sleep(0.2)
            log = open(d.log).read()
            check("refusals logged with the peer", log.count("authentication as admin refused") >= 2
                  and "registry: 127.0.0.1:" in log)

            # idle connections are closed after registry-idle-timeout
            c, _, _ = login(port)
            t0 = time.monotonic()
            line = c.recv()
            dt = time.monotonic() - t0
            check("idle connection closed with a reply", line is not None and
                  json.loads(line)["error"]["code"] == "busy" and 0.8 <= dt <= 3.5 and c.closed(),
                  f"{line} after {dt:.2f}s")

            # a client that never reads its replies is closed all the same (not kept for ever
            # with output it will not take), so it cannot hold a place under the cap
            hog, _, _ = login(port)
            hog.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            hog.s.sendall(b"help\n" * 3000)
            time.sleep(0.2)
            t0 = time.monotonic()
            gone = False
            while time.monotonic() - t0 < 6 and not gone:
                time.sleep(0.25)
                gone = not any(f":{hog.s.getsockname()[1]} " in l and "ESTAB" in l
                               for l in os.popen("ss -tn").read().splitlines())
            check("a client that does not read is closed after the idle timeout", gone,
                  f"still connected after {time.monotonic() - t0:.1f}s")
            hog.close()
            time.sleep(0.2)

            # the connection cap: the fifth gets "busy"
            conns = [login(port)[0] for _ in range(4)]
            extra = Conn(port)
            line = extra.recv()
            check("over the connection cap: busy", line is not None and "busy" in line and extra.closed(),
                  str(line))
            for k in conns:
                k.send("ping")
            check("the others are still served", all(json.loads(k.recv()).get("pong") for k in conns))
            for k in conns:
                k.close()
            # quit ends a connection politely (once the server has seen the others go)
            time.sleep(0.2)
            c, _, _ = login(port)
            c.send("quit")
            check("quit", json.loads(c.recv()).get("bye") and c.closed())
            check("daemon still running", d.proc.poll() is None)
        finally:
            d.stop()
        check("SIGTERM: exit 0", d.proc.returncode == 0, f"exit {d.proc.returncode}")
        # the command table, on a daemon of its own (a failure here must not spill over)
        walk = os.path.join(work, "walk")
        os.mkdir(walk)
        d = Daemon(walk)
        try:
            table_walk(d.registry_port, d.token, os.path.join(walk, "lana.db"))
        finally:
            d.stop()
    return finish()


if __name__ == "__main__":
    sys.exit(main())
