#!/usr/bin/env bash
# lana authority through the real lanad and CLI: a registrar holding a block from admin, its
# customer holding a block and a zone from it; each account's list, the human and the JSON
# form, and for every block and zone the list agrees with what a change through lana does
# (exit 0, or 77 refused). The accounts are made by admin with lana account add --out, each
# token file naming its account.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/lanad.sh"
: "${LANA:?}"
unset LANA_TOKEN LANA_CONFIG LANA_SERVER
export XDG_CONFIG_HOME=$WORK/xdg HOME=$WORK
lanad_start
L() { "$LANA" --server "127.0.0.1:$RPORT" "$@"; }
as() { local who=$1; shift; L --token-file "$WORK/$who.token" "$@"; }
cp "$TOKEN_FILE" "$WORK/admin.token" 2>/dev/null || true

# account NAME ROLE [SPONSOR]: made by admin with lana account add, its token file beside
account() {
  as admin account add "$1" --role "$2" ${3:+--sponsor "$3"} --out "$WORK/$1.token" >/dev/null ||
    { echo "account add $1 failed"; exit 1; }
}
account reg1 registrar
account stu1 registrant reg1
account stu2 registrant reg1

as admin pool add 198.18.0.0/15 >/dev/null
as admin zone add lab. >/dev/null 2>&1 # the default configuration may have made it
as admin block alloc 198.18.0.0/20 --to reg1 >/dev/null
as reg1 block assign 198.18.0.0/20 /24 --to stu1 >/dev/null
as reg1 block assign 198.18.0.0/20 /24 --to stu2 >/dev/null
as reg1 zone add stu1.lab. --for stu1 >/dev/null
as stu1 host add www.stu1.lab. --v4 198.18.0.10 --v6 none >/dev/null
expect "setup: stu1's host is registered" "$(as stu1 host show www.stu1.lab. --json | grep -c 198.18.0.10)" 1

out=$(as stu1 authority)
expect "stu1 (no ACCOUNT): its own authority" "$(echo "$out" | head -1)" "stu1 (registrant, customer of reg1) may change:"
echo "$out" | grep -Eq '^  198\.18\.0\.0/24 +maintainer$' && ok "stu1: its block, maintainer" || not_ok "stu1: its block" "$out"
echo "$out" | grep -Eq '^  198\.18\.0\.10/32 +maintainer$' && ok "stu1: its host's address" || not_ok "stu1: its host's address" "$out"
echo "$out" | grep -Eq '^  stu1\.lab\. +registrant \(sponsor reg1\)$' && ok "stu1: its zone" || not_ok "stu1: its zone" "$out"
echo "$out" | grep -q '198.18.1.0/24' && not_ok "stu1: not stu2's block" "$out" || ok "stu1: not stu2's block"
json=$(L authority reg1 --json)
expect "reg1 --json, anonymously: the reply" "$(echo "$json" | python3 -c '
import json, sys
r = json.load(sys.stdin)
print(r["ok"], r["role"], "lab." in [o["name"] for o in r["objects"] if o["kind"] == "registry"],
      sorted((o["kind"], o["name"]) for o in r["objects"] if o["kind"] != "registry"))')" \
  "True registrar True [('account', 'reg1'), ('account', 'stu1'), ('account', 'stu2'), ('block', '198.18.0.0/20'), ('block', '198.18.0.0/24'), ('block', '198.18.0.10/32'), ('block', '198.18.1.0/24'), ('zone', 'stu1.lab.')]"
expect "admin: everything" "$(as admin authority | head -1)" "admin (admin) may change everything: admin is the registry operator"
L authority >/dev/null 2>&1; expect "anonymous without ACCOUNT: usage, exit 64" "$?" 64
L authority nobody >/dev/null 2>&1; expect "no such account: exit 66" "$?" 66

# the list is what succeeds: every block and zone, every account
blocks="198.18.0.0/15 198.18.0.0/20 198.18.0.0/24 198.18.1.0/24 198.18.0.10/32"
for who in reg1 stu1 stu2; do
  list=$(L authority "$who" --json | python3 -c '
import json, sys
print("\n".join(o["kind"] + " " + o["name"] for o in json.load(sys.stdin)["objects"]))')
  for b in $blocks; do
    as "$who" block update "$b" --desc "probe by $who" >/dev/null 2>&1
    rc=$?
    want=77; echo "$list" | grep -qx "block $b" && want=0
    expect "$who: block update $b as listed" "$rc" "$want"
  done
  for z in lab. stu1.lab.; do
    as "$who" record add "$z" TXT "probe-$who" >/dev/null 2>&1
    rc=$?
    want=77; echo "$list" | grep -qx "zone $z" && want=0
    expect "$who: record add at $z as listed" "$rc" "$want"
  done
done
finish
