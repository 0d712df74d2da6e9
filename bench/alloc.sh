#!/usr/bin/env bash
# Registry benchmarks: the engine's cost per allocation as the registry grows, a
# 100k-allocation `lana batch` end to end, single allocations over the registry protocol
# from concurrent clients (checked for duplicates), and 10k host registrations in a batch. lanad runs on 127.0.0.1 with a temporary
# database; everything is bounded and stops by itself.
#
# usage: bench/alloc.sh [-s "SIZES"] [-b BATCH] [-c CLIENTS] [-n REQUESTS]
#   -s "SIZES"   registry sizes for the engine cost ("1000 10000 100000 1000000")
#   -b BATCH     allocations in the batch (100000)
#   -c CLIENTS   concurrent protocol clients (8)      -n REQUESTS  per client (2000)
#   -H HOSTS     hosts registered in one batch (10000)
#   --tls        3. in rounds, plain and inside TLS (pinned by the token file): TLS's cost
#   --protocol-only  only 3. (single allocations from concurrent clients)
#   --authority  only the cost of authority: batches as admin and as a registrar inside its
#                own block, in alternating rounds
#   --build DIR  where lanad, lana and lana_bench_alloc are (build)
set -u
SIZES="1000 10000 100000 1000000" BATCH=100000 CLIENTS=8 REQS=2000 HOSTS=10000 TLS=0 ONLY3=0 AUTH=0
here=$(cd "$(dirname "$0")" && pwd)
B=$here/../build
while [ $# -gt 0 ]; do
  case $1 in --tls) TLS=1; shift; continue;; --protocol-only) ONLY3=1; shift; continue;;
    --authority) AUTH=1; ONLY3=1; shift; continue;; esac
  [ $# -ge 2 ] || case $1 in -h|--help) ;; *) echo "$1 needs a value" >&2; exit 64;; esac
  case $1 in
    -h|--help) sed -n '/^# usage/,/^# *--build/p' "$0" | sed 's/^# \{0,1\}//'; exit 0;;
    -s) SIZES=$2;; -b) BATCH=$2;; -c) CLIENTS=$2;; -n) REQS=$2;; -H) HOSTS=$2;; --build) B=$2;;
    *) echo "unknown option $1 (try -h)" >&2; exit 64;;
  esac
  shift 2
done
for x in lanad lana lana_bench_alloc; do
  [ -x "$B/$x" ] || { echo "$B/$x missing: build first (cmake --build build)" >&2; exit 69; }
done
W=$(mktemp -d "${TMPDIR:-/tmp}/lana-alloc.XXXXXX") || exit 1
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$W"' EXIT
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

if [ "$ONLY3" = 0 ]; then
echo "# 1. engine: cost of one allocation with N blocks already in the registry (a tenth of them"
echo "#    released again at random, so that the free space is fragmented)"
out=$(timeout 600 "$B/lana_bench_alloc" "$W" $SIZES) || { echo "$out"; exit 1; }
echo "$out"
first=$(echo "$out" | head -1 | sed 's/.*alloc_median_us=\([0-9.]*\).*/\1/')
last=$(echo "$out" | tail -1 | sed 's/.*alloc_median_us=\([0-9.]*\).*/\1/')
awk -v a="$first" -v b="$last" -v s="$SIZES" 'BEGIN {n = split(s, v, " ");
  printf "# median cost ratio %s/%s blocks: %.2f (target <= 1.5)\n", v[n], v[1], b / a}'
fi

"$B/lanad" --db "$W/lana.db" --listen-dns 127.0.0.1:0 --listen-registry 127.0.0.1:0 --listen-http 127.0.0.1:0 \
  --pool 10.0.0.0/8 --pool 198.18.0.0/15 --pool 2001:db8::/32 \
  --ready-file "$W/ready" --log-level info 2>"$W/lanad.log" &
PID=$!
for _ in $(seq 100); do [ -s "$W/ready" ] && break; sleep 0.05; done
[ -s "$W/ready" ] || { echo "lanad did not start: $(cat "$W/lanad.log")"; exit 1; }
RPORT=$(awk '$1 == "registry" {sub(/.*:/, "", $2); print $2}' "$W/ready")
export LANA_SERVER=127.0.0.1:$RPORT LANA_TOKEN
LANA_TOKEN=$(cat "$W/admin.token")

if [ "$ONLY3" = 0 ]; then
echo "# 2. lana batch: $BATCH allocations in one transaction, end to end"
yes "block alloc 10.0.0.0/8 /32 --holder bench" | head -n "$BATCH" >"$W/batch.lana"
t0=$(now_ms)
timeout 600 "$B/lana" --timeout 600000 batch "$W/batch.lana" >"$W/batch.out" || { tail -3 "$W/batch.out"; exit 1; }
ms=$(( $(now_ms) - t0 ))
echo "batch allocations=$BATCH ms=$ms per_second=$(( BATCH * 1000 / (ms ? ms : 1) )) (target >= 50000)"
grep "batch of" "$W/lanad.log" | sed 's/.*registry: /# server side: /'
fi

if [ "$AUTH" = 1 ]; then
  echo "# 2b. authority's cost: $BATCH allocations in one batch as admin (inside an admin block)"
  echo "#     and as a registrar inside its own block, 3 rounds each, the order swapped every round"
  "$B/lana" account add bench-rir --role registrar --out "$W/rir.token" >/dev/null || exit 1
  "$B/lana" block alloc 10.0.0.0/8 /11 --json >/dev/null || exit 1
  "$B/lana" block alloc 10.32.0.0/11 --to bench-rir >/dev/null || exit 1
  yes "block alloc 10.0.0.0/11 /32" | head -n "$BATCH" >"$W/admin.lana"
  yes "block alloc 10.32.0.0/11 /32" | head -n "$BATCH" >"$W/rir.lana"
  for round in 1 2 3; do
    for who in $([ $((round % 2)) = 1 ] && echo admin registrar || echo registrar admin); do
      if [ "$who" = admin ]; then f=$W/admin.lana; tf=$W/admin.token; else f=$W/rir.lana; tf=$W/rir.token; fi
      t0=$(now_ms)
      LANA_TOKEN= timeout 600 "$B/lana" --token-file "$tf" --timeout 600000 batch "$f" >"$W/batch.out" ||
        { tail -3 "$W/batch.out"; exit 1; }
      ms=$(( $(now_ms) - t0 ))
      echo "$who round=$round allocations=$BATCH ms=$ms per_second=$(( BATCH * 1000 / (ms ? ms : 1) ))" | tee -a "$W/auth.out"
    done
  done
  awk '{for (i = 2; i <= NF; i++) if ($i ~ /^ms=/) t[$1] += substr($i, 4) + 0; n[$1] += '"$BATCH"'}
    END {ra = n["admin"] * 1000 / t["admin"]; rr = n["registrar"] * 1000 / t["registrar"];
         printf "# all rounds: admin %d/s, registrar %d/s: authority costs %.1f%% (target <= 10%%; both >= 50000/s)\n",
         ra, rr, 100 * (1 - rr / ra)}' "$W/auth.out"
  exit 0
fi

echo "# 3. single allocations over the protocol from $CLIENTS concurrent clients"
parent=$("$B/lana" block alloc 10.0.0.0/8 /12 --holder load --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["block"]["prefix"])')
if [ "$TLS" = 0 ]; then
  python3 "$here/regload.py" 127.0.0.1 "$RPORT" "$W/admin.token" "$parent" 32 "$CLIENTS" "$REQS" 120
else
  # plain and TLS (every connection inside TLS, the certificate pinned: EPP over TLS) in
  # turns, four rounds each, the order swapped every round (the registry grows as the rounds
  # go, and a later round is slower: each mode must run as often early as late); the totals
  # of the rounds are compared, and the best round of each
  # lanad's own CPU time per allocation too (utime + stime), which other work on the
  # machine disturbs less than the rate
  tck=$(getconf CLK_TCK)
  cpu() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
  for round in 1 2 3 4; do
    for mode in $([ $((round % 2)) = 1 ] && echo plain tls || echo tls plain); do
      p=$("$B/lana" block alloc 10.0.0.0/8 /14 --holder "load-$mode-$round" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["block"]["prefix"])')
      c0=$(cpu)
      line=$(python3 "$here/regload.py" 127.0.0.1 "$RPORT" "$W/admin.token" "$p" 32 "$CLIENTS" "$REQS" 120 \
        $([ "$mode" = tls ] && echo tls))
      c1=$(cpu)
      n=$(echo "$line" | sed 's/.*allocations=\([0-9]*\).*/\1/')
      echo "$line lanad_cpu_us_per_alloc=$(( (c1 - c0) * 1000000 / tck / (n ? n : 1) ))" | tee -a "$W/rounds.out"
    done
  done
  awk '{for (i = 1; i <= NF; i++) {
          if ($i ~ /^per_second=/) {v = substr($i, 12) + 0; if (v > best[$1]) best[$1] = v}
          if ($i ~ /^allocations=/) n[$1] += substr($i, 13)
          if ($i ~ /^seconds=/) t[$1] += substr($i, 9)
          if ($i ~ /^lanad_cpu_us_per_alloc=/) {v = substr($i, 24) + 0;
            if (!($1 in cpu) || v < cpu[$1]) cpu[$1] = v}}}
    END {rp = n["plain"] / t["plain"]; rt = n["tls"] / t["tls"];
         printf "# all 4 rounds: plain %d/s, TLS %d/s: TLS costs %.1f%% of the rate (target <= 20%%)\n",
         rp, rt, 100 * (1 - rt / rp);
         printf "# best of 4: plain %d/s, TLS %d/s (%.1f%%)\n",
         best["plain"], best["tls"], 100 * (1 - best["tls"] / best["plain"]);
         printf "# lanad CPU per allocation, least of 4: plain %d us, TLS %d us\n", cpu["plain"], cpu["tls"]}' \
    "$W/rounds.out"
fi
echo "# (target >= 5000 per second in total, zero duplicates)"
[ "$ONLY3" = 1 ] && exit 0

echo "# 4. names: $HOSTS hosts registered with one lana batch (address + A + PTR each)"
"$B/lana" zone add bench.lab --block 198.18.0.0/15 >/dev/null
for i in $(seq "$HOSTS"); do echo "host add h$i.bench.lab --v6 none"; done >"$W/hosts.lana"
t0=$(now_ms)
timeout 600 "$B/lana" --timeout 600000 batch "$W/hosts.lana" >"$W/hosts.out" || { tail -3 "$W/hosts.out"; exit 1; }
ms=$(( $(now_ms) - t0 ))
echo "hosts=$HOSTS ms=$ms per_second=$(( HOSTS * 1000 / (ms ? ms : 1) )) (target: 10000 in < 5000 ms)"
