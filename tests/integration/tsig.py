#!/usr/bin/env python3
"""Integration test of TSIG (RFC 8945) in lanad: `lana key add|list|show|del` end to end (the
printed stanzas checked by knotc, named-checkconf and nsd-checkconf when installed; admin only;
bad input changes nothing), and transfers and queries signed with those keys, dnspython and
kdig as strict clients: a multi-message AXFR with every message verified; wrong secret, no
key, unknown key, key of another zone, a stale and a replayed request all refused with the
right rcode and TSIG error; a deleted key stops working at once. Needs LANAD and LANA."""

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
from lanatest import Daemon, Line, check, finish, need_dnspython  # noqa: E402

need_dnspython()
import dns.message  # noqa: E402
import dns.name  # noqa: E402
import dns.query  # noqa: E402
import dns.rcode  # noqa: E402
import dns.rdatatype  # noqa: E402
import dns.tsig  # noqa: E402
import dns.tsigkeyring  # noqa: E402

LANA = os.environ.get("LANA", "lana")
HOSTS = 800  # enough for several 16 KiB messages
NOTAUTH = 9
REFUSED = 5


def tcp_exchange(port, wire, src="127.0.0.1"):
    """Sends one message over a new TCP connection, returns the first answer's bytes (None
    when the connection ends first)."""
    with socket.create_connection(("127.0.0.1", port), timeout=20,
                                  source_address=(src, 0)) as s, s.makefile("rb") as f:
        s.sendall(struct.pack("!H", len(wire)) + wire)
        n = f.read(2)
        body = f.read(struct.unpack("!H", n)[0]) if len(n) == 2 else b""
        return body or None


def keyring(name, secret, alg):
    return {dns.name.from_text(name): dns.tsig.Key(name, secret, alg)}


def signed(qname, qtype, kr, name, alg, skew=0):
    """A query signed skew seconds away from now; (wire, the request MAC)."""
    q = dns.message.make_query(qname, qtype)
    q.use_tsig(kr, keyname=name, algorithm=alg)
    real = time.time
    time.time = lambda: real() + skew
    try:
        w = q.to_wire()
    finally:
        time.time = real
    return w, q.mac


def tsig_tail(w):
    """(Error, Other Data) of the TSIG record ending message w: the record's last fields are
    Original ID, Error, Other Len and Other Data; Other Len is 0 or 6 in what we test."""
    other = w[-6:] if w[-8:-6] == b"\x00\x06" else b""
    end = len(w) - len(other) - 2
    return struct.unpack("!H", w[end - 2:end])[0], other


def peer_error(w, kr, mac):
    """What dnspython says of answer w to a request with MAC mac: "ok", or the exception's
    class name (PeerBadKey, PeerBadSignature, PeerBadTime, BadSignature...)."""
    try:
        dns.message.from_wire(w, keyring=kr, request_mac=mac)
        return "ok"
    except Exception as e:  # noqa: BLE001 - the class is the answer
        return type(e).__name__


def main():
    work = tempfile.mkdtemp(prefix="lana-tsig.")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANA_")}
    env["HOME"] = work
    env["XDG_CONFIG_HOME"] = os.path.join(work, "xdg")
    # unsigned transfers only from 127.0.0.3; everyone else needs a key
    d = Daemon(work, "--allow-transfer", "127.0.0.3/32", "--log-level", "info")
    server = f"127.0.0.1:{d.registry_port}"
    admin = os.path.join(work, "admin.token")

    def lana(*args, token=admin):
        p = subprocess.run([LANA, "--server", server, "--token-file", token, *args], env=env,
                           capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout, p.stderr

    try:
        # ---- the registry side ------------------------------------------------------------
        c = Line(d.registry_port, timeout=120)
        c.login(d.token)
        body = "zone add other.\n" + "".join(  # lab. is there from the start
            f"host add h{i:04d}.lab.\n" for i in range(HOSTS))
        c.s.sendall(b"batch\n" + body.encode() + b"end\n")
        while True:
            line = c.recv()
            if line is None or '"batch":{' in line:
                break
        c.close()
        check("zones and hosts made", line is not None and '"failed":0' in line, line)

        rc, out, err = lana("--json", "key", "add", "xfr-key", "--zone", "lab.")
        k1 = json.loads(out)["key"] if rc == 0 else {}
        check("key add: a random hmac-sha256 key of 32 bytes for lab.",
              rc == 0 and k1["algorithm"] == "hmac-sha256" and k1["zones"] == ["lab."] and
              len(__import__("base64").b64decode(k1["secret"])) == 32, (rc, out, err))
        sec512 = __import__("base64").b64encode(bytes(range(64))).decode()
        rc, out, err = lana("key", "add", "All.Key.", "--algorithm", "hmac-sha512", "--secret",
                            sec512)
        check("key add --secret: the secret given, every zone (text output)",
              rc == 0 and "all.key." in out and sec512 in out and "all" in out, (rc, out, err))
        rc, out, err = lana("--json", "key", "add", "other-key", "--algorithm", "hmac-sha1",
                            "--zone", "other")
        k3 = json.loads(out)["key"] if rc == 0 else {}
        check("key add hmac-sha1: 20 random bytes, zone other.",
              rc == 0 and len(__import__("base64").b64decode(k3["secret"])) == 20 and
              k3["zones"] == ["other."], (rc, out, err))

        rc, out, err = lana("key", "list")
        check("key list: every key, no secret", rc == 0 and "xfr-key." in out and
              "all.key." in out and "other-key." in out and k1["secret"] not in out and
              sec512 not in out, (rc, out, err))
        rc, out, err = lana("--json", "key", "list", "--secrets")
        keys = json.loads(out)["keys"] if rc == 0 else []
        check("key list --secrets --json: with secrets, in name order",
              [k["name"] for k in keys] == ["all.key.", "other-key.", "xfr-key."] and
              all("secret" in k for k in keys), out)

        fmt = {}
        for f in ("knot", "bind", "nsd", "json"):
            rc, fmt[f], err = lana("key", "show", "xfr-key", "--format", f)
            check(f"key show --format {f}", rc == 0 and k1["secret"] in fmt[f], (rc, fmt[f], err))
        check("knot: a key: section", fmt["knot"] ==
              f"key:\n  - id: xfr-key\n    algorithm: hmac-sha256\n    secret: {k1['secret']}\n",
              fmt["knot"])
        check("bind: a key statement", fmt["bind"] ==
              f'key "xfr-key" {{\n\talgorithm hmac-sha256;\n\tsecret "{k1["secret"]}";\n}};\n',
              fmt["bind"])
        check("nsd: a key: clause", fmt["nsd"] ==
              f'key:\n\tname: "xfr-key"\n\talgorithm: hmac-sha256\n\tsecret: "{k1["secret"]}"\n',
              fmt["nsd"])
        check("json: the key object", json.loads(fmt["json"])["secret"] == k1["secret"])
        conf = os.path.join(work, "k.conf")
        if shutil.which("named-checkconf"):
            open(conf, "w").write(fmt["bind"])
            p = subprocess.run(["named-checkconf", conf], capture_output=True, text=True)
            check("named-checkconf takes the bind stanza", p.returncode == 0, p.stdout + p.stderr)
        if shutil.which("nsd-checkconf"):
            open(conf, "w").write("server:\n\tzonesdir: \"" + work + "\"\n" + fmt["nsd"])
            p = subprocess.run(["nsd-checkconf", conf], capture_output=True, text=True)
            check("nsd-checkconf takes the nsd stanza", p.returncode == 0, p.stdout + p.stderr)
        if shutil.which("knotc"):
            open(conf, "w").write(fmt["knot"])
            p = subprocess.run(["knotc", "-c", conf, "conf-check"], capture_output=True, text=True)
            check("knotc conf-check takes the knot stanza", p.returncode == 0, p.stdout + p.stderr)

        # bad input: a clear error, nothing changed
        rc, before, _ = lana("--json", "key", "list", "--secrets")
        for args, want, what in (
                (["key", "add", "bad1", "--secret", "not*base64=="], 65, "not base64"),
                (["key", "add", "bad2", "--secret", "AAEC"], 0, None),  # valid: 3 bytes
                (["key", "add", "bad3", "--algorithm", "hmac-md5"], 65, "hmac-sha256"),
                (["key", "add", "x" * 60 + "." + "y" * 60 + "." + "z" * 60 + "." + "w" * 70],
                 65, "key name"),
                (["key", "add", "bad4", "--zone", "nowhere."], 66, "no such zone"),
                (["key", "add", "bad5", "--zone", "lab.", "--zone", "nowhere."], 66,
                 "no such zone"),
                (["key", "add", "xfr-key"], 73, "exists"),
                (["key", "add", "bad;6"], 65, "key name"),
                (["key", "del", "nosuch"], 66, "no such key")):
            rc, out, err = lana(*args)
            if want == 0:
                lana("key", "del", args[2])
                continue
            check(f"{' '.join(args)[:60]}: exit {want}, '{what}'", rc == want and what in err,
                  (rc, out, err))
        rc, after, _ = lana("--json", "key", "list", "--secrets")
        check("after the refusals the keys are as they were", before == after, (before, after))

        # non-admin: refused
        reg = os.path.join(work, "reg1.token")
        rc, out, err = lana("account", "add", "reg1", "--role", "registrar", "--out", reg)
        check("a registrar account", rc == 0, (rc, out, err))
        for args in (["key", "add", "r"], ["key", "list"], ["key", "show", "xfr-key"],
                     ["key", "del", "xfr-key"]):
            rc, out, err = lana(*args, token=reg)
            check(f"registrar: {' '.join(args)}: exit 77", rc == 77 and k1["secret"] not in out,
                  (rc, out, err))
        p = subprocess.run([LANA, "--server", server, "key", "list"], env=env,
                           capture_output=True, text=True, timeout=60)
        check("anonymous: key list: exit 77", p.returncode == 77, (p.returncode, p.stderr))

        # ---- transfers ----------------------------------------------------------------------
        kr = keyring("xfr-key.", k1["secret"], "hmac-sha256")
        msgs = list(dns.query.xfr("127.0.0.1", "lab.", port=d.dns_port, keyring=kr,
                                  keyname="xfr-key.", keyalgorithm="hmac-sha256", lifetime=60))
        rrs = sum(len(rs) for m in msgs for rs in m.answer)
        check(f"AXFR signed with xfr-key: {len(msgs)} messages, each one's TSIG verified",
              len(msgs) > 2 and all(m.had_tsig for m in msgs) and rrs > 2 * HOSTS,
              (len(msgs), rrs))
        kr5 = keyring("all.key.", sec512, "hmac-sha512")
        for zone in ("lab.", "other."):
            msgs = list(dns.query.xfr("127.0.0.1", zone, port=d.dns_port, keyring=kr5,
                                      keyname="all.key.", keyalgorithm="hmac-sha512"))
            check(f"AXFR {zone} with all.key. (hmac-sha512, every zone)",
                  msgs and all(m.had_tsig for m in msgs))
        kr1 = keyring("other-key.", k3["secret"], "hmac-sha1")
        msgs = list(dns.query.xfr("127.0.0.1", "other.", port=d.dns_port, keyring=kr1,
                                  keyname="other-key.", keyalgorithm="hmac-sha1"))
        check("AXFR other. with other-key. (hmac-sha1)", msgs and all(m.had_tsig for m in msgs))

        # refusals, read from the bytes (rcode, TSIG error) and through dnspython
        w, mac = signed("lab.", "AXFR", kr1, "other-key.", "hmac-sha1")
        r = tcp_exchange(d.dns_port, w)
        check("a key of another zone: REFUSED, signed (dnspython verifies it)",
              r is not None and r[3] & 15 == REFUSED and peer_error(r, kr1, mac) == "ok",
              r and (r[3] & 15, peer_error(r, kr1, mac)))
        bad = keyring("xfr-key.", __import__("base64").b64encode(b"x" * 32).decode(),
                      "hmac-sha256")
        w, mac = signed("lab.", "AXFR", bad, "xfr-key.", "hmac-sha256")
        r = tcp_exchange(d.dns_port, w)
        check("a wrong secret: NOTAUTH, BADSIG, unsigned",
              r is not None and r[3] & 15 == NOTAUTH and tsig_tail(r)[0] == 16 and
              peer_error(r, bad, mac) == "PeerBadSignature", r and (r[3] & 15, tsig_tail(r)))
        unk = keyring("nobody.", k1["secret"], "hmac-sha256")
        w, mac = signed("lab.", "AXFR", unk, "nobody.", "hmac-sha256")
        r = tcp_exchange(d.dns_port, w)
        check("an unknown key: NOTAUTH, BADKEY",
              r is not None and r[3] & 15 == NOTAUTH and tsig_tail(r)[0] == 17 and
              peer_error(r, unk, mac) == "PeerBadKey", r and (r[3] & 15, tsig_tail(r)))
        w, mac = signed("lab.", "AXFR", kr, "xfr-key.", "hmac-sha256", skew=-1000)
        t0 = int(time.time())
        r = tcp_exchange(d.dns_port, w)
        err, other = tsig_tail(r) if r else (None, b"")
        server_time = int.from_bytes(other, "big") if other else 0
        check("a stale request (1000 s old): NOTAUTH, BADTIME with the server's time",
              r is not None and r[3] & 15 == NOTAUTH and err == 18 and
              abs(server_time - t0) <= 2 and peer_error(r, kr, mac) == "PeerBadTime",
              r and (r[3] & 15, err, server_time, t0))
        r = tcp_exchange(d.dns_port, dns.message.make_query("lab.", "AXFR").to_wire())
        check("unsigned, from outside allow-transfer: REFUSED", r is not None and
              r[3] & 15 == REFUSED, r and r[3] & 15)
        r = tcp_exchange(d.dns_port, dns.message.make_query("lab.", "AXFR").to_wire(),
                         src="127.0.0.3")
        check("unsigned, from allow-transfer: served", r is not None and r[3] & 15 == 0 and
              r[7] > 0, r and r[:12])

        # the same signed bytes twice
        w, mac = signed("lab.", "AXFR", kr, "xfr-key.", "hmac-sha256")
        r1 = tcp_exchange(d.dns_port, w)
        r2 = tcp_exchange(d.dns_port, w)
        check("a replayed request: the first served, the copy NOTAUTH BADTIME",
              r1 is not None and r1[3] & 15 == 0 and peer_error(r1, kr, mac) == "ok" and
              r2 is not None and r2[3] & 15 == NOTAUTH and tsig_tail(r2)[0] == 18,
              (r1 and r1[3] & 15, r2 and (r2[3] & 15, tsig_tail(r2))))

        # plain queries
        q = dns.message.make_query("h0001.lab.", "A")
        q.use_tsig(kr, keyname="xfr-key.", algorithm="hmac-sha256")
        a = dns.query.udp(q, "127.0.0.1", port=d.dns_port, timeout=5)
        check("a signed query over UDP: the answer signed and verified",
              a.had_tsig and a.rcode() == 0 and len(a.answer) == 1)
        q = dns.message.make_query("h0002.lab.", "A")
        q.use_tsig(kr5, keyname="all.key.", algorithm="hmac-sha512")
        a = dns.query.tcp(q, "127.0.0.1", port=d.dns_port, timeout=5)
        check("a signed query over TCP: the answer signed and verified",
              a.had_tsig and a.rcode() == 0 and len(a.answer) == 1)
        w, mac = signed("h0001.lab.", "A", unk, "nobody.", "hmac-sha256")
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(5)
        s.sendto(w, ("127.0.0.1", d.dns_port))
        r = s.recv(65535)
        s.close()
        check("a query with an unknown key: NOTAUTH, BADKEY (as NSD answers)",
              r[3] & 15 == NOTAUTH and tsig_tail(r)[0] == 17, (r[3] & 15, tsig_tail(r)))

        # kdig, another strict client
        if shutil.which("kdig"):
            p = subprocess.run(["kdig", "-p", str(d.dns_port), "@127.0.0.1", "-y",
                                f"hmac-sha256:xfr-key:{k1['secret']}", "AXFR", "lab."],
                               capture_output=True, text=True, timeout=60)
            soa = sum(1 for ln in p.stdout.splitlines() if "\tSOA\t" in ln)
            check("kdig -y: the AXFR, TSIG checked", p.returncode == 0 and soa == 2 and
                  "WARNING" not in p.stdout + p.stderr,
                  (p.returncode, p.stdout[-400:], p.stderr))
            p = subprocess.run(["kdig", "-p", str(d.dns_port), "@127.0.0.1", "-y",
                                "hmac-sha256:xfr-key:" + __import__("base64").b64encode(
                                    b"y" * 32).decode(), "AXFR", "lab."],
                               capture_output=True, text=True, timeout=60)
            check("kdig -y with a wrong secret: no records", "\tSOA\t" not in p.stdout,
                  p.stdout[-400:])

        # a deleted key stops working at the next request
        rc, out, err = lana("key", "del", "xfr-key.")
        check("key del", rc == 0 and "xfr-key." in out, (rc, out, err))
        w, mac = signed("lab.", "AXFR", kr, "xfr-key.", "hmac-sha256")
        r = tcp_exchange(d.dns_port, w)
        check("after key del: NOTAUTH, BADKEY", r is not None and r[3] & 15 == NOTAUTH and
              tsig_tail(r)[0] == 17, r and (r[3] & 15, tsig_tail(r)))
        rc, out, err = lana("log", "--limit", "20")
        check("the audit log has key.add and key.del, not the secrets",
              "key.add" in out and "key.del" in out and k1["secret"] not in out and
              sec512 not in out, out)
        log = open(d.log).read()
        check("refusals are logged with the peer and the TSIG error",
              "BADSIG" in log and "BADKEY" in log and "BADTIME" in log and
              "not allowed this zone" in log)
        check("lanad is still running", d.alive())
    finally:
        d.stop()
        shutil.rmtree(work, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
