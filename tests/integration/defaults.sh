#!/usr/bin/env bash
# Integration test of lanad's safe defaults and serials, through the real daemon and CLI: the
# default pools 198.18.0.0/15 and a ULA /48 with a random Global ID (logged, kept in the
# database, the same on every later start, "pool = ula" in lanad.conf), the SOA serial of
# the default zone and of a change under serial-policy date and increment, and `service
# bind` printing the SRV records it published, in text and JSON. Hosts get addresses from the
# default pools only (198.18.0.0/15 and the ULA), never from a network people run.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/lanad.sh"
: "${LANA:?}"
command -v dig >/dev/null || { echo "dig missing"; exit 77; }

unset LANA_CONFIG
export XDG_CONFIG_HOME=$WORK/xdg HOME=$WORK
L() { LANA_SERVER=127.0.0.1:$RPORT LANA_TOKEN=$(cat "$TOKEN_FILE") "$LANA" "$@"; }
serial() { dig @127.0.0.1 -p "$PORT" +short +time=2 +tries=1 "$1" SOA | awk '{print $3}'; }
pools() { L pool list --json | python3 -c 'import json,sys; print(" ".join(p["prefix"] for p in json.load(sys.stdin)["pools"]))'; }
ula_re='^fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}::/48$'

# --- the configuration's defaults
cfg=$("$LANAD" --check --db "$DB" 2>&1)
expect "--check: the default pools" "$(echo "$cfg" | grep '^pool' | tr '\n' ' ')" \
  "pool = 198.18.0.0/15 pool = ula "
expect "--check: the default serial policy" "$(echo "$cfg" | grep '^serial-policy')" \
  "serial-policy = date"
"$LANAD" --check --db "$DB" --serial-policy weekly >/dev/null 2>"$WORK/err"; rc=$?
expect "a bad serial-policy is refused with the choices" "$rc $(grep -c "date, increment or unixtime" "$WORK/err")" "64 1"
"$LANAD" --check --db "$DB" --pool ulaa >/dev/null 2>&1
expect "a pool is a prefix or ula" "$?" "64"

# --- first start: the default pools, logged
today=$(date -u +%Y%m%d)
lanad_start
p=$(pools)
v4=${p%% *} ula=${p#* }
expect "default IPv4 pool: RFC 2544's 198.18.0.0/15" "$v4" "198.18.0.0/15"
if [[ $ula =~ $ula_re ]]; then ok "default IPv6 pool: a ULA /48 ($ula)"; else not_ok "default IPv6 pool: a ULA /48" "$p"; fi
expect "the pools' creation is logged" \
  "$(grep -o 'root pool [^ ]* created.*' "$WORK/lanad.log" | tr '\n' '|')" \
  "root pool 198.18.0.0/15 created|root pool $ula created (ula: a ULA /48 with a random Global ID, RFC 4193)|"
expect "the ULA's reverse zone exists" "$(L zone list --json | python3 -c 'import json,sys; print(sum(z["name"].endswith(".d.f.ip6.arpa.") for z in json.load(sys.stdin)["zones"]))')" "1"

# --- the default zone's serial follows the date scheme, and a change steps it
s0=$(serial lab)
case $s0 in "${today}00" | "$(date -u +%Y%m%d)00") ok "default zone's serial is YYYYMMDD00 ($s0)";;
  *) not_ok "default zone's serial is YYYYMMDD00" "got $s0, today ${today}00";; esac
out=$(L host add web.lab)
expect "a host from the default pools" "$(echo "$out" | awk '{print ($2 ~ /^198\.18\./), ($3 ~ /^fd/)}')" "1 1"
expect "a change steps the date serial by one" "$(serial lab)" "$((s0 + 1))"

# --- later starts: the same ULA, nothing created again
lanad_stop
: >"$WORK/lanad.log"
lanad_start
expect "restart: the same pools" "$(pools)" "$p"
expect "restart: no pool created" "$(grep -c 'root pool .* created' "$WORK/lanad.log")" "0"
expect "restart: the registry's pools are logged, whatever the configuration says" \
  "$(grep -o 'root pools: [^(]*' "$WORK/lanad.log")" "root pools: 198.18.0.0/15, $ula "

# --- service bind prints the SRV records it published
L service add http tcp --port 80 >/dev/null
L service add lana-echo tcp --port 7000 >/dev/null
L service add lana-echo udp --port 7000 >/dev/null
expect "service bind: what, where, and the SRV record" "$(L service bind web.lab http)" \
  "http bound to web.lab (1 SRV record)
  _http._tcp.web.lab. 300 IN SRV 0 0 80 web.lab."
expect "service bind --json: every field of every record" \
  "$(L service bind web.lab lana-echo --port 7001 --json | python3 -c '
import json, sys
r = json.load(sys.stdin)
print(r["bound"], r["host"], r["records"])
for s in r["srv"]:
    print(s["owner"], s["ttl"], s["class"], s["type"], s["priority"], s["weight"], s["port"], s["target"])')" \
  "lana-echo web.lab 2
_lana-echo._tcp.web.lab. 300 IN SRV 0 0 7001 web.lab.
_lana-echo._udp.web.lab. 300 IN SRV 0 0 7001 web.lab."
expect "the printed record is the one served" \
  "$(dig @127.0.0.1 -p "$PORT" +short _http._tcp.web.lab SRV)" "0 0 80 web.lab."
lanad_stop

# --- serial-policy increment; pool = ula from a configuration file gives another /48
rm -f "$WORK"/lana.db* "$TOKEN_FILE"
printf 'pool = 198.18.8.0/24\npool = ula\nserial-policy = increment\n' >"$WORK/lanad.conf"
: >"$WORK/lanad.log"
lanad_start --config "$WORK/lanad.conf"
p2=$(pools)
if [[ ${p2#* } =~ $ula_re && ${p2#* } != "$ula" && ${p2%% *} == 198.18.8.0/24 ]]; then
  ok "pool = ula in lanad.conf: a new random /48 (${p2#* })"
else not_ok "pool = ula in lanad.conf: a new random /48" "$p2 (before: $p)"; fi
expect "increment: the default zone starts at 1" "$(serial lab)" "1"
L host add db.lab >/dev/null
expect "increment: a change steps it to 2" "$(serial lab)" "2"
finish
