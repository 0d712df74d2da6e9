#!/usr/bin/env bash
# Integration test of names through the real CLI and daemon: hosts registered with lana are
# resolvable at once through dig and c-ares (A, AAAA, PTR, SRV), deleted hosts give NXDOMAIN,
# records and their conflicts, services, zones with default blocks, serials, the audit log,
# and concurrent host registrations without duplicate addresses. Addresses come from
# 198.18.0.0/15 and 2001:db8::/32 only.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/lanad.sh"
: "${LANA:?}" "${CARES_RESOLVE:?}"
command -v dig >/dev/null || { echo "dig missing"; exit 77; }

lanad_start --workers 2 --pool 198.18.0.0/15 --pool 2001:db8::/32
export LANA_SERVER=127.0.0.1:$RPORT LANA_TOKEN
LANA_TOKEN=$(cat "$TOKEN_FILE")
unset LANA_CONFIG
export XDG_CONFIG_HOME=$WORK/xdg HOME=$WORK
L() { "$LANA" "$@"; }
rc_of() { "$@" >/dev/null 2>&1; echo $?; }
D=(dig @127.0.0.1 -p "$PORT" +time=2 +tries=1)
short() { "${D[@]}" +short "$@"; }
status() { "${D[@]}" "$@" | awk '/status:/{s=$6; sub(/,/, "", s); print s}'; }
serial() { short lab SOA | awk '{print $3}'; }

expect "reverse zones of the pools exist" "$(L zone list --json | python3 -c 'import json,sys; print(" ".join(z["name"] for z in json.load(sys.stdin)["zones"]))')" \
  "198.in-addr.arpa. 8.b.d.0.1.0.0.2.ip6.arpa. catalog.lana.invalid. lab."
expect "reverse zone is served" "$(status 198.in-addr.arpa SOA)" "NOERROR"

# --- a host, resolvable at once
s0=$(serial)
expect "host add" "$(L host add web1.lab)" "web1.lab.                    198.18.0.1       2001:db8::1"
expect "dig A" "$(short web1.lab A)" "198.18.0.1"
expect "dig AAAA" "$(short web1.lab AAAA)" "2001:db8::1"
expect "dig PTR (IPv4)" "$(short -x 198.18.0.1)" "web1.lab."
expect "dig PTR (IPv6)" "$(short -x 2001:db8::1)" "web1.lab."
expect "SOA serial went up" "$(( $(serial) > s0 ))" "1"
expect "c-ares A and AAAA over TCP" "$("$CARES_RESOLVE" 127.0.0.1 "$PORT" web1.lab --tcp | sort | tr '\n' ' ')" \
  "198.18.0.1 2001:db8::1 "
expect "c-ares PTR" "$("$CARES_RESOLVE" 127.0.0.1 "$PORT" 198.18.0.1 --ptr)" "web1.lab"
expect "c-ares PTR over TCP (IPv6)" "$("$CARES_RESOLVE" 127.0.0.1 "$PORT" 2001:db8::1 --ptr --tcp)" "web1.lab"
expect "the address is a registry block held by the host" \
  "$(L whois 198.18.0.1 --json | python3 -c 'import json,sys; c=json.load(sys.stdin)["chain"]; print(c[-1]["prefix"], c[-1]["status"], c[-1]["holder"])')" \
  "198.18.0.1/32 assigned web1.lab."

# --- given addresses, blocks, zones with default blocks
expect "host add with given addresses" "$(L host add db.lab --v4 198.18.9.9 --v6 2001:db8::99)" \
  "db.lab.                      198.18.9.9       2001:db8::99"
expect "taken address: exit 73" "$(rc_of L host add db2.lab --v4 198.18.9.9)" "73"
expect "a network address is refused, with the reason" "$(L host add net.lab --v4 198.18.0.0 2>&1; echo $?)" \
  "lana: 198.18.0.0 is the network address of 198.18.0.0/15, not a host's (--force registers it anyway)
65"
expect "--force registers it" "$(L host add net.lab --v4 198.18.0.0 --v6 none --force --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["host"]["v4"])')" "198.18.0.0"
L host del net.lab >/dev/null
expect "address outside every pool: message names the pools" "$(L host add db2.lab --v4 192.0.2.9 2>&1)" \
  "lana: 192.0.2.9 is outside every pool (pools: 198.18.0.0/15)"
expect "outside every pool: exit 66" "$(rc_of L host add db2.lab --v4 192.0.2.9)" "66"
expect "bad name: exit 65" "$(rc_of L host add 'bad_name.lab')" "65"
expect "bad name: message" "$(L host add under_score.lab 2>&1)" \
  "lana: under_score.lab: '_' is not allowed (letters, digits and hyphens only)"
expect "no zone: exit 66" "$(rc_of L host add web.nowhere)" "66"
expect "duplicate host: exit 73" "$(rc_of L host add web1.lab)" "73"
L block assign 198.18.4.0/24 --holder office >/dev/null
expect "zone add with a default block" "$(L zone add office.lab --block 198.18.4.0/24 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["zone"]["name"])')" "office.lab."
expect "zone show lists the block" "$(L zone show office.lab | tail -1)" "default blocks: 198.18.4.0/24"
expect "host in that zone takes the zone's block" "$(L host add pc1.office.lab --v6 none --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["host"]["v4"])')" "198.18.4.1"
expect "--block chooses the block" "$(L host add pc2.lab --block 198.18.4.0/24 --json | python3 -c 'import json,sys; h=json.load(sys.stdin)["host"]; print(h["v4"], h["v6"] or "-")')" "198.18.4.2 -"
expect "the new zone answers" "$(short pc1.office.lab A)" "198.18.4.1"
expect "zone del refused while it holds hosts: exit 73" "$(rc_of L zone del office.lab)" "73"
expect "host list ZONE" "$(L host list office.lab | awk 'NR > 1 {print $1}')" "pc1.office.lab."

# --- records
expect "record add CNAME" "$(L record add www.lab CNAME web1.lab.)" "www.lab CNAME web1.lab."
expect "CNAME resolves" "$(short www.lab A | tr '\n' ' ')" "web1.lab. 198.18.0.1 "
expect "CNAME beside data: exit 73" "$(rc_of L record add web1.lab CNAME db.lab.)" "73"
expect "data beside a CNAME: exit 73" "$(rc_of L record add www.lab TXT hello)" "73"
expect "duplicate record: exit 73" "$(rc_of L record add www.lab CNAME web1.lab.)" "73"
expect "out of zone: exit 66" "$(rc_of L record add a.example.com TXT x)" "66"
expect "bad data: exit 65" "$(rc_of L record add lab MX ten mail.lab.)" "65"
L record add lab MX 10 db.lab. >/dev/null
expect "MX" "$(short lab MX)" "10 db.lab."
L record add note.lab TXT "two words" 'with "quotes"' >/dev/null
expect "TXT strings" "$(short note.lab TXT)" '"two words" "with \"quotes\""'
L record add sub.lab NS ns.sub.lab. >/dev/null
expect "NS makes a delegation (referral, AA clear)" "$("${D[@]}" +norec host.sub.lab A | awk -F'flags: ' '/^;; flags/{split($2, a, ";"); print a[1]}')" "qr"
expect "record del" "$(L record del www.lab CNAME)" "deleted 1 record"
expect "deleted record: NXDOMAIN" "$(status www.lab A)" "NXDOMAIN"

# --- services
expect "service add with a port" "$(L service add http tcp --port 80)" "http/tcp port 80"
expect "service add auto: lowest free port from 1024" "$(L service add lana-echo tcp)" "lana-echo/tcp port 1024"
expect "port taken: exit 73" "$(rc_of L service add web tcp --port 80)" "73"
expect "dynamic range refused: exit 65" "$(rc_of L service add late tcp --port 50000)" "65"
expect "bad service name: exit 65" "$(rc_of L service add 'bad--name' tcp)" "65"
L service bind web1.lab http >/dev/null
expect "SRV via dig" "$(short _http._tcp.web1.lab SRV)" "0 0 80 web1.lab."
expect "SRV via c-ares" "$("$CARES_RESOLVE" 127.0.0.1 "$PORT" _http._tcp.web1.lab --srv)" "0 0 80 web1.lab"
L service bind web1.lab lana-echo --port 7000 >/dev/null
expect "SRV with its own port" "$(short _lana-echo._tcp.web1.lab SRV)" "0 0 7000 web1.lab."
expect "service del refused while bound: exit 73" "$(rc_of L service del http tcp)" "73"
expect "service list shows bindings" "$(L service list --json | python3 -c 'import json,sys; print([(s["name"], s["bound"]) for s in json.load(sys.stdin)["services"]])')" \
  "[('http', 1), ('lana-echo', 1)]"
L service unbind web1.lab lana-echo >/dev/null
expect "unbind withdraws the SRV" "$(status _lana-echo._tcp.web1.lab SRV)" "NXDOMAIN"

# --- rename, delete: NXDOMAIN everywhere
expect "host rename keeps the addresses" "$(L host rename web1.lab web2.lab)" "web2.lab.                    198.18.0.1       2001:db8::1"
expect "old name gone" "$(status web1.lab A)" "NXDOMAIN"
expect "new name, PTR and SRV follow" "$(short web2.lab A) $(short -x 198.18.0.1) $(short _http._tcp.web2.lab SRV)" \
  "198.18.0.1 web2.lab. 0 0 80 web2.lab."
expect "host del" "$(L host del web2.lab)" "deleted host web2.lab."
expect "deleted host: NXDOMAIN (A)" "$(status web2.lab A)" "NXDOMAIN"
expect "deleted host: NXDOMAIN (PTR)" "$(status -x 198.18.0.1)" "NXDOMAIN"
expect "deleted host: NXDOMAIN (SRV)" "$(status _http._tcp.web2.lab SRV)" "NXDOMAIN"
expect "deleted host: c-ares sees NXDOMAIN" "$("$CARES_RESOLVE" 127.0.0.1 "$PORT" web2.lab 2>&1)" \
  "cares_resolve: Domain name not found"
expect "its address went back to the registry" "$(rc_of L block show 198.18.0.1/32)" "66"
expect "zone del --recursive" "$(L zone del office.lab --recursive)" "deleted zone office.lab."
expect "its hosts' addresses are free" "$(rc_of L block show 198.18.4.1/32)" "66"

# --- every change visible to the very next query (no sleep between registry and dig)
miss=0
for i in $(seq 20); do
  a=$(L host add "quick$i.lab" --v6 none --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["host"]["v4"])')
  [ "$(short "quick$i.lab" A)" = "$a" ] || miss=$((miss + 1))
  L host del "quick$i.lab" >/dev/null
  [ "$(status "quick$i.lab" A)" = "NXDOMAIN" ] || miss=$((miss + 1))
done
expect "20 add/query/delete/query rounds, no stale answer" "$miss" "0"

# --- concurrent registrations: no address handed out twice
pids=()
for c in 1 2 3 4 5 6; do
  ( for i in $(seq 15); do L host add "c$c-$i.lab" --json || echo FAIL; done >"$WORK/hosts.$c" ) &
  pids+=($!)
done
wait "${pids[@]}"
addrs=$(cat "$WORK"/hosts.* | python3 -c 'import json,sys; [print(json.loads(l)["host"]["v4"], json.loads(l)["host"]["v6"]) if l.startswith("{") else print("FAIL") for l in sys.stdin]')
expect "concurrent: 90 hosts registered" "$(echo "$addrs" | grep -vc FAIL)" "90"
expect "concurrent: no duplicate IPv4" "$(echo "$addrs" | awk '{print $1}' | sort | uniq -d | wc -l)" "0"
expect "concurrent: no duplicate IPv6" "$(echo "$addrs" | awk '{print $2}' | sort | uniq -d | wc -l)" "0"
expect "concurrent: all resolvable" "$(for c in 1 6; do short "c$c-15.lab" A; done | wc -l)" "2"

# --- zone import through the daemon
expect "zone import through lanad" "$(L zone import "$TEST_DATA/test.zone")" "imported 68 records into zone test."
expect "imported zone answers" "$(short web.test A)" "198.18.0.80"
printf '$ORIGIN test.\n$TTL 60\n@ SOA a b 1 2 3 4 5\n@ NS a\nbad A 1.2.3.4.5\n' >"$WORK/bad.zone"
expect "bad zone file: exit 65 with file:line" "$(L zone import "$WORK/bad.zone" 2>&1; echo $?)" \
  "lana: zone file:5: 1.2.3.4.5: not an IPv4 address
65"
expect "bad zone file changed nothing" "$(short web.test A)" "198.18.0.80"
expect "zone import needs a token: exit 77" "$(LANA_TOKEN= rc_of L zone import "$TEST_DATA/test.zone")" "77"
printf '$ORIGIN lab.\n@ 60 SOA a b 1 2 3 4 5\n@ 60 NS a\n' >"$WORK/lab.zone"
expect "import over a zone with hosts: exit 73" "$(rc_of L zone import "$WORK/lab.zone")" "73"
expect "the daemon still serves after all that" "$(short ns1.lab A)" "127.0.0.1"

# --- batch of hosts, audit log, export
for i in $(seq 200); do echo "host add b$i.lab --v6 none"; done >"$WORK/hosts.lana"
expect "200 hosts in one batch" "$(L batch "$WORK/hosts.lana" | tail -1)" "200 commands: 200 ok, 0 failed; committed"
expect "batch hosts resolve" "$(short b200.lab A | grep -c '^198\.18\.')" "1"
expect "audit log records host changes" "$(L log --json --limit 1000000 | python3 -c 'import json,sys; l=json.load(sys.stdin)["log"]; print(sum(e["action"] == "host.add" for e in l) >= 312, any(e["action"] == "host.del" for e in l), any(e["action"] == "service.bind" for e in l))')" \
  "True True True"
# --- releasing a block that holds host addresses (no address may keep a stale name)
L block assign 198.18.200.0/30 --holder rel >/dev/null
rel_a=$(L host add rel1.lab --block 198.18.200.0/30 --v6 none --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["host"]["v4"])')
expect "release of a block with hosts: exit 73" "$(rc_of L block release 198.18.200.0/30)" "73"
expect "the refusal names the host" "$(L block release 198.18.200.0/30 2>&1 | grep -c 'rel1.lab')" "1"
expect "refused release changed nothing" "$(short rel1.lab A)" "$rel_a"
expect "release --recursive takes the hosts along" "$(L block release 198.18.200.0/30 --recursive)" \
  "released 198.18.200.0/30 (2 blocks, 1 host deleted)"
expect "its name is gone" "$(status rel1.lab A)" "NXDOMAIN"
expect "its PTR is gone" "$(status -x "$rel_a")" "NXDOMAIN"
expect "lanad check finds the live database consistent" "$("$LANAD" check --db "$DB" >/dev/null 2>&1; echo $?)" "0"

# --- a reverse zone created after its hosts takes their PTR records (pc2.lab is 198.18.4.2)
expect "zone add of a more specific reverse zone" "$(L zone add 4.18.198.in-addr.arpa --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["zone"]["name"])')" \
  "4.18.198.in-addr.arpa."
expect "dig -x answers from the new zone" "$(short -x 198.18.4.2) $(L zone export 4.18.198.in-addr.arpa | grep -c 'PTR.pc2\.lab\.') $(status 4.18.198.in-addr.arpa SOA)" \
  "pc2.lab. 1 NOERROR"
expect "the zone above no longer has that PTR" "$(L zone export 198.in-addr.arpa | grep -c 'pc2\.lab\.')" "0"
expect "lanad check: the PTR records followed" "$("$LANAD" check --db "$DB" >/dev/null 2>&1; echo $?)" "0"

L zone export lab >"$WORK/lab.zone"
if command -v named-checkzone >/dev/null; then
  named-checkzone -q lab. "$WORK/lab.zone" && ok "exported zone passes named-checkzone" \
    || not_ok "exported zone passes named-checkzone" "$(named-checkzone lab. "$WORK/lab.zone" 2>&1 | head -3)"
fi
finish
