#!/usr/bin/env python3
"""Integration test: real Knot, BIND and NSD secondaries replicate lanad (tests/lib/
secondaries.py starts them on free loopback ports, each in a directory of its own).

Always: lanad serves lab., 198.in-addr.arpa. and 8.b.d.0.1.0.0.2.ip6.arpa. with a few hundred
hosts and some MX/TXT/SRV/CNAME records; each secondary transfers every zone, and what it
serves (read back by AXFR from it) equals lanad's AXFR record for record, at the same serial.
A change in lana then reaches each of them: the new serial and the new records.

By lanad's capabilities, probed at run time (each part prints a note when it is skipped):
- IXFR: lanad answers an IXFR with a difference sequence → the change reaches Knot and BIND
  by IXFR, as their logs say;
- NOTIFY: lanad's configuration has an also-notify key → the change arrives without any
  refresh asked of the secondaries (RFC 1996), and their logs show the NOTIFY;
- TSIG: `lana key` exists → every secondary transfers with one hmac-sha256 key, lanad
  without allow-transfer refuses an unsigned AXFR (RFC 8945);
- catalog: lanad serves catalog.lana.invalid. → Knot and BIND are given only the catalog
  zone (RFC 9432) and must find every zone from it; a zone added and deleted in lana
  appears on and disappears from both within 10 s.
Needs LANAD, LANA, dnspython, and knotd/named/nsd (tools/install-deps.sh); a missing server
is skipped with a note, all missing is a skip (77)."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from lanatest import Daemon, Line, check, finish  # noqa: E402

try:
    import secondaries as sec  # noqa: E402  (needs dnspython)
except ImportError:
    print("# python3-dnspython missing (tools/install-deps.sh installs it): skipped")
    sys.exit(77)

LANA = os.environ.get("LANA", "lana")
HOSTS = 300
WAIT = 30            # seconds any one wait may take
CATALOG = "catalog.lana.invalid."
# the lanad.conf key that lists the secondaries to NOTIFY (ADDR:PORT, repeatable)
NOTIFY_KEY = "also-notify"
JOURNAL = 5  # lanad's journal-serials here: a secondary 7 versions behind gets the whole zone
KEY_NAME = "lab-xfr."


def lana(d, work, *args, check_rc=True):
    r = subprocess.run([LANA, "--server", f"127.0.0.1:{d.registry_port}", "--token-file",
                        os.path.join(work, "admin.token"), *args],
                       capture_output=True, text=True, timeout=60)
    if check_rc and r.returncode != 0:
        print(f"#  lana {' '.join(args)}: exit {r.returncode}: {r.stderr.strip()}")
    return r


def zones_of(d, work):
    r = lana(d, work, "zone", "list", "--json")
    return sorted(z["name"] for z in json.loads(r.stdout)["zones"]) if r.returncode == 0 else []


def populate(d):
    """HOSTS hosts (A, AAAA and their PTRs) and a few other records, in one batch."""
    body = "".join(f"host add h{i:04d}.lab.\n" for i in range(HOSTS))
    body += ("record add lab. MX 10 h0000.lab.\n"
             "record add lab. TXT \"lab zone\" \"two strings\"\n"
             "record add www.lab. CNAME h0001.lab.\n"
             "service add http tcp --port 80\n"
             "service bind h0002.lab. http\n")
    c = Line(d.registry_port, timeout=120)
    c.login(d.token)
    summary = c.batch(body)
    c.close()
    return summary


# ---- capability probes (each returns a reason string when the capability is absent)
def probe_notify(lanad):
    """lanad has the also-notify key when its check mode knows it."""
    if sec.has_config_key(lanad, NOTIFY_KEY):
        return None
    return f"lanad has no {NOTIFY_KEY} key: NOTIFY checks skipped, refreshes asked by hand"


def probe_tsig(d, work):
    r = lana(d, work, "key", "list", check_rc=False)
    return None if r.returncode == 0 else "no `lana key`: TSIG checks skipped"


def probe_catalog(d):
    if sec.soa_serial(d.dns_port, CATALOG) is not None:
        return None
    return f"lanad serves no {CATALOG}: catalog checks skipped"


def probe_ixfr(d, work, key=None):
    """Makes a one-record change and asks IXFR from the serial before it: a difference
    sequence (RFC 1995 §4: the new SOA, then the old SOA) means lanad has a journal."""
    before = sec.soa_serial(d.dns_port, "lab.")
    lana(d, work, "record", "add", "ixfr-probe.lab.", "TXT", "probe")
    r = sec.ixfr(d.dns_port, "lab.", before, key=key)
    if r is None:
        return "IXFR probe: no answer or an error: IXFR checks skipped"
    if r["incremental"]:
        return None
    return "lanad answers IXFR with the whole zone: IXFR checks skipped"


def make_key(d, work):
    """A TSIG key made by lana (hmac-sha256) as a sec.Tsig, or None.
    Interface assumed: `lana key add NAME --algorithm ALG --json` prints the key's name,
    algorithm and base64 secret."""
    r = lana(d, work, "key", "add", KEY_NAME, "--algorithm", "hmac-sha256", "--json")
    if r.returncode != 0:
        return None
    try:
        k = json.loads(r.stdout.splitlines()[0])
        k = k.get("key", k)
        return sec.Tsig(k.get("name", KEY_NAME), k.get("algorithm", "hmac-sha256"), k["secret"])
    except (ValueError, KeyError, IndexError):
        print("#  lana key add: no secret in " + r.stdout[:200])
        return None


# ---- the checks
def same_zone(d, s, zone, key):
    """The secondary's copy of zone equals lanad's, record for record, at the same serial."""
    want, wserial = sec.axfr_records(d.dns_port, zone, key=key)
    got, gserial = s.records(zone)
    if want is None or got is None:
        return False, f"transfer failed (lanad: {want is not None}, {s.kind}: {got is not None})"
    if wserial != gserial or want != got:
        missing = sorted(set(want) - set(got))[:3]
        extra = sorted(set(got) - set(want))[:3]
        return False, (f"serial {gserial} vs lanad {wserial}; {len(got)} vs {len(want)} "
                       f"records; missing {missing}, extra {extra}")
    return True, f"{len(want)} records"


def check_replica(d, secs, zones, key, what):
    for s in secs:
        for z in zones:
            serial = sec.soa_serial(d.dns_port, z)
            got, ok = s.wait_serial(z, serial, WAIT)
            if not ok:
                check(f"{s.kind}: {z} at serial {serial} ({what})", False,
                      f"serial {got}\n{s.log_tail()}")
                continue
            ok, detail = same_zone(d, s, z, key)
            check(f"{s.kind}: {z} equals lanad's at serial {serial}: {detail} ({what})", ok,
                  detail + ("" if ok else "\n" + s.log_tail()))


def test_change(d, work, secs, zones, key, caps):
    """One host and one TXT record in lana; the secondaries get the new serials and data."""
    marks = {s.kind: s.mark() for s in secs}
    r = lana(d, work, "host", "add", "changed.lab.", "--v4", "198.18.200.1", "--v6", "none")
    lana(d, work, "record", "add", "note.lab.", "TXT", "changed")
    check("lana: a host and a record added", r.returncode == 0, r.stderr)
    rev = "198.in-addr.arpa."
    want = {z: sec.soa_serial(d.dns_port, z) for z in ("lab.", rev)}
    if caps["notify"] is not None:
        for s in secs:
            for z in want:
                s.refresh(z)
    for s in secs:
        for z, serial in want.items():
            if z not in zones:
                continue
            got, ok = s.wait_serial(z, serial, WAIT)
            how = "by NOTIFY, no refresh asked" if caps["notify"] is None else "after a refresh"
            check(f"{s.kind}: {z} reaches serial {serial} {how}", ok,
                  f"serial {got}\n{s.log_tail()}")
        a = s.query("changed.lab.", "A")
        check(f"{s.kind}: serves the new host's A", a and "198.18.200.1" in a[0], f"{a}")
        p = s.query("1.200.18.198.in-addr.arpa.", "PTR")
        check(f"{s.kind}: serves its PTR", p and "changed.lab." in p[0], f"{p}")
        t = s.query("note.lab.", "TXT")
        check(f"{s.kind}: serves the new TXT", t and '"changed"' in t[0], f"{t}")
        if caps["notify"] is None:
            n = s.notifies("lab.", marks[s.kind])
            check(f"{s.kind}: its log shows lanad's NOTIFY for lab.", n > 0, s.log_tail())
        if caps["ixfr"] is None and s.kind in ("knot", "bind"):
            kinds = s.transfers("lab.", marks[s.kind])
            check(f"{s.kind}: lab. came by IXFR, as its log says ({kinds})",
                  kinds and set(kinds) == {"IXFR"}, s.log_tail())
    check_replica(d, secs, [z for z in want if z in zones], key, "after the change")


def test_far_behind(d, work, s):
    """A secondary stopped while lab. changes more often than the journal keeps (lanad runs
    with journal-serials JOURNAL): back, it asks IXFR from a serial lanad no longer has and
    gets the whole zone, which its log shows as AXFR; then it equals lanad's zone."""
    old = s.serial("lab.")
    since = os.path.getsize(d.log)
    s.stop()
    for i in range(JOURNAL + 2):
        r = lana(d, work, "record", "add", f"far-{i}.lab.", "TXT", "while-away")
        if r.returncode != 0:
            check("lana: the changes while the secondary is away", False, r.stderr)
            return
    want = sec.soa_serial(d.dns_port, "lab.")
    mark = s.mark()
    s.start()
    s.refresh("lab.")
    got, ok = s.wait_serial("lab.", want, WAIT)
    check(f"{s.kind} far behind (serial {old}, {JOURNAL + 2} versions older): back at "
          f"serial {want}", ok, f"serial {got}\n{s.log_tail()}")
    kinds = s.transfers("lab.", mark)
    check(f"{s.kind} far behind: lab. came whole, as its log says ({kinds})",
          kinds == ["AXFR"], s.log_tail())
    # Knot asks IXFR from the serial it kept (lanad answers whole and logs why), or AXFR when
    # it did not keep the zone over the restart
    with open(d.log) as f:
        f.seek(since)
        log = f.read()
    told = re.search(r"ixfr lab\. to \S+ \(whole zone: serial \d+ is not in the journal", log)
    plain = re.search(r"axfr lab\. to ", log)
    check("lanad's log: lab. went whole to it (an IXFR from a serial no longer in the journal "
          f"{'here' if told else 'not asked'}, or an AXFR {'here' if plain else 'not asked'})",
          told is not None or plain is not None)
    check_replica(d, [s], ["lab."], s.key, "after coming back far behind")


def test_catalog(d, work, secs):
    """A zone added in lana appears on both consumers, and disappears when deleted."""
    zone = "newzone.lab."
    t0 = time.monotonic()
    r = lana(d, work, "zone", "add", zone)
    check(f"lana zone add {zone}", r.returncode == 0, r.stderr)
    for s in secs:
        serial = sec.soa_serial(d.dns_port, zone)
        got, ok = s.wait_serial(zone, serial, 10)
        check(f"{s.kind}: serves {zone} from the catalog within 10 s "
              f"({time.monotonic() - t0:.1f} s)", ok, f"serial {got}\n{s.log_tail()}")
    r = lana(d, work, "zone", "del", zone)
    check(f"lana zone del {zone}", r.returncode == 0, r.stderr)
    t0 = time.monotonic()
    for s in secs:
        gone = s.wait_gone(zone, 10)
        check(f"{s.kind}: drops {zone} within 10 s of zone del "
              f"({time.monotonic() - t0:.1f} s)", gone, s.log_tail())


def test_tsig_refusals(d, key):
    want, _ = sec.axfr_records(d.dns_port, "lab.")
    check("TSIG: an unsigned AXFR from lanad is refused", want is None)
    bad = sec.Tsig(key.name, key.algorithm, sec._b64_secret())
    got, _ = sec.axfr_records(d.dns_port, "lab.", key=bad)
    check("TSIG: an AXFR signed with a wrong secret is refused", got is None)


def main():
    lanad = os.environ.get("LANAD", "lanad")
    if not os.path.exists(lanad) and shutil.which(lanad) is None:
        print("# LANAD not found: skipped")
        return 77
    work = tempfile.mkdtemp(prefix="lana-secondaries.")
    kinds = [k for k in ("knot", "bind", "nsd") if sec.find_program(sec.KINDS[k].program)]
    for k in ("knot", "bind", "nsd"):
        if k not in kinds:
            print(f"# {sec.KINDS[k].program} not installed (tools/install-deps.sh): "
                  f"{k} skipped")
    if not kinds:
        shutil.rmtree(work, ignore_errors=True)
        return 77
    # the secondaries' ports first: lanad may have to NOTIFY them
    ports = {k: sec.free_port() for k in kinds}
    caps = {"notify": probe_notify(lanad)}
    args = ["--pool", "198.18.0.0/15", "--pool", "2001:db8::/32", "--log-level", "info",
            "--journal-serials", str(JOURNAL)]
    if caps["notify"] is None:
        for k in kinds:
            args += [f"--{NOTIFY_KEY}", f"127.0.0.1:{ports[k]}"]
    # allow-transfer by address, unless TSIG is there to be tested (set after the probe)
    d = Daemon(work, *args, "--allow-transfer", "127.0.0.1/32 ::1/128")
    secs = []
    try:
        caps["tsig"] = probe_tsig(d, work)
        key = make_key(d, work) if caps["tsig"] is None else None
        if caps["tsig"] is None and key is None:
            caps["tsig"] = "lana key add gave no usable key: TSIG checks skipped"
        if key is not None:
            # again without allow-transfer: only the key opens transfers now, and it signs
            # the NOTIFYs, which Knot and NSD then accept only signed
            d.stop()
            if caps["notify"] is None:
                args += ["--notify-key", key.name]
            d = Daemon(work, *args)
        summary = populate(d)
        check(f"{HOSTS} hosts and other records registered",
              summary is not None and '"failed":0' in summary, str(summary))
        caps["catalog"] = probe_catalog(d)
        caps["ixfr"] = probe_ixfr(d, work, key)
        for name, why in caps.items():
            print(f"# {name}: " + ("on" if why is None else why))
        zones = zones_of(d, work)
        check("lanad serves lab. and two reverse zones", "lab." in zones and
              "198.in-addr.arpa." in zones and "8.b.d.0.1.0.0.2.ip6.arpa." in zones, str(zones))
        if caps["catalog"] is None:
            zones = [z for z in zones if z != CATALOG]
        for k in kinds:
            consumer = caps["catalog"] is None and k in ("knot", "bind")
            s = sec.KINDS[k](work, d.dns_port, zones=[] if consumer else zones, key=key,
                             catalog=CATALOG if consumer else None, port=ports[k])
            try:
                s.start()
                secs.append(s)
            except sec.SecondaryError as e:
                check(f"{k} starts as a secondary of lanad", False, str(e))
        check_replica(d, secs, zones, key, "first transfer")
        if key is not None:
            test_tsig_refusals(d, key)
        test_change(d, work, secs, zones, key, caps)
        knot = [s for s in secs if s.kind == "knot"]
        if caps["ixfr"] is None and knot:
            test_far_behind(d, work, knot[0])
        if caps["catalog"] is None:
            test_catalog(d, work, [s for s in secs if s.kind in ("knot", "bind")])
        for s in secs:
            check(f"{s.kind} is still running", s.alive(), s.log_tail())
        check("lanad is still running", d.alive())
    finally:
        for s in secs:
            s.stop()
        d.stop()
    log = open(d.log).read()
    check("lanad stops cleanly (status 0, no sanitizer report)",
          d.proc.returncode == 0 and "Sanitizer" not in log and "runtime error" not in log,
          f"status {d.proc.returncode}")
    rc = finish()
    if rc == 0:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"# kept for inspection: {work}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
