#!/usr/bin/env python3
"""Zone transfer figures for bench/xfr.sh (run that; it checks the tools and makes the zones).
Prints figures, asserts nothing. Everything on 127.0.0.1, every wait bounded.

(a) AXFR of the big zone from lanad, Knot and NSD serving the same zone file in one run, the
    servers pinned to one CPU and this client to another: wall time from the query to the last
    message, the server's CPU time (utime + stime of its processes, /proc/PID/stat, before and
    after), bytes, messages, records; medians over the rounds, after one first transfer each
    (printed on its own: lanad reads and encodes the zone then, and copies it from its transfer
    cache for the next transfers of the same version); and a second lanad with its transfer
    cache off ("lanad-cold"), whose every transfer is such a first one, for their median.
    Then the first AXFR of each version after a one-record change in lanad (built from the
    cached previous version and the journal), against Knot's and NSD's median AXFR.
(b) IXFR of a one-record change to the small zone, in bytes, against the AXFR of the same zone,
    from lanad (and Knot, for reference); "not available" when lanad answers the whole zone.
(c) propagation: one-record changes in lana, the time until both a Knot and a BIND secondary
    answer the new record; p50/p99. NOTIFY-driven: skipped when lanad has no also-notify.
(d) catalog: `lana zone add` to the new zone served by both catalog consumers (Knot, BIND);
    skipped when lanad serves no catalog zone."""

import argparse
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "lib"))
import lanatest  # noqa: E402
import secondaries as sec  # noqa: E402
import dns.message  # noqa: E402
import dns.query  # noqa: E402
import dns.rdatatype  # noqa: E402

CATALOG = "catalog.lana.invalid."
NOTIFY_KEY = "also-notify"
TICK = os.sysconf("SC_CLK_TCK")


def note(text):
    print("# " + text, flush=True)


# ---- processes
def pin(pid, cpu):
    """Every thread of pid onto cpu (threads started later inherit it)."""
    if cpu is None:
        return
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            os.sched_setaffinity(int(tid), {cpu})
    except OSError:
        pass


def group_pids(pgid):
    out = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # field 5 of stat: the process group
            out.append(int(p))
    return out


def cpu_ticks(pgid):
    """utime + stime of every process of the group (/proc/PID/stat fields 14 and 15)."""
    t = 0
    for p in group_pids(pgid):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            t += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return t


def run_ns(pgid):
    """Time on CPU in ns of every thread of the group (/proc/PID/task/TID/schedstat, first
    field): finer than the ticks of stat; 0 where the kernel keeps no schedstats."""
    t = 0
    for p in group_pids(pgid):
        try:
            for tid in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{tid}/schedstat") as f:
                    t += int(f.read().split()[0])
        except (OSError, IndexError, ValueError):
            pass
    return t


class Server:
    """A server we start in a session of its own (its group is its pid), on a given port."""

    def __init__(self, name, argv, port, workdir, cpu):
        self.name, self.port = name, port
        self.log = os.path.join(workdir, name + ".log")
        with open(self.log, "ab") as logf:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=logf,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        self.cpu = cpu

    def wait_zone(self, zone, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            if sec.soa_serial(self.port, zone, timeout=0.5) is not None:
                for p in group_pids(self.proc.pid):
                    pin(p, self.cpu)
                return True
            time.sleep(0.05)
        tail = open(self.log, errors="replace").read()[-600:]
        note(f"{self.name} does not serve {zone}: {tail!r}")
        return False

    def ticks(self):
        return cpu_ticks(self.proc.pid)

    def run_ns(self):
        return run_ns(self.proc.pid)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        # children of ours left in its group (NSD's) go with it
        for p in group_pids(self.proc.pid):
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass


def lanad_server(lanad, db, port, workdir, cpu, extra=()):
    return Server("lanad", [lanad, "--db", db, "--listen-dns", f"127.0.0.1:{port}",
                            "--listen-registry", "127.0.0.1:0", "--workers", "1",
                            "--listen-http", "127.0.0.1:0",
                            "--allow-transfer", "127.0.0.1/32", "--ready-file",
                            os.path.join(os.path.dirname(db), "ready"), *extra],
                  port, workdir, cpu)


def registry_port(db):
    ready = os.path.join(os.path.dirname(db), "ready")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            for line in open(ready):
                f = line.split()
                if f and f[0] == "registry":
                    return int(f[1].rsplit(":", 1)[1])
        except OSError:
            pass
        time.sleep(0.05)
    return None


def knot_primary(zonefile, port, workdir, cpu, journal=False):
    d = os.path.join(workdir, "knot-primary")
    os.makedirs(d, exist_ok=True)
    conf = os.path.join(d, "knot.conf")
    with open(conf, "w") as f:
        f.write("\n".join([
            "server:", f"  listen: 127.0.0.1@{port}", f"  rundir: \"{d}\"",
            "  udp-workers: 1", "  tcp-workers: 1", "  background-workers: 1",
            "log:", "  - target: stderr", "    any: warning",
            "control:", f"  listen: \"{d}/knot.sock\"", "database:", f"  storage: \"{d}\"",
            "acl:", "  - id: xfr", "    address: 127.0.0.1", "    action: transfer",
            "zone:", "  - domain: lab.", f"    file: \"{zonefile}\"", "    acl: xfr",
            "    zonefile-sync: -1",
            # for IXFR Knot keeps the differences of reloaded zone files in its journal
            "    zonefile-load: difference" if journal else "    journal-content: none",
            "    journal-content: changes" if journal else ""]) + "\n")
    s = Server("knot", [sec.find_program("knotd"), "-c", conf], port, workdir, cpu)
    s.conf = conf
    return s


def nsd_primary(zonefile, port, workdir, cpu):
    d = os.path.join(workdir, "nsd-primary")
    os.makedirs(d, exist_ok=True)
    conf = os.path.join(d, "nsd.conf")
    with open(conf, "w") as f:
        f.write("\n".join([
            "server:", f"  ip-address: 127.0.0.1@{port}", '  username: ""', '  chroot: ""',
            f"  zonesdir: \"{d}\"", '  database: ""', f"  zonelistfile: \"{d}/zone.list\"",
            f"  xfrdfile: \"{d}/xfrd.state\"", f"  xfrdir: \"{d}\"",
            f"  pidfile: \"{d}/nsd.pid\"", "  server-count: 1", "  rrl-ratelimit: 0",
            "remote-control:", "  control-enable: no",
            "zone:", "  name: lab.", f"  zonefile: \"{zonefile}\"",
            "  provide-xfr: 127.0.0.1 NOKEY"]) + "\n")
    return Server("nsd", [sec.find_program("nsd"), "-d", "-c", conf], port, workdir, cpu)


# ---- a fast AXFR reader: frames only, no parsing of records
READ_MAX = 1 << 20  # bytes one recv may take
_rbuf = bytearray(8 * READ_MAX)  # every transfer is read into this one buffer


def axfr_raw(port, zone, soa_tail, timeout=120):
    """AXFR of zone from 127.0.0.1:port, read as raw messages; the end is the message whose
    last 20 bytes are the zone's SOA numbers (serial .. minimum) and whose last record
    dnspython reads as that SOA. Returns (seconds, bytes, messages, records) or None.

    The messages are read with recv_into() into one buffer allocated once and framed in
    place: what a read costs here does not depend on how the server's bytes arrive. (Reading
    into new objects, as recv() and bytearray slicing do, made the client pay for fresh
    memory in proportion to how much had piled up in the socket: the faster a server sent,
    the larger the chunks and the slower this client, which then measured itself.)"""
    q = dns.message.make_query(zone, dns.rdatatype.AXFR).to_wire()
    nbytes = msgs = recs = 0
    buf, view = _rbuf, memoryview(_rbuf)
    have = off = 0  # buf[off:have] holds bytes not yet framed
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        t0 = time.perf_counter()
        s.sendall(len(q).to_bytes(2, "big") + q)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if have + READ_MAX > len(buf):  # move the partial message to the front
                buf[:have - off] = buf[off:have]
                have, off = have - off, 0
            got = s.recv_into(view[have:have + READ_MAX])
            if not got:
                return None
            t1 = time.perf_counter()  # arrival: the check below takes client time
            have += got
            while have - off >= 2:
                n = buf[off] << 8 | buf[off + 1]
                if have - off < 2 + n:
                    break
                m, off = off + 2, off + 2 + n
                if buf[m + 3] & 15:
                    return None  # an error rcode
                nbytes += n
                msgs += 1
                recs += buf[m + 6] << 8 | buf[m + 7]
                if recs > 1 and view[off - 20:off] == soa_tail:
                    w = dns.message.from_wire(bytes(view[m:off]), xfr=True,
                                              one_rr_per_rrset=True)
                    if w.answer and w.answer[-1].rdtype == dns.rdatatype.SOA and (
                            msgs > 1 or len(w.answer) > 1):
                        return t1 - t0, nbytes, msgs, recs
            if off == have:
                have = off = 0
    return None


def soa_tail(port, zone):
    """The last 20 bytes of zone's SOA rdata (serial, refresh, retry, expire, minimum)."""
    r = dns.query.udp(dns.message.make_query(zone, "SOA"), "127.0.0.1", port=port, timeout=2)
    return r.answer[0][0].to_wire()[-20:]


def median(v):
    return statistics.median(v) if v else float("nan")


def part_a(args, w):
    note(f"---- (a) AXFR of the {args.hosts}-host zone: lanad, Knot, NSD, {args.rounds} "
         f"rounds (median), server on CPU {args.server_cpu}, client on CPU {args.client_cpu}")
    servers = []
    port = args.port
    db = os.path.join(w, "a", "lana.db")
    os.makedirs(os.path.dirname(db))
    t0 = time.monotonic()
    r = subprocess.run([args.lanad, "--db", db, "zone", "import", args.zone],
                       capture_output=True, text=True)
    if r.returncode != 0:
        note("lanad zone import failed: " + r.stderr.strip())
        return
    note(f"lanad zone import: {time.monotonic() - t0:.2f} s")
    servers.append(lanad_server(args.lanad, db, port, w, args.server_cpu))
    # a second lanad with its transfer cache off: every round a first transfer (from the
    # database), for a median of those too
    cold_db = os.path.join(w, "a-cold", "lana.db")
    os.makedirs(os.path.dirname(cold_db))
    subprocess.run([args.lanad, "--db", cold_db, "zone", "import", args.zone],
                   capture_output=True, check=True)
    cold = lanad_server(args.lanad, cold_db, port + 7, os.path.dirname(cold_db),
                        args.server_cpu, ["--transfer-cache", "0"])
    cold.name = "lanad-cold"
    servers.append(cold)
    if "knot" in args.servers:
        servers.append(knot_primary(args.zone, port + 1, w, args.server_cpu))
    if "nsd" in args.servers:
        servers.append(nsd_primary(args.zone, port + 2, w, args.server_cpu))
    try:
        servers = [s for s in servers if s.wait_zone("lab.")]
        if args.client_cpu is not None:
            os.sched_setaffinity(0, {args.client_cpu})
        res = {s.name: [] for s in servers}
        tails = {s.name: soa_tail(s.port, "lab.") for s in servers}
        for rnd in range(args.rounds + 1):
            for s in servers:
                c0, n0 = s.ticks(), s.run_ns()
                got = axfr_raw(s.port, "lab.", tails[s.name])
                time.sleep(0.05)  # let the server's last tick land
                c1, n1 = s.ticks(), s.run_ns()
                if got is None:
                    note(f"{s.name}: AXFR failed in round {rnd}")
                    continue
                if rnd > 0:  # round 0 warms caches up
                    res[s.name].append((got[0], (c1 - c0) / TICK, *got[1:], (n1 - n0) / 1e9))
                else:  # the first transfer of this version: lanad builds it from the database
                    print(f"axfr {s.name:<6} first transfer: wall_ms={got[0] * 1000:.0f} "
                          f"sched_cpu_ms={(n1 - n0) / 1e6:.1f}", flush=True)
        med = {}
        for s in servers:
            v = res[s.name]
            if not v:
                continue
            wall, cpu = median([x[0] for x in v]), median([x[1] for x in v])
            sched = median([x[5] for x in v])
            med[s.name] = (wall, sched if sched > 0 else cpu)
            print(f"axfr {s.name:<6} wall_ms={wall * 1000:.0f} server_cpu_ms={cpu * 1000:.0f} "
                  f"sched_cpu_ms={sched * 1000:.1f} "
                  f"bytes={v[0][2]} messages={v[0][3]} records={v[0][4]} "
                  f"(wall {min(x[0] for x in v) * 1000:.0f}-{max(x[0] for x in v) * 1000:.0f} ms)",
                  flush=True)
        for lanad in ("lanad", "lanad-cold"):
            if lanad not in med:
                continue
            lw, lc = med[lanad]
            for name, (rw, rc) in med.items():
                if not name.startswith("lanad"):
                    cpu = f"{lc / rc:.2f}" if rc else "n/a (too short to measure)"
                    note(f"{lanad}/{name}: wall {lw / rw:.2f}, server CPU {cpu} (target <= 1)")
        after_change(args, db, servers, med)
        note(f"server_cpu: /proc/PID/stat utime + stime, in ticks of {1000 // TICK} ms; "
             "sched_cpu: the threads' run time from schedstat (ns resolution), which the "
             "ratios use when the kernel keeps it")
    finally:
        os.sched_setaffinity(0, set(range(os.cpu_count())))
        for s in servers:
            s.stop()


def after_change(args, db, servers, med):
    """The AXFR of the version after a one-record change: lanad's first transfer of it (built
    from the cached previous version and the journal), each round after a TXT record added
    to the middle of the zone, against Knot's and NSD's median AXFR above: they serve every
    transfer from memory, the first after a reload of the changed zone as any other."""
    lanad = next((s for s in servers if s.name == "lanad"), None)
    rport = registry_port(db)
    if lanad is None or rport is None:
        return
    got_all = []
    for rnd in range(args.rounds):
        r = lana_cmd(args, db, rport, "record", "add", f"h{args.hosts // 2:06d}.lab.", "TXT",
                     f"change-{rnd}")
        if r.returncode != 0:
            note("lana record add failed: " + r.stderr.strip())
            return
        time.sleep(0.05)  # let the commit's CPU land before counting
        tail = soa_tail(lanad.port, "lab.")
        n0 = lanad.run_ns()
        got = axfr_raw(lanad.port, "lab.", tail)
        time.sleep(0.05)
        n1 = lanad.run_ns()
        if got is None:
            note(f"lanad: AXFR after a change failed in round {rnd}")
            continue
        got_all.append((got[0], (n1 - n0) / 1e9))
    if not got_all:
        return
    wall, cpu = median([x[0] for x in got_all]), median([x[1] for x in got_all])
    print(f"axfr lanad  after a one-record change (first transfer of the new version): "
          f"wall_ms={wall * 1000:.0f} sched_cpu_ms={cpu * 1000:.1f} "
          f"(median of {len(got_all)}; cpu {min(x[1] for x in got_all) * 1000:.1f}-"
          f"{max(x[1] for x in got_all) * 1000:.1f} ms)", flush=True)
    for name, (rw, rc) in med.items():
        if not name.startswith("lanad"):
            ratio = f"{cpu / rc:.2f}" if rc else "n/a"
            note(f"lanad after a change/{name} AXFR: wall {wall / rw:.2f}, server CPU {ratio} "
                 "(target <= 1)")


def lana_cmd(args, db, rport, *cmd):
    return subprocess.run([args.lana, "--server", f"127.0.0.1:{rport}", "--token-file",
                           os.path.join(os.path.dirname(db), "admin.token"), *cmd],
                          capture_output=True, text=True, timeout=30)


def part_b(args, w):
    note(f"---- (b) IXFR of a one-record change to a {args.small}-record zone, against AXFR")
    d = os.path.join(w, "b")
    os.makedirs(d)
    db = os.path.join(d, "lana.db")
    subprocess.run([args.lanad, "--db", db, "zone", "import", args.small_zone],
                   capture_output=True, check=True)
    port = args.port + 3
    s = lanad_server(args.lanad, db, port, d, None)
    try:
        if not s.wait_zone("lab."):
            return
        rport = registry_port(db)
        before = sec.soa_serial(port, "lab.")
        r = lana_cmd(args, db, rport, "record", "add", "ixfr-bench.lab.", "TXT", "one")
        if r.returncode != 0:
            note("lana record add failed: " + r.stderr.strip())
            return
        ix = sec.ixfr(port, "lab.", before)
        ax = axfr_raw(port, "lab.", soa_tail(port, "lab."))
        if ix is None or ax is None:
            note("lanad: a transfer failed")
        elif not ix["incremental"]:
            print(f"ixfr lanad   not available: lanad answers IXFR with the whole zone "
                  f"({ix['bytes']} bytes, {ix['records']} records); AXFR {ax[1]} bytes")
        else:
            print(f"ixfr lanad   ixfr_bytes={ix['bytes']} axfr_bytes={ax[1]} "
                  f"ratio={100 * ix['bytes'] / ax[1]:.3f}% records={ix['records']} "
                  f"(target < 1%)")
    finally:
        s.stop()
    if "knot" not in args.servers:
        return
    # the same change on Knot: a zone file reloaded with one more record and serial + 1
    zf = os.path.join(d, "lab.zone")
    shutil.copy(args.small_zone, zf)
    k = knot_primary(zf, args.port + 4, d, None, journal=True)
    try:
        if not k.wait_zone("lab."):
            return
        before = sec.soa_serial(k.port, "lab.")
        text = open(zf).read().replace(f" {before} ", f" {before + 1} ", 1)
        with open(zf, "w") as f:
            f.write(text + "ixfr-bench TXT one\n")
        subprocess.run([sec.find_program("knotc"), "-c", k.conf, "zone-reload", "lab."],
                       capture_output=True, timeout=30)
        deadline = time.monotonic() + 30
        while sec.soa_serial(k.port, "lab.") != before + 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        ix = sec.ixfr(k.port, "lab.", before)
        ax = axfr_raw(k.port, "lab.", soa_tail(k.port, "lab."))
        if ix and ax and ix["incremental"]:
            print(f"ixfr knot    ixfr_bytes={ix['bytes']} axfr_bytes={ax[1]} "
                  f"ratio={100 * ix['bytes'] / ax[1]:.3f}% records={ix['records']} (reference)")
        else:
            note(f"knot: no IXFR to compare ({ix})")
    finally:
        k.stop()


def lanad_notifying(args, w, part, port, zonefile):
    """lanad in w/part (with zonefile imported, when given), told to NOTIFY a Knot and a BIND
    whose ports are chosen here, when it can: (directory, database, Server, those ports)."""
    d = os.path.join(w, part)
    os.makedirs(d)
    db = os.path.join(d, "lana.db")
    if zonefile:
        subprocess.run([args.lanad, "--db", db, "zone", "import", zonefile],
                       capture_output=True, check=True)
    ports = {"knot": sec.free_port(), "bind": sec.free_port()}
    notify = []
    if sec.has_config_key(args.lanad, NOTIFY_KEY):
        for p in ports.values():
            notify += [f"--{NOTIFY_KEY}", f"127.0.0.1:{p}"]
    return d, db, lanad_server(args.lanad, db, port, d, None, notify), ports


def secondaries_of(args, d, lanad_port, ports, catalog):
    """Knot and BIND secondaries of lanad for lab. (or with the catalog only)."""
    out = []
    for kind in ("knot", "bind"):
        cls = sec.KINDS[kind]
        s = cls(d, lanad_port, zones=[] if catalog else ["lab."],
                catalog=CATALOG if catalog else None, port=ports[kind])
        if not s.available():
            note(f"{cls.program} not installed: {kind} left out")
            continue
        try:
            s.start()
        except sec.SecondaryError as e:
            note(str(e))
            continue
        out.append(s)
    return out


def wait_all(secs, ready, t0, limit, pause):
    """Polls every `pause` s until ready(x) holds for each secondary x; the seconds since t0
    when the last one got there, or None after `limit` s."""
    pending = list(secs)
    while pending:
        pending = [x for x in pending if not ready(x)]
        if not pending:
            break
        if time.monotonic() - t0 >= limit:
            return None
        time.sleep(pause)
    return time.monotonic() - t0


def percentile(v, p):
    """Nearest rank: the smallest value with at least p% of the values at or below it."""
    v = sorted(v)
    return v[max(0, math.ceil(p / 100 * len(v)) - 1)]


def part_c(args, w):
    note(f"---- (c) propagation of {args.changes} one-record changes to Knot and BIND")
    if not sec.has_config_key(args.lanad, NOTIFY_KEY):
        note(f"skipped: lanad has no {NOTIFY_KEY} (it sends no NOTIFY yet)")
        return
    d, db, s, ports = lanad_notifying(args, w, "c", args.port + 5, args.small_zone)
    port = s.port
    secs = []
    try:
        if not s.wait_zone("lab."):
            return
        rport = registry_port(db)
        secs = secondaries_of(args, d, port, ports, False)
        serial = sec.soa_serial(port, "lab.")
        for x in secs:
            if not x.wait_serial("lab.", serial, 30)[1]:
                note(f"{x.kind} did not load lab.:\n{x.log_tail()}")
                return
        c = lanatest.Line(rport, timeout=30)
        c.login(lanatest.read_token(os.path.join(d, "admin.token")))
        times, missed = [], 0
        marks = {x.kind: x.mark() for x in secs}
        for i in range(args.changes):
            name, value = f"p{i:04d}.lab.", f"v{i}"
            c.send(f"record add {name} TXT {value}")
            reply = c.recv()
            t0 = time.monotonic()
            if reply is None or '"ok":true' not in reply:
                note(f"change {i} failed: {reply}")
                break
            took = wait_all(secs, lambda x: value in (x.query(name, "TXT") or [""])[0], t0,
                            args.wait, 0.002)
            if took is None:
                missed += 1
            else:
                times.append(took)
        c.close()
        if times:
            print(f"propagation knot+bind changes={len(times)} "
                  f"p50_ms={percentile(times, 50) * 1000:.0f} "
                  f"p99_ms={percentile(times, 99) * 1000:.0f} "
                  f"max_ms={max(times) * 1000:.0f} missed={missed} (target p99 < 1000 ms)")
        for x in secs:
            kinds = x.transfers("lab.", marks[x.kind])
            note(f"{x.kind}: {kinds.count('IXFR')} IXFR, {kinds.count('AXFR')} AXFR, "
                 f"{x.notifies('lab.', marks[x.kind])} NOTIFY seen in its log")
    finally:
        for x in secs:
            x.stop()
        s.stop()


def part_d(args, w):
    note(f"---- (d) catalog: lana zone add to the zone served by Knot and BIND, "
         f"{args.zones} zones")
    d, db, s, ports = lanad_notifying(args, w, "d", args.port + 6, None)
    port = s.port
    secs = []
    try:
        if not s.wait_zone("lab."):
            return
        if sec.soa_serial(port, CATALOG) is None:
            note(f"skipped: lanad serves no {CATALOG} (no catalog zone yet)")
            return
        rport = registry_port(db)
        secs = secondaries_of(args, d, port, ports, True)
        for x in secs:
            if not x.wait_serial("lab.", sec.soa_serial(port, "lab."), 30)[1]:
                note(f"{x.kind} did not learn lab. from the catalog:\n{x.log_tail()}")
        times, missed = [], 0
        for i in range(args.zones):
            zone = f"cat{i:03d}.lab."
            t0 = time.monotonic()
            r = lana_cmd(args, db, rport, "zone", "add", zone)
            if r.returncode != 0:
                note(f"lana zone add {zone}: {r.stderr.strip()}")
                break
            took = wait_all(secs, lambda x: x.serial(zone) is not None, t0, args.wait * 3, 0.01)
            if took is None:
                missed += 1
            else:
                times.append(took)
        if times:
            print(f"catalog knot+bind zones={len(times)} median_s={median(times):.2f} "
                  f"max_s={max(times):.2f} missed={missed} (target < 10 s)")
    finally:
        for x in secs:
            x.stop()
        s.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lanad", required=True)
    ap.add_argument("--lana", required=True)
    ap.add_argument("--zone", required=True, help="the big zone's file (part a)")
    ap.add_argument("--hosts", type=int, required=True)
    ap.add_argument("--small-zone", required=True, help="the small zone's file (b, c)")
    ap.add_argument("--small", type=int, required=True, help="its records")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--changes", type=int, default=100)
    ap.add_argument("--zones", type=int, default=5)
    ap.add_argument("--wait", type=float, default=10, help="seconds one change may take")
    ap.add_argument("--port", type=int, default=15500)
    ap.add_argument("--servers", default="knot nsd")
    ap.add_argument("--parts", default="abcd")
    ap.add_argument("--server-cpu", type=int, default=0)
    ap.add_argument("--client-cpu", type=int, default=1)
    args = ap.parse_args()
    if os.cpu_count() < 2:
        args.server_cpu = args.client_cpu = None
        note("one CPU: servers and client share it")
    w = tempfile.mkdtemp(prefix="lana-xfrbench.")
    try:
        for part, fn in (("a", part_a), ("b", part_b), ("c", part_c), ("d", part_d)):
            if part in args.parts:
                fn(args, w)
    finally:
        shutil.rmtree(w, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
