#!/usr/bin/env python3
"""The isolation matrix, through the real lanad over the registry protocol: 30 students of a
class, each with an assigned IPv4 /24 and IPv6 /64 and a zone NN.lab. registered for it by the
class's registrar. Every student first does its own work (hosts, an address of its choice,
records, a service binding, a zone below its own, block updates: all succeed); then every
student tries some twenty kinds of write on every other student's objects (create inside its
blocks, release and update them, a host, a record or a service binding in its zone, take an
address from its blocks, delete or rename its host, delete its zone, register a zone inside it,
give it a new token): every one is refused with the "permission" code and names the account
that holds the authority, no audit row is written and a dump of every other table is the same
after as before. The same between two classes' registrars (on each other's blocks, customers'
blocks and customers' zones), and for a disabled account (refused even on the connection it
opened while enabled, and back to work once enabled again). lanad logs every refusal with the
account's name. The students' own last operations (rename, deletions, releasing a block)
then succeed and are audited.

Accounts are made directly in lanad's database (table account: StoredKey = SHA-256 of a token
the test chooses), so the test needs no command for accounts. Requests are pipelined: each
connection sends up to CHUNK lines before reading their replies. ISOLATION_STUDENTS changes
the class's size (2..200). Needs LANAD."""

import hashlib
import ipaddress
import json
import os
import sqlite3
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from lanatest import Daemon, Line, check, finish  # noqa: E402

N = max(2, min(200, int(os.environ.get("ISOLATION_STUDENTS", "30"))))
B = 3                 # the other class's students
CHUNK = 128           # requests in flight on one connection
LIMIT = 240           # seconds for the whole run (ctest gives 300)
POOLS = ("198.18.0.0/15", "2001:db8::/32")
T0 = time.monotonic()


def deadline():
    if time.monotonic() - T0 > LIMIT:
        sys.exit(f"over {LIMIT} s: stopped")


class Conn:
    """A registry connection authenticated as one account, with pipelined requests."""

    def __init__(self, d, name, token):
        self.name = name
        self.line = Line(d.registry_port, timeout=60)
        self.ready = self.line.login(token, user=name)

    def run(self, lines):
        """Sends the lines CHUNK at a time and reads one reply each: the replies as dicts
        (None for a lost connection or a reply that is not JSON)."""
        out = []
        for k in range(0, len(lines), CHUNK):
            deadline()
            part = lines[k:k + CHUNK]
            self.line.s.sendall("".join(x + "\n" for x in part).encode())
            for _ in part:
                r = self.line.recv()
                while r is not None and r.startswith("PROGRESS "):
                    r = self.line.recv()
                try:
                    out.append(json.loads(r) if r is not None else None)
                except ValueError:
                    out.append(None)
        return out

    def one(self, line):
        return self.run([line])[0]


def code(r):
    if r is None:
        return "(no reply)"
    return "ok" if r.get("ok") else r.get("error", {}).get("code", "?")


def message(r):
    return (r or {}).get("error", {}).get("message", "")


def add_accounts(db, rows, tokens):
    """Inserts accounts (name, role, sponsor) with new tokens into lanad's database."""
    now = int(time.time())
    con = sqlite3.connect(db, timeout=30)
    with con:
        for name, role, sponsor in rows:
            tokens[name] = os.urandom(32)
            con.execute("INSERT INTO account (name, role, stored_key, created, updated, sponsor,"
                        " enabled, class) VALUES (?, ?, ?, ?, ?, ?, 1, NULL)",
                        (name, role, hashlib.sha256(tokens[name]).digest(), now, now, sponsor))
    con.close()


def set_enabled(db, name, on):
    con = sqlite3.connect(db, timeout=30)
    with con:
        con.execute("UPDATE account SET enabled = ? WHERE name = ?", (1 if on else 0, name))
    con.close()


def snapshot(db):
    """(rows in audit, the dump of every other table and of the schema)."""
    con = sqlite3.connect(db, timeout=30)
    n = con.execute("SELECT count(*) FROM audit").fetchone()[0]
    dump = [s for s in con.iterdump() if not s.startswith('INSERT INTO "audit"')]
    con.close()
    return n, dump


def same_dump(a, b):
    """Whether two dumps are equal; else the first lines that differ."""
    if a == b:
        return True, ""
    gone = [x for x in a if x not in set(b)][:2]
    new = [x for x in b if x not in set(a)][:2]
    return False, f"gone {gone} new {new}"


def addr(prefix, k):
    return str(ipaddress.ip_network(prefix).network_address + k)


def sub(prefix, plen, last=False):
    """The first (or last) /plen of prefix."""
    subs = ipaddress.ip_network(prefix).subnets(new_prefix=plen)
    if not last:
        return str(next(subs))
    net = ipaddress.ip_network(prefix)
    return str(ipaddress.ip_network(
        (int(net.broadcast_address) - (1 << (net.max_prefixlen - plen)) + 1, plen)))


class Student:
    def __init__(self, name):
        self.name, self.zone, self.v4, self.v6 = name, f"{name}.lab.", None, None


def own_first(s):
    """A student's own work before the matrix: every line must succeed."""
    z = s.zone
    return [f"host add www.{z}",
            f"host add addr.{z} --v4 {addr(s.v4, 100)} --v6 none",
            f"host add addr6.{z} --v4 none --v6 {addr(s.v6, 0x100)}",
            f"host add blk.{z} --block {s.v4} --v6 none",
            f"record add txt.{z} TXT hello",
            f"record add alias.{z} CNAME www.{z}",
            f"service bind www.{z} isoweb",
            f"block update {s.v4} --desc {s.name}",
            f"block update {s.v6} --desc {s.name}",
            f"zone add sub.{z}"]


def own_blocks(s):
    """A student's blocks inside its own assigned blocks: refused by their status (RIPE's
    ASSIGNED PA holds addresses only), with "conflict", not for authority."""
    return [f"block alloc {s.v4} /28 --assign", f"block assign {s.v6} /80",
            f"block reserve {sub(s.v4, 28)}"]


def own_last(s, token_row):
    """A student's own work after the matrix: every line must succeed."""
    z = s.zone
    lines = [f"host rename blk.{z} blk2.{z}",
             f"record del txt.{z} TXT",
             f"record del alias.{z} CNAME",
             f"service unbind www.{z} isoweb",
             f"host del addr.{z}",
             f"zone del sub.{z}",
             f"block release {s.v6} --recursive"]
    return lines + ([f"account token {s.name}"] if token_row else [])


def cross(i, j, token_row):
    """Student i's writes on student j's objects: (kind, line)."""
    zi, zj = i.zone, j.zone
    kinds = [
        ("alloc inside", f"block alloc {j.v4} /28 --assign"),
        ("assign inside", f"block assign {j.v4} /28 --to {i.name}"),
        ("assign inside v6", f"block assign {j.v6} /80"),
        ("reserve inside", f"block reserve {sub(j.v4, 28, last=True)}"),
        ("release", f"block release {j.v4} --recursive"),
        ("release v6", f"block release {j.v6} --recursive"),
        ("update", f"block update {j.v4} --desc {i.name}"),
        ("host in the zone", f"host add {i.name}.{zj} --v4 auto --v6 none"),
        ("take an address", f"host add t-{j.name}.{zi} --v4 {addr(j.v4, 200)} --v6 none"),
        ("take an address v6", f"host add u-{j.name}.{zi} --v4 none --v6 {addr(j.v6, 0x200)}"),
        ("host from the block", f"host add b-{j.name}.{zi} --block {j.v4} --v6 none"),
        ("record add", f"record add r-{i.name}.{zj} TXT {i.name}"),
        ("record del", f"record del txt.{zj} TXT"),
        ("service bind", f"service bind www.{zj} isoweb"),
        ("service unbind", f"service unbind www.{zj} isoweb"),
        ("host del", f"host del www.{zj}"),
        ("host rename", f"host rename www.{zj} w-{i.name}.{zj}"),
        ("zone del", f"zone del {zj} --recursive"),
        ("zone del below", f"zone del sub.{zj}"),
        ("zone inside", f"zone add {i.name}.{zj}"),
    ]
    if token_row:
        kinds.append(("token", f"account token {j.name}"))
    return kinds


def registrar_cross(r, o, own_students, other_students, token_row):
    """Registrar r's writes on registrar o's blocks and customers: (kind, line, the account
    the refusal must name)."""
    mine = own_students[0]
    kinds = [
        ("alloc inside", f"block alloc {o.v4} /24", o.name),
        ("alloc to itself", f"block alloc {o.v4} /20 --to {r.name}", o.name),
        ("assign to a customer", f"block assign {o.v4} /24 --to {mine.name}", o.name),
        ("assign v6 to a customer", f"block assign {o.v6} /64 --to {mine.name}", o.name),
        ("reserve inside", f"block reserve {sub(o.v4, 24, last=True)}", o.name),
        ("release", f"block release {o.v4} --recursive", o.name),
        ("release v6", f"block release {o.v6} --recursive", o.name),
        ("update", f"block update {o.v4} --desc {r.name}", o.name),
        ("update v6", f"block update {o.v6} --desc {r.name}", o.name),
    ]
    for c in other_students:
        kinds += [(k, l, c.name) for k, l in (
            ("own block to a foreign customer", f"block assign {r.v4} /24 --to {c.name}"),
            ("customer: release", f"block release {c.v4} --recursive"),
            ("customer: update", f"block update {c.v4} --desc {r.name}"),
            ("customer: take an address",
             f"host add t-{c.name}.{mine.zone} --v4 {addr(c.v4, 201)} --v6 none"),
            ("customer: host in the zone", f"host add {r.name}.{c.zone} --v4 auto --v6 none"),
            ("customer: record add", f"record add r-{r.name}.{c.zone} TXT {r.name}"),
            ("customer: service bind", f"service bind www.{c.zone} isoweb"),
            ("customer: host del", f"host del www.{c.zone}"),
            ("customer: zone del", f"zone del {c.zone} --recursive"),
            ("customer: zone inside", f"zone add {r.name}.{c.zone}"),
            ("customer: a new zone for it", f"zone add {c.name}-{r.name}.lab. --for {c.name}"),
        )]
        if token_row:
            kinds.append(("customer: token", f"account token {c.name}", c.name))
    if token_row:
        kinds.append(("registrar: token", f"account token {o.name}", o.name))
    return kinds


def expect_all(what, replies, lines, want, names=None):
    """Checks that every reply has code want (and names, when given, its account); the
    failures are listed (at most five)."""
    bad = [(lines[k], code(r), message(r) or json.dumps(r)[:160])
           for k, r in enumerate(replies) if code(r) != want or
           (names is not None and names[k] not in message(r))]
    check(f"{what}: {len(replies)} {want}", not bad and len(replies) == len(lines),
          "; ".join(f"{l!r} -> {c}: {m}" for l, c, m in bad[:5]) +
          (f" (and {len(bad) - 5} more)" if len(bad) > 5 else ""))
    return bad


def setup(d, db, tokens):
    students = [Student(f"student{k:02d}") for k in range(1, N + 1)]
    others = [Student(f"classb-{k:02d}") for k in range(1, B + 1)]
    ra, rb = Student("classa"), Student("classb")
    add_accounts(db, [("classa", "registrar", None), ("classb", "registrar", None)] +
                 [(s.name, "registrant", "classa") for s in students] +
                 [(s.name, "registrant", "classb") for s in others], tokens)
    admin = Conn(d, "admin", d.token)
    check("admin is ready", admin.ready.startswith("READY"), admin.ready)
    r = admin.one("zone add lab.")  # lanad may have made it already
    check("admin has lab.", code(r) == "ok" or "exists" in message(r), json.dumps(r))
    lines = [f"block alloc {POOLS[0]} /16 --to classa", f"block alloc {POOLS[1]} /48 --to classa",
             f"block alloc {POOLS[0]} /16 --to classb", f"block alloc {POOLS[1]} /48 --to classb",
             "service add isoweb tcp --port 8080", "help"]
    got = admin.run(lines)
    expect_all("admin allocates to the registrars", got, lines, "ok")
    ra.v4, ra.v6, rb.v4, rb.v6 = (got[k]["block"]["prefix"] for k in range(4))
    token_row = any(t.get("verb") == "account" and t.get("sub") == "token"
                    for t in got[5].get("table", []))
    conns = {}
    for reg, mine in ((ra, students), (rb, others)):
        c = conns[reg.name] = Conn(d, reg.name, tokens[reg.name])
        check(f"{reg.name} is ready", c.ready.startswith("READY"), c.ready)
        lines = [x for s in mine for x in (f"block assign {reg.v4} /24 --to {s.name}",
                                           f"block assign {reg.v6} /64 --to {s.name}")]
        got = c.run(lines)
        expect_all(f"{reg.name} assigns a /24 and a /64 to each of its students", got, lines, "ok")
        for k, s in enumerate(mine):
            s.v4, s.v6 = got[2 * k]["block"]["prefix"], got[2 * k + 1]["block"]["prefix"]
        lines = [f"zone add {s.zone} --for {s.name} --block {s.v4} --block {s.v6}" for s in mine]
        expect_all(f"{reg.name} registers a zone for each", c.run(lines), lines, "ok")
    for s in students + others:
        conns[s.name] = Conn(d, s.name, tokens[s.name])
    check("every student is ready", all(conns[s.name].ready.startswith("READY")
                                        for s in students + others))
    return admin, conns, students, others, ra, rb, token_row


def refusals_logged(log, start, who):
    """Lines lanad logged from byte start on that refuse a write of an account in who."""
    with open(log, "rb") as f:
        f.seek(start)
        text = f.read().decode(errors="replace")
    return [l for l in text.splitlines() if ": refused " in l and
            l.split("registry: ", 1)[-1].split("@", 1)[0] in who]


def edges(d, db, tokens, conns, students):
    """The paths around the command table: a token is never handed out inside a batch (an
    undone batch would take it back after it was shown), and a zone import acts for the asker
    as every write does (a disabled admin, or one whose token was replaced, imports nothing)."""
    def exchange(conn, lines, replies):
        """Sends lines, reads replies up to that many or a batch's summary (a batch's opener
        and a zone file's lines have none of their own; a batch undone at its first error
        runs no more lines)."""
        conn.line.s.sendall("".join(x + "\n" for x in lines).encode())
        out = []
        while len(out) < replies:
            r = conn.line.recv()
            while r is not None and r.startswith("PROGRESS "):
                r = conn.line.recv()
            out.append(json.loads(r) if r else None)
            if '"batch":{' in (r or ""):
                break
        return out

    s = students[2]
    add_accounts(db, [("edge1", "registrant", None)], tokens)
    c = Conn(d, "edge1", tokens["edge1"])
    got = [None] + exchange(c, ["batch", "account token edge1", "account show edge1", "end"], 3)
    check("account token inside a batch is refused, and the batch with it",
          code(got[1]) == "usage" and "batch" in message(got[1]) and
          '"committed": false' in json.dumps(got[-1]), json.dumps(got)[:300])
    again = Conn(d, "edge1", tokens["edge1"])
    check("the token of before still authenticates", again.ready.startswith("READY"),
          again.ready)
    again.line.close()
    zone = ["$ORIGIN imported.example.", "@ 300 IN SOA ns1.lab. h.lab. 1 2 3 4 5",
            "@ 300 IN NS ns1.lab.", "."]
    add_accounts(db, [("ops", "admin", None)], tokens)
    ops = Conn(d, "ops", tokens["ops"])
    set_enabled(db, "ops", False)
    late = Conn(d, "ops", tokens["ops"])
    got = exchange(late, ["zone import"] + zone, 1)
    check("a disabled admin imports no zone file", code(got[-1]) == "permission", json.dumps(got))
    set_enabled(db, "ops", True)
    con = sqlite3.connect(db, timeout=30)
    with con:
        con.execute("UPDATE account SET stored_key = ? WHERE name = 'ops'",
                    (hashlib.sha256(os.urandom(32)).digest(),))
    con.close()
    got = exchange(ops, ["zone import"] + zone, 1)
    check("nor does an admin whose token was replaced, on its old connection",
          code(got[-1]) == "permission" and "replaced" in message(got[-1]), json.dumps(got))
    r = c.one("zone show imported.example.")
    check("the zone was not imported", code(r) == "not_found", json.dumps(r))
    c.line.close()
    ops.line.close()
    late.line.close()


def main():
    if not os.environ.get("LANAD"):
        print("LANAD is not set: skipped")
        return 77
    with tempfile.TemporaryDirectory() as work:
        d = Daemon(work, "--pool", POOLS[0], "--pool", POOLS[1], "--workers", "1",
                   "--registry-max-per-address", "256", "--registry-idle-timeout", "600")
        try:
            return run(d, os.path.join(work, "lana.db"))
        finally:
            d.stop()


def run(d, db):
    tokens = {}
    admin, conns, students, others, ra, rb, token_row = setup(d, db, tokens)
    if not token_row:
        print("# account token is not in this lanad's command table: that kind is left out")

    # ---- each student's own work ----------------------------------------------------------
    t = time.monotonic()
    for s in students + others:
        lines = own_first(s)
        expect_all(f"{s.name}'s own {len(lines)} writes", conns[s.name].run(lines), lines, "ok")
        lines = own_blocks(s)
        expect_all(f"{s.name}'s blocks inside its assigned blocks (their status)",
                   conns[s.name].run(lines), lines, "conflict")
    own_s = time.monotonic() - t

    # ---- the matrix: nothing changes ------------------------------------------------------
    log_at = os.path.getsize(d.log)
    audit0, dump0 = snapshot(db)
    t = time.monotonic()
    attempts, kinds = 0, set()
    for i in students:
        lines, names, what = [], [], []
        for j in students:
            if i is j:
                continue
            for kind, line in cross(i, j, token_row):
                lines.append(line)
                names.append(j.name)
                what.append(kind)
        got = conns[i.name].run(lines)
        attempts += len(lines)
        kinds |= set(what)
        bad = expect_all(f"{i.name} on the other {N - 1} students' objects", got, lines,
                         "permission", names)
        if bad:
            print("#   kinds that got through or were refused otherwise:",
                  sorted({what[lines.index(l)] for l, _, _ in bad}))
    # and on the registry's objects and their registrar's: the pools, the port registry,
    # top-level zones, the class's block
    for i in students:
        pairs = [(f"service del isoweb tcp", "admin"), (f"service add {i.name} tcp", "admin"),
                 (f"pool del {POOLS[0]}", "admin"), ("pool add 192.0.2.0/24", "admin"),
                 (f"zone add {i.name}-top.", "admin"), ("zone del lab. --recursive", "admin"),
                 (f"block update {POOLS[1]} --desc {i.name}", "admin"),
                 (f"block update {ra.v4} --desc {i.name}", ra.name),
                 (f"block alloc {ra.v6} /56 --assign", ra.name)]
        lines = [l for l, _ in pairs]
        got = conns[i.name].run(lines)
        attempts += len(lines)
        kinds.add("the registry's and the registrar's")
        expect_all(f"{i.name} on the registry's and its registrar's objects", got, lines,
                   "permission", [n for _, n in pairs])
    matrix_s = time.monotonic() - t
    print(f"# the matrix: {attempts} attempts of {len(kinds)} kinds in {matrix_s:.2f} s "
          f"({attempts / max(matrix_s, 1e-9):.0f}/s), {N} students")
    check(f"at least 10 kinds of write on every other student's objects ({len(kinds)})",
          len(kinds) >= 10)

    # the registrars on each other's blocks and customers
    t = time.monotonic()
    reg_attempts = 0
    for r, o, mine, theirs in ((ra, rb, students, others), (rb, ra, others, students)):
        pairs = registrar_cross(r, o, mine, theirs, token_row)
        lines = [l for _, l, _ in pairs]
        names = [n for _, _, n in pairs]  # who holds the authority is named
        got = conns[r.name].run(lines)
        reg_attempts += len(lines)
        bad = expect_all(f"{r.name} on {o.name}'s blocks and customers", got, lines,
                         "permission", names)
        if bad:
            print("#   kinds:", sorted({k for k, l, _ in pairs if l in {b[0] for b in bad}}))
    reg_s = time.monotonic() - t
    print(f"# the registrars: {reg_attempts} attempts in {reg_s:.2f} s")

    audit1, dump1 = snapshot(db)
    check("no audit row during the matrix", audit1 == audit0, f"{audit0} -> {audit1}")
    same, diff = same_dump(dump0, dump1)
    check("a dump of every other table is unchanged by the matrix", same, diff)
    time.sleep(0.2)  # the log is written as the replies go; give the last lines a moment
    logged = refusals_logged(d.log, log_at, {s.name for s in students} | {ra.name, rb.name})
    check("lanad logged every refusal", len(logged) >= attempts + reg_attempts,
          f"{len(logged)} lines for {attempts + reg_attempts} refusals")
    s2 = students[1]
    check(f"a logged refusal names the account ({s2.name})",
          any(f"registry: {s2.name}@" in l and "permission" in l for l in logged),
          logged[0] if logged else "no line")

    # ---- disabled accounts: refused even on the connection they opened before --------------
    log_at = os.path.getsize(d.log)
    victim = students[4]
    set_enabled(db, victim.name, False)
    set_enabled(db, rb.name, False)
    audit0, dump0 = snapshot(db)
    z = victim.zone
    lines = [f"record add d.{z} TXT disabled", f"host add d.{z} --v4 auto --v6 none",
             f"block update {victim.v4} --desc disabled", f"service unbind www.{z} isoweb",
             f"zone del sub.{z}", f"host del addr.{z}"]
    got = conns[victim.name].run(lines)
    expect_all(f"disabled {victim.name}, on the connection it already had: its own writes",
               got, lines, "permission", [f"{victim.name} is disabled"] * len(lines))
    logged = refusals_logged(d.log, log_at, {victim.name})
    check("lanad logged the disabled account's refusals",
          sum("is disabled" in l for l in logged) >= len(lines),
          f"{len(logged)} lines for {len(lines)} refusals")
    late = Conn(d, victim.name, tokens[victim.name])
    check("a disabled account still authenticates (it may read)", late.ready.startswith("READY"),
          late.ready)
    r = late.one(f"block show {victim.v4}")
    check("and reads", code(r) == "ok", json.dumps(r)[:200])
    r = late.one(f"host add e.{z} --v4 auto --v6 none")
    check("but not write, on a new connection either", code(r) == "permission" and
          "disabled" in message(r), json.dumps(r))
    lines = [f"block assign {ra.v4} /24 --to {victim.name}",
             f"zone add {victim.name}-2.lab. --for {victim.name}"]
    got = conns[ra.name].run(lines)
    expect_all(f"its registrar hands nothing new to disabled {victim.name}", got, lines,
               "permission", [victim.name] * len(lines))
    o = others[0]
    lines = [f"block update {rb.v4} --desc disabled", f"block assign {rb.v4} /24 --to {o.name}",
             f"host add d.{o.zone} --v4 auto --v6 none", f"zone del {o.zone} --recursive"]
    got = conns[rb.name].run(lines)
    expect_all(f"disabled registrar {rb.name}: its own and its customers' objects", got, lines,
               "permission", [f"{rb.name} is disabled"] * len(lines))
    audit1, dump1 = snapshot(db)
    check("no audit row from the disabled accounts", audit1 == audit0, f"{audit0} -> {audit1}")
    same, diff = same_dump(dump0, dump1)
    check("and the database unchanged", same, diff)
    set_enabled(db, victim.name, True)
    set_enabled(db, rb.name, True)
    r = conns[victim.name].one(f"record add d.{z} TXT enabled")
    check("enabled again, the same connection writes", code(r) == "ok", json.dumps(r))
    late.line.close()

    # ---- the students' and registrars' own last work: changes, audited ---------------------
    audit0, _ = snapshot(db)
    t = time.monotonic()
    ops = 0
    rotated = None
    for s in students + others:
        lines = own_last(s, token_row)
        ops += len(lines)
        got = conns[s.name].run(lines)
        expect_all(f"{s.name}'s own last {len(lines)} writes", got, lines, "ok")
        if token_row and rotated is None:
            rotated = (got[-1] or {}).get("token")
    if token_row:  # student01 gave itself a new token: the old one's connection may not write
        s = students[0]
        r = conns[s.name].one(f"record add old.{s.zone} TXT old")
        check("the connection of a replaced token may not write",
              code(r) == "permission" and "replaced" in message(r), json.dumps(r))
        c = Conn(d, s.name, bytes.fromhex(rotated or "00"))
        r = c.one(f"record add new.{s.zone} TXT new") if c.ready.startswith("READY") else None
        check("the new token writes", code(r) == "ok", json.dumps(r))
        ops += 1
        c.line.close()
    for reg, mine in ((ra, students), (rb, others)):
        c = mine[0]
        lines = [f"block update {reg.v4} --desc {reg.name}",
                 f"block alloc {sub(reg.v4, 20, last=True)}",
                 f"block release {sub(reg.v4, 20, last=True)}",
                 f"block update {c.v4} --desc by-{reg.name}",
                 f"host add {reg.name}.{c.zone} --v4 auto --v6 none",
                 f"record add r-{reg.name}.{c.zone} TXT {reg.name}",
                 f"host del {reg.name}.{c.zone}",
                 f"zone del {c.zone} --recursive",
                 f"block release {c.v4} --recursive"]
        ops += len(lines)
        expect_all(f"{reg.name}'s own writes on its blocks and its customers' objects",
                   conns[reg.name].run(lines), lines, "ok")
    own_s += time.monotonic() - t
    audit1, _ = snapshot(db)
    check("every own write is audited", audit1 - audit0 >= ops, f"{audit1 - audit0} rows, {ops} writes")
    edges(d, db, tokens, conns, students)
    check("lanad is still running", d.alive())
    for c in list(conns.values()) + [admin]:
        c.line.close()
    total = time.monotonic() - T0
    print(f"# own writes {own_s:.2f} s; whole run {total:.2f} s")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
