#!/usr/bin/env python3
"""Integration test of lanad's registry on a full disk: its database on a small tmpfs mounted
under the test's own temporary directory, the rest of the file system filled; allocations
are then refused with the error code "full" and a message that says so (one reply per
pipelined request), the connection stays open, `lana` exits 75, and once space is back the
next allocation succeeds without a restart. Needs root and a working mount (exits 77, skipped,
otherwise). Needs LANAD; uses LANA when set."""

import errno
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from lanatest import Line, check, finish, proof, read_token  # noqa: E402

LANAD = os.environ.get("LANAD", "lanad")
LANA = os.environ.get("LANA")
FULL_MSG = "the registry's disk is full; nothing was changed"


def mount_tmpfs(path, size):
    if os.geteuid() != 0:
        return "not root"
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", path],
                       capture_output=True, text=True)
    return None if r.returncode == 0 else "mount failed: " + r.stderr.strip()


def Conn(port, token):
    """A connection authenticated with the token."""
    c = Line(port, timeout=30)
    c.login(token, x=7)
    return c


def fill(path):
    """Writes a file until the file system is full; returns its path."""
    filler = os.path.join(path, "filler")
    with open(filler, "wb", buffering=0) as f:
        for size in (1 << 16, 4096, 512, 1):
            try:
                while True:
                    f.write(b"\0" * size)
            except OSError as e:
                if e.errno != errno.ENOSPC:
                    raise
    return filler


def run(work, fs):
    ready = os.path.join(work, "ready")
    log = os.path.join(work, "lanad.log")
    with open(log, "ab") as lf:
        proc = subprocess.Popen([LANAD, "--db", os.path.join(fs, "lana.db"),
                                 "--listen-dns", "127.0.0.1:0", "--listen-registry", "127.0.0.1:0",
                                 "--listen-http", "127.0.0.1:0",
                                 "--ready-file", ready], stderr=lf)
    try:
        deadline = time.monotonic() + 10
        while not os.path.exists(ready):
            if proc.poll() is not None or time.monotonic() > deadline:
                sys.exit("lanad did not start: " + open(log).read()[-500:])
            time.sleep(0.02)
        port = None
        for line in open(ready):
            if line.startswith("registry "):
                port = int(line.split()[1].rsplit(":", 1)[1])
        token_file = os.path.join(fs, "admin.token")
        token = read_token(token_file)
        c = Conn(port, token)
        check("connected", c.ready is not None and c.ready.startswith("READY"), c.ready)
        c.send("block alloc 198.18.0.0/15 /28")
        check("an allocation before the disk is full", c.recv().startswith('{"ok":true'))

        filler = fill(fs)
        # the WAL may still have room it used before: allocate until the disk says no
        replies = []
        for _ in range(5000):
            c.send("block alloc 198.18.0.0/15 /28")
            r = c.recv()
            replies.append(r)
            if r is None or '"ok":true' not in r:
                break
        last = replies[-1]
        err = json.loads(last).get("error", {}) if last else {}
        check("a full disk is told as such", err.get("code") == "full" and
              err.get("message") == FULL_MSG, f"{last!r} after {len(replies)} allocations")
        # pipelined requests still get one reply each, and the connection stays
        c.s.sendall(b"block alloc 198.18.0.0/15 /28\nping\nblock alloc 198.18.0.0/15 /28\n")
        three = [c.recv() for _ in range(3)]
        check("pipelined requests on a full disk get one reply each",
              all(r is not None for r in three) and '"code":"full"' in three[0] and
              ('"pong":true' in three[1] or '"code":"full"' in three[1]) and
              '"code":"full"' in three[2], str(three))
        if LANA:
            r = subprocess.run([LANA, "--server", f"127.0.0.1:{port}", "--token-file", token_file,
                                "block", "alloc", "198.18.0.0/15", "/28"], capture_output=True,
                               text=True)
            check("lana exits 75 on a full disk, saying so",
                  r.returncode == 75 and "disk is full" in r.stderr,
                  f"{r.returncode} {r.stderr.strip()}")

        os.unlink(filler)
        c.send("block alloc 198.18.0.0/15 /28")
        r = c.recv()
        check("once space is back the same connection allocates again",
              r is not None and r.startswith('{"ok":true'), r)
        c.send("block list 198.18.0.0/15")
        r = c.recv()
        n = len(json.loads(r)["blocks"]) if r else -1
        ok_count = 1 + sum(1 for x in replies if x and '"ok":true' in x) + 1
        check("every allocation answered ok is there, no other", n == ok_count,
              f"{n} blocks, {ok_count} ok replies")
        c.close()
        check("lanad is still running", proc.poll() is None)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    with tempfile.TemporaryDirectory() as work:
        fs = os.path.join(work, "fs")
        os.mkdir(fs)
        why = mount_tmpfs(fs, "4m")
        if why is not None:
            print(f"skip: a disk-full test needs a small tmpfs of its own ({why})")
            return 77
        try:
            run(work, fs)
        finally:
            subprocess.run(["umount", "-l", fs])
    return finish()


if __name__ == "__main__":
    sys.exit(main())
