#!/usr/bin/env bash
# Lab-network test: three network namespaces on one bridge — reg (lanad, DNS on port 53),
# h1 (lana serve) and cli (lana connect) — with 198.18.0.0/24 and 2001:db8::/64 addresses.
# h1 is registered through lana; from cli, lana resolves it through c-ares against reg's DNS
# (UDP and TCP) and connects over IPv6 and IPv4; the endpoints printed on both sides are
# checked against the namespaces' addresses, and --trace's SYN, SYN/ACK, ACK against X+1 and
# Y+1, and --hello's registry handshake (and its deadline against a silent server). Needs root
# (network namespaces): skipped otherwise. Everything it creates is removed at the end; it kills only what it started.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${LANAD:?}" "${LANA:?}"
if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null; then
  echo "skipped: needs root and iproute2 for network namespaces"; exit 77
fi
S=$$
REG=lana-reg-$S H1=lana-h1-$S CLI=lana-cli-$S
WORK=$(mktemp -d "${TMPDIR:-/tmp}/lana-lab.XXXXXX")
PIDS=()
FAILS=0 PASSES=0
ok() { PASSES=$((PASSES + 1)); echo "ok - $1"; }
not_ok() { FAILS=$((FAILS + 1)); echo "not ok - $1"; [ -n "${2:-}" ] && echo "$2" | sed 's/^/#   /'; }
expect() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "want: $3
got:  $2"; fi; }
has() { case $2 in *"$3"*) ok "$1";; *) not_ok "$1" "want a part: $3
got:  $2";; esac; }
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  for n in "$REG" "$H1" "$CLI"; do ip netns del "$n" 2>/dev/null; done
  rm -rf "$WORK" "/etc/netns/$CLI"
}
trap cleanup EXIT
if ! ip netns add "$REG" 2>/dev/null; then
  echo "skipped: cannot create network namespaces here"; exit 77
fi
ip netns add "$H1" && ip netns add "$CLI" || { echo "cannot create namespaces"; exit 1; }
# (background jobs call ip netns exec directly, so that $! is the process itself: ip execs it)
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# --- the network: a bridge in reg, one veth pair to each of h1 and cli (a sandbox that can
# make namespaces but not links or addresses skips the test too)
setup_net() {
  nsx "$REG" ip link add br0 type bridge || return 1
  nsx "$REG" ip link set br0 up || return 1
  local i=2 ns
  for ns in "$H1" "$CLI"; do
    nsx "$REG" ip link add "p$i" type veth peer name eth0 netns "$ns" || return 1
    nsx "$REG" ip link set "p$i" master br0 up || return 1
    nsx "$ns" ip link set lo up || return 1
    nsx "$ns" ip addr add "198.18.0.$i/24" dev eth0 || return 1
    nsx "$ns" ip addr add "2001:db8::$i/64" dev eth0 nodad || return 1
    nsx "$ns" ip link set eth0 up || return 1
    i=$((i + 1))
  done
  nsx "$REG" ip link set lo up || return 1
  nsx "$REG" ip addr add 198.18.0.1/24 dev br0 || return 1
  nsx "$REG" ip addr add 2001:db8::1/64 dev br0 nodad
}
setup_net || { echo "skipped: cannot build the namespaces' network here"; exit 77; }
sleep 0.3

# --- lanad in reg: DNS on port 53 of its bridge addresses, registry on its loopback
ip netns exec "$REG" "$LANAD" --db "$WORK/lana.db" --listen-dns 198.18.0.1:53 --listen-dns '[2001:db8::1]:53' \
  --listen-registry 127.0.0.1:5301 --pool 10.0.0.0/8 --ready-file "$WORK/ready" 2>"$WORK/lanad.log" &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$WORK/ready" ] && break; sleep 0.05; done
[ -s "$WORK/ready" ] || { echo "lanad did not start"; cat "$WORK/lanad.log"; exit 1; }
export LANA_TOKEN LANA_SERVER=127.0.0.1:5301 XDG_CONFIG_HOME=$WORK HOME=$WORK
LANA_TOKEN=$(cat "$WORK/admin.token")
unset LANA_CONFIG
R() { nsx "$REG" "$LANA" "$@"; }
expect "pool add (IPv4 lab prefix)" "$(R pool add 198.18.0.0/15 --desc lab)" "198.18.0.0/15            pool       "
expect "pool add (IPv6 lab prefix)" "$(R pool add 2001:db8::/32 --desc lab)" "2001:db8::/32            pool       "
expect "host add h1.lab" "$(R host add h1.lab --v4 198.18.0.2 --v6 2001:db8::2)" \
  "h1.lab.                      198.18.0.2       2001:db8::2"
R service add lab-echo tcp --port 8080 >/dev/null
expect "service bind: what was bound, and its SRV records" "$(R service bind h1.lab lab-echo)" \
  "lab-echo bound to h1.lab (1 SRV record)
  _lab-echo._tcp.h1.lab. 300 IN SRV 0 0 8080 h1.lab."

# --- h1 serves; cli connects
ip netns exec "$H1" timeout 60 "$LANA" serve 8080 --count 4 >"$WORK/serve.out" 2>&1 &
PIDS+=($!)
sleep 0.3
C() { nsx "$CLI" "$LANA" "$@"; }
out=$(C resolve h1.lab --dns 198.18.0.1)
expect "resolve through c-ares against reg's DNS" "$(echo "$out" | awk '$3 == "A" || $3 == "AAAA" {print $3, $4}' | sort | tr '\n' ' ')" \
  "A 198.18.0.2 AAAA 2001:db8::2 "
expect "resolve over TCP" "$(C resolve h1.lab -t A --dns 198.18.0.1 --tcp | awk '$3 == "A" {print $4}')" "198.18.0.2"
expect "resolve PTR" "$(C resolve -x 198.18.0.2 --dns 2001:db8::1 | awk '$3 == "PTR" {print $4}')" "h1.lab."
out=$(C connect h1.lab 8080 --dns 198.18.0.1 --json)
expect "connect: IPv6 first, and it wins" "$(echo "$out" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["attempts"][0]["remote"], r["remote"])')" \
  "[2001:db8::2]:8080 [2001:db8::2]:8080"
expect "connect: the addresses came from DNS, from the server given" "$(echo "$out" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["source"], r["dns_servers"])')" \
  "dns 198.18.0.1"
v6local=$(echo "$out" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["local"])')
case $v6local in "[2001:db8::3]:"*) ok "connect: local endpoint is cli's address with an ephemeral port";;
  *) not_ok "connect: local endpoint is cli's address with an ephemeral port" "$v6local";; esac
out=$(C connect h1.lab 8080 --dns 198.18.0.1 --tcp -4 --json)
expect "connect -4 over DNS-over-TCP" "$(echo "$out" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["remote"], r["local"].split(":")[0], r["tcp_info"]["state"])')" \
  "198.18.0.2:8080 198.18.0.3 ESTABLISHED"
v4port=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["local_port"])')
out=$(C connect h1.lab lab-echo --dns 198.18.0.1)
case $out in *"_lab-echo._tcp.h1.lab SRV 0 0 8080 h1.lab."*) ok "connect SERVICE through its SRV record";;
  *) not_ok "connect SERVICE through its SRV record" "$out";; esac
out=$(C connect h1.lab 8080 --dns 198.18.0.1 -4 --trace --json)
expect "--trace: SYN, SYN/ACK, ACK with X, Y, X+1 and Y+1" "$(echo "$out" | python3 -c '
import json, sys
t = json.load(sys.stdin)["trace"]
syn, synack, ack = t[0], t[1], t[2]
x, y = syn["seq"], synack["seq"]
print(syn["flags"], syn["from"], synack["flags"], synack["from"], synack["ack"] == (x + 1) % 2**32,
      ack["flags"], ack["from"], ack["seq"] == (x + 1) % 2**32, ack["ack"] == (y + 1) % 2**32)')" \
  "SYN client SYN,ACK server True ACK client True True"
expect "connect to a closed port: exit 71" "$(C connect h1.lab 9 --dns 198.18.0.1 -4 >/dev/null 2>&1; echo $?)" "71"
expect "no DNS answer in time: exit 75" "$(C resolve h1.lab --dns 198.18.0.9 >/dev/null 2>&1; echo $?)" "75"
expect "no route: exit 72" "$(C connect 2001:db8:1::1 80 >/dev/null 2>&1; echo $?)" "72"
# a fresh address (the one above is already known unreachable by the neighbour table)
expect "connect timeout: exit 79" "$(C --timeout 300 connect 198.18.0.10 80 >/dev/null 2>&1; echo $?)" "79"
expect "no such record: exit 67" "$(C resolve h1.lab -t MX --dns 198.18.0.1 >/dev/null 2>&1; echo $?)" "67"
expect "connect to an unknown name: exit 68" "$(C connect nope.lab 80 --dns 198.18.0.1 >/dev/null 2>&1; echo $?)" "68"
# the lab rule: cli cannot reach the registry (it listens on reg's loopback), so the lab is
# loopback, cli's own addresses, 198.18.0.0/15 and 2001:db8::/32; anything else is refused
# before a SYN (and here it could not leave anyway: cli has no route but its /24 and /64)
out=$(C connect 10.0.7.1 80 2>&1); rc=$?
expect "connect outside the lab: refused, exit 77" "$rc" "77"
has "connect outside the lab: says why and what to add" "$out" \
  "10.0.7.1:80 is outside the lab: not loopback, not this machine's, not in 198.18.0.0/15, 2001:db8::/32 (the registry's pools unknown: "
has "connect outside the lab: --any-address named" "$out" "add --any-address to connect anyway"
expect "--any-address: connect() is tried (no route: 72)" "$(C connect 10.0.7.1 80 --any-address >/dev/null 2>&1; echo $?)" "72"
# in reg the registry answers: its pools are in the lab (10.0.0.0/8 given to lanad)
expect "a registry pool is in the lab: connect() is tried (no route: 72)" "$(R connect 10.0.7.1 80 >/dev/null 2>&1; echo $?)" "72"
out=$(R connect 192.0.2.1 80 2>&1); rc=$?
expect "outside every pool of the registry: exit 77" "$rc" "77"
has "outside every pool: the registry's pools named" "$out" "nor in the registry's pools 10.0.0.0/8, 198.18.0.0/15, 2001:db8::/32"
# a lab name through the system's resolver (cli's resolv.conf names reg's DNS, as ip netns
# exec mounts /etc/netns/NAME/resolv.conf): the server that answered, and the --dns hint
mkdir -p "/etc/netns/$CLI" && echo "nameserver 198.18.0.1" > "/etc/netns/$CLI/resolv.conf"
out=$(C resolve nope.lab 2>&1); rc=$?
expect "resolve through the system resolver: NXDOMAIN names it and suggests --dns" "$rc $out" \
  "68 lana: nope.lab: no such name (NXDOMAIN) from 198.18.0.1:53, the system resolver; a lab name? try --dns 127.0.0.1:5300"
has "connect through the system resolver: the same" "$(C connect nope.lab 80 2>&1)" \
  "nope.lab: no such name (NXDOMAIN) from 198.18.0.1:53, the system resolver; a lab name? try --dns 127.0.0.1:5300"
has "resolve through the system resolver: the server it asked" "$(C resolve h1.lab 2>&1)" \
  ";; 2 addresses from the system's resolvers (198.18.0.1:53) over UDP"
has "resolve -t with --dns: the server named, no hint" "$(C resolve nope.lab -t A --dns 198.18.0.1 2>&1)" \
  "lana: nope.lab: no such name (NXDOMAIN) from 198.18.0.1:53"
case $(C resolve nope.lab -t A --dns 198.18.0.1 2>&1) in *"try --dns"*) not_ok "no hint with --dns";; *) ok "no hint with --dns";; esac
# --hello: the registry handshake on the connection (the registry listens on reg's loopback)
out=$(R connect 127.0.0.1 5301 --hello)
expect "--hello: HELLO, WELCOME, ACK, READY" "$(echo "$out" | sed -n '/^registry handshake:/,$p' | sed -E 's/= [0-9]+$/= N/')" \
  "registry handshake:
  > HELLO seq=X          X   = N
  < WELCOME ack=X+1      X+1 = N
  <         seq=Y        Y   = N
  > ACK ack=Y+1          Y+1 = N
  < READY"
expect "--hello: the numbers are X, X+1, Y, Y+1" "$(echo "$out" | awk '/ = [0-9]+$/ {v[n++] = $NF}
  END {print (v[1] == (v[0] + 1) % 4294967296), (v[3] == (v[2] + 1) % 4294967296)}')" "1 1"
out=$(R connect 127.0.0.1 5301 --hello --json)
expect "--hello --json: X+1 and Y+1, ready" "$(echo "$out" | python3 -c '
import json, sys
h = json.load(sys.stdin)["hello"]
print(h["x_plus_1"] == (h["x"] + 1) % 2**32, h["y_plus_1"] == (h["y"] + 1) % 2**32, h["ready"])')" \
  "True True True"
# a server that accepts and never answers: --hello gives up at --timeout (exit 76)
ip netns exec "$H1" python3 -c 'import socket, time
s = socket.socket(socket.AF_INET6); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", 8081)); s.listen(8); time.sleep(30)' &
PIDS+=($!)
for _ in $(seq 50); do nsx "$H1" ss -ltnH | grep -q ':8081 ' && break; sleep 0.1; done
t0=$(date +%s%N)
rc=$(timeout 10 ip netns exec "$CLI" "$LANA" --timeout 500 connect h1.lab 8081 --dns 198.18.0.1 --hello >/dev/null 2>&1; echo $?)
took=$(( ($(date +%s%N) - t0) / 1000000 ))
expect "--hello to a silent server: exit 76 within 3 s" "$rc $(( took < 3000 ))" "76 1"

# the lab rule asks the registry that the token file names (its server, not the default one):
# a namespace of its own with only loopback, lanad's registry on another port and a 10/8 pool;
# a pool address passes the rule and fails with "unreachable" (no route: nothing leaves)
TOK=lana-tok-$S
if ip netns add "$TOK" 2>/dev/null; then
  nsx "$TOK" ip link set lo up
  mkdir -p "$WORK/tok"
  ip netns exec "$TOK" "$LANAD" --db "$WORK/tok/lana.db" --listen-dns 127.0.0.1:0 \
    --listen-registry 127.0.0.1:5399 --pool 10.0.0.0/8 --ready-file "$WORK/tok/ready" 2>"$WORK/tok/lanad.log" &
  PIDS+=($!)
  for _ in $(seq 100); do [ -s "$WORK/tok/ready" ] && break; sleep 0.05; done
  rc=$(ip netns exec "$TOK" env -u LANA_SERVER -u LANA_TOKEN "$LANA" --token-file "$WORK/tok/admin.token" \
    --timeout 500 connect 10.9.9.9 80 >/dev/null 2>"$WORK/tok/err"; echo $?)
  expect "the lab rule asks the token file's registry: a pool address is in the lab (exit 72, no route)" \
    "$rc" "72"
  kill "${PIDS[-1]}" 2>/dev/null; wait "${PIDS[-1]}" 2>/dev/null
  ip netns del "$TOK"
fi

sleep 0.5
expect "serve saw both connections' endpoints" \
  "$(grep -c 'accept() → new socket [0-9]* for .* (local ' "$WORK/serve.out")" "4"
grep -q "new socket [0-9]* for \[2001:db8::3\]:[0-9]* (local \[2001:db8::2\]:8080)" "$WORK/serve.out" \
  && ok "serve: IPv6 endpoints, side by side" || not_ok "serve: IPv6 endpoints, side by side" "$(cat "$WORK/serve.out")"
grep -q "new socket [0-9]* for 198.18.0.3:$v4port (local 198.18.0.2:8080)" "$WORK/serve.out" \
  && ok "serve: the client's ephemeral port matches what connect printed" \
  || not_ok "serve: the client's ephemeral port matches what connect printed" "$(cat "$WORK/serve.out")"
echo "$PASSES passed, $FAILS failed"
[ "$FAILS" -eq 0 ]
