#!/usr/bin/env python3
"""Every SQL statement in db/ and server/ is planned by SQLite against lanad's own schema, and
none may read a whole big table (rr, host, block, journal, audit, freespace) unless it is
listed below with the reason it must. A statement that runs per query or per commit and
scans a million records costs tens of milliseconds each time: this is how such a statement
is caught before a benchmark finds it. Without statistics SQLite plans alike for an empty
database and a full one, so the empty database lanad creates serves.

usage: check_sql_plans.py LANAD SOURCE_DIR"""

import glob
import os
import re
import sqlite3
import subprocess
import sys
import tempfile

BIG = ("rr", "host", "block", "journal", "journal_version", "audit", "freespace", "dnschange",
       "node")

# (file, start of the statement): why reading the whole table is right there
ALLOWED = [
    ("db/check.c", "", "lanad check reads everything by design"),
    ("db/check_names.c", "", "lanad check reads everything by design"),
    ("db/host.c", "SELECT h.name, z.name", "host list: every host is the answer"),
    ("db/host.c", "SELECT name, v4, v6 FROM host ORDER BY", "export of every host"),
    ("db/host.c", "SELECT name, v4, v6 FROM host", "a new reverse zone gets a PTR per host"),
    ("db/zoneio.c", "SELECT name, v4, v6 FROM host", "zone export of every host"),
    ("db/regdata.c", "SELECT 1 FROM block WHERE holder", "whois/RDAP entity by holder text: "
     "no index on holder yet (a rare query; answers are cached per commit)"),
    ("db/regdata.c", "SELECT id, family, start, plen, parent_id, status, holder, descr, created,"
     " updated, split, maintainer FROM block WHERE holder", "the same entity's blocks"),
    ("db/root.c", "SELECT type, rdata, ttl FROM rr WHERE ?1 IS NOT NULL", "root server "
     "addresses held in any zone: root add/hints only"),
    ("db/service.c", "SELECT key FROM rr WHERE type = 33", "service del counts its SRV users"),
    ("db/node.c", "SELECT CASE WHEN NOT EXISTS", "at start, whether the lookup table is empty: "
     "each EXISTS stops at the first row"),
    ("db/zone.c", "SELECT name FROM host WHERE name = ?1 OR", "zone add: hosts it takes over"),
    ("db/zone.c", "SELECT type, rdata, ttl FROM rr WHERE key = ?1", "zone add: the glue of its "
     "name servers, wherever held"),
]

LITERAL = r'"(?:[^"\\]|\\.)*"'
ONE = re.compile(r'"((?:[^"\\]|\\.)*)"')
SCAN = re.compile(r"\bSCAN (\w+)(?: AS (\w+))?(.*)")
DEFINE = re.compile(r'^#define\s+(\w+)(?:\s|\\\n)+((?:%s(?:\s|\\\n)*)+)$' % LITERAL, re.M)

# statements that cannot be planned as they stand, and why that is right
UNPLANNED = [
    ("db/check_names.c", "SELECT", "lanad check fills in a zone id with printf"),
    ("db/audit.c", "SELECT", "an IN list of accounts built at run time"),
    ("db/class.c", "SELECT", "an IN list of names built at run time"),
    ("db/store.c", " INSERT INTO journal", "a trigger's body (NEW.* columns)"),
]


def statements(src):
    """(path, line, sql) for each run of string literals and string macros that is SQL."""
    files = sorted(glob.glob(os.path.join(src, "db", "*.[ch]")) +
                   glob.glob(os.path.join(src, "server", "*.[ch]")))
    texts = {p: open(p, encoding="utf-8").read() for p in files}
    macros = {}
    for text in texts.values():
        for m in DEFINE.finditer(text):
            macros[m.group(1)] = "".join(ONE.findall(m.group(2)))
    names = "|".join(sorted(macros, key=len, reverse=True)) or "(?!)"
    part = r'(?:%s|\b(?:%s)\b)' % (LITERAL, names)
    run = re.compile(r'%s(?:\s*%s)*' % (part, part))
    for path in files:
        if not path.endswith(".c"):
            continue
        # a definition is no statement by itself: blanked (its lines kept for the numbers)
        text = DEFINE.sub(lambda d: re.sub(r"[^\n]", " ", d.group(0)), texts[path])
        for m in run.finditer(text):
            pieces = re.findall(r'%s|\b\w+\b' % LITERAL, m.group(0))
            if not any(p.startswith('"') for p in pieces):
                continue
            sql = "".join(ONE.findall(p)[0] if p.startswith('"') else macros[p]
                          for p in pieces).replace('\\"', '"')
            if re.match(r"\s*(SELECT|INSERT|UPDATE|DELETE|WITH|REPLACE)\b", sql):
                yield os.path.relpath(path, src), text.count("\n", 0, m.start()) + 1, sql


def table_of(sql, alias):
    """The table an alias names in the statement (FROM rr r, JOIN block b), else alias."""
    m = re.search(r"\b(\w+)\s+(?:AS\s+)?%s\b(?!\s*\()" % re.escape(alias), sql)
    return m.group(1) if m and m.group(1) in BIG else alias


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    lanad, src = sys.argv[1], sys.argv[2]
    bad = planned = 0
    with tempfile.TemporaryDirectory(prefix="lana-plans.") as work:
        db = os.path.join(work, "lana.db")
        subprocess.run([lanad, "--db", db, "zone", "list"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        con = sqlite3.connect(db)
        for path, line, sql in statements(src):
            nums = [int(n) for n in re.findall(r"\?(\d+)", sql)]
            params = [None] * (max(nums) if nums else sql.count("?"))
            try:
                plan = con.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
            except sqlite3.Error as e:
                if not any(path == f and sql.startswith(p) for f, p, _ in UNPLANNED):
                    print("%s:%d: cannot be planned (%s):\n    %s" % (path, line, e, sql[:160]))
                    bad += 1
                continue
            planned += 1
            for row in plan:
                m = SCAN.search(row[3])
                if m is None:
                    continue
                table = table_of(sql, m.group(1))
                # a covering partial index (rr_ns, rr_wild) holds a few rows, not the table
                if table not in BIG or "COVERING INDEX rr_" in row[3]:
                    continue
                if any(path == f and sql.startswith(s) for f, s, _ in ALLOWED):
                    continue
                print("%s:%d: reads all of %s (%s):\n    %s" % (path, line, table, row[3],
                                                               sql[:160]))
                bad += 1
    print("%d statements planned; %d full scans or unplanned statements outside the lists"
          % (planned, bad))
    if planned < 100:
        print("too few statements found: the extraction is broken")
        return 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
