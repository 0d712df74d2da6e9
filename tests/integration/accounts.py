"""Accounts end to end, with the real lanad and lana: admin makes a registrar and writes its
token file; the registrar makes a registrant; the registrant works with nothing but its
file (no --user, no --server); who may make accounts (exit 77 otherwise); a new token stops
the old file at authentication and a connection already open at its next write; disable and
enable; the token shown once without --out; and no secret in any reply or in the log."""

import hashlib
import json
import os
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import lanatest  # noqa: E402
from lanatest import check  # noqa: E402

LANA = os.environ.get("LANA", "lana")


def main():
    work = tempfile.mkdtemp(prefix="lana-accounts.")
    d = lanatest.Daemon(work)
    server = f"127.0.0.1:{d.registry_port}"
    admin = os.path.join(work, "admin.token")
    # nothing of the user running the test: no configuration, no token, no LANA_* variable
    env0 = {k: v for k, v in os.environ.items() if not k.startswith("LANA_")}
    env0["XDG_CONFIG_HOME"] = os.path.join(work, "xdg")
    env0["HOME"] = work

    def lana(*args, env=None):
        p = subprocess.run([LANA, *args], env=dict(env0, **(env or {})), capture_output=True,
                           text=True, timeout=60)
        return p.returncode, p.stdout, p.stderr

    def path(name):
        return os.path.join(work, name)

    def raw_login(token_path):
        """A registry connection of its own, authenticated with the file's token."""
        f = lanatest.read_token_file(token_path)
        c = lanatest.Line(d.registry_port)
        return c, c.login(bytes.fromhex(f["token"]), user=f["user"])

    try:
        # ---- admin makes a registrar, into a token file -----------------------------------
        rc, out, err = lana("--server", server, "--token-file", admin, "account", "add", "reg1",
                            "--role", "registrar", "--out", path("reg1.token"))
        check("admin makes registrar reg1 with --out", rc == 0, (rc, out, err))
        check("the token is not printed", "token:" in out and "written to" in out and
              not any(len(w) == 64 for w in out.split()), out)
        st = os.lstat(path("reg1.token"))
        check("the token file is a regular file of mode 0600",
              stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode))
        f = lanatest.read_token_file(path("reg1.token"))
        pin = lanatest.read_token_file(admin).get("tls-sha256")
        check("it names the account, the server used and its TLS pin",
              f.get("user") == "reg1" and f.get("server") == server and pin and
              f.get("tls-sha256") == pin and len(f.get("token", "")) == 64, f)
        c, ready = raw_login(path("reg1.token"))
        check("its token authenticates reg1", ready and ready.startswith("READY") and
              '"user":"reg1"' in ready and '"role":"registrar"' in ready, ready)
        c.close()

        rc, out, err = lana("--server", server, "--token-file", admin, "account", "add", "reg2",
                            "--role", "registrar", "--out", path("reg1.token"))
        check("--out over a file that exists: exit 73, nothing sent", rc == 73 and
              "never written over" in err, (rc, err))
        rc, _, _ = lana("--server", server, "account", "show", "reg2")
        check("and the account was not made", rc == 66)
        link = path("link.token")
        os.symlink(path("elsewhere"), link)
        rc, _, err = lana("--server", server, "--token-file", admin, "account", "add", "reg2",
                          "--role", "registrar", "--out", link)
        check("--out through a symlink is refused", rc != 0 and
              not os.path.exists(path("elsewhere")), (rc, err))

        # ---- the registrar makes a registrant, with nothing but its own file --------------
        rc, out, err = lana("--token-file", path("reg1.token"), "account", "add", "stu1",
                            "--role", "registrant", "--out", path("stu1.token"))
        check("reg1 (its file alone) makes registrant stu1", rc == 0, (rc, out, err))
        rc, out, _ = lana("--server", server, "--json", "account", "show", "stu1")
        a = json.loads(out)["account"] if rc == 0 else {}
        check("stu1 is reg1's customer", a.get("sponsor") == "reg1" and
              a.get("role") == "registrant" and a.get("enabled") is True, out)
        f = lanatest.read_token_file(path("stu1.token"))
        check("stu1's file names stu1 and the server", f.get("user") == "stu1" and
              f.get("server") == server and f.get("tls-sha256") == pin, f)

        # ---- the registrant works with its file alone ------------------------------------
        rc, out, err = lana("--json", "log", env={"LANA_TOKEN_FILE": path("stu1.token")})
        check("LANA_TOKEN_FILE alone: stu1 reads its log (accounts only)", rc == 0, (rc, err))
        rc, out, err = lana("--token-file", path("stu1.token"), "--json", "log")
        check("--token-file alone: the same", rc == 0, (rc, err))
        rc, out, err = lana("--token-file", path("stu1.token"), "account", "add", "x1", "--role",
                            "registrant")
        check("a registrant cannot make accounts: exit 77", rc == 77 and "stu1" in err, (rc, err))
        rc, out, err = lana("--token-file", path("reg1.token"), "account", "add", "x2", "--role",
                            "registrar")
        check("a registrar cannot make registrars: exit 77", rc == 77, (rc, err))
        rc, out, err = lana("--token-file", path("reg1.token"), "account", "disable", "reg1")
        check("nor disable itself: exit 77", rc == 77, (rc, err))
        rc, _, err = lana("--server", server, "--token-file", admin, "account", "disable", "admin")
        check("admin cannot be disabled: exit 77, said clearly", rc == 77 and
              "account admin cannot be disabled" in err, (rc, err))
        rc, _, _ = lana("--server", server, "account", "show", "x1")
        check("the refused accounts were not made", rc == 66)
        log = open(d.log).read()
        check("lanad logs the refusals", "stu1@" in log and "refused account add" in log)

        # ---- a new token: the old file fails, an open connection's next write too ---------
        c, ready = raw_login(path("stu1.token"))
        check("stu1 holds a connection open", ready and ready.startswith("READY"), ready)
        rc, out, err = lana("--token-file", path("reg1.token"), "account", "token", "stu1",
                            "--out", path("stu1-new.token"))
        check("reg1 gives stu1 a new token", rc == 0, (rc, out, err))
        rc, out, err = lana("--token-file", path("stu1.token"), "log")
        check("the old file fails at authentication: exit 77", rc == 77 and
              "refused the token" in err, (rc, err))
        c.send("account token stu1")
        r = json.loads(c.recv() or "{}")
        check("the open connection's next write is refused: the token was replaced",
              r.get("error", {}).get("code") == "permission" and
              "the token of stu1 was replaced" in r["error"].get("message", ""), r)
        c.send("ping")
        check("and it still reads", json.loads(c.recv() or "{}").get("pong") is True)
        c.close()
        rc, out, err = lana("--token-file", path("stu1-new.token"), "log")
        check("the new file works", rc == 0, (rc, err))

        # ---- disable and enable -----------------------------------------------------------
        rc, out, err = lana("--token-file", path("reg1.token"), "account", "disable", "stu1")
        check("reg1 disables its customer stu1", rc == 0 and "enabled:      no" in out,
              (rc, out, err))
        rc, out, err = lana("--token-file", path("stu1-new.token"), "account", "token", "stu1",
                            "--out", path("stu1-x.token"))
        check("a disabled account writes nothing: exit 77", rc == 77 and "disabled" in err and
              not os.path.exists(path("stu1-x.token")), (rc, err))
        rc, out, err = lana("--token-file", path("stu1-new.token"), "log")
        check("but it still authenticates and reads", rc == 0, (rc, err))
        rc, out, err = lana("--token-file", path("reg1.token"), "account", "enable", "stu1")
        check("reg1 enables it again", rc == 0 and "enabled:      yes" in out, (rc, out, err))
        rc, out, err = lana("--token-file", path("stu1-new.token"), "account", "token", "stu1",
                            "--out", path("stu1-3.token"))
        check("and stu1 writes again (its own new token)", rc == 0, (rc, err))

        # ---- without --out: printed once, with a warning ----------------------------------
        rc, out, err = lana("--server", server, "--token-file", admin, "account", "add", "stu2",
                            "--role", "registrant", "--sponsor", "reg1")
        hexes = [w for w in out.split() if len(w) == 64]
        check("without --out the token is printed on stdout, a warning on stderr",
              rc == 0 and len(hexes) == 1 and "shown this once" in err, (rc, out, err))
        if hexes:
            c = lanatest.Line(d.registry_port)
            ready = c.login(bytes.fromhex(hexes[0]), user="stu2")
            check("and it authenticates stu2", ready and '"user":"stu2"' in ready, ready)
            c.close()

        # ---- reads are public; no secret anywhere -----------------------------------------
        rc, out, err = lana("--server", server, "--json", "account", "list")
        names = [a["name"] for a in json.loads(out)["accounts"]] if rc == 0 else []
        check("anyone lists the accounts", names == ["admin", "reg1", "stu1", "stu2"],
              (rc, names, err))
        rc, out2, _ = lana("--server", server, "--json", "account", "list", "--sponsor", "reg1")
        check("account list --sponsor: a registrar's customers",
              rc == 0 and [a["name"] for a in json.loads(out2)["accounts"]] == ["stu1", "stu2"],
              out2)

        # ---- a name of 63 characters, the longest: every word after it is still checked ---
        long = "r" * 63
        rc, out, err = lana("--server", server, "--token-file", admin, "account", "add", long,
                            "--role", "registrar", "--out", path("long.token"))
        check("admin makes a registrar with a 63-character name", rc == 0, (rc, out, err))
        rc, out, _ = lana("--server", server, "--json", "account", "show", long)
        check("and it exists", rc == 0 and json.loads(out)["account"]["name"] == long, (rc, out))
        rc, out, err = lana("--server", server, "--token-file", admin, "account", "token", long,
                            "--out", path("long-new.token"))
        check("it gets a new token", rc == 0 and
              lanatest.read_token_file(path("long-new.token")).get("user") == long, (rc, err))
        rc, out, err = lana("--token-file", path("long-new.token"), "account", "add", "stu3",
                            "--role", "registrant", "--out", path("stu3.token"))
        check("and makes a registrant with its file alone", rc == 0, (rc, out, err))
        rc, out, err = lana("--server", server, "--token-file", admin, "account", "disable",
                            long)
        check("admin disables it", rc == 0, (rc, out, err))
        rc, logtext, _ = lana("--server", server, "--token-file", admin, "--json", "log")
        actions = [e["action"] for e in json.loads(logtext)["log"]] if rc == 0 else []
        check("the log has every account change",
              all(a in actions for a in ("account.add", "account.token", "account.disable",
                                         "account.enable")), actions)
        secrets = []
        for name in os.listdir(work):
            if name.endswith(".token") and not os.path.islink(path(name)):
                t = lanatest.read_token_file(path(name))["token"]
                secrets += [t, hashlib.sha256(bytes.fromhex(t)).hexdigest()]
        secrets += hexes + [hashlib.sha256(bytes.fromhex(h)).hexdigest() for h in hexes]
        leaked = [s for s in secrets if s in out + out2 + logtext + open(d.log).read()]
        check("no token and no stored key in the list, the log or lanad's log", not leaked,
              leaked)
    finally:
        d.stop()
        subprocess.run(["rm", "-rf", work])
    return lanatest.finish()


if __name__ == "__main__":
    sys.exit(main())
