"""Headless Chromium driven through the DevTools protocol over --remote-debugging-pipe (the
browser reads commands on fd 3 and writes replies and events on fd 4, each message JSON
ending in a NUL byte): no WebSocket library, no debugging port open to anyone. Every wait is
bounded. Finds the browser on PATH (chromium, chromium-browser, google-chrome)."""

import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time


def find_browser():
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """One headless browser with one page (a tab) attached: .call(method, **params) sends a
    command to the page and returns its result; events are kept in .events."""

    def __init__(self, width=1920, height=1080, timeout=30):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="lana-chromium.")
        rd_child, self._w = os.pipe()   # commands: us -> browser (its fd 3)
        self._r, wr_child = os.pipe()   # replies: browser (its fd 4) -> us

        def fds():
            os.dup2(rd_child, 3)
            os.dup2(wr_child, 4)

        # --no-sandbox: CI runs as root, where Chromium refuses its sandbox
        self.proc = subprocess.Popen(
            [find_browser(), "--headless=new", "--no-sandbox", "--disable-gpu",
             "--remote-debugging-pipe", "--user-data-dir=" + self.profile,
             f"--window-size={width},{height}", "--no-first-run", "--no-default-browser-check",
             "--disable-extensions", "--disable-background-networking", "--disable-sync",
             "--disable-component-update", "--metrics-recording-only", "--mute-audio",
             "about:blank"],
            pass_fds=(3, 4), preexec_fn=fds, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(rd_child)
        os.close(wr_child)
        self._buf = b""
        self._id = 0
        self.events = []
        self.session = None
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target,
                                 flatten=True)["sessionId"]
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=False)
        for domain in ("Page", "Runtime", "Log"):
            self.call(domain + ".enable")

    def _read(self, until):
        """Reads messages until one satisfies until(msg) (returned), keeping events."""
        end = time.monotonic() + self.timeout
        while True:
            while b"\0" in self._buf:
                raw, self._buf = self._buf.split(b"\0", 1)
                msg = json.loads(raw)
                if until(msg):
                    return msg
                if "method" in msg:
                    self.events.append(msg)
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError("the browser did not answer in time")
            ready, _, _ = select.select([self._r], [], [], left)
            if ready:
                chunk = os.read(self._r, 1 << 20)
                if not chunk:
                    raise EOFError("the browser went away")
                self._buf += chunk

    def call(self, method, **params):
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params}
        if self.session and not method.startswith("Target."):
            msg["sessionId"] = self.session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        reply = self._read(lambda m, i=self._id: m.get("id") == i)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def pump(self):
        """Takes in the events that have arrived, without waiting."""
        while select.select([self._r], [], [], 0)[0]:
            chunk = os.read(self._r, 1 << 20)
            if not chunk:
                break
            self._buf += chunk
        while b"\0" in self._buf:
            raw, self._buf = self._buf.split(b"\0", 1)
            msg = json.loads(raw)
            if "method" in msg:
                self.events.append(msg)

    def eval(self, expression):
        """The value of a JavaScript expression in the page (awaited when a promise)."""
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True,
                      awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def wait_for(self, expression, timeout, step=0.02):
        """Polls expression until it is truthy: its value, or None after timeout seconds."""
        end = time.monotonic() + timeout
        while True:
            v = self.eval(expression)
            if v:
                return v
            if time.monotonic() > end:
                return None
            time.sleep(step)

    def errors(self):
        """What the page reported as errors: console.error/assert, uncaught exceptions, and
        the browser's own error log entries (a failed load, a CSP violation)."""
        self.pump()
        out = []
        for e in self.events:
            m, p = e["method"], e.get("params", {})
            if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append("console: " + " ".join(str(a.get("value", a.get("description")))
                                                   for a in p.get("args", [])))
            elif m == "Runtime.exceptionThrown":
                out.append("exception: " + json.dumps(p.get("exceptionDetails", {}))[:300])
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append("log: " + p["entry"].get("text", "") + " " +
                           p["entry"].get("url", ""))
        return out

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.call("Browser.close")
        except Exception:  # noqa: BLE001 - it may be gone already
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._w)
        os.close(self._r)
        shutil.rmtree(self.profile, ignore_errors=True)
