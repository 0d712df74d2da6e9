#!/usr/bin/env bash
# DNS throughput of lanad against NSD and Knot on one generated zone, on this machine, in one
# run: every server pinned to one CPU and dnsperf to another, everything on 127.0.0.1 only,
# every load bounded in time. Also lanad's import time, start-up time and memory (PSS).
#
# usage: bench/dns.sh [options]
#   -n HOSTS        hosts in the zone lab., one A and one AAAA each (100000)
#   -l SECONDS      length of each dnsperf run (10)
#   -r ROUNDS       rounds, each restarting every server; the summary takes medians (1)
#   -s "SERVERS"    reference servers among: nsd knot ("nsd knot"; "" = lanad only)
#   -m "MODES"      udp and/or tcp; over TCP each dnsperf client keeps one connection ("udp tcp")
#   -c CLIENTS      dnsperf clients (8)        -q OUTSTANDING  queries in flight (200)
#   -p PORT         first port: lanad PORT, nsd +1, knot +2 (15400)
#   --lanad PATH    the lanad binary (build/lanad)
#   --churn RATE    also measure lanad while RATE registry changes per second (host add/del)
#                   are applied, and print the drop (0 = off; 100 is the issue's target)
#   --server-cpu C, --client-cpu C   CPUs of the servers (0) and of dnsperf (1)
# Output: "SERVER MODE qps=N ..." lines (scripts parse field 3), '#' lines for the rest, and
# lanad's ratio to each reference server. Needs dnsperf, nsd, knotd, kdig, taskset
# (tools/install-deps.sh --bench).
set -u
N=100000 LEN=10 RUNS=1 SERVERS="nsd knot" MODES="udp tcp" CLIENTS=8 OUTST=200 BASEPORT=15400
SCPU=0 CCPU=1 CHURN=0
here=$(cd "$(dirname "$0")" && pwd)
LANAD=$here/../build/lanad
usage() { sed -n '/^# usage/,/^# (tools/p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || case $1 in -h|--help) ;; *) echo "$1 needs a value (try -h)" >&2; exit 64;; esac
  case $1 in
    -h|--help) usage 0;;
    -n) N=$2;; -l) LEN=$2;; -r) RUNS=$2;; -s) SERVERS=$2;; -m) MODES=$2;; -c) CLIENTS=$2;; -q) OUTST=$2;;
    -p) BASEPORT=$2;; --lanad) LANAD=$2;; --server-cpu) SCPU=$2;; --client-cpu) CCPU=$2;; --churn) CHURN=$2;;
    *) echo "unknown option $1 (try -h)" >&2; exit 64;;
  esac
  shift 2
done
for v in N LEN RUNS CLIENTS OUTST BASEPORT SCPU CCPU CHURN; do
  [[ ${!v} =~ ^[0-9]+$ ]] || { echo "$v must be a number, got '${!v}'" >&2; exit 64; }
done
[ "$N" -ge 100 ] || { echo "-n: at least 100 hosts" >&2; exit 64; }
missing=""
for t in dnsperf kdig taskset setsid timeout awk ss; do command -v $t >/dev/null || missing+=" $t"; done
for s in $SERVERS; do
  case $s in nsd) command -v nsd >/dev/null || missing+=" nsd";;
    knot) command -v knotd >/dev/null || missing+=" knotd";;
    *) echo "unknown server $s" >&2; exit 64;; esac
done
[ -x "$LANAD" ] || missing+=" $LANAD (build it first)"
[ -n "$missing" ] && { echo "missing:$missing; tools/install-deps.sh --bench installs the tools" >&2; exit 69; }
if [ "$(nproc)" -lt 2 ]; then SCPU=0 CCPU=0; echo "# warning: one CPU: servers and dnsperf share it"; fi

W=$(mktemp -d "${TMPDIR:-/tmp}/lana-bench.XXXXXX") || exit 1
PG=""
stop() { # stop the session we started (TERM, then KILL after 5 s)
  [ -n "$PG" ] || return 0
  kill -TERM -- "-$PG" 2>/dev/null
  for _ in $(seq 50); do kill -0 -- "-$PG" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$PG" 2>/dev/null; wait "$PG" 2>/dev/null; PG=""; }
trap 'stop; rm -rf "$W"' EXIT
trap 'exit 130' INT TERM
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# ---- the zone and the queries: deterministic (a fixed multiplicative walk, no RNG)
ZONE=$W/lab.zone Q=$W/queries.txt
"$here/genzone.sh" "$N" >"$ZONE"
awk -v n="$N" 'BEGIN {
  m = 2 * n; if (m < 200000) m = 200000
  for (j = 0; j < m; j++) {
    i = (j * 7919) % n; r = j % 20
    if (r < 8) printf "h%06d.lab A\n", i
    else if (r < 16) printf "h%06d.lab AAAA\n", i
    else if (r < 18) printf "nx%d.lab A\n", j
    else if (r == 18) printf "_svc%d._tcp.lab SRV\n", j % 100
    else printf "www%d.lab A\n", j % 100
  }
}' >"$Q"
RECORDS=$(grep -vc '^\$' "$ZONE")
LAST=$(printf 'h%06d.lab' $((N - 1)))
LAST_A=$(awk -v n="$N" 'BEGIN {printf "198.%d.%d.%d", 18 + int(n / 65536) % 2, int(n / 256) % 256, n % 256}')
echo "# zone: $N hosts, $RECORDS records; $(wc -l <"$Q") queries (80% hosts, 10% NXDOMAIN, 10% SRV/CNAME)"
echo "# machine: $(nproc) CPU, $(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo), kernel $(uname -r)"
echo "# dnsperf -l $LEN -c $CLIENTS -q $OUTST; servers on CPU $SCPU, dnsperf on CPU $CCPU"

# ---- lanad: import (one transaction), start-up on that database
t0=$(now_ms)
"$LANAD" --db "$W/lana.db" zone import "$ZONE" >"$W/import.out" || { echo "# import failed"; exit 1; }
IMPORT_MS=$(( $(now_ms) - t0 ))
echo "# lanad import: $(cat "$W/import.out") in $IMPORT_MS ms"

pss() { # pgid -> PSS in KiB summed over the group
  local p t=0 s
  for p in $(pgrep -g "$1"); do
    s=$(awk '/^Pss:/{print $2}' "/proc/$p/smaps_rollup" 2>/dev/null); t=$((t + ${s:-0}))
  done; echo "$t"; }
ticks() { # pgid -> CPU ticks (user + system) used so far by the group
  local p t=0 c
  for p in $(pgrep -g "$1"); do
    c=$(awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$p/stat" 2>/dev/null); t=$((t + ${c:-0}))
  done; echo "$t"; }
up() { # port: 0 once the last host answers right (at most 120 s)
  local d=$(( $(now_ms) + 120000 ))
  while [ "$(now_ms)" -lt "$d" ]; do
    kill -0 "$PG" 2>/dev/null || return 1
    # kdig waits a whole second when its first query finds no socket: ask only once the
    # server listens, so that the start-up time is not rounded up to that second
    ss -Hlnu "( sport = :$1 )" 2>/dev/null | grep -q . || { sleep 0.005; continue; }
    [ "$(kdig +short +time=1 +retry=0 @127.0.0.1 -p "$1" "$LAST" A 2>/dev/null)" = "$LAST_A" ] && return 0
    sleep 0.01
  done; return 1; }
declare -A QPS QPC PSS
run() { # name port cmd...: start, wait, measure memory and each mode, stop
  local name=$1 port=$2; shift 2
  local t0; t0=$(now_ms)
  setsid taskset -c "$SCPU" "$@" </dev/null >"$W/$name.log" 2>&1 & PG=$!
  if ! up "$port"; then echo "# $name did not answer: $(tail -3 "$W/$name.log" | tr '\n' ' ')"; stop; return; fi
  local ready=$(( $(now_ms) - t0 ))
  PSS[$name]=$(pss "$PG")
  echo "# $name: answers after $ready ms, PSS $(( PSS[$name] / 1024 )) MiB"
  [ "$name" = lanad ] && START_MS=$ready
  local m args
  for m in $MODES; do
    args=(); [ "$m" = tcp ] && args=(-m tcp)
    local cpid=""
    if [ "$name" = lanad+churn ]; then
      # the load starts once the churn client is logged in: its interpreter's start-up would
      # otherwise take dnsperf's CPU during the measurement
      rm -f "$W/churn/ready"
      taskset -c "$CCPU" python3 "$here/churn.py" --ready "$W/churn/ready" 127.0.0.1 \
        "$((BASEPORT + 9))" "$W/churn/admin.token" "$CHURN" "$LEN" & cpid=$!
      local w=0
      while [ ! -e "$W/churn/ready" ] && [ "$w" -lt 200 ] && kill -0 "$cpid" 2>/dev/null; do
        sleep 0.05; w=$((w + 1)); done
    fi
    local c0 c1 t0 t1; c0=$(ticks "$PG") t0=$(now_ms)
    timeout -k 5 $((LEN + 30)) taskset -c "$CCPU" dnsperf -s 127.0.0.1 -p "$port" -d "$Q" -l "$LEN" \
      -c "$CLIENTS" -q "$OUTST" "${args[@]}" >"$W/perf.out" 2>&1
    c1=$(ticks "$PG") t1=$(now_ms)
    [ -n "$cpid" ] && wait "$cpid"
    local qps lost cpu
    cpu=$(awk -v c=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" -v ms=$((t1 - t0)) 'BEGIN {printf "%.0f", 100 * c / hz / (ms / 1000)}')
    qps=$(awk '/Queries per second:/{printf "%.0f", $4}' "$W/perf.out")
    lost=$(awk '/Queries lost:/{print $3}' "$W/perf.out")
    if [ -z "$qps" ]; then echo "# $name $m: dnsperf failed: $(tail -2 "$W/perf.out" | tr '\n' ' ')"; continue; fi
    QPS[$name.$m]+="$qps "
    local pc; pc=$(awk -v q="$qps" -v c="$cpu" 'BEGIN {printf "%.0f", (c > 0) ? q * 100 / c : 0}')
    QPC[$name.$m]+="$pc "
    printf '%-6s %-4s qps=%-8s lost=%-6s server_cpu=%s%% qps_per_core=%s\n' "$name" "$m" "$qps" "$lost" \
      "$cpu" "$pc"
  done
  PSS[$name.after]=$(pss "$PG")
  echo "# $name: PSS after the load $(( PSS[$name.after] / 1024 )) MiB"
  stop; }

for round in $(seq "$RUNS"); do
  [ "$RUNS" -gt 1 ] && echo "# ---- round $round of $RUNS"
  run lanad "$BASEPORT" "$LANAD" --db "$W/lana.db" --listen-dns "127.0.0.1:$BASEPORT" --listen-registry 127.0.0.1:0 --listen-http 127.0.0.1:0 --workers 1
  if [ "$CHURN" -gt 0 ]; then
    rm -rf "$W/churn"; mkdir -p "$W/churn"
    "$LANAD" --db "$W/churn/lana.db" zone import "$ZONE" >/dev/null
    run lanad+churn "$BASEPORT" "$LANAD" --db "$W/churn/lana.db" --listen-dns "127.0.0.1:$BASEPORT" \
      --listen-registry "127.0.0.1:$((BASEPORT + 9))" --listen-http 127.0.0.1:0 --pool 198.18.0.0/15 --pool 2001:db8::/32 --workers 1
  fi
  for s in $SERVERS; do
    d=$W/$s; mkdir -p "$d"
    case $s in
    nsd)
      port=$((BASEPORT + 1))
      printf '%s\n' "server:" "  ip-address: 127.0.0.1@$port" '  username: ""' '  chroot: ""' \
        "  zonesdir: \"$d\"" '  database: ""' "  zonelistfile: \"$d/zone.list\"" \
        "  xfrdfile: \"$d/xfrd.state\"" "  pidfile: \"$d/nsd.pid\"" "  server-count: 1" \
        "  rrl-ratelimit: 0" "remote-control:" "  control-enable: no" \
        "zone:" "  name: lab." "  zonefile: \"$ZONE\"" >"$d/nsd.conf"
      run nsd "$port" nsd -d -c "$d/nsd.conf";;
    knot)
      port=$((BASEPORT + 2))
      printf '%s\n' "server:" "  listen: 127.0.0.1@$port" "  rundir: \"$d\"" "  pidfile: \"$d/knot.pid\"" \
        "  udp-workers: 1" "  tcp-workers: 1" "  background-workers: 1" \
        "control:" "  listen: \"$d/knot.sock\"" "database:" "  storage: \"$d\"" \
        "log:" "  - target: stderr" "    any: warning" \
        "zone:" "  - domain: lab." "    file: \"$ZONE\"" "    zonefile-sync: -1" \
        "    journal-content: none" >"$d/knot.conf"
      run knot "$port" knotd -c "$d/knot.conf";;
    esac
  done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{v[NR] = $1} END {if (NR) print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2)}'; }

echo "# ---- summary${RUNS:+ (medians over $RUNS round(s))}"
echo "# lanad: import ${IMPORT_MS} ms (target < 3000), start-up ${START_MS:-?} ms (target < 1000)"
if [ "$CHURN" -gt 0 ]; then
  for m in $MODES; do
    l=$(echo "${QPS[lanad.$m]:-}" | median) c=$(echo "${QPS[lanad+churn.$m]:-}" | median)
    [ -n "$l" ] && [ -n "$c" ] && awk -v l="$l" -v c="$c" -v m="$m" -v r="$CHURN" \
      'BEGIN {printf "# lanad %s with %s registry changes/s: %d vs %d qps without (%+.1f%%, target >= -10%%)\n", m, r, c, l, 100 * (c - l) / l}'
  done
fi
for s in $SERVERS; do
  for m in $MODES; do
    l=$(echo "${QPS[lanad.$m]:-}" | median) r=$(echo "${QPS[$s.$m]:-}" | median)
    lc=$(echo "${QPC[lanad.$m]:-}" | median) rc=$(echo "${QPC[$s.$m]:-}" | median)
    [ -n "$l" ] && [ -n "$r" ] && awk -v l="$l" -v r="$r" -v lc="$lc" -v rc="$rc" -v s="$s" -v m="$m" \
      'BEGIN {printf "# lanad/%s %s: %.2f (%d vs %d qps); per core %.2f (%d vs %d)\n", s, m, l / r, l, r, lc / rc, lc, rc}'
  done
  [ -n "${PSS[$s]:-}" ] && [ -n "${PSS[lanad]:-}" ] && awk -v l="${PSS[lanad]}" -v r="${PSS[$s]}" \
    -v la="${PSS[lanad.after]}" -v ra="${PSS[$s.after]}" -v s="$s" \
    'BEGIN {printf "# PSS lanad/%s: %.2f at start (%d vs %d KiB), %.2f after the load (%d vs %d KiB)\n", s, l / r, l, r, la / ra, la, ra}'
done
exit 0
