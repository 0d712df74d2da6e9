#!/usr/bin/env python3
"""Crash test: lanad is killed with SIGKILL at a random moment while a long `lana batch` and 8
allocating clients are running (odd rounds), or while the clients alone run (even rounds),
ROUNDS times. After each kill `lanad check` must find the
crashed database clean, lanad must start again on it, `lanad check` must find it clean again,
and everything a client got an ok reply for must be there: every block and host whose "ok"
arrived, and a batch whole (all its blocks) or not at all - whole for sure when its summary
said committed.

Environment: LANAD, LANA (binaries); CRASH_ROUNDS (10), CRASH_BATCH_LINES (10000; the full run
is 100000), CRASH_SEED (random), CRASH_BUDGET seconds for the whole run (480). Only processes
this script starts are killed, by their PID; lanad listens on 127.0.0.1 only."""

import ipaddress
import json
import os
import random
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from lanatest import LANAD, Daemon, check, finish, proof  # noqa: E402

LANA = os.environ.get("LANA", "lana")
ROUNDS = int(os.environ.get("CRASH_ROUNDS", "10"))
BATCH = int(os.environ.get("CRASH_BATCH_LINES", "10000"))
SEED = int(os.environ.get("CRASH_SEED", str(random.randrange(1 << 30))))
BUDGET = float(os.environ.get("CRASH_BUDGET", "480"))
CLIENTS = 8
ARGS = ("--workers", "1", "--pool", "198.18.0.0/15", "--pool", "2001:db8::/33",
        "--pool", "2001:db8:8000::/33")


def norm(prefix):
    return str(ipaddress.ip_network(prefix))


def login(port, token):
    """A registry connection authenticated as admin: (socket, reader)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    f = s.makefile("rb")
    x = random.randrange(1 << 32)
    s.sendall(f"HELLO lana/1 seq={x}\n".encode())
    y = int(f.readline().split()[3].split(b"=")[1])
    s.sendall(f"ACK ack={(y + 1) % 2**32} user=admin proof={proof(token, x, y)}\n".encode())
    if not f.readline().startswith(b"READY"):
        raise ConnectionError("the registry refused the token")
    return s, f


class Client(threading.Thread):
    """Allocates /56s of 2001:db8::/33 and registers hosts until the connection breaks; sometimes
    releases one of its blocks. acked: what the server said ok to (and still holds)."""

    def __init__(self, n, rnd, port, token, tag, stop):
        super().__init__(daemon=True)
        self.n, self.rnd, self.port, self.token, self.tag = n, rnd, port, token, tag
        self.stop = stop  # a threading.Event; the clients also end when the daemon dies
        self.blocks, self.hosts, self.requests = set(), set(), 0

    def run(self):
        try:
            s, f = login(self.port, self.token)
        except (OSError, ConnectionError, IndexError, ValueError):
            return
        seq = 0
        try:
            while not self.stop.is_set():
                seq += 1
                op = self.rnd.random()
                if op < 0.15 and self.blocks:
                    p = self.rnd.choice(sorted(self.blocks))
                    self.blocks.discard(p)  # from now on its fate is unknown until the reply
                    line = f"block release {p}"
                elif op < 0.40:
                    line = f"host add c{self.n}-{seq}.{self.tag}.lab"
                else:
                    line = f"block alloc 2001:db8::/33 /56 --holder c{self.n}"
                s.sendall(line.encode() + b"\n")
                self.requests += 1
                reply = f.readline()
                if not reply:
                    return  # killed: this request's fate is unknown, and not asserted
                r = json.loads(reply)
                if line.startswith("block release"):
                    if not r.get("ok"):
                        self.blocks.add(p)  # refused: still there, still required
                elif not r.get("ok"):
                    continue
                elif line.startswith("host add"):
                    self.hosts.add(line.split()[2] + ".")
                else:
                    self.blocks.add(norm(r["block"]["prefix"]))
        except (OSError, ValueError):
            return
        finally:
            s.close()


def batch_file(work, rnd_no, lines):
    """The batch of round rnd_no: 2001:db8:(8000 + r)::/48 of the pool 2001:db8:8000::/33
    itself, then lines-1 /128s inside it, all held by "batchR" so that the database tells how
    many of them are there. (Hosts take their addresses from the first pool of each family,
    198.18.0.0/15 and 2001:db8::/33, and the clients' /56s come from the latter.)"""
    path = os.path.join(work, f"batch{rnd_no}.lana")
    parent = f"2001:db8:{0x8000 + rnd_no:x}::/48"
    with open(path, "w") as out:
        out.write(f"block alloc {parent} --holder batch{rnd_no}\n")
        for _ in range(lines - 1):
            out.write(f"block alloc {parent} /128 --holder batch{rnd_no}\n")
    return path


def run_batch(d, path, out_path):
    env = dict(os.environ, XDG_CONFIG_HOME=os.path.dirname(path))
    for k in ("LANA_TOKEN", "LANA_SERVER", "LANA_CONFIG"):
        env.pop(k, None)
    work = os.path.dirname(path)
    return subprocess.Popen(
        [LANA, "--server", f"127.0.0.1:{d.registry_port}", "--token-file",
         os.path.join(work, "admin.token"), "--json", "--timeout", "60000", "batch", path],
        stdout=open(out_path, "wb"), stderr=subprocess.DEVNULL, env=env)


def batch_committed(out_path):
    """True when lana printed a summary saying committed, False for one saying not, None
    when no summary came (the daemon died first)."""
    summary = None
    with open(out_path, "rb") as f:
        for line in f:
            if b'"batch":{' in line:
                summary = json.loads(line)
    return None if summary is None else bool(summary["batch"]["committed"])


def lanad_check(db):
    r = subprocess.run([LANAD, "check", "--db", db], capture_output=True, text=True, timeout=120)
    return r.returncode, (r.stdout + r.stderr).strip()


def contents(db):
    """The blocks (normalized prefixes), the hosts and the batch counts in the database."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    blocks = set()
    for fam, start, plen in con.execute("SELECT family, start, plen FROM block"):
        v = int.from_bytes(start, "big")
        blocks.add(str(ipaddress.ip_network((v if fam == 6 else v & 0xFFFFFFFF, plen))))
    hosts = {n for (n,) in con.execute("SELECT name FROM host")}
    counts = dict(con.execute("SELECT holder, count(*) FROM block WHERE holder LIKE 'batch%'"
                              " GROUP BY holder"))
    con.close()
    return blocks, hosts, counts


def start_load(d, work, r, rnd, batch):
    """The 8 clients of round r and, when batch is set, its batch, started together:
    (clients, stop, lana process or None)."""
    stop = threading.Event()
    clients = [Client(i, random.Random(rnd.random()), d.registry_port, d.token, f"r{r}", stop)
               for i in range(CLIENTS)]
    for c in clients:
        c.start()
    lana = None
    if batch:
        lana = run_batch(d, batch_file(work, r, BATCH), os.path.join(work, f"out{r}"))
    return clients, stop, lana


def end_load(clients, stop, lana, want_blocks, want_hosts):
    """Waits for the batch and the clients (bounded), adds their acknowledgements; returns
    whether everything ended."""
    try:
        if lana is not None:
            lana.wait(timeout=60)
    except subprocess.TimeoutExpired:
        lana.kill()  # our own lana process, by its PID
        lana.wait()
    stop.set()
    for c in clients:
        c.join(timeout=30)
        want_blocks |= c.blocks
        want_hosts |= c.hosts
    return not any(c.is_alive() for c in clients)


def verify(r, db, want_blocks, want_hosts, batches):
    blocks, hosts, counts = contents(db)
    missing = want_blocks - blocks
    check(f"round {r}: all {len(want_blocks)} acknowledged blocks are there", not missing,
          f"missing: {sorted(missing)[:10]}")
    missing = want_hosts - hosts
    check(f"round {r}: all {len(want_hosts)} acknowledged hosts are there", not missing,
          f"missing: {sorted(missing)[:10]}")
    bad = [f"{h}: {counts.get(h, 0)} of {n}{' (committed)' if sure else ''}"
           for h, (n, sure) in batches.items()
           if counts.get(h, 0) not in ((n,) if sure else (0, n))]
    whole = sum(1 for h, (n, _) in batches.items() if counts.get(h, 0) == n)
    check(f"round {r}: every batch is all or nothing ({whole} of {len(batches)} whole, the "
          "others absent)", not bad, "; ".join(bad))
    for h, (n, sure) in batches.items():
        if counts.get(h, 0) == n:
            batches[h] = (n, True)  # there now: must stay


def main():
    rnd = random.Random(SEED)
    t_start = time.monotonic()
    print(f"# seed {SEED}, {ROUNDS} rounds, batches of {BATCH} lines, {CLIENTS} clients")
    with tempfile.TemporaryDirectory(prefix="lana-crash.") as work:
        db = os.path.join(work, "lana.db")
        want_blocks, want_hosts = set(), set()
        d = Daemon(work, *ARGS)
        # round 0 is not killed: it times a whole batch under the clients' load
        t0 = time.monotonic()
        clients, stop, lana = start_load(d, work, 0, rnd, True)
        lana.wait(timeout=120)
        t_batch = time.monotonic() - t0
        end_load(clients, stop, lana, want_blocks, want_hosts)
        check(f"round 0: a whole batch of {BATCH} lines commits under load ({t_batch:.2f} s)",
              batch_committed(os.path.join(work, "out0")) is True)
        batches = {"batch0": (BATCH, True)}  # holder -> (lines, surely committed)
        after = 0
        for r in range(1, ROUNDS + 1):
            if time.monotonic() - t_start > BUDGET:
                check(f"the rounds fit in {BUDGET:.0f} s", False, f"stopped before round {r}")
                break
            with_batch = r % 2 == 1
            clients, stop, lana = start_load(d, work, r, rnd, with_batch)
            # odd rounds: at a random moment of the batch (sent, run, committed, or just
            # after); even rounds: among the clients alone
            delay = rnd.uniform(0.02, 1.1 * t_batch) if with_batch else rnd.uniform(0.2, 1.5)
            time.sleep(delay)
            d.proc.kill()  # SIGKILL, to the lanad this script started
            d.proc.wait()
            check(f"round {r}: the batch and every client ended after the kill",
                  end_load(clients, stop, lana, want_blocks, want_hosts))
            state = "no batch"
            if with_batch:
                committed = batch_committed(os.path.join(work, f"out{r}"))
                after += committed is not None
                batches[f"batch{r}"] = (BATCH, committed is True)
                state = "batch committed" if committed else "batch unfinished"
            rc, text = lanad_check(db)
            check(f"round {r}: lanad check is clean on the crashed database (killed after "
                  f"{delay * 1000:.0f} ms, {state})", rc == 0 and text.startswith("ok:"),
                  text[:2000])
            d = Daemon(work, *ARGS)
            rc, text = lanad_check(db)
            check(f"round {r}: lanad check is clean after the restart", rc == 0, text[:2000])
            verify(r, db, want_blocks, want_hosts, batches)
        d.stop()
        print(f"# {time.monotonic() - t_start:.1f} s; {(ROUNDS + 1) // 2 - after} kills during a "
              f"batch, {after} after its commit, {ROUNDS // 2} among the clients alone; "
              f"{len(want_blocks)} blocks and {len(want_hosts)} hosts acknowledged")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
