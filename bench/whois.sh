#!/usr/bin/env bash
# Port-43 whois benchmark: queries per second that lanad answers on 127.0.0.1, each on a
# connection of its own as RFC 3912 has it (connect, one line, the answer, close), from a
# registry of a few thousand blocks. The load generator (lana_bench_whois, C) runs T threads
# of one connection at a time, every second query with -L, for at most N queries or S
# seconds; the rate limit is off (whois-rate 0). Prints figures only.
#
# usage: bench/whois.sh [-t "THREADS..."] [-n QUERIES] [-s SECONDS] [--build DIR]
#   -t "THREADS..."  client threads per round ("1 4 16")   -n QUERIES  per round (100000)
#   -s SECONDS       at most, per round (10)               --build DIR (build)
set -u
THREADS="1 4 16" QUERIES=100000 SECONDS_MAX=10
here=$(cd "$(dirname "$0")" && pwd)
B=$here/../build
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || case $1 in -h|--help) ;; *) echo "$1 needs a value" >&2; exit 64;; esac
  case $1 in
    -h|--help) sed -n '/^# usage/,/^# *-s SECONDS/p' "$0" | sed 's/^# \{0,1\}//'; exit 0;;
    -t) THREADS=$2;; -n) QUERIES=$2;; -s) SECONDS_MAX=$2;; --build) B=$2;;
    *) echo "unknown option $1 (try -h)" >&2; exit 64;;
  esac
  shift 2
done
for x in lanad lana lana_bench_whois; do
  [ -x "$B/$x" ] || { echo "$B/$x missing: build first (cmake --build build)" >&2; exit 69; }
done
W=$(mktemp -d "${TMPDIR:-/tmp}/lana-whois.XXXXXX") || exit 1
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$W"' EXIT

"$B/lanad" --db "$W/lana.db" --listen-dns 127.0.0.1:0 --listen-registry 127.0.0.1:0 \
  --listen-whois 127.0.0.1:0 --pool 198.18.0.0/15 --workers 1 --whois-rate 0 \
  --whois-max-connections 4096 --whois-max-per-address 4096 --ready-file "$W/ready" \
  2>"$W/lanad.log" &
PID=$!
for _ in $(seq 100); do [ -s "$W/ready" ] && break; sleep 0.1; done
[ -s "$W/ready" ] || { echo "lanad did not start:"; tail -5 "$W/lanad.log"; exit 1; }
RPORT=$(awk '$1 == "registry" {sub(/.*:/, "", $2); print $2}' "$W/ready")
WPORT=$(awk '$1 == "whois" {sub(/.*:/, "", $2); print $2}' "$W/ready")
export LANA_SERVER=127.0.0.1:$RPORT LANA_TOKEN_FILE=$W/admin.token

# 256 allocated /24s in 198.18.0.0/16, each with eight assigned /27s: 2,304 blocks, chains of
# four (pool, /16's /24 ... /27) for most addresses
{
  echo "block alloc 198.18.0.0/16 --holder bench"
  for i in $(seq 0 255); do
    echo "block alloc 198.18.$i.0/24 --holder LIR-$i"
    for k in $(seq 0 7); do echo "block assign 198.18.$i.$((k * 32))/27 --holder customer-$i-$k"; done
  done
} >"$W/batch"
"$B/lana" batch "$W/batch" >/dev/null || { echo "the registry could not be filled"; exit 1; }
echo "# whois on 127.0.0.1:$WPORT, $(grep -c . "$W/batch") blocks, one connection per query"
echo "# (the machine may be shared: lanad's own CPU time per query gives the rate one core"
echo "#  of it would sustain, cpu_qps, whatever else runs)"
ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
HZ=$(getconf CLK_TCK)
for t in $THREADS; do
  c0=$(ticks)
  out=$(timeout $((SECONDS_MAX + 30)) "$B/lana_bench_whois" 127.0.0.1 "$WPORT" 198.18.0.0/16 \
    "$t" "$QUERIES" "$SECONDS_MAX")
  c1=$(ticks)
  n=$(echo "$out" | sed -n 's/.*queries=\([0-9]*\).*/\1/p')
  awk -v t="$t" -v o="$out" -v n="${n:-0}" -v c=$((c1 - c0)) -v hz="$HZ" 'BEGIN {
    printf "threads=%-3s %s lanad_cpu_s=%.2f cpu_qps=%.0f\n", t, o, c / hz,
      (c > 0 ? n / (c / hz) : 0) }'
done
kill "$PID"; wait "$PID" 2>/dev/null; PID=""
