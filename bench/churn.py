#!/usr/bin/env python3
"""Registrations at a steady rate while something else is measured: one authenticated
registry connection alternating "host add chN.lab" and "host del chN.lab" at RATE changes per
second for SECONDS (bounded). Prints how many changes were made and how late it ran.

With --ready FILE it creates FILE once logged in and starts its clock then, so that a caller
can start what it measures after the interpreter's start-up and the login, not during them.

usage: churn.py [--ready FILE] HOST PORT TOKEN_FILE RATE SECONDS"""

import json
import os
import sys
import time

from lanaproto import login, read_token_file


def main():
    args = sys.argv[1:]
    ready = None
    if len(args) >= 2 and args[0] == "--ready":
        ready, args = args[1], args[2:]
    if len(args) != 5:
        sys.exit(__doc__)
    host, port, token_file, rate, seconds = args[0], int(args[1]), args[2], \
        float(args[3]), float(args[4])
    token, _ = read_token_file(token_file)
    s, f = login(host, port, token)
    if ready is not None:
        with open(ready, "w"):
            pass
    t0 = time.monotonic()
    done = errors = 0
    i = 0
    while time.monotonic() - t0 < seconds:
        due = t0 + done / rate
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        name = f"ch{os.getpid()}-{i // 2}.lab"
        s.sendall((f"host add {name} --v6 none\n" if i % 2 == 0 else f"host del {name}\n").encode())
        if not json.loads(f.readline()).get("ok"):
            errors += 1
        i += 1
        done += 1
    dt = time.monotonic() - t0
    cpu = time.process_time()
    print(f"# churn: {done} registry changes in {dt:.1f} s ({done / dt:.0f}/s), {errors} errors;"
          f" the client's own CPU {cpu:.2f} s with its start")
    s.sendall(b"quit\n")


if __name__ == "__main__":
    main()
