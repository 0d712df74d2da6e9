#!/usr/bin/env python3
"""Integration test of NOTIFY (RFC 1996) and of what lanad knows of its secondaries: a
NOTIFY reaches an also-notify target within a second of a change, with the zone and the new
SOA serial; unanswered it is sent again with growing gaps a bounded number of times, answered
it stops; per-zone targets (lana zone notify); a commit by another process (lanad zone
import) is announced too; an inbound NOTIFY is answered as a primary does; lana zone
secondaries shows the answered NOTIFY, an SOA query and an AXFR with its serial; bad targets
are refused. Needs LANAD and LANA; dnspython (python3-dnspython) and dig."""

import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from lanatest import Daemon, check, finish, need_dnspython  # noqa: E402

need_dnspython()
import dns.flags  # noqa: E402
import dns.message  # noqa: E402
import dns.opcode  # noqa: E402
import dns.rcode  # noqa: E402
import dns.rdatatype  # noqa: E402

LANA = os.environ.get("LANA", "lana")
LANAD = os.environ.get("LANAD", "lanad")
TRIES = 5  # server/notifier.h NOTIFIER_TRIES
SO_TIMESTAMP = getattr(socket, "SO_TIMESTAMP", 29)  # Linux's number, when Python lacks the name


def udp_socket():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMP, 1)  # the kernel's arrival times
    s.bind(("127.0.0.1", 0))
    return s


def receive(s, timeout):
    """One NOTIFY message read from s within timeout seconds: (message, sender, arrival: the
    kernel's wall-clock time, so that a test busy elsewhere does not skew it), or None."""
    s.settimeout(max(timeout, 0.001))
    try:
        data, anc, _, peer = s.recvmsg(4096, socket.CMSG_SPACE(16))
    except socket.timeout:
        return None
    at = time.time()
    for level, kind, raw in anc:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMP and len(raw) >= 16:
            sec, usec = struct.unpack("qq", raw[:16])
            at = sec + usec / 1e6
    return dns.message.from_wire(data), peer, at


def drain(s, quiet):
    """Every message s receives until none came for quiet seconds (bounded: 50 at most)."""
    got = []
    for _ in range(50):
        m = receive(s, quiet)
        if m is None:
            break
        got.append(m)
    return got


def answer(s, m, peer):
    r = dns.message.make_response(m[0] if isinstance(m, tuple) else m)
    s.sendto(r.to_wire(), peer)


def soa_serial_of(m):
    for rrset in m.answer:
        if rrset.rdtype == dns.rdatatype.SOA:
            return rrset[0].serial
    return None


def main():
    work = tempfile.mkdtemp(prefix="lana-notify-")
    d = None
    also = udp_socket()
    own = udp_socket()
    also_port = also.getsockname()[1]
    own_port = own.getsockname()[1]

    def lana(*args, json_out=False):
        cmd = [LANA, "--server", f"127.0.0.1:{d.registry_port}", "--token-file",
               os.path.join(work, "admin.token")] + (["--json"] if json_out else []) + list(args)
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60)

    def change(name):
        """A one-record change of lab. alone."""
        return lana("record", "add", f"{name}.lab.", "TXT", "x")

    def serial(zone):
        out = lana("zone", "show", zone, json_out=True)
        return json.loads(out.stdout)["zone"]["serial"]

    try:
        # bad also-notify values stop the start with a clear message
        conf = os.path.join(work, "bad.conf")
        with open(conf, "w") as f:
            f.write("also-notify = 127.0.0.1:0\n")
        r = subprocess.run([LANAD, "-c", conf, "--db", os.path.join(work, "x.db"), "-n"],
                           capture_output=True, text=True, timeout=30)
        check("also-notify with port 0 in the config file: exit 78 with file:line",
              r.returncode == 78 and "bad.conf:1" in r.stderr and "port 0" in r.stderr,
              f"{r.returncode} {r.stderr!r}")
        r = subprocess.run([LANAD, "--db", os.path.join(work, "x.db"), "--also-notify",
                            "not-an-address", "-n"], capture_output=True, text=True, timeout=30)
        check("also-notify that is no address on the command line: refused, named",
              r.returncode != 0 and "also-notify" in r.stderr and "not-an-address" in r.stderr,
              f"{r.returncode} {r.stderr!r}")
        check("nothing was created by the refused starts",
              not os.path.exists(os.path.join(work, "x.db")))

        # no catalog zone here: its NOTIFY at every zone added would mix with the ones counted
        d = Daemon(work, "--also-notify", f"127.0.0.1:{also_port}", "--allow-transfer",
                   "127.0.0.0/8", "--log-level", "info", "--catalog-zone", "none")
        check("zone add other.", lana("zone", "add", "other.").returncode == 0)
        time.sleep(0.3)
        check("a new zone is not announced", drain(also, 0.3) == [])

        # 1. a change reaches the also-notify target within a second
        t0 = time.time()
        r = change("t1")
        t1 = time.time()
        check("record add t1.lab. TXT", r.returncode == 0, r.stderr)
        first = receive(also, 2.0)
        check("a NOTIFY arrives", first is not None)
        if first is None:
            return
        m, peer, at = first
        check("it arrives within 1 s of the change", at - t1 < 1.0, f"{at - t0:.3f} s")
        check("opcode NOTIFY, AA set, QR clear",
              m.opcode() == dns.opcode.NOTIFY and m.flags & dns.flags.AA and
              not m.flags & dns.flags.QR, str(m))
        check("question lab. SOA IN",
              len(m.question) == 1 and str(m.question[0].name) == "lab." and
              m.question[0].rdtype == dns.rdatatype.SOA, str(m.question))
        s1 = serial("lab.")
        check("the answer section holds the new SOA serial", soa_serial_of(m) == s1,
              f"{soa_serial_of(m)} != {s1}")

        # 2. unanswered: sent again with growing gaps, a bounded number of times
        rest = drain(also, 3.5)
        sends = [first] + rest
        ids = {x[0].id for x in sends}
        times = [x[2] for x in sends]
        gaps = [round(b - a, 3) for a, b in zip(times, times[1:])]
        check(f"unanswered, it is sent {TRIES} times in all", len(sends) == TRIES,
              f"{len(sends)} sends, gaps {gaps}")
        check("every retry has the same ID and serial",
              len(ids) == 1 and all(soa_serial_of(x[0]) == s1 for x in sends))
        check("the gaps grow (about 0.25, 0.5, 1, 2 s)",
              len(gaps) == TRIES - 1 and all(b > a * 1.5 for a, b in zip(gaps, gaps[1:])) and
              0.15 < gaps[0] < 0.6, f"{gaps}")
        check("then it stops", receive(also, 2.5) is None)
        log = open(d.log).read()
        check("the give-up is logged", "no answer after 5 tries" in log and "given up" in log)

        # 3. answered: no more retries
        change("t2")
        got = receive(also, 2.0)
        check("the next change is announced", got is not None)
        if got is not None:
            answer(also, got[0], got[1])
            later = drain(also, 1.0)
            check("answered at once, it is not sent again", later == [], f"{len(later)} more")
            time.sleep(0.1)
            check("the answer is logged", "answered after 1 try" in open(d.log).read())

        # 4. per-zone targets
        r = lana("zone", "notify", "add", "lab.", f"127.0.0.1:{own_port}")
        check("zone notify add lab. 127.0.0.1:PORT", r.returncode == 0 and
              f"127.0.0.1:{own_port}" in r.stdout, r.stdout + r.stderr)
        r = lana("zone", "notify", "add", "lab.", f"127.0.0.1:{own_port}")
        check("the same target twice: conflict", r.returncode != 0 and "already" in r.stderr,
              r.stderr)
        r = lana("zone", "notify", "list", "lab.", json_out=True)
        targets = json.loads(r.stdout).get("targets", []) if r.returncode == 0 else []
        check("zone notify list shows it",
              [t["target"] for t in targets] == [f"127.0.0.1:{own_port}"], r.stdout)
        for bad, why in (("999.1.2.3", "bad address"), ("127.0.0.1:99999", "port"),
                         ("0.0.0.0", "unspecified"), ("224.0.0.1", "multicast")):
            r = lana("zone", "notify", "add", "lab.", bad)
            check(f"zone notify add lab. {bad}: refused ({why})",
                  r.returncode != 0 and bad.split(":")[0] in r.stderr, r.stderr)
        r = lana("zone", "notify", "add", "nosuch.", "127.0.0.1")
        check("zone notify add for a zone that does not exist: not found",
              r.returncode != 0 and "nosuch" in r.stderr, r.stderr)
        r = lana("zone", "notify", "list", "lab.", json_out=True)
        check("the refused ones changed nothing", len(json.loads(r.stdout)["targets"]) == 1)
        change("t3")
        s3 = serial("lab.")
        a = receive(also, 2.0)
        o = receive(own, 2.0)
        check("also-notify and the zone's own target are both notified",
              a is not None and o is not None and soa_serial_of(o[0]) == s3)
        for x, s in ((a, also), (o, own)):
            if x is not None:
                answer(s, x[0], x[1])
        r = lana("zone", "notify", "del", "lab.", f"127.0.0.1:{own_port}")
        check("zone notify del", r.returncode == 0, r.stderr)
        drain(also, 0.3)
        drain(own, 0.1)
        change("t4")
        a = receive(also, 2.0)
        if a is not None:
            answer(also, a[0], a[1])
        check("a deleted target is not notified any more", receive(own, 1.0) is None)

        # 5. a commit by another process (lanad zone import) is announced too
        text = lana("zone", "export", "lab.").stdout
        s5 = serial("lab.") + 10
        lines = []
        for line in text.splitlines():
            f = line.split()
            if len(f) > 6 and "SOA" in f:
                i = f.index("SOA")
                f[i + 3] = str(s5)
                line = " ".join(f)
            lines.append(line)
        zf = os.path.join(work, "lab.zone")
        with open(zf, "w") as f:
            f.write("\n".join(lines) + "\n")
        drain(also, 0.2)
        r = subprocess.run([LANAD, "--db", os.path.join(work, "lana.db"), "zone", "import", zf],
                           capture_output=True, text=True, timeout=60)
        t1 = time.time()
        check("lanad zone import of lab. with a higher serial", r.returncode == 0, r.stderr)
        got = receive(also, 2.0)
        check("the import is announced within a second, with its serial",
              got is not None and got[2] - t1 < 1.0 and soa_serial_of(got[0]) == s5,
              "none" if got is None else f"{got[2] - t1:.3f} s serial {soa_serial_of(got[0])}")
        if got is not None:
            answer(also, got[0], got[1])

        # 6. an inbound NOTIFY is answered as a primary does
        dnsq = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        dnsq.settimeout(3)
        for zone, rcode in (("lab.", dns.rcode.NOERROR), ("nosuch.example.", dns.rcode.NOTAUTH)):
            q = dns.message.make_query(zone, "SOA")
            q.set_opcode(dns.opcode.NOTIFY)
            q.flags |= dns.flags.AA
            q.flags &= ~dns.flags.RD
            dnsq.sendto(q.to_wire(), ("127.0.0.1", d.dns_port))
            try:
                resp = dns.message.from_wire(dnsq.recv(4096))
            except socket.timeout:
                resp = None
            check(f"inbound NOTIFY {zone}: {dns.rcode.to_text(rcode)}",
                  resp is not None and resp.rcode() == rcode and resp.id == q.id and
                  resp.opcode() == dns.opcode.NOTIFY and resp.flags & dns.flags.QR,
                  str(resp))
            if rcode == dns.rcode.NOERROR and resp is not None:
                check("its answer: AA, the question echoed",
                      resp.flags & dns.flags.AA and resp.question == q.question, str(resp))
        dnsq.close()
        time.sleep(0.1)
        check("the inbound NOTIFY is logged", "NOTIFY lab.: answered" in open(d.log).read())

        # 7. lana zone secondaries: NOTIFY answered, SOA query, transfer and serial
        r = subprocess.run(["dig", "@127.0.0.1", "-p", str(d.dns_port), "lab.", "SOA", "+short"],
                           capture_output=True, text=True, timeout=30)
        check("dig SOA lab.", r.returncode == 0 and r.stdout.strip() != "", r.stderr)
        r = subprocess.run(["dig", "@127.0.0.1", "-p", str(d.dns_port), "lab.", "AXFR",
                            "+noall", "+answer"], capture_output=True, text=True, timeout=60)
        check("dig AXFR lab. from 127.0.0.1", r.returncode == 0 and "SOA" in r.stdout, r.stderr)
        time.sleep(0.2)
        final = serial("lab.")
        r = lana("zone", "secondaries", "lab.", json_out=True)
        rows = json.loads(r.stdout).get("secondaries", []) if r.returncode == 0 else []
        row = next((x for x in rows if x["address"] == "127.0.0.1"), None)
        check("zone secondaries lab. lists 127.0.0.1", row is not None, r.stdout)
        if row is not None:
            ans = row["notify"].get("answered")
            check("the NOTIFY answered, with its serial",
                  ans is not None and ans["serial"] == s5 and ans["tries"] == 1, str(row))
            check("an also-notify target, with its port",
                  row["notify_target"] and row["notify_port"] == also_port, str(row))
            check("the SOA query seen", isinstance(row["soa_query_ms"], int), str(row))
            x = row["transfer"]
            check("the transfer: axfr, its serial and bytes",
                  x is not None and x["kind"] == "axfr" and x["serial"] == final and
                  x["bytes"] > 0, str(row))
            check("the serial the secondary has", row["serial"] == final, str(row))
        r = lana("zone", "secondaries")
        check("zone secondaries as text: the transfer line",
              r.returncode == 0 and f"axfr serial {final}" in r.stdout and
              "notify answered: serial" in r.stdout, r.stdout)
        r = lana("zone", "show", "lab.", json_out=True)
        shown = json.loads(r.stdout).get("secondaries", []) if r.returncode == 0 else []
        check("zone show includes the secondaries",
              any(x["address"] == "127.0.0.1" and x["serial"] == final for x in shown), r.stdout)
        r = lana("zone", "secondaries", "nosuch.")
        check("zone secondaries of a zone that does not exist: not found", r.returncode != 0,
              r.stdout)
        check("lanad is still running", d.alive())
    finally:
        if d is not None:
            d.stop()
        also.close()
        own.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
    sys.exit(finish())
