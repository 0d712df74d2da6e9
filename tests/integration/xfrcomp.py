#!/usr/bin/env python3
"""Integration test of name compression in zone transfers (RFC 1035 §4.1.4, RFC 3597 §4):
a zone of varied names and types (delegations with glue, CNAME, MX, PTR and NS targets in
and out of the zone in mixed case, SRV, TXT, a private type whose rdata spells names) is
transferred from lanad, read message by message by dnspython (strict) and by a walk of our
own over every name: pointers lead backwards, below 0x4000, onto the start of a label of a
name written before, never into rdata; messages are at most 16 KiB; the records are exactly
the zone's. The first transfer of the version (built from the database) and the second (from
the transfer cache) are the same bytes; so is one with the transfer cache off.
Needs LANAD and LANA; dnspython (python3-dnspython)."""

import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from lanatest import LANAD, Daemon, check, finish, need_dnspython  # noqa: E402

need_dnspython()
import dns.message  # noqa: E402
import dns.name  # noqa: E402
import dns.rdataclass  # noqa: E402
import dns.rdatatype  # noqa: E402
import dns.zone  # noqa: E402
from secondaries import _read_frame as read_frame  # noqa: E402

NODES = 2500


def zone_text():
    lines = ["$ORIGIN lab.", "$TTL 3600",
             "@ SOA ns1.lab. hostmaster.lab. 2026120201 3600 900 1209600 300",
             "@ NS ns1.lab.", "@ NS NS2.Example.TEST.", "ns1 A 198.18.0.1",
             "@ MX 10 Mail.LAB.", "mail A 198.18.0.2"]
    for i in range(NODES):
        k = (i * 7919) % 1000
        lines.append(f"h{i:05d} A 198.18.{1 + i // 250}.{1 + i % 250}")
        if i % 3 == 0:
            lines.append(f"h{i:05d} AAAA 2001:db8::{i:x}")
        if i % 11 == 0:  # a delegation with glue
            lines.append(f"sub{i}.dept NS ns.sub{i}.dept.lab.")
            lines.append(f"sub{i}.dept NS ns{k}.Provider.Example.")
            lines.append(f"ns.sub{i}.dept A 198.19.{i // 250}.{1 + i % 250}")
        if i % 5 == 1:
            lines.append(f"www{i} CNAME H{k:05d}.LAB.")
        if i % 7 == 2:
            lines.append(f"r{i} PTR host{k}.Rev.Example.")
        if i % 13 == 3:
            lines.append(f"_svc{i}._tcp SRV 10 5 {8000 + k} h{k:05d}.lab.")
        if i % 17 == 4:
            lines.append(f'h{i:05d} TXT "h{k:05d}.lab. is a neighbour"')
        if i % 19 == 5:  # a private type: its rdata spells the owner's name, never a target
            wire = b"".join(bytes([len(x)]) + x.encode() for x in (f"h{i:05d}", "lab")) + b"\0"
            lines.append(f"h{i:05d} TYPE65280 \\# {len(wire)} {wire.hex()}")
    return "\n".join(lines) + "\n"


def raw_axfr(port, zone="lab."):
    """The messages of one AXFR, as bytes, until the closing SOA (at most 10,000)."""
    q = dns.message.make_query(zone, dns.rdatatype.AXFR)
    q.id = 0x1234
    out, soas = [], 0
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        w = q.to_wire()
        s.sendall(struct.pack("!H", len(w)) + w)
        while soas < 2 and len(out) < 10000:
            w = read_frame(s)
            if not w:
                break
            out.append(w)
            m = dns.message.from_wire(w, xfr=True, one_rr_per_rrset=True)
            soas += sum(1 for r in m.answer if r.rdtype == dns.rdatatype.SOA)
    return out


# the types whose rdata names may be compressed (RFC 3597 §4): offset of the name in rdata
COMPRESSED = {dns.rdatatype.NS: 0, dns.rdatatype.CNAME: 0, dns.rdatatype.PTR: 0,
              dns.rdatatype.MX: 2, dns.rdatatype.SOA: 0}


def walk(w):
    """Our own reading of one message: a list of problems with its pointers (empty when
    every pointer leads backwards, below 0x4000, onto a label start of a name before)."""
    problems, starts = [], set()

    def name(pos):
        while True:
            ln = w[pos]
            if ln & 0xC0 == 0xC0:
                to = (ln & 0x3F) << 8 | w[pos + 1]
                if not (to < pos and to < 0x4000 and to in starts):
                    problems.append(f"pointer at {pos} to {to}")
                return pos + 2
            if ln == 0:
                return pos + 1
            starts.add(pos)
            pos += ln + 1

    qd, an, ns, ar = struct.unpack("!HHHH", w[4:12])
    pos = name(12) + 4
    for _ in range(an + ns + ar):
        pos = name(pos)
        rtype, _, _, rdlen = struct.unpack("!HHIH", w[pos:pos + 10])
        pos += 10
        end = pos + rdlen
        if rtype in COMPRESSED:
            p = name(pos + COMPRESSED[rtype])
            if rtype == dns.rdatatype.SOA:
                p = name(p) + 20
            if p != end:
                problems.append(f"rdata of type {rtype} at {pos}: names end at {p}, not {end}")
        pos = end
    if pos != len(w):
        problems.append(f"{len(w) - pos} bytes after the records")
    return problems


def records(msgs):
    """Every record of the transfer, as comparable tuples (owner, ttl, type, rdata)."""
    out = []
    for w in msgs:
        m = dns.message.from_wire(w, xfr=True, one_rr_per_rrset=True)
        for rrset in m.answer:
            for rd in rrset:
                out.append((rrset.name, rrset.ttl, rrset.rdtype, rd))
    return out


def expected(text):
    z = dns.zone.from_text(text, origin="lab.", relativize=False)
    out = []
    for name, node in z.nodes.items():
        for rds in node.rdatasets:
            for rd in rds:
                out.append((name, rds.ttl, rds.rdtype, rd))
    return out


def key(r):
    return (r[0].canonicalize().to_wire(), r[2], r[3].to_digestable())


def test(port, text, label):
    first, second = raw_axfr(port), raw_axfr(port)
    check(f"{label}: a transfer of several messages", len(first) > 4, f"{len(first)} messages")
    check(f"{label}: every message at most 16 KiB",
          all(len(w) <= 16384 for w in first), str(max(len(w) for w in first)))
    problems = [p for w in first for p in walk(w)]
    check(f"{label}: every pointer backwards, below 0x4000, onto a label start, none into "
          "rdata", not problems, "; ".join(problems[:5]))
    got = records(first)
    want = expected(text)
    check(f"{label}: SOA first and last", got[0][2] == dns.rdatatype.SOA and
          got[-1][2] == dns.rdatatype.SOA and got[0][3] == got[-1][3])
    body = sorted(got[1:-1], key=key)
    exp = sorted((r for r in want if r[2] != dns.rdatatype.SOA), key=key)
    check(f"{label}: the records are exactly the zone's ({len(exp)})",
          [key(r) + (r[1],) for r in body] == [key(r) + (r[1],) for r in exp],
          f"got {len(body)}, want {len(exp)}")
    priv = [r for r in body if r[2] == 65280]
    check(f"{label}: the private type's rdata as given (spelling a name, not compressed)",
          priv and all(r[3].data == r[0].to_wire() for r in priv), str(priv[:1]))
    check(f"{label}: the second transfer of the version is the same bytes",
          [w[2:] for w in first] == [w[2:] for w in second])
    return first


def main():
    work = tempfile.mkdtemp(prefix="lana-xfrcomp.")
    text = zone_text()
    path = os.path.join(work, "lab.zone")
    with open(path, "w") as f:
        f.write(text)
    r = subprocess.run([LANAD, "--db", os.path.join(work, "lana.db"), "zone", "import", path],
                       capture_output=True, text=True, timeout=60)
    check("zone imported", r.returncode == 0, r.stderr.strip())
    runs = []
    try:
        for cache, label in (("64", "cold, then from the cache"), ("0", "transfer cache off")):
            d = Daemon(work, "--allow-transfer", "127.0.0.1/32", "--transfer-cache", cache)
            try:
                runs.append(test(d.dns_port, text, label))
            finally:
                d.stop()
            log = open(d.log).read()
            check(f"{label}: lanad stops cleanly", d.proc.returncode == 0 and
                  "Sanitizer" not in log and "runtime error" not in log)
        check("the same bytes with and without the transfer cache",
              len(runs) == 2 and [w[2:] for w in runs[0]] == [w[2:] for w in runs[1]])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
