"""One truth, three views: over a registry of random nested blocks (10,000 by default, IPv4
and IPv6, registered by one `lana batch`), the chain of delegation for random addresses
(10,000 by default) is the same from `lana whois` (JSON), from RDAP (/rdap/ip/ADDRESS, then
parentHandle followed upward, each block fetched by its handle) and, when lanad serves
whois on port 43, from `-L ADDRESS` there (RFC 3912; the Debian whois client for a sample).

`lana whois` is asked through one `lana batch` of whois lines (the same registry command,
one connection), and through `lana whois --json` itself for a sample; RDAP through
keep-alive connections. Environment: RDAP_CHAIN_BLOCKS, RDAP_CHAIN_ADDRESSES,
RDAP_CHAIN_SEED (bench mode: bench/rdap.sh runs it with bigger numbers)."""

import http.client
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
NBLOCKS = int(os.environ.get("RDAP_CHAIN_BLOCKS", "10000"))
NADDR = int(os.environ.get("RDAP_CHAIN_ADDRESSES", "10000"))
SEED = int(os.environ.get("RDAP_CHAIN_SEED", "14"))
POOLS = [ipaddress.ip_network("198.18.0.0/15"), ipaddress.ip_network("2001:db8::/32")]


def random_tree(rng, n):
    """n random blocks nested strictly inside POOLS, siblings never overlapping: a list of
    (network, parent network) in an order where each parent comes first."""
    children = {p: [] for p in POOLS}
    blocks = []
    nodes = list(POOLS)
    tries = 0
    while len(blocks) < n and tries < 50 * n:
        tries += 1
        parent = rng.choice(nodes)
        maxlen = parent.max_prefixlen if parent.version == 4 else 64
        if parent.prefixlen >= maxlen:
            continue
        plen = min(maxlen, parent.prefixlen + rng.randint(1, 8))
        step = 1 << (parent.max_prefixlen - plen)
        count = 1 << (plen - parent.prefixlen)
        start = int(parent.network_address) + rng.randrange(count) * step
        net = ipaddress.ip_network((start, plen))
        if any(net.overlaps(c) for c in children[parent]):
            continue
        children[parent].append(net)
        children[net] = []
        nodes.append(net)
        blocks.append((net, parent))
    return blocks, children


def random_addresses(rng, blocks, n):
    """Mostly addresses inside random blocks (deep chains), some anywhere in a pool, a few
    outside every pool (no chain at all)."""
    out = []
    for i in range(n):
        r = rng.random()
        if r < 0.8 and blocks:
            net = rng.choice(blocks)[0]
        elif r < 0.97:
            net = rng.choice(POOLS)
        else:
            net = ipaddress.ip_network("192.0.2.0/24")  # TEST-NET-1: in no pool
        out.append(str(net.network_address + rng.randrange(net.num_addresses)))
    return out


def main():
    rng = random.Random(SEED)
    work = tempfile.mkdtemp(prefix="lana-rdap-chain.")
    # whois without its per-address rate: this test is one client asking 10,000 times
    d = lanatest.Daemon(work, "--pool", "198.18.0.0/15", "--pool", "2001:db8::/32",
                        "--log-level", "warn", "--listen-whois", "127.0.0.1:0",
                        "--whois-rate", "0")
    server = f"127.0.0.1:{d.registry_port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANA_")}
    env["XDG_CONFIG_HOME"] = os.path.join(work, "xdg")
    lana = [LANA, "--server", server, "--token-file", os.path.join(work, "admin.token")]
    whois_port = (getattr(d, "whois_ports", None) or [None])[0]
    try:
        # ---- the registry: NBLOCKS random blocks in one batch ------------------------------
        t0 = time.monotonic()
        blocks, children = random_tree(rng, NBLOCKS)
        lines = []
        for i, (net, _) in enumerate(blocks):
            verb = "alloc" if children[net] else rng.choice(["alloc", "assign", "reserve"])
            lines.append(f"block {verb} {net} --holder h{i}\n")
        p = subprocess.run([*lana, "--json", "batch", "-"], input="".join(lines), env=env,
                           capture_output=True, text=True, timeout=600)
        summary = json.loads(p.stdout.strip().splitlines()[-1]) if p.stdout.strip() else {}
        check(f"{len(blocks)} random blocks registered in one batch",
              p.returncode == 0 and summary.get("batch", {}).get("succeeded") == len(blocks),
              (p.returncode, p.stderr[-500:], summary))
        print(f"# {len(blocks)} blocks registered in {time.monotonic() - t0:.1f} s")
        addrs = random_addresses(rng, blocks, NADDR)

        # ---- lana whois: one batch of whois lines; a sample through `lana whois` --------------
        t0 = time.monotonic()
        p = subprocess.run([*lana, "--json", "batch", "-", "--keep-going"],
                           input="".join(f"whois {a}\n" for a in addrs), env=env,
                           capture_output=True, text=True, timeout=600)
        replies = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
        replies = [r for r in replies if "batch" not in r]
        check("lana whois: one reply per address", len(replies) == len(addrs),
              (len(replies), p.stderr[-300:]))
        via_lana = {a: [b["prefix"] for b in r.get("chain", [])] if r.get("ok") else []
                    for a, r in zip(addrs, replies)}
        sample = rng.sample(addrs, min(50, len(addrs)))
        same = 0
        for a in sample:
            q = subprocess.run([*lana, "--json", "whois", a], env=env, capture_output=True,
                               text=True, timeout=30)
            r = json.loads(q.stdout) if q.returncode == 0 else {}
            same += [b["prefix"] for b in r.get("chain", [])] == via_lana[a]
        check(f"lana whois --json itself gives the batch's chain ({len(sample)} addresses)",
              same == len(sample), same)
        print(f"# lana whois: {len(addrs)} chains in {time.monotonic() - t0:.1f} s")

        # ---- RDAP: /ip/ADDRESS, then parentHandle upward ------------------------------------
        t0 = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", d.http_port, timeout=30)
        fetched = {}
        requests = [0]

        def get(path):
            requests[0] += 1
            conn.request("GET", "/rdap/ip/" + path)
            r = conn.getresponse()
            body = r.read()
            return r.status, json.loads(body)

        bad_handle = []

        def block(handle):
            """The ip network object of a handle, fetched once; it must name itself."""
            if handle not in fetched:
                status, o = get(handle)
                if status != 200 or o.get("handle") != handle:
                    bad_handle.append((handle, status, o.get("handle")))
                fetched[handle] = o
            return fetched[handle]

        via_rdap = {}
        for a in addrs:
            status, o = get(a)
            chain = []
            if status == 200:
                fetched.setdefault(o["handle"], o)
                while True:
                    chain.append(o["handle"])
                    if "parentHandle" not in o or len(chain) > 200:
                        break
                    o = block(o["parentHandle"])
            elif status != 404:
                chain = [f"HTTP {status}"]
            via_rdap[a] = chain[::-1]
        conn.close()
        check("RDAP: every handle fetched names itself", not bad_handle, bad_handle[:5])
        diff = [(a, via_lana[a], via_rdap[a]) for a in addrs if via_lana[a] != via_rdap[a]]
        check(f"RDAP parentHandle chains = lana whois chains ({len(addrs)} addresses)",
              not diff, diff[:3])
        deep = sum(len(c) >= 4 for c in via_lana.values())
        check("the addresses reach deep chains and miss sometimes",
              deep > len(addrs) // 10 and any(not c for c in via_lana.values()),
              (deep, sum(not c for c in via_lana.values())))
        el = time.monotonic() - t0
        print(f"# RDAP: {requests[0]} requests in {el:.1f} s ({requests[0] / el:.0f}/s)")

        # ---- port 43: -L ADDRESS ---------------------------------------------------------------
        if whois_port is None:
            print("# port 43: lanad has no whois endpoint in this build: that leg is skipped")
        else:
            t0 = time.monotonic()
            via_43 = {a: whois_chain(whois_port, a) for a in addrs}
            diff = [(a, via_lana[a], via_43[a]) for a in addrs if via_lana[a] != via_43[a]]
            check(f"whois -L chains = lana whois chains ({len(addrs)} addresses)", not diff,
                  diff[:3])
            client = shutil.which("whois")
            if client:
                same = 0
                for a in sample[:20]:
                    q = subprocess.run([client, "-h", "127.0.0.1", "-p", str(whois_port), "-L",
                                        a], capture_output=True, text=True, timeout=30)
                    same += rpsl_chain(q.stdout) == via_lana[a]
                check("the Debian whois client -L: the same chains (20 addresses)", same == 20,
                      same)
            print(f"# port 43: {len(addrs)} chains in {time.monotonic() - t0:.1f} s")
        check("lanad still running", d.alive())
    finally:
        d.stop()
    status = lanatest.finish()
    if status == 0:
        shutil.rmtree(work, ignore_errors=True)  # kept, with lanad's log, when a check failed
    return status


def rpsl_chain(text):
    """The prefixes of the inetnum:/inet6num: objects of a whois answer, in order; an
    inetnum's range "A - B" is turned into its prefix."""
    out = []
    for m in re.finditer(r"^(inetnum|inet6num):\s*(.+?)\s*$", text, re.M):
        v = m.group(2)
        if " - " in v:
            lo, hi = (ipaddress.ip_address(x.strip()) for x in v.split(" - "))
            nets = list(ipaddress.summarize_address_range(lo, hi))
            v = str(nets[0]) if len(nets) == 1 else v
        out.append(str(ipaddress.ip_network(v, strict=False)) if "/" in v else v)
    return out


def whois_chain(port, addr):
    """One RFC 3912 query "-L ADDRESS" on its own connection; the chain it prints."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(f"-L {addr}\r\n".encode())
        data = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
    return rpsl_chain(data.decode("utf-8", "replace"))


if __name__ == "__main__":
    sys.exit(main())
