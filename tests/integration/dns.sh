#!/usr/bin/env bash
# Integration test of lanad's DNS answers with dig and kdig over UDP and TCP and with c-ares:
# every answering rule of the DNS server issue, against a real daemon on loopback.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/lanad.sh"
command -v dig >/dev/null && command -v kdig >/dev/null || { echo "dig/kdig missing"; exit 77; }

# --- the default database: lab. with SOA, NS and ns1
lanad_start --workers 2
expect "default zone: ns1.lab A" "$(dig @127.0.0.1 -p "$PORT" +short ns1.lab A)" "127.0.0.1"
expect "default zone: ns1.lab AAAA over IPv6" "$(dig @::1 -p "$PORT6" +short ns1.lab AAAA)" "::1"
expect "default zone: SOA" "$(dig @127.0.0.1 -p "$PORT" +short lab SOA | awk '{print $1, $2}')" \
  "ns1.lab. hostmaster.lab."

# --- import the test zone while the daemon runs; the next queries see it
out=$("$LANAD" --db "$DB" zone import "$TEST_DATA/test.zone")
expect "zone import reports its count" "$out" "imported 68 records into zone test."
sleep 0.01

D=(dig @127.0.0.1 -p "$PORT" +norec +time=2 +tries=1)
status() { "${D[@]}" "$@" | awk '/status:/{s=$6; sub(/,/, "", s); print s}'; }
flags() { "${D[@]}" "$@" | awk -F'flags: ' '/^;; flags/{split($2, a, ";"); print a[1]}'; }
section() { # section answer|authority ARGS... : that section's records, "owner ttl type data"
  local sec=$1; shift
  "${D[@]}" +noall "+$sec" "$@" | awk 'NF && $1 !~ /^;/ {print $1, $2, $4, substr($0, index($0, $5))}'
}
for mode in udp tcp; do
  T=(); [ $mode = tcp ] && T=(+tcp)
  expect "$mode: A" "$("${D[@]}" "${T[@]}" +short web.test A)" "198.18.0.80"
  expect "$mode: AAAA" "$("${D[@]}" "${T[@]}" +short web.test AAAA)" "2001:db8::80"
  expect "$mode: authoritative answer" "$(flags "${T[@]}" web.test A)" "qr aa"
  expect "$mode: question echoed as asked" \
    "$("${D[@]}" "${T[@]}" WeB.TeSt A | awk '/QUESTION SECTION/{getline; print $1}')" ";WeB.TeSt."
  expect "$mode: NXDOMAIN" "$(status "${T[@]}" nope.test A)" "NXDOMAIN"
  expect "$mode: NXDOMAIN has SOA with negative TTL" "$(section authority "${T[@]}" nope.test A)" \
    "test. 300 SOA ns1.test. hostmaster.test. 2026112401 3600 900 604800 300"
  expect "$mode: NODATA" "$(status "${T[@]}" web.test MX)/$("${D[@]}" "${T[@]}" +short web.test MX)" "NOERROR/"
  expect "$mode: NODATA has SOA" "$(section authority "${T[@]}" web.test MX | awk '{print $3}')" "SOA"
  expect "$mode: empty non-terminal is NODATA" "$(status "${T[@]}" c.ent.test A)" "NOERROR"
  expect "$mode: CNAME chain followed" "$("${D[@]}" "${T[@]}" +short alias2.test A | tr '\n' ' ')" \
    "www.test. web.test. 198.18.0.80 "
  expect "$mode: CNAME loop ends" "$("${D[@]}" "${T[@]}" +short loop1.test A | tr '\n' ' ')" \
    "loop2.test. loop1.test. "
  expect "$mode: dangling CNAME is NXDOMAIN" "$(status "${T[@]}" dangle.test A)" "NXDOMAIN"
  expect "$mode: CNAME out of our zones" "$("${D[@]}" "${T[@]}" +short away.test A)" "www.example.net."
  expect "$mode: PTR-free types: MX" "$("${D[@]}" "${T[@]}" +short test MX)" "10 mail.test."
  expect "$mode: TXT with escapes" "$("${D[@]}" "${T[@]}" +short txt.test TXT)" \
    '"a \"quoted\" word" "semi;colon" "" "ABC"'
  expect "$mode: SRV" "$("${D[@]}" "${T[@]}" +short _ldap._tcp.test SRV)" "0 5 389 ns1.test."
  expect "$mode: unknown type served as stored" "$("${D[@]}" "${T[@]}" +short opaque.test TYPE65280)" \
    '\# 4 0A000001'
  expect "$mode: wildcard" "$("${D[@]}" "${T[@]}" +short any.thing.wild.test A)" "198.18.0.99"
  expect "$mode: wildcard owner is the query name" \
    "$(section answer "${T[@]}" x.wild.test TXT)" 'x.wild.test. 3600 TXT "wildcard"'
  expect "$mode: no wildcard for an existing name" "$(status "${T[@]}" below.host.wild.test A)" \
    "NXDOMAIN"
  expect "$mode: ANY" "$("${D[@]}" "${T[@]}" +short web.test ANY | sort | tr '\n' ' ')" \
    "198.18.0.80 2001:db8::80 "
  expect "$mode: referral without AA" "$(flags "${T[@]}" host.sub.test A)" "qr"
  expect "$mode: referral NS" "$(section authority "${T[@]}" host.sub.test A | awk '{print $4}' | sort | tr '\n' ' ')" \
    "ns.elsewhere.net. ns.sub.test. "
  expect "$mode: referral glue" "$("${D[@]}" "${T[@]}" host.sub.test A | awk '/ADDITIONAL SECTION/{f=1; next} f && NF && !/^;/ {print $1, $5; exit}')" \
    "ns.sub.test. 198.18.1.53"
  expect "$mode: REFUSED outside our zones" "$(status "${T[@]}" www.example.com A)" "REFUSED"
  expect "$mode: TTL 0 kept" "$(section answer "${T[@]}" ttl0.test A)" "ttl0.test. 0 A 198.18.0.0"
  expect "$mode: EDNS answered with our size" \
    "$("${D[@]}" "${T[@]}" +edns=0 web.test | awk '/EDNS:/{print $NF}')" "1232"
  expect "$mode: BADVERS for EDNS version 1" "$(status "${T[@]}" +edns=1 +noednsneg web.test)" "BADVERS"
done

# --- delegations (deleg.zone, child.zone): DS from the parent side, CNAMEs into delegations
for z in deleg child; do "$LANAD" --db "$DB" zone import "$TEST_DATA/$z.zone" >/dev/null; done
sleep 0.01
for mode in udp tcp; do
  T=(); [ $mode = tcp ] && T=(+tcp)
  expect "$mode: DS at a delegation: authoritative, no referral" "$(flags "${T[@]}" signed.parent DS)" "qr aa"
  expect "$mode: DS at a delegation: the DS RRset" \
    "$(section answer "${T[@]}" signed.parent DS | awk '{print $1, $3, $4, $5, $6}')" "signed.parent. DS 12345 13 2"
  expect "$mode: DS at a delegation without DS: NODATA with the parent's SOA" \
    "$(status "${T[@]}" unsigned.parent DS) $(flags "${T[@]}" unsigned.parent DS) $(section authority "${T[@]}" unsigned.parent DS | awk '{print $1, $2, $3}')" \
    "NOERROR qr aa parent. 300 SOA"
  expect "$mode: DS at the apex of a child we serve: from the parent" \
    "$("${D[@]}" "${T[@]}" +short child.parent DS | awk '{print $1, $2, $3}')" "54321 13 2"
  expect "$mode: DS below a delegation: a referral" "$(flags "${T[@]}" www.signed.parent DS)" "qr"
  expect "$mode: CNAME into a delegation: the CNAME, authoritative" \
    "$(flags "${T[@]}" to-signed.parent A) $(section answer "${T[@]}" to-signed.parent A)" \
    "qr aa to-signed.parent. 3600 CNAME www.signed.parent."
  expect "$mode: CNAME into a delegation: then the referral" \
    "$(section authority "${T[@]}" to-signed.parent A)" "signed.parent. 3600 NS ns.signed.parent."
  expect "$mode: CNAME into a delegation: with its glue" \
    "$(section additional "${T[@]}" to-signed.parent A)" "ns.signed.parent. 3600 A 198.18.4.53"
done
got=$(kdig @127.0.0.1 -p "$PORT" +norec +time=2 +retry=0 signed.parent DS 2>&1)
expect "kdig: DS at a delegation answered with AA" \
  "$(echo "$got" | awk '/^;; Flags:/{print $3, $4}' | tr -d ";") $(echo "$got" | awk '/^signed.parent.*DS/{print $4, $5}')" "qr aa DS 12345"
got=$(kdig @127.0.0.1 -p "$PORT" +norec +tcp +time=2 +retry=0 chain.parent A 2>&1)
expect "kdig: a CNAME chain into a delegation, then NS and glue" \
  "$(echo "$got" | awk '/CNAME|NS|[^A]A\t/ && !/^;/ {print $1, $4, $5}' | tr '\t' ' ' | tr '\n' ';')" \
  "chain.parent. CNAME to-signed.parent.;to-signed.parent. CNAME www.signed.parent.;signed.parent. NS ns.signed.parent.;ns.signed.parent. A 198.18.4.53;"

# --- an RRset over 64 KiB cannot be sent whole, even over TCP: SERVFAIL, never cut short
{ printf '$ORIGIN huge.\n$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 198.18.6.1\nsmall TXT ok\n'
  for i in $(seq 100 359); do printf 'big TXT "%s%0252d"\n' "$i" 0; done; } >"$WORK/huge.zone"
"$LANAD" --db "$DB" zone import "$WORK/huge.zone" >/dev/null
sleep 0.01
expect "RRset over 64 KiB over TCP: SERVFAIL" "$(status +tcp big.huge TXT)" "SERVFAIL"
expect "RRset over 64 KiB over UDP: SERVFAIL, not TC" "$(status +ignore big.huge TXT)/$(flags +ignore big.huge TXT)" "SERVFAIL/qr"
expect "the rest of that zone is served" "$("${D[@]}" +tcp +short small.huge TXT)" '"ok"'

# --- truncation: big.test. has 40 A records (666 bytes)
expect "UDP without EDNS over 512 bytes sets TC" \
  "$(flags +ignore +noedns big.test A)" "qr aa tc"
expect "UDP over the client's EDNS size sets TC" "$(flags +ignore +bufsize=600 big.test A)" "qr aa tc"
expect "UDP within the client's EDNS size: no TC" \
  "$(flags +ignore +bufsize=1232 big.test A)/$("${D[@]}" +ignore +bufsize=1232 +short big.test A | wc -l)" "qr aa/40"
expect "TCP never truncates" "$("${D[@]}" +tcp big.test A | awk -F'ANSWER: ' '/ANSWER:/{split($2,a,","); print a[1]}')" "40"
expect "dig retries over TCP after TC" "$("${D[@]}" +noedns +short big.test A | wc -l)" "40"

# --- kdig: several queries on one TCP connection (the same source port for all of them)
got=$(kdig @127.0.0.1 -p "$PORT" +tcp +keepopen +time=2 +retry=0 web.test A web.test AAAA nope.test A 2>&1)
expect "kdig: several queries on one TCP connection, all answered" \
  "$(echo "$got" | awk '/status:/{print $6}' | tr -d ';,' | tr '\n' ' ')" "NOERROR NOERROR NXDOMAIN "
expect "kdig: one connection" "$(echo "$got" | awk '/^;; From/{print $3}' | sort -u | wc -l)" "1"

# --- c-ares, forced TCP, pointed at our port
got=$("$CARES_RESOLVE" 127.0.0.1 "$PORT" web.test --tcp | sort | tr '\n' ' ')
expect "c-ares over TCP: A and AAAA" "$got" "198.18.0.80 2001:db8::80 "
got=$("$CARES_RESOLVE" 127.0.0.1 "$PORT" web.test | sort | tr '\n' ' ')
expect "c-ares over UDP: A and AAAA" "$got" "198.18.0.80 2001:db8::80 "
got=$("$CARES_RESOLVE" ::1 "$PORT6" alias2.test --tcp | sort | tr '\n' ' ')
expect "c-ares over TCP on IPv6 through a CNAME chain" "$got" "198.18.0.80 2001:db8::80 "
got=$("$CARES_RESOLVE" 127.0.0.1 "$PORT" nope.test --tcp 2>&1)
expect "c-ares sees NXDOMAIN" "$got" "cares_resolve: Domain name not found"

# --- export accepted by named-checkzone (when installed)
"$LANAD" --db "$DB" zone export test. >"$WORK/export.zone"
if command -v named-checkzone >/dev/null; then
  if named-checkzone -q test. "$WORK/export.zone"; then ok "named-checkzone accepts the export"
  else not_ok "named-checkzone accepts the export" "$(named-checkzone test. "$WORK/export.zone" 2>&1)"; fi
fi
# a bad zone file changes nothing, and the daemon keeps serving
printf '$ORIGIN test.\n$TTL 60\n@ SOA a b 1 2 3 4 5\n@ NS a\nbad A 1.2.3.4.5\n' >"$WORK/bad.zone"
err=$("$LANAD" --db "$DB" zone import "$WORK/bad.zone" 2>&1); rc=$?
expect "bad zone file: exit 65 and file:line" "$rc $(echo "$err" | head -1)" \
  "65 lanad: $WORK/bad.zone:5: 1.2.3.4.5: not an IPv4 address"
expect "bad zone file changed nothing" "$(dig @127.0.0.1 -p "$PORT" +short web.test A)" "198.18.0.80"

# --- a taken port gives a clear message; SIGTERM stops cleanly
err=$("$LANAD" --db "$WORK/other.db" --token-file "$WORK/other.token" --listen-dns "127.0.0.1:$PORT" 2>&1); rc=$?
expect "port taken: exit 71" "$rc" "71"
case $err in *"Address already in use - another server already uses this port"*) ok "port taken: clear message";;
  *) not_ok "port taken: clear message" "$err";; esac
kill -TERM "$LANAD_PID"; wait "$LANAD_PID"; rc=$?; LANAD_PID=""
expect "SIGTERM: exit 0" "$rc" "0"
grep -q "SIGTERM received, stopping" "$WORK/lanad.log" && ok "SIGTERM logged" || not_ok "SIGTERM logged"
finish
