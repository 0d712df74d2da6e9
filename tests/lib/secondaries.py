"""Real secondaries of lanad for the tests and the benchmarks: Knot, BIND and NSD from the
distribution's packages, each started as an unprivileged-port instance on 127.0.0.1 with its
own configuration, database, control channel, pid file and log in a directory of its own.
Nothing here touches the packages' system services or their files: every path is under the
instance's directory and every port is chosen free at run time.

    sec = Knot(workdir, primary_port, zones=["lab."])       # or Bind(...), Nsd(...)
    sec.start()                      # returns once it listens; raises SecondaryError with
                                     # the log's tail when it does not
    sec.wait_serial("lab.", 7, 10)   # bounded wait for a serial (RFC 1982 "at least")
    sec.records("lab.")              # the zone as it serves it (AXFR from the secondary)
    sec.refresh("lab.")              # knotc / rndc / nsd-control on its own control channel
    sec.transfers("lab.")            # ["AXFR", "IXFR", ...]: incoming transfers, from its log
    sec.stop()                       # by PID: TERM, then KILL after a bounded wait

Options common to the three: a TSIG key (`Tsig(name, algorithm, secret)`) used towards the
primary; `catalog` (a catalog zone's name, RFC 9432: Knot and BIND consume it, NSD 4.6 cannot
and refuses the option); `port` (chosen beforehand, so that the primary can be told where to
send NOTIFY before the secondary starts). NOTIFY from 127.0.0.1 is always accepted.

Needs dnspython (python3-dnspython) for queries; the daemons are looked up on PATH and in the
sbin directories beside PATH's bin directories (a user's PATH often lacks sbin)."""

import base64
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

if "/usr/lib/python3/dist-packages" not in sys.path:  # Debian's dnspython under another python3
    sys.path.append("/usr/lib/python3/dist-packages")
import dns.exception  # noqa: E402
import dns.message  # noqa: E402
import dns.query  # noqa: E402
import dns.rcode  # noqa: E402
import dns.rdatatype  # noqa: E402
import dns.rrset  # noqa: E402
import dns.tsigkeyring  # noqa: E402

START_TIMEOUT = 20   # seconds a secondary may take to listen
STOP_TIMEOUT = 10    # seconds between TERM and KILL


class SecondaryError(Exception):
    """A secondary that did not start, or a control command that failed; the message
    carries the log's tail."""


class Tsig:
    """A TSIG key (RFC 8945) as the three servers' configurations take it: name, algorithm
    (hmac-sha256, hmac-sha512, hmac-sha1) and the secret in base64."""

    def __init__(self, name, algorithm, secret):
        self.name = name.rstrip(".") + "."
        self.algorithm = algorithm
        self.secret = secret


def find_program(name):
    """The path of an executable named `name` on PATH, or in an sbin directory next to one
    of PATH's bin directories; None when there is none."""
    dirs = os.environ.get("PATH", "").split(os.pathsep)
    extra = [d[:-3] + "sbin" for d in dirs if d.endswith("/bin")]
    for d in dirs + extra:
        p = os.path.join(d, name)
        if d and os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    return None


def free_port(host="127.0.0.1"):
    """A port free for both TCP and UDP on host right now (the kernel's choice; another
    process may still take it before use: start() retries on a bind failure)."""
    for _ in range(50):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            t.bind((host, 0))
            port = t.getsockname()[1]
            u.bind((host, port))
            return port
        except OSError:
            continue
        finally:
            t.close()
            u.close()
    raise SecondaryError("no free port on " + host)


def serial_gte(a, b):
    """RFC 1982: a is b or later (32-bit serial arithmetic)."""
    return a == b or (a - b) % (1 << 32) < (1 << 31)


def soa_serial(port, zone, host="127.0.0.1", timeout=1.0):
    """The SOA serial a server on host:port answers for zone with AA, or None (no answer,
    not authoritative, an error rcode)."""
    try:
        q = dns.message.make_query(zone, "SOA")
        r = dns.query.udp(q, host, port=port, timeout=timeout)
    except (dns.exception.DNSException, OSError):
        return None
    if r.rcode() != dns.rcode.NOERROR or not r.flags & 0x0400:
        return None
    for rrset in r.answer:
        if rrset.rdtype == dns.rdatatype.SOA:
            return rrset[0].serial
    return None


def query(port, name, rdtype, host="127.0.0.1", timeout=1.0):
    """The answer section's records for name/rdtype as sorted text lines, or None when the
    server does not answer with AA and NOERROR."""
    try:
        r = dns.query.udp(dns.message.make_query(name, rdtype), host, port=port,
                          timeout=timeout)
    except (dns.exception.DNSException, OSError):
        return None
    if r.rcode() != dns.rcode.NOERROR or not r.flags & 0x0400:
        return None
    return sorted(rr.to_text() for rr in r.answer)


def axfr_records(port, zone, host="127.0.0.1", timeout=30, key=None):
    """The zone by AXFR from host:port as a sorted list of "owner ttl class type rdata" lines
    (owners lowercased, the closing SOA left out), and the serial; (None, None) when the
    transfer fails. key: a Tsig to sign the request with."""
    kw = _tsig_kw(key)
    lines, serial, n_soa = [], None, 0
    try:
        for m in dns.query.xfr(host, zone, port=port, timeout=timeout, lifetime=timeout * 4,
                               relativize=False, **kw):
            for rrset in m.answer:
                for rd in rrset:
                    if rrset.rdtype == dns.rdatatype.SOA:
                        n_soa += 1
                        if n_soa == 2:
                            continue
                        serial = rd.serial
                    lines.append(" ".join([rrset.name.to_text().lower(), str(rrset.ttl), "IN",
                                           dns.rdatatype.to_text(rrset.rdtype),
                                           rd.to_text()]))
    except (dns.exception.DNSException, OSError, EOFError):
        return None, None
    return sorted(lines), serial


def _tsig_kw(key):
    if key is None:
        return {}
    return {"keyring": dns.tsigkeyring.from_text({key.name: key.secret}), "keyname": key.name,
            "keyalgorithm": key.algorithm}


def _read_frame(s):
    head = b""
    while len(head) < 2:
        chunk = s.recv(2 - len(head))
        if not chunk:
            return None
        head += chunk
    n = int.from_bytes(head, "big")
    body = b""
    while len(body) < n:
        chunk = s.recv(n - len(body))
        if not chunk:
            return None
        body += chunk
    return body


def ixfr(port, zone, serial, host="127.0.0.1", timeout=10, key=None):
    """Asks IXFR of zone from `serial` over TCP (RFC 1995) and reads the whole answer.
    Returns a dict: incremental (True when it is a difference sequence: the new SOA, then
    the SOA at `serial`; False for an AXFR-style whole zone), serial (the new one), bytes
    (DNS messages without their TCP length prefix), messages, records; or None when the
    server answers with an error or not at all. A server already at `serial` answers the
    SOA alone: incremental False, records 1."""
    q = dns.message.make_query(zone, dns.rdatatype.IXFR)
    q.authority.append(dns.rrset.from_text(zone, 0, "IN", "SOA", f". . {serial} 0 0 0 0"))
    kw = _tsig_kw(key)
    if kw:
        q.use_tsig(kw["keyring"], keyname=kw["keyname"], algorithm=kw["keyalgorithm"])
    wire = q.to_wire()
    out = {"incremental": False, "serial": None, "bytes": 0, "messages": 0, "records": 0}
    new_soas, ctx = 0, None
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(len(wire).to_bytes(2, "big") + wire)
            deadline = time.monotonic() + timeout * 6
            while time.monotonic() < deadline:
                w = _read_frame(s)
                if w is None:
                    return None
                m = dns.message.from_wire(w, xfr=True, one_rr_per_rrset=True,
                                          keyring=kw.get("keyring"), request_mac=q.mac,
                                          multi=True, tsig_ctx=ctx)
                ctx = m.tsig_ctx
                if m.rcode() != dns.rcode.NOERROR:
                    return None
                out["bytes"] += len(w)
                out["messages"] += 1
                for rrset in m.answer:
                    out["records"] += 1
                    if rrset.rdtype != dns.rdatatype.SOA:
                        continue
                    sn = rrset[0].serial
                    if out["serial"] is None:
                        out["serial"] = sn
                        if sn == serial:
                            return out  # up to date: the SOA alone
                    elif out["records"] == 2 and sn == serial:
                        out["incremental"] = True
                    if sn == out["serial"]:
                        new_soas += 1
                # the end: AXFR-style after its second SOA, a difference sequence after
                # the third time the new SOA is seen (the first, the last sequence's, the end)
                if new_soas >= (3 if out["incremental"] else 2):
                    return out
    except (dns.exception.DNSException, OSError):
        return None
    return None


def has_config_key(lanad, key):
    """Whether `lanad --check` knows the configuration key (set or not)."""
    try:
        r = subprocess.run([lanad, "--check"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return any(re.match(r"#?\s*" + re.escape(key) + r"\b", l) for l in r.stdout.splitlines())


def _apparmor_enabled():
    try:
        with open("/sys/module/apparmor/parameters/enabled") as f:
            return f.read().strip() == "Y"
    except OSError:
        return False


def _b64_secret():
    return base64.b64encode(os.urandom(32)).decode()


class Secondary:
    """What the three have in common: a directory, a port, a process, a log. Subclasses
    write the configuration (_configure), give the command line (_argv), and know their
    control tool (refresh) and their log's words (transfers)."""

    kind = "secondary"
    program = None

    def __init__(self, workdir, primary_port, zones=(), key=None, catalog=None, port=None,
                 primary="127.0.0.1", log_level="info"):
        self.dir = os.path.join(workdir, self.kind)
        os.makedirs(self.dir, exist_ok=True)
        self.primary, self.primary_port = primary, primary_port
        self.zones = [z.rstrip(".") + "." for z in zones]
        self.key, self.catalog = key, catalog
        self.port = port or free_port()
        self.log_level = log_level
        self.log = os.path.join(self.dir, self.kind + ".log")
        self.proc = None
        self.exe = find_program(self.program)

    # ---- life
    def available(self):
        """Whether the daemon is installed (tools/install-deps.sh installs all three)."""
        return self.exe is not None

    def start(self):
        """Writes the configuration and starts the daemon in the foreground of its own
        session; returns once it answers on its port (any rcode), at most START_TIMEOUT s.
        A port taken meanwhile is replaced by another, twice at most."""
        if not self.available():
            raise SecondaryError(f"{self.program} not found (tools/install-deps.sh)")
        for attempt in range(3):
            self._configure()
            logf = open(self.log, "ab")
            self.proc = subprocess.Popen(self._argv(), stdin=subprocess.DEVNULL, stdout=logf,
                                         stderr=subprocess.STDOUT, cwd=self.dir,
                                         start_new_session=True)
            logf.close()
            deadline = time.monotonic() + START_TIMEOUT
            while time.monotonic() < deadline and self.proc.poll() is None:
                if self._answers():
                    return self
                time.sleep(0.05)
            bind_failed = re.search(r"address already in use|could not bind|cannot bind"
                                    r"|can't bind", self.log_text()[-4000:], re.I)
            self.stop()
            if not bind_failed:
                break
            self.port = free_port()
        raise SecondaryError(f"{self.kind} did not start on 127.0.0.1:{self.port}\n" +
                             self.log_tail())

    def _answers(self):
        try:
            q = dns.message.make_query("version.bind.", "TXT", "CH")
            dns.query.udp(q, "127.0.0.1", port=self.port, timeout=0.2)
            return True
        except (dns.exception.DNSException, OSError):
            return False

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """TERM to the process we started (by PID), KILL after STOP_TIMEOUT s; its exit
        status, or None when it was not running."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def pid(self):
        return self.proc.pid if self.alive() else None

    # ---- what it serves
    def serial(self, zone):
        """The serial it answers for zone with AA, or None (not loaded yet, expired)."""
        return soa_serial(self.port, zone)

    def query(self, name, rdtype):
        return query(self.port, name, rdtype)

    def records(self, zone):
        """(sorted record lines, serial) by AXFR from this secondary (each allows it to
        127.0.0.1); (None, None) on failure."""
        return axfr_records(self.port, zone)

    def wait_serial(self, zone, serial, timeout):
        """Polls every 20 ms until it serves zone at `serial` or later (RFC 1982); the
        serial it reached (or the last seen, possibly None) and whether it got there."""
        deadline = time.monotonic() + timeout
        got = None
        while True:
            got = self.serial(zone)
            if got is not None and serial_gte(got, serial):
                return got, True
            if time.monotonic() >= deadline or not self.alive():
                return got, False
            time.sleep(0.02)

    def wait_gone(self, zone, timeout):
        """Polls until it no longer answers zone with AA; whether that happened in time."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.serial(zone) is None:
                return True
            time.sleep(0.05)
        return False

    # ---- its log
    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_tail(self, n=30):
        lines = self.log_text().splitlines()[-n:]
        return "\n".join(f"#   {self.kind}: {l}" for l in lines) or f"#   {self.kind}: (empty log)"

    def mark(self):
        """A position in the log: transfers(zone, since=mark) reads only what came after."""
        return len(self.log_text())

    def transfers(self, zone, since=0):
        """The kinds of incoming transfers of zone it logged after `since`, in order:
        "IXFR" for an incremental one, "AXFR" for a whole zone (an IXFR answered AXFR-style
        counts as AXFR); "XFR" where the server does not say (NSD)."""
        raise NotImplementedError

    def notifies(self, zone, since=0):
        """How many NOTIFY messages for zone it logged as received after `since`."""
        raise NotImplementedError

    def _run_control(self, argv):
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=15, cwd=self.dir)
        except subprocess.TimeoutExpired:
            raise SecondaryError(f"{' '.join(argv)}: no answer in 15 s\n" + self.log_tail())
        if r.returncode != 0:
            raise SecondaryError(f"{' '.join(argv)}: exit {r.returncode}: "
                                 f"{(r.stdout + r.stderr).strip()}\n" + self.log_tail())
        return r.stdout


class Knot(Secondary):
    """knotd -c knot.conf: zones as secondaries of the primary, or (with catalog) the
    catalog zone with catalog-role interpret and a template its members take."""

    kind = "knot"
    program = "knotd"

    def _argv(self):
        return [self.exe, "-c", self._conf()]

    def _conf(self):
        return os.path.join(self.dir, "knot.conf")

    def _configure(self):
        d = self.dir
        key_ref = ""
        lines = ["server:", f"  listen: 127.0.0.1@{self.port}", f"  rundir: \"{d}\"",
                 f"  pidfile: \"{d}/knot.pid\"", "  udp-workers: 1", "  tcp-workers: 1",
                 "  background-workers: 1",
                 "log:", "  - target: stderr", f"    any: {self.log_level}",
                 "control:", f"  listen: \"{d}/knot.sock\"",
                 "database:", f"  storage: \"{d}\""]
        if self.key is not None:
            lines += ["key:", f"  - id: {self.key.name}", f"    algorithm: {self.key.algorithm}",
                      f"    secret: {self.key.secret}"]
            key_ref = f"    key: {self.key.name}"
        lines += ["remote:", "  - id: primary",
                  f"    address: {self.primary}@{self.primary_port}"]
        if key_ref:
            lines.append(key_ref)
        # NOTIFY from the primary; AXFR out to the tests on loopback (they compare zones)
        lines += ["acl:", "  - id: from-primary", f"    address: {self.primary}",
                  "    action: notify"]
        if key_ref:
            lines.append(key_ref)
        lines += ["  - id: to-tests", "    address: 127.0.0.1", "    action: transfer",
                  "template:", "  - id: default", f"    storage: \"{d}\"",
                  "    master: primary", "    acl: [from-primary, to-tests]",
                  "    zonefile-sync: -1", "    zonefile-load: none",
                  "    journal-content: changes",
                  "zone:"]
        for z in self.zones:
            lines.append(f"  - domain: {z}")
        if self.catalog:
            # RFC 9432: the members' settings come from the template named here
            lines += [f"  - domain: {self.catalog}", "    catalog-role: interpret",
                      "    catalog-template: default"]
        if not self.zones and not self.catalog:
            lines.pop()  # an empty zone: section is an error
        with open(self._conf(), "w") as f:
            f.write("\n".join(lines) + "\n")

    def control(self, *args):
        """knotc on this instance's control socket."""
        knotc = find_program("knotc")
        if knotc is None:
            raise SecondaryError("knotc not found")
        return self._run_control([knotc, "-c", self._conf(), "-t", "10", *args])

    def refresh(self, zone):
        """Asks for a refresh now (SOA query, then IXFR or AXFR as needed)."""
        self.control("zone-refresh", zone)

    def retransfer(self, zone):
        """Asks for a whole transfer (AXFR) now."""
        self.control("zone-retransfer", zone)

    # Knot 3.2: "[lab.] AXFR, incoming, remote 127.0.0.1@5300, finished, ..." and
    # "[lab.] IXFR, incoming, remote ..., finished"; an IXFR answered with the whole zone
    # logs "receiving AXFR-style IXFR" first and finishes as AXFR.
    def transfers(self, zone, since=0):
        z = re.escape(zone.rstrip(".").lower() + ".")
        pat = re.compile(r"\[" + z + r"\] (AXFR|IXFR), incoming, remote [^,]*, .*finished",
                         re.I)
        return [m.group(1).upper() for m in pat.finditer(self.log_text()[since:])]

    def notifies(self, zone, since=0):
        z = re.escape(zone.rstrip(".").lower() + ".")
        return len(re.findall(r"\[" + z + r"\] NOTIFY, incoming", self.log_text()[since:],
                              re.I))


class Bind(Secondary):
    """named -g -c named.conf: its own directory, pid file, session key, managed keys, and
    its own rndc key and control port (never the system's rndc.key or port 953). Logs at
    debug level 3, where it tells an incremental response from a whole one."""

    kind = "bind"
    program = "named"
    debug = 3  # named -d: at 3 it logs whether a transfer came as IXFR (0: quieter)

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.rndc_port = None
        self.rndc_secret = _b64_secret()
        # The distribution's AppArmor profile for named confines the program at its
        # installed path to the system's directories (/etc/bind, /var/cache/bind): an
        # instance with its files in a temporary directory runs from a copy there instead.
        if self.exe is not None and _apparmor_enabled():
            copy = os.path.join(self.dir, "named")
            shutil.copy2(self.exe, copy)
            self.exe = copy

    def _argv(self):
        # -g: foreground, log to stderr; -n 1: one worker thread is plenty on loopback
        return [self.exe, "-g", "-d", str(self.debug), "-n", "1", "-c", self._conf()]

    def _conf(self):
        return os.path.join(self.dir, "named.conf")

    def _primaries(self):
        k = f" key \"{self.key.name}\"" if self.key is not None else ""
        return f"{{ {self.primary} port {self.primary_port}{k}; }}"

    def _configure(self):
        d = self.dir
        self.rndc_port = free_port()
        cat = ""
        if self.catalog:
            os.makedirs(os.path.join(d, "catalog"), exist_ok=True)
            # RFC 9432: member zones take the primaries given here
            cat = (f"  catalog-zones {{\n    zone \"{self.catalog}\"\n"
                   f"      default-primaries {self._primaries()}\n"
                   f"      zone-directory \"{d}/catalog\"\n      in-memory no;\n  }};\n")
        key = ""
        if self.key is not None:
            key = (f"key \"{self.key.name}\" {{ algorithm {self.key.algorithm}; "
                   f"secret \"{self.key.secret}\"; }};\n")
        text = (
            f"options {{\n  directory \"{d}\";\n  pid-file \"{d}/named.pid\";\n"
            f"  session-keyfile \"{d}/session.key\";\n  managed-keys-directory \"{d}\";\n"
            f"  dump-file \"{d}/cache.dump\";\n  statistics-file \"{d}/named.stats\";\n"
            f"  listen-on port {self.port} {{ 127.0.0.1; }};\n  listen-on-v6 {{ none; }};\n"
            "  recursion no;\n  dnssec-validation no;\n  notify no;\n"
            f"  allow-notify {{ {self.primary}; }};\n  allow-transfer {{ 127.0.0.1; }};\n"
            # a lab's zones change often: refresh at the SOA's pace, retry soon
            "  min-refresh-time 1;\n  min-retry-time 1;\n"
            f"{cat}}};\n{key}"
            f"key \"rndc-key\" {{ algorithm hmac-sha256; secret \"{self.rndc_secret}\"; }};\n"
            f"controls {{ inet 127.0.0.1 port {self.rndc_port} allow {{ 127.0.0.1; }} "
            "keys { \"rndc-key\"; }; };\n")
        zones = self.zones + ([self.catalog] if self.catalog else [])
        for z in zones:
            text += (f"zone \"{z}\" {{ type secondary; primaries {self._primaries()}; "
                     f"file \"{z}db\"; }};\n")
        with open(self._conf(), "w") as f:
            f.write(text)
        with open(os.path.join(d, "rndc.conf"), "w") as f:
            f.write(f"key \"rndc-key\" {{ algorithm hmac-sha256; "
                    f"secret \"{self.rndc_secret}\"; }};\n"
                    "options { default-key \"rndc-key\"; default-server 127.0.0.1; "
                    f"default-port {self.rndc_port}; }};\n")

    def control(self, *args):
        """rndc with this instance's own key and port."""
        rndc = find_program("rndc")
        if rndc is None:
            raise SecondaryError("rndc not found")
        return self._run_control([rndc, "-c", os.path.join(self.dir, "rndc.conf"), *args])

    def refresh(self, zone):
        self.control("refresh", zone)

    def retransfer(self, zone):
        self.control("retransfer", zone)

    # BIND 9.18 at debug 3: "transfer of 'lab/IN' from 127.0.0.1#5300: got incremental
    # response" or "... got nonincremental response", then "Transfer completed: ..."
    def transfers(self, zone, since=0):
        z = re.escape(zone.rstrip(".").lower() or ".")
        pat = re.compile(r"transfer of '" + z + r"/IN' from [^:]*: got (non)?incremental "
                         r"response", re.I)
        return ["AXFR" if m.group(1) else "IXFR"
                for m in pat.finditer(self.log_text()[since:])]

    def notifies(self, zone, since=0):
        z = re.escape(zone.rstrip(".").lower() or ".")
        return len(re.findall(r"zone " + z + r"/IN: notify from ", self.log_text()[since:],
                              re.I))


class Nsd(Secondary):
    """nsd -d -c nsd.conf: no chroot, no change of user, its own zone list, xfrd state, and
    a control socket in its directory (nsd-control over a unix socket needs no
    certificates). NSD 4.6 has no catalog zones."""

    kind = "nsd"
    program = "nsd"

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        if self.catalog:
            raise SecondaryError("NSD 4.6 does not consume catalog zones (4.9 does)")

    def _argv(self):
        return [self.exe, "-d", "-c", self._conf()]

    def _conf(self):
        return os.path.join(self.dir, "nsd.conf")

    def _configure(self):
        d = self.dir
        keyname = self.key.name if self.key is not None else "NOKEY"
        lines = ["server:", f"  ip-address: 127.0.0.1@{self.port}", '  username: ""',
                 '  chroot: ""', f"  zonesdir: \"{d}\"", '  database: ""',
                 f"  zonelistfile: \"{d}/zone.list\"", f"  xfrdfile: \"{d}/xfrd.state\"",
                 f"  xfrdir: \"{d}\"", f"  pidfile: \"{d}/nsd.pid\"", "  server-count: 1",
                 "  verbosity: 2", "  rrl-ratelimit: 0",
                 "remote-control:", "  control-enable: yes",
                 f"  control-interface: \"{d}/nsd.ctl\""]
        if self.key is not None:
            lines += ["key:", f"  name: {self.key.name}", f"  algorithm: {self.key.algorithm}",
                      f"  secret: \"{self.key.secret}\""]
        for z in self.zones:
            lines += ["zone:", f"  name: {z}", f"  zonefile: \"{z}zone\"",
                      f"  request-xfr: {self.primary}@{self.primary_port} {keyname}",
                      f"  allow-notify: {self.primary} {keyname}",
                      "  provide-xfr: 127.0.0.1 NOKEY"]
        with open(self._conf(), "w") as f:
            f.write("\n".join(lines) + "\n")

    def control(self, *args):
        """nsd-control on this instance's unix socket."""
        ctl = find_program("nsd-control")
        if ctl is None:
            raise SecondaryError("nsd-control not found")
        return self._run_control([ctl, "-c", self._conf(), *args])

    def refresh(self, zone):
        self.control("transfer", zone)

    def retransfer(self, zone):
        self.control("force_transfer", zone)

    # NSD 4.6 at verbosity 2: 'xfrd: zone lab. committed "received update to serial 7 at
    # ... from 127.0.0.1@5300"' for any transfer, incremental or whole: it does not say
    # which, so each counts as "XFR".
    def transfers(self, zone, since=0):
        z = re.escape(zone.rstrip(".").lower() + ".")
        return ["XFR" for _ in re.finditer(r"xfrd: zone " + z + r" committed",
                                           self.log_text()[since:], re.I)]

    # "notify for lab. from 127.0.0.1 serial 7"
    def notifies(self, zone, since=0):
        z = re.escape(zone.rstrip(".").lower() + ".")
        return len(re.findall(r"notify for " + z + r" from ", self.log_text()[since:], re.I))


KINDS = {"knot": Knot, "bind": Bind, "nsd": Nsd}
