#!/usr/bin/env python3
"""Integration test of the AXFR of a new version built from the previous version's cached
messages and the journal (server/xfrpatch.h): a zone of 3,000 hosts is transferred once
(the whole build, cached), then changed round after round at random — hosts added, deleted
and renamed, records added and deleted at names in the first, a middle and the last message,
a name given so many records that its message outgrows 16 KiB and splits, and one change
spread over more than a quarter of the messages (the whole zone is read again then). After
each round an AXFR is read message by message by dnspython (strict) and by a walk of our own
over every compression pointer; its records must be exactly the zone's (`lana zone export`),
the SOA of the new serial first and last, and lanad's log must say the transfer was built
from the earlier version (or why not). At the end lanad restarts with an empty cache: its
whole build of the last version has the same records as the last built from an earlier one.
Needs LANAD and LANA; dnspython (python3-dnspython)."""

import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "lib"))
sys.path.insert(0, here)
from lanatest import Daemon, Line, check, finish, need_dnspython  # noqa: E402

need_dnspython()
import dns.message  # noqa: E402
import dns.rdatatype  # noqa: E402
import dns.zone  # noqa: E402
from xfrcomp import key, raw_axfr, records, walk  # noqa: E402

LANA = os.environ.get("LANA", "lana")
HOSTS = 3000
ROUNDS = 24
BUILT = re.compile(r"axfr lab\. to \S+ \(built from version (\d+): (\d+) of (\d+) messages")
WHOLE = re.compile(r"axfr lab\. to \S+: the whole zone is read \(from version \d+: ([^)]*)\)")


def export(d, work):
    out = subprocess.run([LANA, "--server", f"127.0.0.1:{d.registry_port}", "--token-file",
                          os.path.join(work, "admin.token"), "zone", "export", "lab."],
                         capture_output=True, text=True, timeout=60)
    z = dns.zone.from_text(out.stdout, origin="lab.", relativize=False, check_origin=False)
    return sorted(key(r) + (r[1],) for r in
                  ((n, rds.ttl, rds.rdtype, rd) for n, node in z.nodes.items()
                   for rds in node.rdatasets for rd in rds) if r[2] != dns.rdatatype.SOA)


def soa_serial(msgs):
    m = dns.message.from_wire(msgs[0], xfr=True, one_rr_per_rrset=True)
    return m.answer[0][0].serial


def verify(label, msgs, want):
    """The transfer's messages against the zone's records: each message valid, the SOA first
    and last, the records exactly want. Returns the records (owner, ttl, type, rdata)."""
    try:
        got = records(msgs)  # dnspython, strict: raises on any malformed message
    except Exception as e:  # noqa: BLE001
        check(f"{label}: every message parses", False, repr(e))
        return []
    problems = [p for w in msgs for p in walk(w)]
    check(f"{label}: {len(msgs)} messages, each at most 16 KiB, every pointer backwards onto "
          "a label start", msgs and all(len(w) <= 16384 for w in msgs) and not problems,
          "; ".join(problems[:3]))
    soa_ok = (got and got[0][2] == dns.rdatatype.SOA and got[-1][2] == dns.rdatatype.SOA and
              got[0][3] == got[-1][3] and
              sum(1 for r in got if r[2] == dns.rdatatype.SOA) == 2)
    check(f"{label}: the new SOA first and last", soa_ok)
    body = sorted(key(r) + (r[1],) for r in got[1:-1])
    check(f"{label}: the records are exactly the zone's ({len(want)})", body == want,
          f"got {len(body)}: {sorted(set(body) - set(want))[:2]} missing "
          f"{sorted(set(want) - set(body))[:2]}")
    return got


def log_since(d, pos):
    with open(d.log, errors="replace") as f:
        f.seek(pos)
        return f.read()


def owner_message(msgs, name):
    """The index of the first message holding a record of name, or None."""
    for i, w in enumerate(msgs):
        m = dns.message.from_wire(w, xfr=True, one_rr_per_rrset=True)
        if any(r.name.to_text() == name for r in m.answer):
            return i
    return None


def main():
    work = tempfile.mkdtemp(prefix="lana-xfrpatch.")
    rng = random.Random(20261202)
    d = Daemon(work, "--allow-transfer", "127.0.0.1/32", "--transfer-cache", "64",
               "--log-level", "info")
    try:
        c = Line(d.registry_port, timeout=120)
        c.login(d.token)
        summary = c.batch("".join(f"host add h{i:05d}.lab.\n" for i in range(HOSTS)))
        check("3,000 hosts registered", summary is not None and '"failed":0' in summary,
              str(summary)[:200])
        first = raw_axfr(d.dns_port)
        verify("the first transfer (whole build)", first, export(d, work))
        n0 = len(first)
        check(f"the zone takes many messages ({n0})", n0 >= 8)
        hosts = [f"h{i:05d}.lab." for i in range(HOSTS)]
        txts = []  # (name, value) added by the rounds
        seen = set()  # the kinds of change of the rounds built from the earlier version
        built = whole = 0
        prev = first
        split_round, spread_round = 8, 16
        for rnd in range(ROUNDS):
            pos = os.path.getsize(d.log)
            ops, kinds = [], set()
            if rnd == split_round:  # ~12 KiB at one name in the middle: its message splits
                mid = hosts[len(hosts) // 2]
                big = [f"big{j:02d}-" + "x" * 200 for j in range(60)]
                ops += [f"record add {mid} TXT {v}" for v in big]
                txts += [(mid, v) for v in big]
            elif rnd == spread_round:  # one record next to every 100th host: many messages
                for j, h in enumerate(hosts[::100]):
                    ops.append(f"record add {h} TXT spread{j}")
                    txts.append((h, f"spread{j}"))
            else:
                for j in range(rng.randint(1, 4)):
                    what = rng.choice(["first", "apex", "middle", "last", "del", "rename",
                                       "deltxt"])
                    tag = f"{rnd}x{j}"
                    kinds.add(what)
                    if what == "first":  # sorts before every host: the first message
                        ops.append(f"record add 0a{tag}.lab. TXT first{tag}")
                        txts.append((f"0a{tag}.lab.", f"first{tag}"))
                    elif what == "apex":
                        ops.append(f"record add lab. TXT apex{tag}")
                        txts.append(("lab.", f"apex{tag}"))
                    elif what == "middle":
                        h = f"{rng.choice(hosts[1000:2000])[:-5]}m{tag}.lab."
                        ops.append(f"host add {h}")
                        hosts.append(h)
                    elif what == "last":  # sorts after every host: the last message
                        ops.append(f"record add zz{tag}.lab. TXT last{tag}")
                        txts.append((f"zz{tag}.lab.", f"last{tag}"))
                    elif what == "del":
                        h = hosts.pop(rng.randrange(len(hosts)))
                        ops.append(f"host del {h}")
                        txts = [t for t in txts if t[0] != h]
                    elif what == "rename":
                        h = hosts.pop(rng.randrange(len(hosts)))
                        new = f"r{tag}.lab."
                        ops.append(f"host rename {h} {new}")
                        hosts.append(new)
                        txts = [t for t in txts if t[0] != h]
                    elif what == "deltxt" and txts:
                        name, v = txts.pop(rng.randrange(len(txts)))
                        ops.append(f"record del {name} TXT {v}")
            hosts.sort()
            for op in ops if len(ops) < 20 else []:
                c.send(op)
                reply = c.recv()
                check(f"round {rnd}: {op[:60]}", reply is not None and '"ok":true' in reply,
                      str(reply)[:200])
            if len(ops) >= 20:
                summary = c.batch("".join(op + "\n" for op in ops))
                check(f"round {rnd}: a batch of {len(ops)} changes",
                      summary is not None and '"failed":0' in summary, str(summary)[:200])
            msgs = raw_axfr(d.dns_port)
            got = verify(f"round {rnd}", msgs, export(d, work))
            log = log_since(d, pos)
            b, w = BUILT.search(log), WHOLE.search(log)
            if rnd == spread_round:
                check(f"round {rnd}: a change over many messages reads the whole zone",
                      w is not None and "quarter" in w.group(1) and b is None, log[-400:])
                whole += 1
            else:
                check(f"round {rnd}: built from the earlier version", b is not None and w is None,
                      log[-400:])
                built += b is not None
            if b is not None:
                check(f"round {rnd}: most messages copied ({b.group(2)} of {b.group(3)} "
                      "encoded anew)", int(b.group(3)) == len(msgs) and
                      int(b.group(2)) * 4 <= len(msgs) + 8)
                seen |= kinds
            if rnd == split_round:
                mid = hosts[len(hosts) // 2]
                i = owner_message(prev, mid)
                check(f"round {rnd}: the message that grew split ({len(prev)} -> {len(msgs)} "
                      "messages)", len(msgs) > len(prev) and i is not None and
                      b is not None and int(b.group(2)) >= 3, b.group(0) if b else "")
            check(f"round {rnd}: the SOA is the new serial",
                  soa_serial(msgs) > soa_serial(prev), f"{soa_serial(prev)} -> {soa_serial(msgs)}")
            prev = msgs
        check(f"{built} transfers built from the earlier version, {whole} from the database",
              built == ROUNDS - 1 and whole == 1)
        check("changes at names in the first, a middle and the last message",
              {"first", "apex", "middle", "last", "del", "rename", "deltxt"} <= seen, str(seen))
        # one name changed again and again: its stretch is re-spread, not split each time
        counts = []
        for j in range(8):
            c.send(f"record add {hosts[len(hosts) // 3]} TXT again{j}")
            reply = c.recv()
            check(f"again {j}: a record added", reply is not None and '"ok":true' in reply)
            prev = raw_axfr(d.dns_port)
            counts.append(len(prev))
        check(f"the same name changed 8 times: the messages do not multiply ({counts})",
              counts[-1] <= counts[0] + 1)
        verify("after the changes at one name", prev, export(d, work))
        c.close()
    finally:
        d.stop()
    # the whole build of the last version, from a lanad with an empty cache
    d = Daemon(work, "--allow-transfer", "127.0.0.1/32", "--log-level", "info")
    try:
        fresh = raw_axfr(d.dns_port)
        want = sorted(key(r) + (r[1],) for r in records(fresh)[1:-1])
        verify("the whole build after a restart", fresh, want)
        check("the last version built from the earlier one has the records of a whole build",
              sorted(key(r) + (r[1],) for r in records(prev)[1:-1]) == want and
              records(prev)[0] == records(fresh)[0])
    finally:
        d.stop()
        log = open(d.log, errors="replace").read()
        check("lanad stops cleanly", d.proc.returncode == 0 and "Sanitizer" not in log and
              "runtime error" not in log)
        shutil.rmtree(work, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
