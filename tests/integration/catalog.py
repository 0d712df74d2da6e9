#!/usr/bin/env python3
"""Integration test of the catalog zone (RFC 9432, version 2) lanad keeps: zones added and
deleted with lana; the catalog read by AXFR with dnspython and checked against the RFC
(version TXT "2", NS invalid., one PTR per served zone at labels never reused); the catalog as
a zone file through kzonecheck and named-checkzone; hand changes refused; then real
consumers, Knot (catalog-role: interpret) and BIND (catalog-zones), as secondaries of lanad
on loopback: a zone added in lana is served by each within 10 s, a deleted one goes.
Needs LANAD and LANA; dnspython; knotd/knotc/kzonecheck (knot, knot-dnssecutils) and
named/named-checkzone (bind9, bind9-utils) on PATH, each part skipped with a reason without."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from lanatest import Daemon, check, finish, need_dnspython  # noqa: E402
from secondaries import find_program  # noqa: E402

need_dnspython()
import dns.message  # noqa: E402
import dns.name  # noqa: E402
import dns.query  # noqa: E402
import dns.rcode  # noqa: E402
import dns.rdatatype  # noqa: E402
import dns.zone  # noqa: E402

LANA = os.environ.get("LANA", "lana")
CAT = "catalog.lana.invalid."
WAIT = 10.0  # seconds a consumer has to follow a change (the target)


def which(*names):
    """The first of names found on PATH or in an sbin directory beside one of its bin
    directories (daemons live there; tests/lib/secondaries.py)."""
    for n in names:
        p = find_program(n)
        if p:
            return p
    return None


def free_port():
    """A port free for both UDP and TCP on 127.0.0.1 (a consumer listens on both)."""
    for _ in range(50):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.bind(("127.0.0.1", 0))
        port = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            t.close()
            u.close()
    sys.exit("no free port")


def lana(d, work, *args):
    return subprocess.run([LANA, "--server", f"127.0.0.1:{d.registry_port}", "--token-file",
                           os.path.join(work, "admin.token"), *args],
                          capture_output=True, text=True, timeout=60)


def axfr(port, zone):
    """The zone by AXFR as a dns.zone.Zone (relativize off), or None."""
    try:
        return dns.zone.from_xfr(dns.query.xfr("127.0.0.1", zone, port=port, timeout=10,
                                               lifetime=20, relativize=False),
                                 relativize=False)
    except Exception as e:  # noqa: BLE001 - any failure is a failed check, shown
        print("# AXFR", zone, "failed:", e)
        return None


def catalog_view(z, cat=CAT):
    """(members {zone: label}, duplicates, problems) of catalog zone cat per RFC 9432."""
    origin = dns.name.from_text(cat)
    zones_node = dns.name.from_text("zones", origin)
    members, dup, problems = {}, [], []
    ns = z.get_rdataset(origin, dns.rdatatype.NS)
    if ns is None or sorted(r.target.to_text() for r in ns) != ["invalid."]:
        problems.append("apex NS is not exactly invalid. (RFC 9432 section 4.1)")
    v = z.get_rdataset(dns.name.from_text("version", origin), dns.rdatatype.TXT)
    if v is None or [b"".join(r.strings) for r in v] != [b"2"]:
        problems.append('version TXT is not exactly "2" (section 4.2.1)')
    for name, node in z.nodes.items():
        for rds in node.rdatasets:
            if rds.rdtype == dns.rdatatype.PTR:
                if name.parent() != zones_node:
                    problems.append(f"PTR at {name}, not <unique-N>.zones")
                    continue
                if len(rds) != 1:
                    problems.append(f"{name}: {len(rds)} PTR records (section 4.2 wants one)")
                for r in rds:
                    t = r.target.to_text().lower()
                    if t in members:
                        dup.append(t)
                    members[t] = name.labels[0].decode()
            elif rds.rdtype not in (dns.rdatatype.SOA, dns.rdatatype.NS, dns.rdatatype.TXT):
                problems.append(f"unexpected {dns.rdatatype.to_text(rds.rdtype)} at {name}")
    return members, dup, problems


def served_zones(d, work):
    out = lana(d, work, "--json", "zone", "list")
    import json
    try:
        return sorted(z["name"] for z in json.loads(out.stdout)["zones"])
    except (ValueError, KeyError):
        print("# zone list:", out.stdout, out.stderr)
        return []


def soa_serial(port, zone):
    """The SOA serial a server answers for zone (authoritatively), or None."""
    try:
        q = dns.message.make_query(zone, dns.rdatatype.SOA)
        r = dns.query.udp(q, "127.0.0.1", port=port, timeout=1)
        if r.rcode() != dns.rcode.NOERROR or not r.answer:
            return None
        return r.answer[0][0].serial
    except Exception:  # noqa: BLE001 - a timeout or a closed port: not served (yet)
        return None


def wait_for(cond, timeout):
    """Polls cond() every 0.1 s until it is true: the seconds it took, or None."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if cond():
            return time.monotonic() - start
        time.sleep(0.1)
    return None


# ---- consumers --------------------------------------------------------------------------------

class Knot:
    """knotd as a catalog consumer of lanad (catalog-role: interpret, a catalog-template)."""

    def __init__(self, work, primary_port):
        self.dir = os.path.join(work, "knot")
        os.makedirs(os.path.join(self.dir, "zones"))
        self.port = free_port()
        self.sock = os.path.join(self.dir, "knot.sock")
        conf = os.path.join(self.dir, "knot.conf")
        with open(conf, "w") as f:
            f.write(f"""server:
    rundir: "{self.dir}"
    listen: 127.0.0.1@{self.port}
    pidfile: "{self.dir}/knot.pid"
control:
    listen: "{self.sock}"
database:
    storage: "{self.dir}"
log:
  - target: stderr
    any: info
remote:
  - id: lanad
    address: 127.0.0.1@{primary_port}
template:
  - id: default
    storage: "{self.dir}/zones"
    zonefile-sync: -1
    zonefile-load: none
    journal-content: none
  - id: member
    master: lanad
    storage: "{self.dir}/zones"
    zonefile-sync: -1
    zonefile-load: none
    journal-content: none
    refresh-max-interval: 2
zone:
  - domain: {CAT}
    master: lanad
    catalog-role: interpret
    catalog-template: member
    refresh-max-interval: 2
""")
        self.log = os.path.join(self.dir, "knotd.log")
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen([which("knotd"), "-c", conf], stdout=log,
                                         stderr=subprocess.STDOUT)

    alive = Daemon.alive  # both stop the process they started, by its PID
    stop = Daemon.stop

    def tail(self):
        return open(self.log).read()[-1500:]

    def catalog_serial(self):
        """Knot answers no queries for a catalog it interprets (REFUSED): knotc tells its
        serial."""
        r = subprocess.run([which("knotc"), "-s", self.sock, "zone-status", CAT],
                           capture_output=True, text=True, timeout=10)
        for f in r.stdout.split("|"):
            k, _, v = f.partition(":")
            if k.strip() == "serial" and v.strip().isdigit():
                return int(v.strip())
        return None


class Bind:
    """named as a catalog consumer of lanad (catalog-zones with default-primaries)."""

    def __init__(self, work, primary_port):
        self.dir = os.path.join(work, "bind")
        os.makedirs(os.path.join(self.dir, "zones"))
        self.port = free_port()
        conf = os.path.join(self.dir, "named.conf")
        with open(conf, "w") as f:
            f.write(f"""options {{
    directory "{self.dir}";
    pid-file "{self.dir}/named.pid";
    session-keyfile "{self.dir}/session.key";
    listen-on port {self.port} {{ 127.0.0.1; }};
    listen-on-v6 {{ none; }};
    recursion no;
    dnssec-validation no;
    notify no;
    min-refresh-time 1;
    max-refresh-time 1;
    min-retry-time 1;
    max-retry-time 1;
    catalog-zones {{
        zone "{CAT}" default-primaries {{ 127.0.0.1 port {primary_port}; }}
            zone-directory "zones" in-memory yes;
    }};
}};
controls {{ }};
zone "{CAT}" {{
    type secondary;
    primaries {{ 127.0.0.1 port {primary_port}; }};
    file "catalog.db";
}};
""")
        self.log = os.path.join(self.dir, "named.log")
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen([which("named"), "-g", "-c", conf, "-n", "1"],
                                         stdout=log, stderr=subprocess.STDOUT)

    alive = Knot.alive
    stop = Knot.stop
    tail = Knot.tail

    def catalog_serial(self):
        return soa_serial(self.port, CAT)


# ---- the test ---------------------------------------------------------------------------------

def check_catalog(d, work, what):
    """AXFR of the catalog checked against RFC 9432 and lana's zone list: the members."""
    z = axfr(d.dns_port, CAT)
    check(f"{what}: the catalog transfers by AXFR", z is not None)
    if z is None:
        return {}
    members, dup, problems = catalog_view(z)
    check(f"{what}: catalog follows RFC 9432 (NS invalid., version \"2\", PTRs under zones)",
          not problems, "; ".join(problems))
    zones = [n for n in served_zones(d, work) if n != CAT]
    check(f"{what}: every zone served is listed exactly once, the catalog not itself",
          sorted(members) == zones and not dup and CAT not in members,
          f"members {sorted(members)} dup {dup} zones {zones}")
    labels = list(members.values())
    check(f"{what}: member labels are unique", len(labels) == len(set(labels)))
    return members


def zone_checkers(d, work):
    """The catalog as a zone file through kzonecheck and named-checkzone."""
    text = lana(d, work, "zone", "export", CAT).stdout
    path = os.path.join(work, "catalog.zone")
    with open(path, "w") as f:
        f.write(text)
    for tool, args in (("kzonecheck", ["-o", CAT, path]),
                       ("named-checkzone", ["-i", "full", CAT, path])):
        exe = which(tool)
        if exe is None:
            print(f"# {tool} not found (tools/install-deps.sh installs it): check skipped")
            continue
        r = subprocess.run([exe, *args], capture_output=True, text=True, timeout=60)
        check(f"the catalog as a zone file passes {tool}", r.returncode == 0,
              (r.stdout + r.stderr)[-600:])


def consumer_follows(name, c, d, work, members):
    """c (started) serves every zone of the catalog, then follows an add and a delete."""
    time.sleep(0.5)
    check(f"{name}: started", c.alive(), c.tail())
    if not c.alive():
        return
    took = wait_for(lambda: all(soa_serial(c.port, m) is not None for m in members), 30)
    check(f"{name}: serves every member of the catalog ({len(members)} zones)", took is not None,
          c.tail())
    zone = f"{name.lower()}-new.example."
    r = lana(d, work, "zone", "add", zone)
    check(f"{name}: lana zone add {zone}", r.returncode == 0, r.stderr)
    want = soa_serial(d.dns_port, zone)
    took = wait_for(lambda: soa_serial(c.port, zone) == want, WAIT)
    check(f"{name}: a zone added in lana is served within {WAIT:.0f} s"
          + (f" ({took:.1f} s)" if took is not None else ""), took is not None, c.tail())
    r = lana(d, work, "zone", "del", zone)
    check(f"{name}: lana zone del {zone}", r.returncode == 0, r.stderr)
    took = wait_for(lambda: soa_serial(c.port, zone) is None, WAIT)
    check(f"{name}: a zone deleted in lana stops being served within {WAIT:.0f} s"
          + (f" ({took:.1f} s)" if took is not None else ""), took is not None, c.tail())
    serial = soa_serial(d.dns_port, CAT)
    took = wait_for(lambda: c.catalog_serial() == serial, WAIT)
    check(f"{name}: holds the catalog at lanad's serial {serial}", took is not None)


def main():
    work = tempfile.mkdtemp(prefix="lana-catalog-")
    d = None
    consumers = []
    try:
        d = Daemon(work, "--allow-transfer", "127.0.0.1/32", "--log-level", "info")
        for z in ("lab-a.example.", "lab-b.example.", "sub.lab-a.example."):
            r = lana(d, work, "zone", "add", z)
            check(f"lana zone add {z}", r.returncode == 0, r.stderr)
        members = check_catalog(d, work, "after adds")
        labels = dict(members)
        r = lana(d, work, "zone", "del", "lab-b.example.")
        check("lana zone del lab-b.example.", r.returncode == 0, r.stderr)
        r = lana(d, work, "zone", "add", "lab-b.example.")
        check("lana zone add lab-b.example. again", r.returncode == 0, r.stderr)
        members = check_catalog(d, work, "after delete and re-add")
        check("a zone made again has a new label (RFC 9432 section 5.5)",
              members.get("lab-b.example.") not in (None, labels.get("lab-b.example.")),
              f"{labels.get('lab-b.example.')} -> {members.get('lab-b.example.')}")
        check("other members keep their labels",
              members.get("lab-a.example.") == labels.get("lab-a.example."))
        listing = lana(d, work, "zone", "list").stdout
        check("lana zone list marks the catalog",
              any(l.startswith(CAT) and l.rstrip().endswith("catalog") for l in listing.splitlines()),
              listing)
        # hand changes are refused and change nothing
        before = soa_serial(d.dns_port, CAT)
        for args in (("zone", "del", CAT, "--recursive"), ("record", "add", "x." + CAT, "TXT", "hi"),
                     ("zone", "add", "zones." + CAT)):
            r = lana(d, work, *args)
            check(f"lana {' '.join(args[:2])} on the catalog: refused with a clear error",
                  r.returncode != 0 and "catalog" in r.stderr, r.stdout + r.stderr)
        check("refusals leave the catalog's serial", soa_serial(d.dns_port, CAT) == before)
        zone_checkers(d, work)

        for name, cls, tools in (("Knot", Knot, ("knotd", "knotc")), ("BIND", Bind, ("named",))):
            if not all(which(t) for t in tools):
                print(f"# {name}: {tools[0]} not found (tools/install-deps.sh installs it): skipped")
                continue
            c = cls(work, d.dns_port)
            consumers.append(c)
            consumer_follows(name, c, d, work, members)
            c.stop()
        check("lanad still running", d.alive())
        # start-up: none deletes the catalog, the default name makes it again above its old
        # serial (so consumers take it as newer), another name renames it
        last = soa_serial(d.dns_port, CAT)
        for name, want in (("none", None), (CAT, CAT), ("cat2.lana.invalid.", "cat2.lana.invalid.")):
            d.stop()
            d = Daemon(work, "--allow-transfer", "127.0.0.1/32", "--catalog-zone", name)
            gone = [z for z in (CAT, "cat2.lana.invalid.") if z != want]
            check(f"catalog-zone {name}: " + (f"{want} served" if want else "no catalog"),
                  (want is None or soa_serial(d.dns_port, want) is not None)
                  and all(soa_serial(d.dns_port, z) is None for z in gone))
            if want == CAT:
                check("a catalog made again starts above its old serial",
                      soa_serial(d.dns_port, CAT) > last)
            if want:
                members = catalog_view(axfr(d.dns_port, want) or dns.zone.Zone(want), want)[0]
                zones = [n for n in served_zones(d, work) if n != want]
                check(f"catalog-zone {name}: lists every zone", sorted(members) == zones,
                      f"{sorted(members)} vs {zones}")
    finally:
        for c in consumers:
            c.stop()
        if d is not None:
            d.stop()
        if os.environ.get("KEEP") is None:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("# kept", work)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
