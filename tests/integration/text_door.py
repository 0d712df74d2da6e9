#!/usr/bin/env python3
"""The registry's text door, end to end. Every text field of every row of the command table
(walked from the `help` reply, so a new row is covered without touching this file) is sent
invalid UTF-8, control characters (C0, DEL, C1), a NUL and one byte too many, through the raw
protocol and through the CLI: each is refused naming the field, and the database does not
change. A NUL in a batch, a zone file or the handshake is an error, never a silent cut. A
database written by a registry that did not check its text (sqlite3 directly) still gives
JSON that parses, and nothing the CLI prints sends a control character to the terminal.
Needs LANAD and LANA."""

import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from lanatest import Daemon, check, finish, proof  # noqa: E402

LANA = os.environ.get("LANA", "lana")

# What every field is tried with, and a piece of what the door must say of it.
BAD = [
    (b"\xc3\x28", "invalid UTF-8 at byte 1 (0xc3: a sequence cut short)"),
    (b"ok\xed\xa0\x80", "invalid UTF-8 at byte 3 (0xed: a UTF-16 surrogate)"),
    (b"\xc0\xaf", "invalid UTF-8 at byte 1 (0xc0: an overlong form)"),
    (b"\xf4\x90\x80\x80", "invalid UTF-8 at byte 1 (0xf4: above U+10FFFF)"),
    (b"a\x01", "control character U+0001 at byte 2"),
    (b"\x1b[2J", "control character U+001B at byte 1"),
    (b"del\x7f", "control character U+007F at byte 4"),
    (b"\xc2\x85x", "control character U+0085 at byte 1"),
]


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.f = self.s.makefile("rb")

    def send(self, line):
        self.s.sendall((line if isinstance(line, bytes) else line.encode()) + b"\n")

    def recv_raw(self):
        return self.f.readline()

    def recv(self):
        """The next reply as JSON; None when the connection closed. Raises when the line is
        not UTF-8 or not JSON: that is what the defect looked like."""
        line = self.f.readline()
        if not line:
            return None
        return json.loads(line.decode("utf-8"))

    def synced(self, *lines):
        """Sends lines and then a ping; the replies up to the pong (None for a line that is
        not UTF-8 JSON), so that a line that got no reply, or an extra one, cannot shift the
        replies of the next request."""
        for line in lines + ("ping",):
            self.send(line)
        out = []
        while True:
            raw = self.f.readline()
            if not raw:
                return out
            try:
                r = json.loads(raw.decode("utf-8"))
            except ValueError:
                r = None
            if r == {"ok": True, "pong": True}:
                return out
            out.append(r)

    def close(self):
        self.f.close()
        self.s.close()


def login(d, user=b"admin"):
    c = Conn(d.registry_port)
    c.send("HELLO lana/1 seq=7")
    y = int(c.recv_raw().split()[3].split(b"=")[1])
    c.send(b"ACK ack=%d user=%s proof=%s" % (y + 1, user, proof(d.token, 7, y).encode()))
    return c, c.recv_raw()


def dump(db):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        con.text_factory = bytes  # the rows as they are stored, whatever bytes they hold
        return {t: sorted(map(repr, con.execute(f'SELECT * FROM "{t}"'))) for t in tables}
    finally:
        con.close()


def pos_names(row):
    """The names the row's usage gives its positional words (our own reading of the usage,
    to cross-check lanad's): "host rename OLD NEW" -> ["OLD", "NEW"]; a name ending in "..."
    repeats."""
    words = row["usage"].split(",")[0].split()[2 if row["sub"] else 1:]
    names, in_opt = [], False
    for w in words:
        if in_opt or w.startswith("[--"):
            in_opt = "]" not in w
            continue
        names.append(w.strip("[]"))
    return names


def fields(row):
    """(label, words before the bad one, max bytes or None) for every text field: the
    positional words the usage names, and the value options help lists (read from the usage
    when help does not list them, as before the door existed)."""
    head = [row["verb"]] + ([row["sub"]] if row["sub"] else [])
    out = []
    names = pos_names(row)
    npos = len(names)
    if "max_pos" in row:
        npos = row["max_pos"] if row["max_pos"] >= 0 else row["min_pos"] + 1
    for k in range(npos):
        name = names[min(k, len(names) - 1)]
        out.append((name.removesuffix("..."), head + ["x"] * k, 1024))
    options = row.get("options")
    if options is None:
        options = [{"name": m.group(1), "value": True, "max": None}
                   for m in re.finditer(r"\[--([a-z-]+) [^\]]+\]", row["usage"])]
    for o in options:
        if o["value"]:
            out.append(("--" + o["name"], head + ["--" + o["name"]], o["max"]))
    return out


def raw_walk(d, db):
    c, ready = login(d)
    check("admin logs in", ready.startswith(b"READY "), ready)
    c.send("help")
    rows = c.recv()["table"]
    check("help lists every row with its options", len(rows) > 30 and
          all("options" in r and "max_pos" in r for r in rows))
    before = dump(db)
    wrong, n = [], 0
    for row in rows:
        for label, pre, mx in fields(row):
            tries = [(bad, says) for bad, says in BAD]
            if mx is not None:
                tries.append((b"x" * (mx + 1), f"{mx + 1} bytes, at most {mx}"))
            # a refused "zone import" still reads its lines up to the dot
            dot = ("." ,) if (row["verb"], row["sub"]) == ("zone", "import") else ()
            for bad, says in tries:
                rs = c.synced(b" ".join([w.encode() for w in pre] + [bad]), *dot)
                err = ((rs or [None])[0] or {}).get("error", {})
                if len(rs) != 1 or err.get("code") != "invalid" or not err.get(
                        "message", "").startswith(label + ": ") or says not in err["message"]:
                    wrong.append((pre, bad, rs))
                n += 1
            # a NUL anywhere in the line: the line is refused whole, not cut and run (so no
            # import is begun: the dot is then a request of its own)
            rs = c.synced(b" ".join([w.encode() for w in pre] + [b"ok\x00tail"]), *dot)
            err = ((rs or [None])[0] or {}).get("error", {})
            if err.get("code") != "invalid" or "NUL byte" not in err.get("message", ""):
                wrong.append((pre, "NUL", rs))
    check(f"raw protocol: {n} bad texts in every field of every row are refused, naming it",
          not wrong and n > 400, str(wrong[:3])[:600])
    check("raw protocol: and the database did not change", dump(db) == before)
    # the defect as it was reported: the block was committed and every reader broke after
    c.send(b"block alloc 198.18.0.0/15 /24 --holder \xc3\x28")
    r = c.recv()
    check("--holder \\xc3\\x28 is refused as invalid",
          r["error"]["message"].startswith("--holder: invalid UTF-8 at byte 1"), r)
    c.send("block list 198.18.0.0/15")
    check("block list still answers JSON", c.recv()["ok"] is True)
    # a NUL split over two sends is still seen
    c.s.sendall(b"pi\x00")
    time.sleep(0.1)
    c.s.sendall(b"ng\nping\n")
    r1, r2 = c.recv(), c.recv()
    check("a NUL in a line that arrives in two pieces is refused, the next line runs",
          "NUL byte at byte 3" in r1["error"]["message"] and r2 == {"ok": True, "pong": True},
          (r1, r2))
    # zone import: a NUL or a line that is not text refuses the import; nothing is imported
    for bad in (b"@ 3600 IN TXT \"a\x00b\"", b"@ 3600 IN TXT \"\xc3\x28\"",
                b"@ 3600 IN TXT \"\x1b\""):
        c.send(b"zone import --origin poison.")
        c.send(b"@ 3600 IN SOA a. b. 1 2 3 4 5")
        c.send(b"@ 3600 IN NS a.")
        c.send(bad)
        c.send(b".")
        r = c.recv()
        check(f"zone import with {bad!r} is refused", r["error"]["code"] == "invalid" and
              "zone file line 3" in r["error"]["message"], r)
    c.send("zone show poison.")
    check("and nothing was imported", c.recv()["error"]["code"] == "not_found")
    # zone-file text that is valid goes in; other octets as \DDD (RFC 1035 §5.1)
    c.send(b"zone import --origin fine.")
    for line in (b"@ 3600 IN SOA a. b. 1 2 3 4 5", b"@\t3600\tIN NS a.",
                 b"@ 3600 IN TXT \"caf\xc3\xa9 \\027\"\r", b"."):
        c.send(line)
    r = c.recv()
    check("a zone file with UTF-8, tabs, CRLF and \\DDD escapes is imported", r.get("ok"), r)
    # a batch with a NUL line: dropped whole, and the connection closes (the rest of its
    # lines could not be told from requests)
    before = dump(db)
    c.send("batch")
    c.send("block alloc 198.18.0.0/15 /24 --holder nul-batch")
    c.send(b"pi\x00ng")
    c.send("end")
    r = c.recv()
    check("a batch with a NUL line is refused", r["error"]["code"] == "invalid" and
          "line 2 of the batch holds a NUL byte" in r["error"]["message"], r)
    check("and the connection closes", c.recv() is None)
    c.close()
    c, _ = login(d)
    c.send("batch")
    c.send("ping")
    c.send(b"block alloc 198.18.0.0/15 /24 --holder \xc3\x28")
    c.send("end")
    r1, r2, r3 = c.recv(), c.recv(), c.recv()
    check("a batch line with invalid UTF-8 fails as that line; nothing is kept",
          r2["error"]["code"] == "invalid" and r3["batch"]["committed"] is False, (r2, r3))
    c.close()
    check("the batches changed nothing", dump(db) == before)
    # the handshake: a NUL and a user= that is not text
    c = Conn(d.registry_port)
    c.send(b"HELLO lana/1\x00 seq=1")
    r = c.recv_raw()
    check("a NUL in HELLO is refused", r.startswith(b"ERROR ") and b"NUL byte" in r, r)
    c.close()
    c, r = login(d, b"ad\xffmin")
    check("user= with invalid UTF-8 is refused", r.startswith(b"ERROR ") and
          b"user=: invalid UTF-8 at byte 3" in r, r)
    c.close()


def lana(d, *args, server=None, stdin=None):
    env = dict(os.environ, LANA_SERVER=server or f"127.0.0.1:{d.registry_port}",
               LANA_TOKEN=d.token.hex())
    p = subprocess.run([LANA.encode(), *[a if isinstance(a, bytes) else a.encode()
                                         for a in args]],
                       env=env, input=stdin, capture_output=True, timeout=30)
    return p.returncode, p.stdout, p.stderr


def cli_walk(d, db, rows):
    """The CLI checks with the same validator before it connects: exit 65 and the field
    named, with the server address a closed port (exit 69 would mean it tried to send)."""
    dead = "127.0.0.1:1"
    wrong, n = [], 0
    cli = {"pool", "block", "zone", "host", "record", "service", "whois", "log"}
    for row in rows:
        if row["verb"] not in cli or (row["verb"], row["sub"]) == ("zone", "import"):
            continue
        for label, pre, _ in fields(row):
            # every other kind: the CLI's validator is lanad's (tests/unit/test_text.c), and
            # each run starts a process (slow under the sanitizers)
            for bad, says in BAD[::2]:
                rc, _, err = lana(d, *pre, bad, server=dead)
                want = label if label.startswith("--") else f'the word after "{pre[-1]}"'
                if rc != 65 or f"lana: {want}: {says}; nothing was sent".encode() not in err:
                    wrong.append((pre, bad, rc, err))
                n += 1
    check(f"CLI: {n} bad arguments refused before connecting (exit 65, field named)",
          not wrong and n > 200, str(wrong[:3])[:600])
    work = os.path.dirname(db)
    path = os.path.join(work, "bad.batch")
    for content, says in ((b"ping\npi\x00ng\n", b":2: a NUL byte at byte 3"),
                          (b"block alloc 198.18.0.0/15 /24 --holder \"\xc3\x28\"\n",
                           b":1: --holder: invalid UTF-8 at byte 1")):
        open(path, "wb").write(content)
        rc, _, err = lana(d, "batch", path, server=dead)
        check(f"CLI batch {content[:20]!r}: exit 65 before connecting", rc == 65 and says in err,
              (rc, err))
    before = dump(db)
    path = os.path.join(work, "bad.zone")
    open(path, "wb").write(b"@ 3600 IN SOA a. b. 1 2 3 4 5\n@ 3600 IN NS a.\n"
                           b"@ 3600 IN TXT \"\xc3\x28\"\n")
    rc, _, err = lana(d, "zone", "import", path, "--origin", "cli.")
    check("CLI zone import of a line that is not text: exit 65, nothing imported",
          rc == 65 and b"bad.zone:3: invalid UTF-8 at byte 16" in err and dump(db) == before,
          (rc, err))
    rc, _, err = lana(d, "zone", "show", "cli.")
    check("and the zone does not exist", rc == 66, (rc, err))
    # valid text of any script goes in and comes back as it was
    holder = "Zo\u00eb \u2014 \u5b9f\u9a13 \U0001f30d"
    rc, _, err = lana(d, "block", "alloc", "198.18.0.0/15", "/24", "--holder", holder)
    check("CLI: a holder in several scripts is accepted", rc == 0, err)
    rc, out, _ = lana(d, "--json", "block", "list", "198.18.0.0/15")
    got = [b["holder"] for b in json.loads(out.decode())["blocks"]]
    check("and comes back as it was sent", holder in got, got)


def poisoned(d, work, db, daemons):
    """Bad bytes written straight into the database (as an older lanad could have): every
    reader still gets JSON, and the CLI prints no control character."""
    lana(d, "service", "add", "http", "tcp", "--port", "80", "--desc", "web")
    d.stop()
    con = sqlite3.connect(db)
    con.executescript(
        "UPDATE block SET holder = x'c328' || char(27) || ']0;pwned' || char(7),"
        " descr = x'ff0a' || char(1, 127) || x'c285eda080' WHERE plen = 24;"
        "INSERT INTO audit (ts, actor, action, object, before, after) VALUES (1, x'f4908080',"
        " 'block.update', x'ff' || char(10), '{\"holder\":\"' || x'c328' || '\"}',"
        " '{\"holder\":' || char(10) || '\"' || x'1b' || '\"}');"
        "UPDATE zone SET name = 'fi' || x'80' || char(9) || 'ne.' WHERE name = 'fine.';"
        "UPDATE service SET descr = x'e282' || char(13) WHERE rowid = (SELECT min(rowid)"
        " FROM service);")
    con.commit()
    con.close()
    d = Daemon(work)
    daemons.append(d)  # stopped by main whatever happens here
    c, _ = login(d)
    c.send("block show 198.18.0.0/24")
    r = json.loads(c.recv_raw().decode("utf-8"))
    check("the stored bytes come back escaped, ill-formed ones as U+FFFD",
          r["block"]["holder"] == "\ufffd(\x1b]0;pwned\x07", r)
    bad = []
    for req in ("block list 198.18.0.0/15", "block show 198.18.0.0/24", "block tree", "whois 198.18.0.1",
                "log", "zone list", "service list", "pool list"):
        c.send(req)
        line = c.recv_raw()
        try:
            json.loads(line.decode("utf-8"))
        except ValueError as e:
            bad.append((req, str(e), line[:200]))
    check("a poisoned database: every read answers UTF-8 JSON", not bad, bad)
    c.close()
    bad = []
    for args in (("block", "list", "198.18.0.0/15"), ("block", "show", "198.18.0.0/24"), ("log",),
                 ("zone", "list"), ("block", "tree"), ("whois", "198.18.0.1")):
        rc, out, err = lana(d, *args)
        if rc != 0 or re.search(rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]", out):
            bad.append((args, rc, out[:300], err))
        rc, out, err = lana(d, "--json", *args)
        try:
            for line in out.decode("utf-8").splitlines():
                json.loads(line)
        except ValueError as e:
            bad.append((args, "json", str(e)))
        if rc != 0:
            bad.append((args, "json", rc, err))
    check("a poisoned database: the CLI reads it, prints no control character, --json parses",
          not bad, str(bad)[:600])
    check("lanad is still up", d.alive())


def section(name, fn, *args):
    """Runs one part; an exception (a reply that is not UTF-8 or not JSON, a connection that
    never answers) is a failed check, and the other parts still run."""
    try:
        return fn(*args)
    except (ValueError, KeyError, TypeError, OSError) as e:
        check(f"{name} ran to its end", False, repr(e)[:300])
        return None


def main():
    with tempfile.TemporaryDirectory() as work:
        d = Daemon(work)
        daemons = [d]
        db = os.path.join(work, "lana.db")
        try:
            c, _ = login(d)
            c.send("help")
            rows = c.recv()["table"]
            c.close()
            section("the raw protocol", raw_walk, d, db)
            section("the CLI", cli_walk, d, db, rows)
            section("the poisoned database", poisoned, d, work, db, daemons)
        finally:
            for x in daemons:
                x.stop()
    return finish()


if __name__ == "__main__":
    sys.exit(main())
