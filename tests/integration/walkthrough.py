#!/usr/bin/env python3
"""README's lab walk-through, run as written: every `console` block between the markers
<!-- walkthrough: begin --> and <!-- walkthrough: end --> is a transcript. A line starting
with "$ " is a command (a line ending in a backslash continues on the next one, shown with
"> "); the lines after it, up to the next command, are what it prints (stdout and stderr).
The commands run in order in one bash (so variables and functions carry over), each must
exit 0, and each output must match its lines, where "..." inside a line matches any text and
a line that is only "..." matches any number of lines. A command with a here-document
(`<<EOF`) is followed by its body on "> " lines, as bash shows them, up to the delimiter.
A block after the marker <!-- walkthrough: cleanup --> runs at the end whatever happened
before it.

The commands run from the top of the source tree, as a reader runs them.
Needs root (the walk-through makes network namespaces): skipped otherwise. LANA and LANAD
name the binaries; their directory goes first on PATH, as after `cmake --install`. Every
command is bounded in time; at the end, whatever still runs inside the walk-through's
namespaces (which it created) is killed by PID and the namespaces are deleted."""
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
README = os.path.join(HERE, "..", "..", "README.md")
STEP = 30.0  # the longest one command may take, in seconds
HEREDOC = re.compile(r"<<-?\s*(['\"]?)(\w+)\1")
BEGIN, END, CLEANUP = ("<!-- walkthrough: begin", "<!-- walkthrough: end", "<!-- walkthrough: cleanup")


class Step:
    def __init__(self, line, cmd, want, cleanup):
        self.line, self.cmd, self.want, self.cleanup = line, cmd, want, cleanup


def parse(path):
    """The steps of the walk-through, in order: (README line, command, expected lines)."""
    lines = open(path, encoding="utf-8").read().split("\n")
    steps, inside, cleanup, block, i = [], False, False, None, 0
    while i < len(lines):
        ln = lines[i]
        if ln.startswith(BEGIN):
            inside = True
        elif ln.startswith(END):
            inside = False
        elif inside and ln.startswith(CLEANUP):
            cleanup = True
        elif inside and ln.strip() == "```console" and block is None:
            block = []
        elif inside and ln.strip() == "```" and block is not None:
            steps += split_block(block, cleanup)
            block = None
        elif block is not None:
            block.append((i + 1, ln))
        i += 1
    if inside or block is not None:
        sys.exit(f"FAIL: {path}: the walk-through or a block in it is not closed")
    return steps


def split_block(block, cleanup):
    steps, cur = [], None
    k = 0
    while k < len(block):
        no, ln = block[k]
        if ln.startswith("$ "):
            cmd = ln[2:]
            while cmd.endswith("\\") and k + 1 < len(block) and block[k + 1][1].startswith("> "):
                k += 1
                cmd = cmd + "\n" + block[k][1][2:]
            here = HEREDOC.search(cmd)
            if here:  # its body follows on "> " lines (">" alone: an empty one), delimiter last
                while True:
                    k += 1
                    if k >= len(block) or not (block[k][1] == ">" or
                                               block[k][1].startswith("> ")):
                        sys.exit(f"FAIL: README.md:{no}: the here-document has no "
                                 f"'> {here.group(2)}' line")
                    body = block[k][1][2:]
                    cmd = cmd + "\n" + body
                    if body == here.group(2):
                        break
            cur = Step(no, cmd, [], cleanup)
            steps.append(cur)
        elif cur is None:
            sys.exit(f"FAIL: README.md:{no}: output before any command: {ln!r}")
        else:
            cur.want.append(ln)
        k += 1
    return steps


def line_re(want):
    return re.compile("^" + ".*?".join(re.escape(p) for p in want.split("...")) + "$")


def matches(want, got):
    """want: expected lines ("..." wildcards); got: actual lines. Backtracking over "...". """
    memo = {}

    def m(i, j):
        if (i, j) in memo:
            return memo[(i, j)]
        if i == len(want):
            r = j == len(got)
        elif want[i] == "...":
            r = any(m(i + 1, k) for k in range(j, len(got) + 1))
        else:
            r = j < len(got) and line_re(want[i]).match(got[j]) is not None and m(i + 1, j + 1)
        memo[(i, j)] = r
        return r

    return m(0, 0)


class Shell:
    """One bash in a session of its own; each command's output goes to a file, its status back
    through a pipe read without Python's buffering (select() sees every byte). A command that
    does not end in time kills the whole session (the shell and whatever it started); the
    shell is then dead and every later step, cleanup included, is not run."""

    def __init__(self, work, cwd, env):
        self.work = work
        self.p = subprocess.Popen(["bash", "--norc", "--noprofile"], cwd=cwd, env=env,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, start_new_session=True)
        self.n = 0
        self.buf = b""
        self.dead = False

    def run(self, cmd):
        """(exit status, output); the status is None when the command did not end."""
        self.n += 1
        out = os.path.join(self.work, f".step{self.n}.out")
        mark = f"__walkthrough_done_{self.n} ".encode()
        if self.dead:
            return None, "(not run: the shell was stopped)"
        try:
            self.p.stdin.write(f"{{\n{cmd}\n}} >{out} 2>&1 </dev/null\necho \"{mark.decode()}$?\"\n"
                               .encode())
            self.p.stdin.flush()
        except BrokenPipeError:
            self.dead = True
            return None, "(the shell exited)"
        deadline = time.monotonic() + STEP
        fd = self.p.stdout.fileno()
        while True:
            at = self.buf.find(mark)
            if at >= 0:
                end = self.buf.find(b"\n", at)
                if end >= 0:
                    rc = int(self.buf[at + len(mark):end])
                    self.buf = self.buf[end + 1:]
                    return rc, read(out)
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                self.stop()
                return None, read(out) + f"\n(no end after {STEP:.0f} s: stopped)"
            chunk = os.read(fd, 65536)
            if not chunk:
                self.dead = True
                return None, read(out) + "\n(the shell exited)"
            self.buf += chunk

    def stop(self):
        if not self.dead:
            try:
                os.killpg(self.p.pid, signal.SIGKILL)
            except OSError:
                pass
            self.dead = True

    def close(self):
        if self.p.poll() is None:
            self.stop()
        self.p.wait()


def read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def namespaces_of(steps):
    names = set()
    for s in steps:
        names.update(re.findall(r"ip netns add (\S+)", s.cmd))
    return sorted(names)


def sweep(names):
    """Kills what still runs in the walk-through's namespaces, then deletes them."""
    for ns in names:
        pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout
        for pid in pids.split():
            try:
                os.kill(int(pid), 9)
            except (OSError, ValueError):
                pass
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def main():
    steps = parse(README)
    if not steps:
        sys.exit("FAIL: README.md has no walk-through")
    if os.geteuid() != 0 or shutil.which("ip") is None:
        print("skipped: the walk-through needs root and iproute2 (network namespaces)")
        sys.exit(77)
    names = namespaces_of(steps)
    for ns in names:
        if subprocess.run(["ip", "netns", "pids", ns], capture_output=True).returncode == 0:
            sys.exit(f"FAIL: namespace {ns} exists already: delete it first (ip netns del {ns})")
    probe = "lana-walk-probe-%d" % os.getpid()
    if subprocess.run(["ip", "netns", "add", probe], capture_output=True).returncode != 0:
        print("skipped: cannot create network namespaces here")
        sys.exit(77)
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    env = dict(os.environ)
    bindirs = [os.path.dirname(os.path.abspath(os.environ[v])) for v in ("LANA", "LANAD")
               if os.environ.get(v)]
    env["PATH"] = ":".join(bindirs + [env.get("PATH", "/usr/bin:/bin")])
    for v in ("LANA_SERVER", "LANA_TOKEN", "LANA_TOKEN_FILE", "LANA_CONFIG"):
        env.pop(v, None)
    work = tempfile.mkdtemp(prefix="lana-walk.")
    env["HOME"] = work
    env["TMPDIR"] = work  # the walk-through's mktemp -d lies inside, removed at the end
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("FAIL: stopped (SIGTERM)"))
    env["XDG_CONFIG_HOME"] = os.path.join(work, ".config")
    sh = Shell(work, os.path.join(HERE, "..", ".."), env)  # README's commands run from the top
    fails = passes = 0
    failed = False
    try:
        for s in steps:
            if failed and not s.cleanup:
                continue
            rc, out = sh.run(s.cmd)
            got = out.split("\n")
            if got and got[-1] == "":
                got.pop()
            first = s.cmd.split("\n")[0]
            if rc == 0 and matches(s.want, got):
                passes += 1
                print(f"ok - README.md:{s.line}: {first}")
                if os.environ.get("WALKTHROUGH_SHOW"):  # for whoever edits the walk-through
                    print("\n".join("#     " + g for g in got))
                continue
            fails += 1
            failed = True
            print(f"not ok - README.md:{s.line}: {first}")
            print(f"#   exit status: {rc}")
            print("#   want:\n" + "\n".join("#     " + w for w in s.want))
            print("#   got:\n" + "\n".join("#     " + g for g in got))
    finally:
        sh.close()
        sweep(names)
        shutil.rmtree(work, ignore_errors=True)
    print(f"{passes} passed, {fails} failed")
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
