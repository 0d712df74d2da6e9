#!/usr/bin/env python3
"""IXFR (RFC 1995) from lanad's journal, checked with dnspython as a strict client.

A change committed in the registry becomes one version of the zone. An IXFR from a version the
journal holds gets one condensed difference sequence (a host added and removed in between does
not appear); applied to the zone as it was, it gives the zone as it is (compared with an AXFR).
A client that is current gets the SOA alone; one on an unknown serial, or older than the
journal's bound (journal-serials), the whole zone AXFR-style. Over UDP the difference comes
when it fits one message, else the SOA alone. Under 1,000 registrations committed one by one
from four connections, every IXFR is the difference to exactly one serial: at serial B + k it
adds exactly k hosts.
"""
import os
import shutil
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from lanatest import Daemon, Line, check, finish, need_dnspython  # noqa: E402

need_dnspython()
import dns.flags  # noqa: E402
import dns.message  # noqa: E402
import dns.name  # noqa: E402
import dns.query  # noqa: E402
import dns.rdatatype  # noqa: E402
import dns.rrset  # noqa: E402
import dns.versioned  # noqa: E402
import dns.xfr  # noqa: E402
import dns.zone  # noqa: E402

ZONE = "lab."
LOAD = 1000
THREADS = 4


def serial_of(port):
    q = dns.message.make_query(ZONE, "SOA")
    r = dns.query.udp(q, "127.0.0.1", port=port, timeout=5)
    return r.answer[0][0].serial


def flat(msgs):
    """The answer records of messages in order, as (name, type, ttl, rdata text)."""
    out = []
    for m in msgs:
        for rrset in m.answer:
            for rd in rrset:
                out.append((rrset.name.to_text().lower(), rrset.rdtype, rrset.ttl, rd.to_text()))
    return out


def serial(rec):
    return int(rec[3].split()[2])


def ixfr(port, since, tcp=True):
    """The messages of an IXFR from serial since (TCP, read by dnspython's IXFR rules)."""
    if tcp:
        return list(dns.query.xfr("127.0.0.1", ZONE, rdtype=dns.rdatatype.IXFR, serial=since,
                                  port=port, timeout=20, lifetime=60, relativize=False))
    q = dns.message.make_query(ZONE, "IXFR")
    q.authority.append(dns.rrset.from_text(ZONE, 0, "IN", "SOA",
                                           f"ns1.lab. hostmaster.lab. {since} 1 1 1 1"))
    return [dns.query.udp(q, "127.0.0.1", port=port, timeout=5, one_rr_per_rrset=True)]


def parse(recs):
    """('current', []), ('axfr', records) or ('incr', [(old, new, removed, added), ...])."""
    if len(recs) == 1:
        return "current", []
    if recs[1][1] != dns.rdatatype.SOA or len(recs) < 4:
        return "axfr", recs[1:-1]
    seqs, i = [], 1
    while i < len(recs) - 1:
        old, i = recs[i], i + 1
        removed = []
        while recs[i][1] != dns.rdatatype.SOA:
            removed.append(recs[i])
            i += 1
        new, i = recs[i], i + 1
        added = []
        while i < len(recs) - 1 and recs[i][1] != dns.rdatatype.SOA:
            added.append(recs[i])
            i += 1
        seqs.append((serial(old), serial(new), removed, added))
    return "incr", seqs


def axfr_set(port):
    recs = flat(dns.query.xfr("127.0.0.1", ZONE, port=port, timeout=20, lifetime=60,
                              relativize=False))
    return {r for r in recs if r[1] != dns.rdatatype.SOA}, serial(recs[0])


def say(c, line):
    c.send(line)
    reply = c.recv()
    if reply is None or '"error"' in reply:
        raise RuntimeError(f"{line}: {reply}")
    return reply


def test_differences(d):
    c = Line(d.registry_port)
    c.login(d.token)
    c.s.sendall(b"batch\n" + "".join(f"host add base-{i:02d}.lab.\n" for i in range(20)).encode()
                + b"end\n")
    while True:
        line = c.recv()
        if line is None or '"batch":{' in line:
            break
    s1 = serial_of(d.dns_port)
    at_s1, _ = axfr_set(d.dns_port)
    say(c, "host add gone.lab.")
    say(c, "host del gone.lab.")
    say(c, "host add kept.lab.")
    say(c, "host del base-00.lab.")
    now_set, s4 = axfr_set(d.dns_port)
    check("every commit is a version: four commits, the serial moved by four", s4 - s1 == 4,
          f"{s1} -> {s4}")

    msgs = ixfr(d.dns_port, s1)
    recs = flat(msgs)
    kind, seqs = parse(recs)
    check("IXFR from a journaled serial: a difference, first and last the zone's SOA",
          kind == "incr" and serial(recs[0]) == s4 and serial(recs[-1]) == s4, kind)
    check("the versions between are condensed into one sequence",
          kind == "incr" and len(seqs) == 1 and seqs[0][:2] == (s1, s4), str(seqs and seqs[0][:2]))
    if kind == "incr" and seqs:
        removed, added = seqs[0][2], seqs[0][3]
        names = {r[0] for r in removed + added}
        check("a host added and removed in between is not in the difference",
              not any(n.startswith("gone.") for n in names), str(names))
        check("the host added is in the added records, the one removed in the removed",
              any(r[0] == "kept.lab." for r in added) and
              any(r[0] == "base-00.lab." for r in removed), str(names))
        applied = (at_s1 - set(removed)) | set(added)
        check("the difference applied to the zone at the old serial is the zone now (AXFR)",
              applied == now_set, f"{len(applied ^ now_set)} records differ")
        check("removed records existed and added ones did not",
              set(removed) <= at_s1 and not set(added) & at_s1)

    # dnspython applies the same IXFR to its own copy of the zone, checking every rule
    z = dns.versioned.Zone(ZONE)
    dns.query.inbound_xfr("127.0.0.1", z, port=d.dns_port, timeout=20, lifetime=60)
    c.send("host add later.lab.")
    c.recv()
    q, _ = dns.xfr.make_query(z)
    dns.query.inbound_xfr("127.0.0.1", z, query=q, port=d.dns_port, timeout=20, lifetime=60)
    fresh = dns.zone.from_xfr(dns.query.xfr("127.0.0.1", ZONE, port=d.dns_port, timeout=20,
                                            lifetime=60))
    check("dnspython's inbound IXFR on its copy gives the zone an AXFR gives",
          z.get_node("later") is not None and zone_text(z) == zone_text(fresh))

    now = serial_of(d.dns_port)
    recs = flat(ixfr(d.dns_port, now))
    check("IXFR from the current serial: the SOA alone", len(recs) == 1 and serial(recs[0]) == now,
          str(recs))
    recs = flat(ixfr(d.dns_port, (now + 1000) % 2**32))
    check("IXFR from a newer serial (RFC 1982): the SOA alone", len(recs) == 1, str(len(recs)))
    recs = flat(ixfr(d.dns_port, (now - 2**20) % 2**32))
    kind, body = parse(recs)
    full, _ = axfr_set(d.dns_port)
    check("IXFR from a serial the journal never held: the whole zone, AXFR-style",
          kind == "axfr" and set(body) == full, kind)

    # UDP: a small difference fits; a large one gets the SOA alone (RFC 1995 §2)
    before = serial_of(d.dns_port)
    say(c, "host add udp-one.lab.")
    m = ixfr(d.dns_port, before, tcp=False)[0]
    recs = flat([m])
    kind, seqs = parse(recs)
    check("IXFR over UDP: a one-host difference in one message",
          kind == "incr" and any(r[0] == "udp-one.lab." for r in seqs[0][3]), str(recs[:3]))
    before = serial_of(d.dns_port)
    c.s.sendall(b"batch\n" + "".join(f"host add udp-many-{i:03d}.lab.\n" for i in range(200))
                .encode() + b"end\n")
    while True:
        line = c.recv()
        if line is None or '"batch":{' in line:
            break
    m = ixfr(d.dns_port, before, tcp=False)[0]
    recs = flat([m])
    check("IXFR over UDP: a difference too big for one datagram gets the SOA alone",
          len(recs) == 1 and not m.flags & dns.flags.TC, str(len(recs)))
    kind, seqs = parse(flat(ixfr(d.dns_port, before)))
    check("the same IXFR over TCP: the 200 hosts' records",
          kind == "incr" and len([r for r in seqs[0][3] if r[0].startswith("udp-many-")]) >= 200,
          kind)

    # the journal keeps journal-serials versions: older clients get the whole zone
    old = serial_of(d.dns_port)
    for i in range(10):
        say(c, f"host add bound-{i}.lab.")
    kind, _ = parse(flat(ixfr(d.dns_port, old)))
    check("IXFR from beyond journal-serials (8) versions: the whole zone", kind == "axfr", kind)
    recent = serial_of(d.dns_port)
    say(c, "host add bound-last.lab.")
    kind, _ = parse(flat(ixfr(d.dns_port, recent)))
    check("IXFR from a recent version: a difference", kind == "incr", kind)
    # the transfer cache: the next AXFR of the same version is a copy, byte for byte; a change
    # makes a new version, never served from the old copy
    first = [m.to_wire() for m in dns.query.xfr("127.0.0.1", ZONE, port=d.dns_port, timeout=20)]
    hits = open(d.log).read().count("(from the transfer cache)")
    second = [m.to_wire() for m in dns.query.xfr("127.0.0.1", ZONE, port=d.dns_port, timeout=20)]
    check("a second AXFR of the same version: the same messages (but the id)",
          [w[2:] for w in first] == [w[2:] for w in second], str(len(first)))
    time.sleep(0.2)
    check("the log says that one came from the transfer cache",
          open(d.log).read().count("(from the transfer cache)") == hits + 1)
    say(c, "host add after-cache.lab.")
    recs = flat(dns.query.xfr("127.0.0.1", ZONE, port=d.dns_port, timeout=20, relativize=False))
    check("after a change the AXFR has it (not the cached copy)",
          any(r[0] == "after-cache.lab." for r in recs) and serial(recs[0]) == serial_of(d.dns_port))
    # a deleted zone's id and journal positions come back for the next zone made: its AXFR is
    # never the deleted zone's cached copy
    def zone_a(name):
        return {r[3] for r in flat(dns.query.xfr("127.0.0.1", name, port=d.dns_port, timeout=20,
                                                 relativize=False)) if r[1] == dns.rdatatype.TXT}
    say(c, "zone add za.lab.")
    say(c, "record add www.za.lab. TXT old-zone")
    zone_a("za.lab.")
    zone_a("za.lab.")  # the second from the cache
    say(c, "zone del za.lab. --recursive")
    say(c, "zone add zb.lab.")
    say(c, "record add www.zb.lab. TXT new-zone")
    got = zone_a("zb.lab.")
    check("a new zone in a deleted one's place: its own records, not the cached copy",
          got == {'"new-zone"'}, str(got))
    c.close()
    log = open(d.log).read()
    check("the transfer log says what each IXFR sent",
          "(differences from serial" in log and "(serial" in log and "is current" in log and
          "(whole zone: serial" in log and "over UDP (the SOA alone: the difference does not fit one datagram)"
          in log)


def zone_text(z):
    return sorted(z.to_text(relativize=False).splitlines())


def test_load(d):
    base = serial_of(d.dns_port)
    errors = []

    def writer(t):
        c = Line(d.registry_port, timeout=60)
        c.login(d.token)
        for i in range(LOAD // THREADS):
            c.send(f"host add load-{t}-{i:03d}.lab.")
            r = c.recv()
            if r is None or '"error"' in r:
                errors.append(r)
                break
        c.close()

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(THREADS)]
    for t in threads:
        t.start()
    seen, bad, deadline = 0, [], time.monotonic() + 120
    while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
        recs = flat(ixfr(d.dns_port, base))
        kind, seqs = parse(recs)
        if kind == "current":
            continue
        if kind != "incr" or len(seqs) != 1:
            bad.append(kind)
            continue
        old, new, removed, added = seqs[0]
        hosts = {r[0] for r in added if r[0].startswith("load-")}
        if removed or old != base or len(hosts) != new - base:
            bad.append((new - base, len(hosts), len(removed)))
        seen += 1
    for t in threads:
        t.join(60)
    check(f"{LOAD} registrations from {THREADS} connections committed", not errors, str(errors[:2]))
    check("every IXFR during the load is the difference to one serial (k hosts at base + k)",
          seen > 3 and not bad, f"{seen} transfers, bad: {bad[:3]}")
    kind, seqs = parse(flat(ixfr(d.dns_port, base)))
    full, now = axfr_set(d.dns_port)
    check("after the load: one difference of all the hosts",
          kind == "incr" and now - base == LOAD and
          len({r[0] for r in seqs[0][3] if r[0].startswith("load-")}) == LOAD,
          f"{kind} {now - base}")


def main():
    work = tempfile.mkdtemp(prefix="lana-ixfr.")
    work2 = tempfile.mkdtemp(prefix="lana-ixfr-load.")
    d = Daemon(work, "--allow-transfer", "127.0.0.1/32", "--journal-serials", "8",
               "--log-level", "info")
    d2 = None
    try:
        test_differences(d)
        check("lanad is still running", d.alive())
        d.stop()
        check("lanad stops cleanly", d.proc.returncode == 0, f"status {d.proc.returncode}")
        d2 = Daemon(work2, "--allow-transfer", "127.0.0.1/32")
        test_load(d2)
        d2.stop()
        log = open(d2.log).read()
        check("no sanitizer report", "Sanitizer" not in log and "runtime error" not in log)
    finally:
        d.stop()
        if d2 is not None:
            d2.stop()
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(work2, ignore_errors=True)
    finish()


if __name__ == "__main__":
    main()
