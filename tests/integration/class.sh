#!/usr/bin/env bash
# Integration test of `lana class` through the real CLI and daemon: a class of 5 made in one
# command with its token files, a student registering a host with nothing but its token
# file, dig seeing it, the report (text, CSV, JSON), a student refused outside its space,
# and the reset, which leaves the registry as it was (the audit log aside).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/lanad.sh"
: "${LANA:?}" "${LANAD:?}"
command -v dig >/dev/null || { echo "skip: dig is not installed (bind9-dnsutils)"; exit 77; }

lanad_start --workers 1 --pool 198.18.0.0/15 --pool 2001:db8::/32
export LANA_SERVER=127.0.0.1:$RPORT
unset LANA_TOKEN LANA_CONFIG
export XDG_CONFIG_HOME=$WORK/xdg HOME=$WORK
A() { "$LANA" --token-file "$TOKEN_FILE" "$@"; }
rc_of() { "$@" >/dev/null 2>&1; echo $?; }
dump() {
  python3 - "$DB" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
# everything but the audit log and the change log the DNS workers read; the SOA serials of
# the zones above the class go up with every change, as they must
# how free space is kept is not compared: a block split once keeps it as rows, its whole
# prefix when empty
q = {"account": "select * from account",
     "block": "select id, family, start, plen, parent_id, status, holder, descr, maintainer from block",
     "freespace": "select f.* from freespace f join block b on b.id = f.parent_id where not (f.plen = b.plen and f.start = b.start)", "zone": "select id, name, apex, sponsor, registrant from zone",
     "rr": "select * from rr where type <> 6", "host": "select * from host",
     "zone_block": "select * from zone_block", "class": "select * from class"}
for t, s in sorted(q.items()):
    for r in sorted(db.execute(s).fetchall(), key=repr):
        print(t, repr(r))
EOF
}

A zone show lab. >/dev/null 2>&1 || A zone add lab. >/dev/null
before=$(dump)

# --- create: one command, one token file per account
TOK=$WORK/tokens
out=$(A class create c1 --students 5 --tokens "$TOK")
expect "class create exits 0" "$?" "0"
echo "# $out"
expect "the token directory is 0700" "$(stat -c %a "$TOK")" "700"
expect "six token files (5 students and the registrar)" "$(ls "$TOK" | tr '\n' ' ')" \
  "c1-01.token c1-02.token c1-03.token c1-04.token c1-05.token c1.token "
expect "token files are 0600" "$(stat -c %a "$TOK"/*.token | sort -u)" "600"
expect "a token file names its account and the server" \
  "$(grep -E '^(user|server)=' "$TOK/c1-03.token" | tr '\n' ' ')" "user=c1-03 server=127.0.0.1:$RPORT "
expect "a token file ends with a newline" "$(tail -c 1 "$TOK/c1-03.token" | od -An -c | tr -d ' ')" '\n'
expect "tokens are not printed" "$(echo "$out" | grep -c '[0-9a-f]\{64\}')" "0"
expect "a second create into the same directory is refused before sending" \
  "$(rc_of A class create c2 --students 5 --tokens "$TOK")" "0"
expect "a create whose files exist is refused (exit 73)" \
  "$(rc_of A class create c1 --students 5 --tokens "$TOK")" "73"
expect "... and sent nothing (no class c1 twice, no error from lanad)" \
  "$(grep -c 'class c1 exists' "$WORK/lanad.log")" "0"
A class delete c2 >/dev/null
expect "create again of an existing class: conflict (73)" \
  "$(rc_of A class create c1 --students 5 --tokens "$WORK/other")" "73"
expect "a student may not create a class (77)" \
  "$("$LANA" --token-file "$TOK/c1-01.token" class create x --students 2 --tokens "$WORK/x" >/dev/null 2>&1; echo $?)" "77"

# --- a student works with its token file alone (no --user, no --server)
S() { env -u LANA_SERVER "$LANA" --token-file "$TOK/c1-01.token" "$@"; }
expect "student registers h1 with only its token file" "$(rc_of S host add h1.c1-01.lab)" "0"
addr=$(S host show h1.c1-01.lab --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["host"]["v4"])')
blk=$(A class report c1 --json | python3 -c '
import json,sys
r=json.load(sys.stdin)
print([b for b in r["students"][0]["blocks"] if ":" not in b][0])')
inside=$(python3 -c 'import ipaddress,sys; print(ipaddress.ip_address(sys.argv[1]) in ipaddress.ip_network(sys.argv[2]))' "$addr" "$blk")
expect "h1's address lies in the student's own block" "$inside" "True"
expect "dig sees h1.c1-01.lab" "$(dig @127.0.0.1 -p "$PORT" +short h1.c1-01.lab A)" "$addr"
expect "the five delegations are in lab." \
  "$(A zone export lab. | awk '$1 ~ /^c1-0[1-5][.]lab[.]$/ && $4 == "NS" {print $1}' | sort -u | wc -l)" "5"
expect "dig: c1-01.lab. has an SOA" "$(dig @127.0.0.1 -p "$PORT" +short c1-01.lab SOA | wc -l)" "1"
expect "a student may not add a host in another's zone (77)" "$(rc_of S host add h9.c1-02.lab)" "77"
expect "a student may not read the class report (77)" "$(rc_of S class report c1)" "77"
expect "the class registrar may read it" \
  "$(rc_of env -u LANA_SERVER "$LANA" --token-file "$TOK/c1.token" class report c1)" "0"

# --- the report
rep=$(A class report c1)
echo "$rep" | sed 's/^/# /'
expect "report: c1-01 has 1 host" "$(echo "$rep" | awk '$1 == "c1-01" {print $5}')" "1"
expect "report: c1-02 has none" "$(echo "$rep" | awk '$1 == "c1-02" {print $5}')" "0"
expect "report: five students" "$(echo "$rep" | grep -c '^c1-0')" "5"
expect "report --csv: header and five rows" "$(A class report c1 --csv | wc -l)" "6"
expect "report --csv: c1-01's zone and hosts" \
  "$(A class report c1 --csv | awk -F, '$1 == "c1-01" {print $4, $5}')" "c1-01.lab. 1"
expect "report: c1-01's last change is set" \
  "$(A class report c1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["students"][0]["last"] > 0)')" "True"

# --- over TLS: every token file carries the admin file's pin, and a student needs nothing else
PIN=$(sed -n 's/^tls-sha256=//p' "$TOKEN_FILE")
expect "the admin token file holds a pin" "${#PIN}" "64"
T=$WORK/tls-tokens
expect "class create over TLS (lana --tls) exits 0" \
  "$(rc_of "$LANA" --tls --token-file "$TOKEN_FILE" class create c3 --students 3 --tokens "$T")" "0"
for f in c3-01 c3-02 c3-03 c3; do
  expect "$f.token carries the admin file's pin" "$(sed -n 's/^tls-sha256=//p' "$T/$f.token")" "$PIN"
done
S3() { env -u LANA_SERVER "$LANA" --tls --token-file "$T/c3-02.token" "$@"; }
expect "a student reads over TLS with its file alone" "$(rc_of S3 zone show c3-02.lab.)" "0"
expect "a student writes over TLS with its file alone (host add in its zone)" \
  "$(rc_of S3 host add h1.c3-02.lab)" "0"
expect "... and the host is there" "$(S3 host show h1.c3-02.lab --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["host"]["name"])' 2>/dev/null)" "h1.c3-02.lab."
A class delete c3 >/dev/null

# --- a token file that cannot be written is not left behind (a file size limit of 0)
F=$WORK/full-tokens
got=$( (trap '' XFSZ; ulimit -f 0; exec "$LANA" --token-file "$TOKEN_FILE" class create c4 --students 2 --tokens "$F") 2>&1); rc=$?
echo "$got" | sed 's/^/# /'
expect "a token file that cannot be written: exit 78" "$rc" "78"
expect "... and no partial file stays in the directory" "$(ls -A "$F" | tr '\n' ' ')" ""
A class delete c4 >/dev/null

# --- the reset
expect "class delete exits 0" "$(rc_of A class delete c1)" "0"
expect "h1 is gone from DNS" "$(dig @127.0.0.1 -p "$PORT" +short h1.c1-01.lab A)" ""
expect "the student's token no longer works (77)" "$(rc_of S host add h2.c1-01.lab)" "77"
expect "the registry is as it was before the class (audit log aside)" "$(dump)" "$before"
expect "the audit log keeps the class's rows" \
  "$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) > 0 from audit where action = \"class.del\"").fetchone()[0])' "$DB")" "1"
expect "delete of a class that is not there: not found (66)" "$(rc_of A class delete c1)" "66"

finish
