#!/usr/bin/env python3
"""The lab's root server system in network namespaces: three root servers -- lanad (the
primary, serving `.`, `lab.` and `student07.lab.` with the host h1.student07.lab.), Knot and
NSD (secondaries copying the three zones from lanad by AXFR, allowed by address) -- each in
its own namespace on one bridge, and an unbound resolver in a fourth, whose root hints are
what `lana root hints` prints and which validates nothing (module-config "iterator").

It checks the root zone's data as lanad serves it (NS of `.` = the root servers with their
addresses, the delegations of `lab.` and of the reverse zones with glue), that both
secondaries reach lanad's serials, that unbound resolves h1.student07.lab. through the lab's
root, and that it still does, from an empty cache, with lanad killed, and then with Knot
killed too (NSD alone). Needs root, iproute2, knotd, nsd, unbound and dig: skipped (77)
otherwise. Every wait is bounded; everything started is killed by PID and the namespaces
are removed, whatever happens."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from lanatest import check, finish  # noqa: E402

LANAD = os.environ.get("LANAD", "lanad")
LANA = os.environ.get("LANA", "lana")
TAG = str(os.getpid())
SW, R1, R2, R3, RES = (f"lana-{n}-{TAG}" for n in ("sw", "r1", "r2", "r3", "res"))
NETNS = [SW, R1, R2, R3, RES]
ADDR = {R1: "198.18.0.1", R2: "198.18.0.2", R3: "198.18.0.3", RES: "198.18.0.4"}
ZONES = [".", "lab.", "student07.lab."]
H1 = "198.18.7.1"
procs = {}


def skip(why):
    print(f"skipped: {why}")
    sys.exit(77)


def run(*cmd, ns=None, timeout=20, env=None):
    """A command (inside ns), bounded in time: (exit status, stdout, stderr)."""
    full = (["ip", "netns", "exec", ns] if ns else []) + list(cmd)
    try:
        p = subprocess.run(full, capture_output=True, text=True, timeout=timeout, env=env)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return 124, "", f"timed out after {timeout} s: {' '.join(full)}"


def start(name, ns, *cmd, log):
    """A daemon inside ns; ip execs it, so the PID is the daemon's own."""
    out = open(log, "w")
    procs[name] = subprocess.Popen(["ip", "netns", "exec", ns] + list(cmd), stdout=out,
                                   stderr=subprocess.STDOUT)


def stop(name):
    p = procs.pop(name, None)
    if p is not None and p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)


def cleanup(work):
    for name in list(procs):
        stop(name)
    for ns in NETNS:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=20)
    shutil.rmtree(work, ignore_errors=True)


def network():
    """A bridge in SW, one veth pair to each other namespace, 198.18.0.N/24 there."""
    steps = [["ip", "-n", SW, "link", "add", "br0", "type", "bridge"],
             ["ip", "-n", SW, "link", "set", "br0", "up"]]
    for i, ns in enumerate([R1, R2, R3, RES], start=1):
        steps += [["ip", "-n", SW, "link", "add", f"p{i}", "type", "veth", "peer", "name",
                   "eth0", "netns", ns],
                  ["ip", "-n", SW, "link", "set", f"p{i}", "master", "br0", "up"],
                  ["ip", "-n", ns, "link", "set", "lo", "up"],
                  ["ip", "-n", ns, "addr", "add", f"{ADDR[ns]}/24", "dev", "eth0"],
                  ["ip", "-n", ns, "link", "set", "eth0", "up"]]
    for s in steps:
        if run(*s)[0] != 0:
            return False
    return True


def dig(ns, server, *q, short=True):
    args = ["dig", f"@{server}", "+time=2", "+tries=2"] + (["+short"] if short else []) + list(q)
    return run(*args, ns=ns, timeout=15)[1]


def serial(ns, server, zone):
    out = dig(ns, server, "+norec", zone, "SOA").split()
    return out[2] if len(out) == 7 and out[2].isdigit() else None


def records(text):
    """The records of dig's output, each as one line with single spaces."""
    return {" ".join(l.split()) for l in text.split("\n") if l.strip() and not l.startswith(";")}


def wait_for(what, cond, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.3)
    print(f"# gave up waiting for {what} after {seconds} s")
    return False


def knot_conf(work):
    d = os.path.join(work, "knot")
    os.makedirs(d)
    zones = "".join(f"  - domain: \"{z}\"\n" for z in ZONES)
    conf = f"""server:
    rundir: "{d}"
    listen: {ADDR[R2]}@53
database:
    storage: "{d}/db"
log:
  - target: stderr
    any: info
remote:
  - id: lanad
    address: {ADDR[R1]}@53
acl:
  - id: from_lanad
    address: {ADDR[R1]}
    action: notify
template:
  - id: default
    storage: "{d}/zones"
    master: lanad
    acl: from_lanad
    zonefile-load: none
    zonefile-sync: -1
    journal-content: none
zone:
{zones}"""
    path = os.path.join(d, "knot.conf")
    open(path, "w").write(conf)
    return path


def nsd_conf(work):
    d = os.path.join(work, "nsd")
    os.makedirs(d)
    zones = "".join(f"""zone:
    name: "{z}"
    zonefile: "{d}/{z.strip('.') or 'root'}.zone"
    request-xfr: AXFR {ADDR[R1]} NOKEY
    allow-notify: {ADDR[R1]} NOKEY
""" for z in ZONES)
    conf = f"""server:
    ip-address: {ADDR[R3]}
    port: 53
    username: ""
    chroot: ""
    zonesdir: "{d}"
    database: ""
    pidfile: "{d}/nsd.pid"
    xfrdfile: "{d}/xfrd.state"
    xfrdir: "{d}"
    zonelistfile: "{d}/zone.list"
    verbosity: 2
remote-control:
    control-enable: no
{zones}"""
    path = os.path.join(d, "nsd.conf")
    open(path, "w").write(conf)
    return path


def unbound_conf(work, hints):
    d = os.path.join(work, "unbound")
    os.makedirs(d)
    conf = f"""server:
    interface: {ADDR[RES]}
    port: 53
    access-control: 198.18.0.0/15 allow
    do-ip6: no
    do-not-query-localhost: no
    username: ""
    chroot: ""
    directory: "{d}"
    pidfile: "{d}/unbound.pid"
    use-syslog: no
    logfile: ""
    verbosity: 1
    root-hints: "{hints}"
    module-config: "iterator"
remote-control:
    control-enable: yes
    control-interface: "{d}/control.sock"
    control-use-cert: no
"""
    path = os.path.join(d, "unbound.conf")
    open(path, "w").write(conf)
    return path


def main():
    if os.geteuid() != 0:
        skip("needs root for network namespaces")
    for tool in ("ip", "knotd", "nsd", "unbound", "unbound-control", "dig"):
        if shutil.which(tool) is None:
            skip(f"{tool} is not installed (tools/install-deps.sh)")
    work = tempfile.mkdtemp(prefix="lana-rootlab.")
    try:
        for ns in NETNS:
            if run("ip", "netns", "add", ns)[0] != 0:
                skip("cannot create network namespaces here")
        if not network():
            skip("cannot build the namespaces' network here")
        return scenario(work)
    finally:
        cleanup(work)


def lana(*args):
    rc, out, err = run(LANA, *args, ns=R1, env=lana_env)
    if rc != 0:
        print(f"# lana {' '.join(args)}: exit {rc}: {err.strip()}")
    return rc, out


lana_env = dict(os.environ)


def referrals(work):
    """A server holding `.` without lab. answers h1.student07.lab. with the referral to lab.,
    and one holding lab. without student07.lab. with the referral to that: a second lanad
    (198.18.0.1 port 5353) loaded with the first one's zone files, one level at a time."""
    files = {}
    for z in (".", "lab."):
        rc, text = lana("zone", "export", z)
        files[z] = os.path.join(work, f"{z.strip('.') or 'root'}.zone")
        open(files[z], "w").write(text)
    ready = os.path.join(work, "ready2")
    start("lanad2", R1, LANAD, "--db", os.path.join(work, "two.db"), "--listen-dns",
          f"{ADDR[R1]}:5353", "--listen-registry", "127.0.0.1:0", "--ready-file", ready,
          "--listen-http", "127.0.0.1:0",
          "--token-file", os.path.join(work, "two.token"), log=os.path.join(work, "lanad2.log"))
    if not wait_for("lanad2", lambda: os.path.exists(ready) and "pid" in open(ready).read(), 15):
        check("a second lanad starts", False)
        return
    port = next(l.split(":")[-1] for l in open(ready).read().split("\n")
                if l.startswith("registry"))
    env = dict(lana_env, LANA_SERVER=f"127.0.0.1:{port}",
               LANA_TOKEN_FILE=os.path.join(work, "two.token"))
    two = lambda *a: run(LANA, *a, ns=R1, env=env)  # noqa: E731
    two("zone", "del", "lab.", "--recursive")
    rc, out, err = two("zone", "import", files["."], "--origin", ".")
    check("the root zone's file loads into another lanad", rc == 0, out + err)
    q = ["-p", "5353", "+norec", "h1.student07.lab.", "A"]
    ref = dig(RES, ADDR[R1], *q, short=False)
    auth = ref.split("AUTHORITY SECTION:")[-1]
    check("from `.` alone: a referral to lab. (AA clear, NS in authority, glue in additional)",
          "flags: qr;" in ref and "status: NOERROR" in ref and
          all(f"{l}.root-servers.lab." in auth for l in "abc") and
          all(f"A\t{ADDR[n]}" in ref.split("ADDITIONAL SECTION:")[-1] for n in (R1, R2, R3)),
          ref)
    rc, out, err = two("zone", "import", files["lab."], "--origin", "lab.")
    ref = dig(RES, ADDR[R1], *q, short=False)
    check("from lab. without student07.lab.: the referral to student07.lab.",
          rc == 0 and "flags: qr;" in ref and
          "student07.lab.\t\t3600\tIN\tNS\ta.root-servers.lab." in ref, out + err + ref)
    stop("lanad2")


def scenario(work):
    ready = os.path.join(work, "ready")
    start("lanad", R1, LANAD, "--db", os.path.join(work, "lana.db"), "--listen-dns",
          f"{ADDR[R1]}:53", "--listen-registry", "127.0.0.1:0", "--ready-file", ready,
          "--listen-http", "127.0.0.1:0",
          "--allow-transfer", "198.18.0.0/24", log=os.path.join(work, "lanad.log"))
    if not wait_for("lanad", lambda: os.path.exists(ready) and "pid" in open(ready).read(), 15):
        check("lanad starts", False, open(os.path.join(work, "lanad.log")).read()[-2000:])
        return finish()
    port = next(l.split(":")[-1] for l in open(ready).read().split("\n")
                if l.startswith("registry"))
    lana_env.update(LANA_SERVER=f"127.0.0.1:{port}",
                    LANA_TOKEN_FILE=os.path.join(work, "admin.token"))

    # --- the registry: the root zone, a student's zone, its host, three root servers
    check("zone add . (admin)", lana("zone", "add", ".")[0] == 0)
    check("zone add student07.lab", lana("zone", "add", "student07.lab")[0] == 0)
    check("host add h1.student07.lab",
          lana("host", "add", "h1.student07.lab", "--v4", H1, "--v6", "none")[0] == 0)
    for letter, ns in zip("abc", (R1, R2, R3)):
        rc, out = lana("root", "add", f"{letter}.root-servers.lab", ADDR[ns])
        check(f"root add {letter}.root-servers.lab", rc == 0 and "added" in out, out)
    rc, hints = lana("root", "hints")
    want = [f".                        3600000    NS    {l}.root-servers.lab." for l in "abc"]
    want += [f"{l}.root-servers.lab.      3600000    A     {ADDR[ns]}"
             for l, ns in zip("abc", (R1, R2, R3))]
    check("lana root hints: NS and A lines of the three servers",
          rc == 0 and [l for l in hints.split("\n") if l and not l.startswith(";")] == want,
          hints)
    hints_path = os.path.join(work, "root.hints")
    open(hints_path, "w").write(hints)
    rc, js = lana("root", "hints", "--json")
    check("lana root hints --json", rc == 0 and '"name":"a.root-servers.lab."' in js and
          '"addresses":["198.18.0.1"]' in js, js)

    # --- lanad's answers: the root's NS with addresses, delegations with glue
    lanad = ADDR[R1]
    ns_root = sorted(dig(RES, lanad, "+norec", ".", "NS").split())
    check("lanad: . NS = the root servers",
          ns_root == [f"{l}.root-servers.lab." for l in "abc"], str(ns_root))
    prime = dig(RES, lanad, "+norec", ".", "NS", short=False)
    check("lanad: the priming answer is authoritative with the servers' addresses",
          "flags: qr aa" in prime and all(ADDR[n] in prime for n in (R1, R2, R3)), prime)
    axfr = records(dig(RES, lanad, ".", "AXFR", short=False))
    check("the root zone delegates lab. to the root servers",
          all(f"lab. 3600 IN NS {l}.root-servers.lab." in axfr for l in "abc"), str(axfr))
    check("the root zone holds glue for them (below the cut at lab.)",
          all(f"{l}.root-servers.lab. 3600 IN A {ADDR[n]}" in axfr
              for l, n in zip("abc", (R1, R2, R3))), str(axfr))
    check("the root zone delegates the reverse zone 198.in-addr.arpa.",
          "198.in-addr.arpa. 3600 IN NS a.root-servers.lab." in axfr, str(axfr))
    labx = records(dig(RES, lanad, "lab.", "AXFR", short=False))
    check("lab. delegates student07.lab. to the root servers and holds their addresses",
          "student07.lab. 3600 IN NS b.root-servers.lab." in labx and
          "a.root-servers.lab. 3600 IN A 198.18.0.1" in labx, str(labx))
    check("lab. and student07.lab. have the root servers as NS",
          "lab. 3600 IN NS c.root-servers.lab." in labx and
          "student07.lab. 3600 IN NS c.root-servers.lab." in
          records(dig(RES, lanad, "student07.lab.", "AXFR", short=False)), str(labx))

    referrals(work)

    # --- the secondaries copy the three zones
    start("knotd", R2, "knotd", "-c", knot_conf(work), log=os.path.join(work, "knot.log"))
    start("nsd", R3, "nsd", "-d", "-c", nsd_conf(work), log=os.path.join(work, "nsd.log"))
    want_serials = {z: serial(RES, lanad, z) for z in ZONES}
    check("lanad answers the three SOAs", all(want_serials.values()), str(want_serials))
    for name, ns in (("knot", R2), ("nsd", R3)):
        ok = wait_for(f"{name} to copy the zones",
                      lambda: all(serial(RES, ADDR[ns], z) == want_serials[z] for z in ZONES), 40)
        check(f"{name} serves ., lab. and student07.lab. at lanad's serials", ok,
              open(os.path.join(work, f"{name}.log")).read()[-3000:])
    nsd_prime = dig(RES, ADDR[R3], "+norec", ".", "NS", short=False)
    check("nsd answers the priming query with the glue it copied",
          "flags: qr aa" in nsd_prime and ADDR[R2] in nsd_prime, nsd_prime)

    # --- unbound resolves through the lab's root
    ub = unbound_conf(work, hints_path)
    start("unbound", RES, "unbound", "-d", "-c", ub, log=os.path.join(work, "unbound.log"))
    resolver = ADDR[RES]
    got = lambda: dig(RES, resolver, "h1.student07.lab.", "A").strip() == H1  # noqa: E731
    check("unbound resolves h1.student07.lab. through the lab's root", wait_for("unbound", got, 20),
          open(os.path.join(work, "unbound.log")).read()[-3000:])
    full = dig(RES, resolver, "h1.student07.lab.", "A", short=False)
    check("unbound's answer is NOERROR with RA", "status: NOERROR" in full and " ra" in full, full)

    def flush():
        for what in (["flush_zone", "."], ["flush_infra", "all"], ["flush_requestlist"]):
            rc, out, err = run("unbound-control", "-c", ub, *what, ns=RES)
            if rc != 0:
                print(f"# unbound-control {what}: {out}{err}")
                return False
        return True

    # --- one root server down: lanad itself
    stop("lanad")
    check("lanad stopped: it no longer answers", serial(RES, lanad, ".") is None)
    rc, out, err = run(LANAD, "--db", os.path.join(work, "lana.db"), "check")
    check("lanad check finds the root server system's database sound", rc == 0, out + err)
    log = open(os.path.join(work, "lanad.log")).read()
    check("lanad's log has no sanitizer report (in a sanitizer build)",
          "runtime error" not in log and "AddressSanitizer" not in log, log[-3000:])
    check("unbound's cache flushed (unbound-control)", flush())
    check("with lanad stopped, unbound still resolves h1.student07.lab.",
          wait_for("unbound without lanad", got, 30),
          open(os.path.join(work, "unbound.log")).read()[-3000:])
    # --- and a second one: Knot; NSD alone serves the lab
    stop("knotd")
    check("unbound's cache flushed again", flush())
    check("with lanad and knot stopped, unbound resolves through nsd alone",
          wait_for("unbound with nsd alone", got, 30),
          open(os.path.join(work, "unbound.log")).read()[-3000:])
    nx = dig(RES, resolver, "h2.student07.lab.", "A", short=False)
    check("a name the lab does not have is NXDOMAIN through the lab's root",
          "status: NXDOMAIN" in nx, nx)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
