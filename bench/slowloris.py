#!/usr/bin/env python3
"""A legitimate client's handshake + allocation latency during a slowloris on the registry.

Starts its own lanad (temporary database, loopback ports chosen by the kernel), measures
SAMPLES fresh connections (HELLO/WELCOME/ACK with the admin token, one "block alloc", close)
without an attack, then again while another process holds CONNS attacking connections from
ADDRS loopback source addresses (half trickling an unfinished HELLO, half silent, reopened when
lanad closes them; ADDRS of them to spread over 1000 addresses, one connection each). Prints p50/p99/max of both runs and what the attack did. The target is
p99 < 100 ms under attack. Bounded: SAMPLES per run, and the attack stops after SECONDS.

usage: slowloris.py LANAD [SAMPLES] [CONNS] [SECONDS] [ADDRS]   (defaults 500, 1000, 60, 100)"""

import os
import resource
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import lanatest  # noqa: E402
from slowloris import AttackProcess, alloc_once  # noqa: E402


def measure(port, token, samples, deadline):
    lat, failed = [], 0
    for _ in range(samples):
        if time.monotonic() > deadline:
            break
        ok, dt, why = alloc_once(port, token)
        if ok:
            lat.append(dt * 1000)
        else:
            failed += 1
            if failed <= 3:
                print(f"# failed after {dt * 1000:.1f} ms: {why}")
        time.sleep(0.005)
    return lat, failed


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))] if v else float("nan")


def report(name, lat, failed):
    print(f"{name}: samples={len(lat)} failed={failed} p50={pct(lat, 50):.1f} ms "
          f"p99={pct(lat, 99):.1f} ms max={max(lat) if lat else float('nan'):.1f} ms")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    lanatest.LANAD = sys.argv[1]
    samples = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    conns = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 60
    addrs = int(sys.argv[5]) if len(sys.argv) > 5 else 100
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    with tempfile.TemporaryDirectory(prefix="lana-bench.") as work:
        d = lanatest.Daemon(work, "--log-level", "warn")
        try:
            lat, failed = measure(d.registry_port, d.token, samples, time.monotonic() + seconds)
            report("no attack", lat, failed)
            atk = AttackProcess(d.registry_port, n=conns, addrs=addrs, seconds=seconds,
                                max_connects=10**7)
            atk.start()
            lat, failed = measure(d.registry_port, d.token, samples, time.monotonic() + seconds - 5)
            st = atk.stop()
            report(f"slowloris of {conns} from {addrs} addresses", lat, failed)
            print(f"attack: open at peak={st.get('open_peak')} connects={st.get('connects')} "
                  f"closed by lanad={st.get('closed_by_server')}")
            print("target: p99 < 100 ms under attack:",
                  "met" if lat and pct(lat, 99) < 100 and failed == 0 else "NOT met")
        finally:
            d.stop()


if __name__ == "__main__":
    main()
