#!/usr/bin/env bash
# Integration test of the address registry through the real CLI and daemon: the token file,
# read-only access without it, every block command, exit codes, the two exercise scripts,
# all-or-nothing batches, and concurrent allocations from 8 clients without duplicates.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/lanad.sh"
: "${LANA:?}" "${EXERCISES:?}"

lanad_start --workers 1
export LANA_SERVER=127.0.0.1:$RPORT
unset LANA_TOKEN LANA_CONFIG
export XDG_CONFIG_HOME=$WORK/xdg HOME=$WORK
L() { "$LANA" "$@"; }
A() { "$LANA" --token-file "$TOKEN_FILE" "$@"; }
rc_of() { "$@" >/dev/null 2>&1; echo $?; }

# --- lana calc, offline
expect "calc ::/0: 2^128 addresses" "$(L calc ::/0 | awk '/^addresses/{print $2}')" "340282366920938463463374607431768211456"
expect "calc ADDRESS/LEN like ipcalc" "$(L calc 10.1.2.3/20 --json | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["address"], r["network"], r["last"], r["reverse_zone"])')" \
  "10.1.2.3 10.1.0.0/20 10.1.15.255 1.10.in-addr.arpa."
expect "calc bad length: exit 65" "$(rc_of L calc 10.1.2.3/40)" "65"

# --- the token: a 0600 file naming its account, 64 hex digits and the TLS pin; the database
# keeps only its SHA-256
expect "token file mode" "$(stat -c %a "$TOKEN_FILE")" "600"
expect "token is 256 bits of hex" "$(grep -cE '^token=[0-9a-f]{64}$' "$TOKEN_FILE")" "1"
expect "token file names its account" "$(grep -c '^user=admin$' "$TOKEN_FILE")" "1"
got=$(python3 - "$DB" "$TOKEN_FILE" <<'EOF'
import hashlib, sqlite3, sys
tok = bytes.fromhex([l[6:] for l in open(sys.argv[2]) if l.startswith("token=")][0].strip())
key = sqlite3.connect(sys.argv[1]).execute("select stored_key from account where name='admin'").fetchone()[0]
raw = open(sys.argv[1], "rb").read()
print(key == hashlib.sha256(tok).digest(), tok not in raw and tok.hex().encode() not in raw)
EOF
)
expect "database holds SHA-256(token), never the token" "$got" "True True"
grep -q "admin token written to $TOKEN_FILE" "$WORK/lanad.log" && ok "lanad says where the token is" \
  || not_ok "lanad says where the token is"

# --- default pools; reading without a token, writing refused
# the IPv6 pool is a ULA /48 with a random Global ID: read it back, then check its form
ULA=$(L pool list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["pools"][1]["prefix"])')
[[ $ULA =~ ^fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}::/48$ ]] && ok "default IPv6 pool: a ULA /48" \
  || not_ok "default IPv6 pool: a ULA /48" "$ULA"
expect "default pools" "$(L pool list --json | python3 -c 'import json,sys; print(" ".join(p["prefix"] for p in json.load(sys.stdin)["pools"]))')" \
  "198.18.0.0/15 $ULA"
expect "write without a token: exit 77" "$(rc_of L block alloc 198.18.0.0/15 /16)" "77"
err=$(LANA_TOKEN=$(printf '%064d' 7) L block alloc 198.18.0.0/15 /16 2>&1); rc=$?
expect "wrong token: exit 77" "$rc" "77"
expect "wrong token: clear message" "$err" "lana: the server refused the token (wrong token or user)"
sleep 0.1
grep -q "registry: 127.0.0.1:[0-9]*: authentication as admin refused" "$WORK/lanad.log" \
  && ok "wrong token logged with the peer's address" || not_ok "wrong token logged with the peer's address"
chmod 644 "$TOKEN_FILE"
expect "token file readable by others: exit 78" "$(rc_of A pool list)" "78"
chmod 600 "$TOKEN_FILE"
expect "LANA_TOKEN works" "$(LANA_TOKEN=$(cat "$TOKEN_FILE") L block alloc 198.18.0.0/15 /16 --holder env)" \
  "198.18.0.0/16            allocated  env"
mkdir -p "$WORK/xdg/lana" && cp "$TOKEN_FILE" "$WORK/xdg/lana/token"
expect "token from the XDG config dir" "$(L block release 198.18.0.0/16)" "released 198.18.0.0/16 (1 block)"
rm "$WORK/xdg/lana/token"
printf 'server = 127.0.0.1:%s\ntoken-file = %s\n' "$RPORT" "$TOKEN_FILE" >"$WORK/xdg/lana/lana.conf"
expect "server and token from the config file" "$(LANA_SERVER= L block alloc 198.18.0.0/15 /30 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["block"]["prefix"])')" "198.18.0.0/30"
rm "$WORK/xdg/lana/lana.conf"
expect "server name resolved (c-ares, /etc/hosts)" "$(rc_of A --server "localhost:$RPORT" pool list)" "0"
A block release 198.18.0.0/30 >/dev/null

# --- block commands and exit codes (the /15 pool's /17 quarters and /19 eighths stand where a
# /8's /10s and /12s would)
expect "alloc best fit" "$(A block alloc 198.18.0.0/15 /19 --holder R1 --desc 'first RIR')" "198.18.0.0/19            allocated  R1"
expect "alloc given prefix" "$(A block alloc 198.18.128.0/17 --holder R2)" "198.18.128.0/17          allocated  R2"
expect "best fit keeps large blocks whole" "$(A block alloc 198.18.0.0/15 /19 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["block"]["prefix"])')" "198.18.32.0/19"
expect "assign /24" "$(A block assign 198.18.0.0/19 /24 --holder cust)" "198.18.0.0/24            assigned   cust"
expect "alloc given prefix (2)" "$(A block alloc 198.18.9.0/24)" "198.18.9.0/24            allocated  "
expect "reserve" "$(A block reserve 198.18.64.0/19 --desc later)" "198.18.64.0/19           reserved   "
expect "overlap: exit 73" "$(rc_of A block assign 198.18.0.0/23)" "73"
expect "overlap: names what is in the way" "$(A block assign 198.18.8.0/23 2>&1)" \
  "lana: 198.18.8.0/23 overlaps 198.18.9.0/24 (allocated)"
expect "inside assigned: host addresses only (73)" "$(rc_of A block alloc 198.18.0.0/24 /28)" "73"
expect "inside reserved: exit 73" "$(rc_of A block alloc 198.18.64.0/19 /24)" "73"
expect "outside every pool: exit 66" "$(rc_of A block assign 192.0.2.0/24)" "66"
expect "not found: exit 66" "$(rc_of A block show 198.19.99.0/24)" "66"
expect "bad prefix: exit 65" "$(rc_of A block show 198.18.0.1/15)" "65"
expect "bad prefix: message" "$(A block show 198.18.0.1/15 2>&1)" "lana: 198.18.0.1/15: host bits set (did you mean 198.18.0.0/15?)"
expect "usage: exit 64" "$(rc_of A block alloc)" "64"
expect "a mistyped command: did you mean" "$(A blok list 2>&1)" "lana: unknown command 'blok': did you mean 'block'?"
expect "unknown option: exit 64" "$(rc_of A block list --colour)" "64"
expect "a /24 inside a /24: exit 65" "$(rc_of A block alloc 198.18.9.0/24 /24)" "65"
expect "exhausted is a conflict (73)" "$(for i in 1 2; do A block alloc 198.18.9.0/24 /25 >/dev/null; done; rc_of A block alloc 198.18.9.0/24 /25)" "73"
expect "release with children: exit 73" "$(rc_of A block release 198.18.0.0/19)" "73"
expect "show" "$(A block show 198.18.0.0/19 | grep -E '^(used|chain):')" \
  "used:         512 addresses (6.25%) in 2 blocks
chain:        198.18.0.0/15 > 198.18.0.0/19"
expect "whois: the chain, root first" "$(A whois 198.18.9.129 | awk '{print $1}' | tr '\n' ' ')" \
  "198.18.0.0/15 198.18.0.0/19 198.18.9.0/24 198.18.9.128/25 "
expect "whois outside every pool: exit 66" "$(rc_of A whois 192.0.2.1)" "66"
expect "tree indents and counts" "$(A block tree 198.18.0.0/19 | awk 'NR > 1 {for (i = 2; i <= NF; i++) if ($i ~ /^[0-9]+\/[0-9]+$/) {print $1, $i; break}}' | head -2)" \
  "198.18.0.0/19 512/8192
198.18.0.0/24 0/256"
expect "release recursive" "$(A block release 198.18.0.0/19 --recursive)" "released 198.18.0.0/19 (5 blocks)"
expect "pool del refused while in use: exit 73" "$(rc_of A pool del 198.18.0.0/15)" "73"
expect "pool add overlapping: exit 73" "$(rc_of A pool add 198.19.0.0/16)" "73"
expect "pool add" "$(A pool add 2001:db8::/32 --desc bench)" "2001:db8::/32            pool       "
expect "pool del" "$(A pool del 2001:db8::/32)" "deleted pool 2001:db8::/32"
half=$(A block alloc "$ULA" /49 --json | python3 -c 'import json,sys; b=json.load(sys.stdin)["block"]; print(b["prefix"], b["size"])')
expect "ipv6 exact sizes" "${half#* }" "604462909807314587353088"
# sizes past 2^96 too: the IPv6 documentation prefix of RFC 9637, a /21 of it is 2^107
A pool add 3fff::/20 --desc big >/dev/null
expect "ipv6 exact sizes past 2^96" "$(A block alloc 3fff::/20 /21 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["block"]["size"])')" \
  "162259276829213363391578010288128"
A block release 3fff::/21 >/dev/null && A pool del 3fff::/20 >/dev/null
# a port that was just free (one we bound and closed), not a fixed one someone may listen on
closed_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
expect "connection refused: exit 69" "$(rc_of A --server "127.0.0.1:$closed_port" pool list)" "69"
A block release "${half%% *}" >/dev/null
A block release 198.18.128.0/17 >/dev/null
A block release 198.18.32.0/19 >/dev/null
A block release 198.18.64.0/19 >/dev/null
expect "everything released: the pool is whole again" "$(A block show 198.18.0.0/15 --json | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["block"]["used"], r["free"])')" \
  "0 ['198.18.0.0/15']"

# --- batches: all or nothing, or --keep-going
printf 'block alloc 198.18.0.0/15 /16 --holder b1\n# a comment\n\nblock alloc 198.18.0.0/15 /99\nblock alloc 198.18.0.0/15 /16 --holder b3\n' >"$WORK/bad.lana"
out=$(A batch "$WORK/bad.lana" 2>&1); rc=$?
expect "batch with an error: exit 65" "$rc" "65"
case $out in *"lana: line 4: prefix length /99: must be 0..32"*) ok "batch names the file's line";; *) not_ok "batch names the file's line" "$out";; esac
expect "batch with an error changed nothing" "$(A block list 198.18.0.0/15)" "(none)"
out=$(A batch "$WORK/bad.lana" --keep-going 2>/dev/null | tail -1)
expect "batch --keep-going keeps the rest" "$out" "3 commands: 2 ok, 1 failed; committed"
expect "batch --keep-going result" "$(A block list 198.18.0.0/15 | awk 'NR > 1 {print $1}' | tr '\n' ' ')" "198.18.0.0/16 198.19.0.0/16 "
A block release 198.18.0.0/16 >/dev/null; A block release 198.19.0.0/16 >/dev/null
expect "batch from stdin, --json: one line per command and a summary" \
  "$(printf 'block alloc 198.18.0.0/15 /24\nwhois 198.18.0.1\n' | A batch - --json | wc -l)" "3"
A block release 198.18.0.0/24 >/dev/null
head -c 5000 /dev/zero | tr '\0' a >"$WORK/long.lana"
expect "batch line too long: exit 65" "$(rc_of A batch "$WORK/long.lana")" "65"
expect "batch file missing: exit 66" "$(rc_of A batch "$WORK/nope.lana")" "66"

# --- the exercise scripts
out=$(A batch "$EXERCISES/ipv4-rirs.lana" | tail -1)
expect "IPv4 exercise runs" "$out" "36 commands: 36 ok, 0 failed; committed"
expect "IPv4 exercise: five RIRs" "$(A block list 198.18.0.0/15 --json | python3 -c 'import json,sys; print(sorted(b["holder"] for b in json.load(sys.stdin)["blocks"]))')" \
  "['', 'AFRINIC', 'APNIC', 'ARIN', 'LACNIC', 'RIPE-NCC']"
expect "IPv4 exercise: whois of a customer address" "$(A whois 198.18.65.77 | awk '{print $3}' | tr '\n' ' ')" \
  "- APNIC APNIC-LIR-1 APNIC-LIR-1-customer-b "
expect "IPv4 exercise: utilization" "$(A block show 198.18.64.0/18 --json | python3 -c 'import json,sys; b=json.load(sys.stdin)["block"]; print(b["used"], b["children"], b["percent"])')" \
  "8192 2 50.0"
out=$(A batch "$EXERCISES/ipv6-sites.lana" | tail -1)
expect "IPv6 exercise runs" "$out" "46 commands: 46 ok, 0 failed; committed"
expect "IPv6 exercise: a LAN's chain" "$(A whois 2001:db8:4001:1::10 | awk '{print $1}' | tr '\n' ' ')" \
  "2001:db8::/32 2001:db8:4000::/35 2001:db8:4001::/48 2001:db8:4001:1::/64 "
expect "IPv6 exercise: tree size" "$(A block tree 2001:db8::/32 --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["tree"]))')" "46"
expect "audit log has every change" "$(A log --limit 1000000 --json | python3 -c 'import json,sys; l=json.load(sys.stdin)["log"]; print(sum(1 for e in l if e["action"].startswith("block.")) > 100, l[-1]["actor"].startswith("admin@127.0.0.1"))')" \
  "True True"

# --- 8 clients allocating at once: all served, no block handed out twice
A block alloc 198.18.0.0/15 /18 --holder conc >/dev/null  # 198.19.64.0/18, the exercise's last free /18
parent=$(A block list 198.18.0.0/15 --json | python3 -c 'import json,sys; print([b["prefix"] for b in json.load(sys.stdin)["blocks"] if b["holder"] == "conc"][0])')
pids=()
for c in 1 2 3 4 5 6 7 8; do
  ( for i in $(seq 40); do A block alloc "$parent" /27 --holder "c$c" --json || echo FAIL; done >"$WORK/conc.$c" ) &
  pids+=($!)
done
wait "${pids[@]}" # not a bare wait: lanad is a background job of this shell too
all=$(cat "$WORK"/conc.* | python3 -c 'import json,sys; print("\n".join(json.loads(l)["block"]["prefix"] if l.startswith("{") else "FAIL" for l in sys.stdin))')
expect "concurrent: 320 allocations succeeded" "$(echo "$all" | grep -vc FAIL)" "320"
expect "concurrent: no duplicates" "$(echo "$all" | sort | uniq -d | wc -l)" "0"
expect "concurrent: the registry agrees" "$(A block show "$parent" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["block"]["children"])')" "320"

# --- DNS keeps working alongside, and SIGTERM stops both services
expect "DNS still answers" "$(dig @127.0.0.1 -p "$PORT" +short ns1.lab A)" "127.0.0.1"
lanad_stop
"$LANAD" --db "$DB" --listen-dns 127.0.0.1:0 --listen-registry 127.0.0.1:0 --listen-http 127.0.0.1:0 --ready-file "$WORK/ready2" 2>"$WORK/lanad2.log" &
LANAD_PID=$!
for _ in $(seq 100); do [ -s "$WORK/ready2" ] && break; sleep 0.05; done
RPORT=$(awk '$1 == "registry" {sub(/.*:/, "", $2); print $2; exit}' "$WORK/ready2")
expect "restart: the token still works, nothing lost" \
  "$(A --server "127.0.0.1:$RPORT" block show "$parent" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["block"]["children"])')" "320"
grep -q "admin token" "$WORK/lanad2.log" && not_ok "restart does not make a new token" || ok "restart does not make a new token"
finish
