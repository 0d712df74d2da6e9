#!/usr/bin/env python3
"""Integration test of zone transfers (AXFR, RFC 5936) from lanad on loopback: dig, kdig and
dnspython as clients against `lana zone export`; several messages with compression for a zone
of 3,000 hosts; transfers that stay one snapshot while 200 hosts are added; allow-transfer;
AXFR over UDP; a client that leaves mid-transfer; a query pipelined after a transfer;
transfers from the transfer cache with EDNS.
Needs LANAD and LANA; dnspython (python3-dnspython) for the strict client."""

import os
import shutil
import socket
import struct
import subprocess
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
import dns.rcode  # noqa: E402
import dns.zone  # noqa: E402

LANA = os.environ.get("LANA", "lana")
HOSTS = 3000
WRITES = 200


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def query(name, qtype, qid):
    return struct.pack("!HHHHHH", qid, 0, 1, 0, 0, 0) + encode_name(name) + struct.pack("!HH", qtype, 1)


def frame(p):
    return struct.pack("!H", len(p)) + p


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def tcp_read(s):
    try:
        ln = recv_exact(s, 2)
        return None if ln is None else recv_exact(s, struct.unpack("!H", ln)[0])
    except (ConnectionResetError, socket.timeout):
        return None


def connect(port, src="127.0.0.1", rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(20)
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    return s


def norm(line):
    """One record of dig or zone file text, as comparable fields (owner ttl class type rdata)."""
    f = line.split()
    return " ".join([f[0].lower()] + f[1:])


def export(d, work, zone):
    out = subprocess.run([LANA, "--server", f"127.0.0.1:{d.registry_port}", "--token-file",
                          os.path.join(work, "admin.token"), "zone", "export", zone],
                         capture_output=True, text=True, timeout=60)
    return [norm(l) for l in out.stdout.splitlines() if l.strip() and not l.startswith("$")]


def dig_axfr(tool, port, zone):
    args = [tool, "@127.0.0.1", "-p", str(port), zone, "AXFR"]
    args += ["+nocmd", "+noall", "+answer"] if tool == "dig" else ["+noall", "+answer"]
    out = subprocess.run(args, capture_output=True, text=True, timeout=60)
    return [norm(l) for l in out.stdout.splitlines() if l.strip() and not l.startswith(";")]


def rr_set(recs):
    return sorted(recs)


def strict_axfr(port, zone, qid=0x4242, slow=False, pause=0.02, dnssec=None):
    """AXFR read message by message: (messages as dns.message objects, their sizes). With
    dnssec True or False the query has an OPT record with the DO bit so."""
    s = connect(port, rcvbuf=4096 if slow else None)
    q = dns.message.make_query(zone, dns.rdatatype.AXFR, use_edns=None if dnssec is None else 0,
                               want_dnssec=bool(dnssec))
    q.id = qid
    s.sendall(frame(q.to_wire()))
    msgs, sizes, soas = [], [], 0
    while soas < 2:
        w = tcp_read(s)
        if w is None:
            break
        sizes.append(len(w))
        m = dns.message.from_wire(w, xfr=True,
                                  one_rr_per_rrset=True)
        msgs.append(m)
        if m.rcode() != 0:
            break
        for rrset in m.answer:
            if rrset.rdtype == dns.rdatatype.SOA:
                soas += 1
        if slow:
            time.sleep(pause)
    s.close()
    return msgs, sizes


def records_of(msgs):
    out = []
    for m in msgs:
        for rrset in m.answer:
            for rd in rrset:
                out.append((rrset.name, rrset.ttl, rrset.rdtype, rd))
    return out


def uncompressed_size(msgs):
    """The bytes the same messages take with no name compression."""
    total = 0
    for m in msgs:
        total += 12 + sum(len(q.name.to_wire()) + 4 for q in m.question)
        for name, _ttl, _t, rd in records_of([m]):
            total += len(name.to_wire()) + 10 + len(rd.to_wire())
    return total


def setup(d):
    c = Line(d.registry_port, timeout=120)
    c.login(d.token)
    summary = c.batch("".join(f"host add student-host-{i:05d}.lab.\n" for i in range(HOSTS)))
    c.close()
    return summary


def test_clients(d, work):
    for zone in ("lab.", "198.in-addr.arpa."):
        exp = export(d, work, zone)
        got = dig_axfr("dig", d.dns_port, zone)
        check(f"dig AXFR {zone}: SOA first and last", len(got) > 2 and " SOA " in got[0] and
              got[0] == got[-1], str(got[:1] + got[-1:]))
        check(f"dig AXFR {zone}: every record of lana zone export ({len(exp)})",
              rr_set(got[:-1]) == rr_set(exp), f"{len(got)} vs {len(exp)}")
        if shutil.which("kdig"):
            kgot = dig_axfr("kdig", d.dns_port, zone)
            check(f"kdig AXFR {zone}: the same records", rr_set(kgot[:-1]) == rr_set(exp) and
                  kgot[0] == kgot[-1], f"{len(kgot)} vs {len(exp)}")


def test_strict(d, work):
    msgs, sizes = strict_axfr(d.dns_port, "lab.")
    check("dnspython: several messages, each at most 65535 bytes",
          len(msgs) >= 2 and all(n <= 65535 for n in sizes), str(sizes))
    check("dnspython: every message has the query's id, QR, AA and NOERROR",
          all(m.id == 0x4242 and m.flags & 0x8000 and m.flags & 0x0400 and m.rcode() == 0
              for m in msgs))
    recs = records_of(msgs)
    check("dnspython: SOA first, SOA last, once each",
          recs[0][2] == dns.rdatatype.SOA and recs[-1][2] == dns.rdatatype.SOA and
          sum(1 for r in recs if r[2] == dns.rdatatype.SOA) == 2 and recs[0][3] == recs[-1][3])
    exp = export(d, work, "lab.")
    check(f"dnspython: {len(exp)} records, as exported", len(recs) - 1 == len(exp),
          f"{len(recs) - 1} vs {len(exp)}")
    total, plain = sum(sizes), uncompressed_size(msgs)
    check(f"names are compressed ({total} bytes against {plain} uncompressed)",
          total < plain * 0.8)
    z = dns.zone.from_xfr(dns.query.xfr("127.0.0.1", "lab.", port=d.dns_port, timeout=20))
    n = sum(len(rds) for _n, node in z.nodes.items() for rds in node.rdatasets)
    check("dns.zone.from_xfr accepts the transfer", n == len(exp), f"{n} vs {len(exp)}")


def test_cached_edns(d):
    """Transfers of the same version come from the transfer cache, its messages written
    around the client's own header, question and OPT record: with EDNS (DO set and not) every
    message carries an OPT echoing DO, the records are those of a transfer without EDNS."""
    before = open(d.log).read().count("(from the transfer cache)")
    plain, _ = strict_axfr(d.dns_port, "lab.", qid=0x5151)
    for do in (True, False):
        msgs, sizes = strict_axfr(d.dns_port, "lab.", qid=0x5252, dnssec=do)
        check(f"a cached transfer with EDNS (DO {'set' if do else 'clear'}): every message has "
              "the id and one OPT record echoing DO",
              len(msgs) >= 2 and all(m.id == 0x5252 and m.opt is not None and
                                     bool(m.ednsflags & dns.flags.DO) == do for m in msgs),
              f"{len(msgs)} messages")
        check(f"... and the records of the transfer without EDNS ({len(records_of(plain))})",
              records_of(msgs) == records_of(plain) and len(msgs) == len(plain))
    time.sleep(0.2)
    after = open(d.log).read().count("(from the transfer cache)")
    check("those three transfers came from the transfer cache", after - before == 3,
          f"{after - before}")


def soa_serial_udp(port, zone="lab."):
    r = dns.query.udp(dns.message.make_query(zone, "SOA"), "127.0.0.1", port=port, timeout=2)
    return r.answer[0][0].serial


def test_snapshot(d):
    """Transfers while hosts are added one commit at a time: each holds exactly the hosts
    committed at its SOA's serial."""
    after = {soa_serial_udp(d.dns_port): 0}  # serial -> hosts of the run committed by then
    stop = threading.Event()

    def writer():
        c = Line(d.registry_port, timeout=60)
        c.login(d.token)
        for i in range(WRITES):
            c.send(f"host add run-{i:04d}.lab.")
            c.recv()
            after[soa_serial_udp(d.dns_port)] = i + 1
        c.close()
        stop.set()

    t = threading.Thread(target=writer)
    t.start()
    results = []
    deadline = time.monotonic() + 120
    while not stop.is_set() and time.monotonic() < deadline:
        msgs, _ = strict_axfr(d.dns_port, "lab.", slow=True)
        results.append((msgs, soa_serial_udp(d.dns_port)))
    t.join()
    good, spanned = 0, 0
    for msgs, serial_after in results:
        recs = records_of(msgs)
        first, last = recs[0][3], recs[-1][3]
        names = {r[0].to_text() for r in recs if r[0].to_text().startswith("run-")}
        types = {}
        for r in recs:
            if r[0].to_text().startswith("run-"):
                types.setdefault(r[0].to_text(), set()).add(r[2])
        k = after.get(first.serial)
        want = {f"run-{i:04d}.lab." for i in range(k)} if k is not None else None
        if (first == last and want == names and
                all(v == {dns.rdatatype.A, dns.rdatatype.AAAA} for v in types.values())):
            good += 1
        if serial_after != first.serial:
            spanned += 1
    check(f"{len(results)} transfers during {WRITES} commits: each is one serial's state",
          results and good == len(results), f"{good} of {len(results)}")
    check(f"commits landed while transfers ran ({spanned} transfers outlived their serial)",
          spanned > 0)


def test_access(d):
    s = connect(d.dns_port, src="127.0.0.2")
    s.sendall(frame(query("lab.", 252, 7)))
    w = tcp_read(s)
    s.close()
    check("AXFR from an address outside allow-transfer: REFUSED",
          w is not None and w[3] & 15 == 5 and w[7] == 0, repr(w[:12] if w else w))
    s = connect(d.dns_port)
    s.sendall(frame(query("nope.example.", 252, 8)) + frame(query("lab.", 251, 9)))
    w1, w2 = tcp_read(s), tcp_read(s)
    s.close()
    check("AXFR of a zone not served here: NOTAUTH", w1 is not None and w1[3] & 15 == 9)
    # an IXFR names the client's version with an SOA in the authority section (RFC 1995 §3);
    # without one there is nothing to answer from: FORMERR, the question echoed
    check("IXFR over TCP without the client's SOA: FORMERR",
          w2 is not None and w2[3] & 15 == 1, repr(w2[:12] if w2 else w2))
    qn = encode_name("lab.")
    check("IXFR over TCP: the question is IXFR", w2 is not None and w2[12:12 + len(qn)] == qn
          and w2[12 + len(qn):14 + len(qn)] == b"\x00\xfb")
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(2)
    u.sendto(query("lab.", 251, 11), ("127.0.0.1", d.dns_port))
    w = u.recv(65535)
    u.close()
    check("IXFR over UDP without the client's SOA: FORMERR", w[3] & 15 == 1)
    # the question comes back as the client wrote it, case included
    s = connect(d.dns_port)
    s.sendall(frame(query("LaB.", 252, 12)))
    w = tcp_read(s)
    s.close()
    qn = encode_name("LaB.")
    check("AXFR: the question as asked (its case)", w is not None and w[12:12 + len(qn)] == qn,
          repr(w[12:20] if w else w))
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(2)
    u.sendto(query("lab.", 252, 10), ("127.0.0.1", d.dns_port))
    w = u.recv(65535)
    u.close()
    check("AXFR over UDP: NOTIMP, no records (RFC 5936 §4.2, as NSD)",
          w[3] & 15 == 4 and struct.unpack("!H", w[6:8])[0] == 0, repr(w[:12]))


def test_leave_and_pipeline(d):
    s = connect(d.dns_port, rcvbuf=4096)
    s.sendall(frame(query("lab.", 252, 11)))
    first = tcp_read(s)
    s.close()
    check("a client that reads one message and leaves got a transfer's first message",
          first is not None and first[3] & 15 == 0)
    time.sleep(0.3)
    check("lanad keeps serving after it left", d.alive() and soa_serial_udp(d.dns_port) > 0)
    s = connect(d.dns_port)
    s.sendall(frame(query("lab.", 252, 21)) + frame(query("student-host-00001.lab.", 1, 22)))
    ids, soas, rest = [], 0, None
    while True:
        w = tcp_read(s)
        if w is None:
            break
        qid = struct.unpack("!H", w[:2])[0]
        if qid == 22:
            rest = w
            break
        ids.append(qid)
        m = dns.message.from_wire(w, xfr=True)
        soas += sum(1 for r in m.answer if r.rdtype == dns.rdatatype.SOA)
    s.close()
    check("a query pipelined after an AXFR is answered after the transfer's last message",
          ids and all(i == 21 for i in ids) and soas == 2 and rest is not None and
          rest[3] & 15 == 0 and struct.unpack("!H", rest[6:8])[0] == 1,
          f"{len(ids)} transfer messages, {soas} SOA, answer {rest is not None}")


def test_slow_reader(d):
    """A transfer read slowly for longer than tcp-idle-timeout (1 s here) is not idle."""
    t = time.monotonic()
    msgs, _ = strict_axfr(d.dns_port, "lab.", slow=True, pause=0.2)
    took = time.monotonic() - t
    recs = records_of(msgs)
    check(f"a transfer read over {took:.1f} s (idle timeout 1 s) completes",
          took > 2 and len(recs) > 2 and recs[-1][2] == dns.rdatatype.SOA and
          recs[0][3] == recs[-1][3], f"{len(recs)} records")


def test_built_at_start(work, args, last):
    """After a restart the transfer of every zone is built at start, once lanad answers: the
    first AXFR comes from the transfer cache and holds what the last one before the restart
    held. Without allow-transfer and without TSIG keys nothing is built."""
    seen = open(os.path.join(work, "lanad.log")).read().count("built at start")
    d = Daemon(work, *args)
    try:
        built = False
        for _ in range(250):  # 5 s at most
            built = open(d.log).read().count("built at start") > seen
            if built:
                break
            time.sleep(0.02)
        check("after a restart the transfer images are built at start (logged)", built)
        cached = open(d.log).read().count("(from the transfer cache)")
        first, _ = strict_axfr(d.dns_port, "lab.")
        time.sleep(0.2)
        check("the first AXFR after the restart comes from the transfer cache",
              open(d.log).read().count("(from the transfer cache)") == cached + 1)
        check("... with the records of the last transfer before it",
              records_of(first) == records_of(last) and len(records_of(first)) > HOSTS,
              f"{len(records_of(first))} vs {len(records_of(last))}")
    finally:
        d.stop()
    seen = open(os.path.join(work, "lanad.log")).read().count("built at start")
    d = Daemon(work, "--log-level", "info")
    try:
        time.sleep(1)
        check("without allow-transfer or a key nothing is built",
              open(d.log).read().count("built at start") == seen)
    finally:
        d.stop()


def main():
    work = tempfile.mkdtemp(prefix="lana-axfr.")
    args = ("--allow-transfer", "127.0.0.1/32 ::1/128", "--log-level", "info",
            "--tcp-idle-timeout", "1")
    d = Daemon(work, *args)
    try:
        summary = setup(d)
        check(f"{HOSTS} hosts registered", summary is not None and '"failed":0' in summary,
              str(summary))
        test_clients(d, work)
        test_strict(d, work)
        test_cached_edns(d)
        test_access(d)
        test_leave_and_pipeline(d)
        test_slow_reader(d)
        test_snapshot(d)
        log = open(d.log).read()
        check("each transfer is logged at notice (zone, client, records, messages, ms)",
              "notice: axfr lab. to 127.0.0.1:" in log and " message" in log and " ms" in log)
        check("each refusal is logged at info", "info: axfr lab. to 127.0.0.2:" in log and
              "refused" in log)
        check("lanad is still running", d.alive())
        last, _ = strict_axfr(d.dns_port, "lab.")
        d.stop()
        log = open(d.log).read()
        check("lanad stops cleanly (exit status 0, no sanitizer report)",
              d.proc.returncode == 0 and "Sanitizer" not in log and "runtime error" not in log,
              f"status {d.proc.returncode}")
        test_built_at_start(work, args, last)
    finally:
        d.stop()
        shutil.rmtree(work, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
