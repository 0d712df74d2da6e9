"""whois on port 43 (RFC 3912) with the Debian whois client: RPSL objects for addresses and
prefixes (IPv4 and IPv6) under the RIPE flags -L -l -M -m -x -T -i mnt-by, zones, hosts and
reverse names, accounts; the errors RIPE gives for bad queries (unknown flags and types, a
bad byte, no key, an over-long line), an idle connection closed by the server, a connection
flood during which another client is still answered, the per-address query rate; and the
chain of `lana whois` and of `whois -L` agree, address by address."""

import ipaddress
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import lanatest  # noqa: E402
from lanatest import check  # noqa: E402

LANA = os.environ.get("LANA", "lana")
WHOIS = shutil.which("whois")


def raw(port, data, host="127.0.0.1", src=None, timeout=10, shut=False):
    """Sends data on a connection of its own and reads until the server closes it."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if src:
        s.bind((src, 0))
    s.connect((host, port))
    if data:
        s.sendall(data)
    if shut:
        s.shutdown(socket.SHUT_WR)
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except (socket.timeout, ConnectionResetError):
        pass
    s.close()
    return out.decode(errors="replace")


def objects(text):
    """The RPSL objects of an answer: a list of lists of (attribute, value). (The client's
    own "Warning: RIPE flags used with a traditional server." is no attribute.)"""
    objs, cur = [], []
    for line in text.splitlines():
        if not re.match(r"[a-z0-9-]+:", line):
            if cur:
                objs.append(cur)
                cur = []
            continue
        k, _, v = line.partition(":")
        cur.append((k, v.strip()))
    if cur:
        objs.append(cur)
    return objs


def prefix_of(obj):
    """An inetnum's range or an inet6num's prefix as a prefix in canonical text."""
    k, v = obj[0]
    if k == "inet6num":
        return str(ipaddress.ip_network(v))
    a, b = (ipaddress.ip_address(x.strip()) for x in v.split("-"))
    nets = list(ipaddress.summarize_address_range(a, b))
    return str(nets[0]) if len(nets) == 1 else v


def attr(obj, name):
    return [v for k, v in obj if k == name]


def main():
    if WHOIS is None:
        print("1..0 # SKIP the whois client is not installed")
        return 77
    work = tempfile.mkdtemp(prefix="lana-whois43.")
    d = lanatest.Daemon(work, "--listen-whois", "127.0.0.1:0", "--listen-whois", "[::1]:0",
                        "--pool", "198.18.0.0/15", "--pool", "2001:db8::/32",
                        "--whois-rate", "100000", "--whois-timeout", "2",
                        "--whois-max-connections", "64", "--whois-max-per-address", "48")
    d2 = None
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANA_")}
    env.update(HOME=work, XDG_CONFIG_HOME=os.path.join(work, "xdg"),
               LANA_SERVER=f"127.0.0.1:{d.registry_port}",
               LANA_TOKEN_FILE=os.path.join(work, "admin.token"))
    p4 = d.whois_ports[0]
    p6 = d.whois_ports[1] if len(d.whois_ports) > 1 else None

    def lana(*args):
        r = subprocess.run([LANA, *args], env=env, capture_output=True, text=True, timeout=60)
        return r.returncode, r.stdout, r.stderr

    def whois(*args, port=p4, host="127.0.0.1"):
        r = subprocess.run([WHOIS, "-h", host, "-p", str(port), *args], capture_output=True,
                           text=True, timeout=30)
        return r.stdout

    try:
        setup = [
            ("account", "add", "reg1", "--role", "registrar", "--out", os.path.join(work, "r")),
            ("account", "add", "stu7", "--role", "registrant", "--sponsor", "reg1", "--out",
             os.path.join(work, "s")),
            ("block", "alloc", "198.18.0.0/16", "--to", "reg1", "--holder", "REG-ONE",
             "--desc", "a registrar"),
            ("block", "alloc", "198.18.0.0/20", "--to", "reg1", "--holder", "LIR one"),
            ("block", "assign", "198.18.7.0/24", "--to", "stu7", "--holder", "student seven",
             "--desc", "lab LAN"),
            ("block", "alloc", "2001:db8::/48", "--to", "reg1", "--holder", "REG-ONE"),
            ("block", "assign", "2001:db8:0:7::/64", "--to", "stu7", "--holder", "student seven"),
            ("zone", "add", "stu7.lab", "--for", "stu7", "--block", "198.18.7.0/24"),
            ("zone", "add", "18.198.in-addr.arpa"),
            ("host", "add", "web1.stu7.lab", "--v4", "198.18.7.10", "--v6", "2001:db8:0:7::10"),
        ]
        for cmd in setup:
            rc, out, err = lana(*cmd)
            check("setup: lana " + " ".join(cmd[:3]), rc == 0, (rc, out, err))

        # ---- an address, no flags: the most specific block (and the host there) ----------
        out = whois("198.18.7.99")
        objs = objects(out)
        check("no flags: one inetnum, the most specific block",
              len(objs) == 1 and objs[0][0] == ("inetnum", "198.18.7.0 - 198.18.7.255"), out)
        o = objs[0] if objs else []
        check("its attributes as RIPE prints them",
              attr(o, "netname") == ["STUDENT-SEVEN"] and attr(o, "descr") == ["lab LAN"] and
              attr(o, "status") == ["ASSIGNED PA"] and attr(o, "mnt-by") == ["stu7"] and
              attr(o, "source") == ["LANA"], o)
        check("created and last-modified in ISO 8601 UTC",
              all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", v)
                  for v in attr(o, "created") + attr(o, "last-modified")) and
              len(attr(o, "created")) == 1, o)
        check("attributes padded to 16 columns, % comments, source LANA",
              "\ninetnum:        198.18.7.0 - 198.18.7.255\n" in out and
              out.startswith("% ") and "\nsource:         LANA\n" in out, out[:300])
        out = whois("198.18.7.10")
        objs = objects(out)
        check("a host's address: its /32 and the host's domain object",
              [ob[0] for ob in objs] == [("inetnum", "198.18.7.10 - 198.18.7.10"),
                                          ("domain", "web1.stu7.lab")], out)

        # ---- -L -l -x -m -M ---------------------------------------------------------------
        objs = objects(whois("-L", "198.18.7.99"))
        check("-L: the chain from the root pool, with RIPE's statuses",
              [(prefix_of(ob), attr(ob, "status")[0]) for ob in objs] ==
              [("198.18.0.0/15", "ALLOCATED UNSPECIFIED"), ("198.18.0.0/16", "ALLOCATED PA"),
               ("198.18.0.0/20", "SUB-ALLOCATED PA"), ("198.18.7.0/24", "ASSIGNED PA")],
              objs)
        objs = objects(whois("-l", "198.18.7.0/24"))
        check("-l: one level less specific, not the exact block",
              [prefix_of(ob) for ob in objs] == ["198.18.0.0/20"], objs)
        objs = objects(whois("-x", "198.18.7.0/24"))
        check("-x: the exact block", [prefix_of(ob) for ob in objs] == ["198.18.7.0/24"], objs)
        out = whois("-x", "198.18.7.0/25")
        check("-x of no block: %ERROR:101 no entries found",
              "%ERROR:101: no entries found" in out and "% No entries found" in out and
              not objects(out), out)
        objs = objects(whois("-m", "198.18.0.0/16"))
        check("-m: one level more specific", [prefix_of(ob) for ob in objs] == ["198.18.0.0/20"],
              objs)
        objs = objects(whois("-M", "198.18.0.0/16"))
        check("-M: all more specific, depth first",
              [ob[0][1] for ob in objs] ==
              ["198.18.0.0 - 198.18.15.255", "198.18.7.0 - 198.18.7.255",
               "198.18.7.10 - 198.18.7.10"], objs)
        objs = objects(whois("198.18.7.0 - 198.18.7.255"))
        check("a range that is a prefix is a key", [prefix_of(ob) for ob in objs] ==
              ["198.18.7.0/24"], objs)

        # ---- IPv6, over IPv6, and -T ------------------------------------------------------
        if p6 is not None:
            out = whois("-T", "inet6num", "-L", "2001:db8:0:7::99", host="::1", port=p6)
            objs = objects(out)
            check("IPv6 over IPv6, -T inet6num -L: inet6num objects with IPv6 statuses",
                  [(ob[0], attr(ob, "status")) for ob in objs] ==
                  [(("inet6num", "2001:db8::/32"), ["ALLOCATED-BY-RIR"]),
                   (("inet6num", "2001:db8::/48"), ["ALLOCATED-BY-RIR"]),
                   (("inet6num", "2001:db8:0:7::/64"), ["ASSIGNED"])], out)
        else:
            print("# no IPv6 loopback: the IPv6 endpoint is not tested")
        out = whois("-T", "inetnum", "2001:db8:0:7::99")
        check("-T inetnum of an IPv6 address: no entries", "%ERROR:101" in out, out)
        out = whois("-T", "domain", "198.18.7.10")
        objs = objects(out)
        check("-T domain of a host's address: the host's domain object only",
              [ob[0] for ob in objs] == [("domain", "web1.stu7.lab")], out)

        # ---- -i mnt-by --------------------------------------------------------------------
        objs = objects(whois("-i", "mnt-by", "stu7"))
        # (the host's addresses are admin's: admin registered the host)
        check("-i mnt-by: the blocks and zones an account maintains",
              [ob[0] for ob in objs] ==
              [("inetnum", "198.18.7.0 - 198.18.7.255"), ("inet6num", "2001:db8:0:7::/64"),
               ("domain", "stu7.lab")], objs)
        objs = objects(whois("-T", "domain", "-i", "mnt-by", "reg1"))
        check("-T domain -i mnt-by of a registrar: the zones it sponsors",
              [ob[0] for ob in objs] == [("domain", "stu7.lab")], objs)
        out = whois("-i", "mnt-by", "nobody")
        check("-i mnt-by of nobody: no entries", "%ERROR:101" in out, out)

        # ---- domains: a zone, a host, reverse names; an account ----------------------------
        objs = objects(whois("stu7.lab"))
        o = objs[0] if objs else []
        check("a zone: a domain object with its registrant and sponsor as mnt-by",
              len(objs) == 1 and o[0] == ("domain", "stu7.lab") and
              attr(o, "mnt-by") == ["stu7", "reg1"], objs)
        objs = objects(whois("WEB1.stu7.lab"))
        o = objs[0] if objs else []
        check("a host: its addresses", len(objs) == 1 and o[0] == ("domain", "web1.stu7.lab") and
              "address 198.18.7.10" in attr(o, "descr") and
              "address 2001:db8:0:7::10" in attr(o, "descr"), objs)
        objs = objects(whois("10.7.18.198.in-addr.arpa"))
        check("a full reverse name: its PTR host, then the block holding the address",
              [ob[0] for ob in objs] == [("domain", "10.7.18.198.in-addr.arpa"),
                                          ("inetnum", "198.18.7.10 - 198.18.7.10")] and
              "PTR web1.stu7.lab." in attr(objs[0], "descr") and
              attr(objs[0], "mnt-by") == ["admin"], objs)  # admin registered the host
        objs = objects(whois("-L", "7.18.198.in-addr.arpa"))
        check("a partial reverse name with -L: the chain of its prefix",
              [ob[0][0] for ob in objs] == ["domain"] + ["inetnum"] * 4 and
              prefix_of(objs[-1]) == "198.18.7.0/24", objs)
        objs = objects(whois("stu7"))
        check("an account: a mntner object managed by its registrar",
              [ob[0] for ob in objs] == [("mntner", "stu7")] and
              attr(objs[0], "mnt-by") == ["reg1"], objs)
        objs = objects(whois("student seven"))
        check("a holder text: its blocks",
              [prefix_of(ob) for ob in objs] == ["198.18.7.0/24", "2001:db8:0:7::/64"], objs)
        for q in ("192.0.2.1", "nope.lab", "9.9.10.in-addr.arpa", "nobody"):
            out = whois(q)
            check(f"not found: {q}", "%ERROR:101: no entries found" in out and
                  "% No entries found in source LANA." in out, out)

        # ---- bad queries: RIPE's error numbers ---------------------------------------------
        cases = [
            (b"-k 198.18.7.1\r\n", "%ERROR:111: invalid option supplied"),
            (b"--all 198.18.7.1\r\n", "%ERROR:111"),
            (b"-T person 198.18.7.1\r\n", "%ERROR:103: unknown object type"),
            (b"-L -M 198.18.7.1\r\n", "%ERROR:109: invalid combination of flags passed"),
            (b"-i admin-c stu7\r\n", "%ERROR:111"),
            (b"-L\r\n", "%ERROR:106: no search key specified"),
            (b"\r\n", "%ERROR:106"),
            (b"198.18.7.1\x01\r\n", "%ERROR:108: bad character in input"),
            (b"\xff\xfe198.18.7.1\r\n", "%ERROR:108"),
            (b"198.18.7.0 - 198.18.7.254\r\n", "%ERROR:115: invalid search key"),
            (b"a" * 1025 + b"\r\n", "%ERROR:107: input line too long"),
            (b"a" * 5000, "%ERROR:107: input line too long"),
        ]
        for data, want in cases:
            out = raw(p4, data)
            check(f"{data[:24]!r}: {want}", want in out and not objects(out), out[:400])
        out = whois("-b", "198.18.7.1")
        check("the whois client's -b (not lana's): %ERROR:111", "%ERROR:111" in out, out)
        out = raw(p4, b"198.18.7.99\n")
        check("LF alone ends the line", ("inetnum", "198.18.7.0 - 198.18.7.255") in
              [ob[0] for ob in objects(out)], out[:300])
        out = raw(p4, b"-rL 198.18.7.99", shut=True)
        check("a line ended by the client's half-close, flags in one word",
              len(objects(out)) == 4, out[:300])

        # ---- an idle connection is closed by the server -------------------------------------
        t0 = time.monotonic()
        out = raw(p4, b"", timeout=10)
        took = time.monotonic() - t0
        check("an idle connection is closed after whois-timeout (2 s), saying why",
              1.5 <= took < 5 and "no query within 2 seconds" in out, (took, out))

        # ---- a flood of idle connections: another client is still answered -------------------
        flood, t0 = [], time.monotonic()
        for _ in range(300):
            s = socket.socket()
            s.settimeout(5)
            try:
                s.connect(("127.0.0.1", p4))
            except OSError:
                s.close()
                break
            flood.append(s)
            if time.monotonic() - t0 > 10:
                break
        t1 = time.monotonic()
        out = whois("198.18.7.99")
        took = time.monotonic() - t1
        check("during a flood of 300 idle connections a query is answered",
              ("inetnum", "198.18.7.0 - 198.18.7.255") in [ob[0] for ob in objects(out)] and
              took < 5, (took, out[:300]))
        closed = 0
        for s in flood:
            s.setblocking(False)
            try:
                s.recv(4096)  # the server's last words, or its end of the stream
                closed += 1
            except BlockingIOError:
                pass  # still open
            except ConnectionResetError:
                closed += 1
        check("the flood's oldest connections were pushed out (at most 64 stay open)",
              closed >= len(flood) - 64, (closed, len(flood)))
        for s in flood:
            s.close()
        check("lanad still runs after the flood", d.alive())

        # ---- lana whois and whois -L agree on the chain -------------------------------------
        rnd = random.Random(43)
        addrs = ["198.18.7.10", "198.18.7.99", "198.18.200.1", "2001:db8:0:7::10",
                 "2001:db8:0:7::99", "2001:db8:ff::1"]
        addrs += [str(ipaddress.ip_address(0xC6120000 + rnd.randrange(1 << 17)))
                  for _ in range(20)]
        agree = []
        for a in addrs:
            rc, out, err = lana("whois", a, "--json")
            mine = [b["prefix"] for b in json.loads(out)["chain"]] if rc == 0 else None
            theirs = [prefix_of(ob) for ob in objects(whois("-L", a))]
            agree.append((a, mine == theirs, mine, theirs))
        bad = [x for x in agree if not x[1]]
        check(f"lana whois and whois -L give the same chain for {len(addrs)} addresses",
              not bad, bad[:3])

        # ---- the query rate per client address ---------------------------------------------
        w2 = os.path.join(work, "rate")
        os.mkdir(w2)
        d2 = lanatest.Daemon(w2, "--listen-whois", "127.0.0.1:0", "--whois-rate", "5")
        answers = [raw(d2.whois_ports[0], b"198.18.0.1\r\n") for _ in range(20)]
        ok = sum("inetnum:" in a for a in answers)
        denied = sum("%ERROR:201: access denied" in a for a in answers)
        check("over whois-rate (5/s): refused with %ERROR:201, the first ones answered",
              5 <= ok <= 8 and ok + denied == 20, (ok, denied, answers[-1][:300]))
        other = raw(d2.whois_ports[0], b"198.18.0.1\r\n", src="127.0.0.2")
        check("another client address keeps its own rate", "inetnum:" in other, other[:300])
        time.sleep(1.1)
        again = raw(d2.whois_ports[0], b"198.18.0.1\r\n")
        check("after a second the address is answered again", "inetnum:" in again, again[:300])
        check("both daemons still run", d.alive() and d2.alive())
    finally:
        d.stop()
        if d2 is not None:
            d2.stop()
    shutil.rmtree(work, ignore_errors=True)
    return lanatest.finish()


if __name__ == "__main__":
    sys.exit(main())
