#!/usr/bin/env bash
# RDAP throughput and latency of lanad's HTTP endpoint, with wrk (keep-alive, loopback), while
# the registry is written at a steady rate; and DNS qps (dnsperf) without and with that HTTP
# load. Figures only: not a test. Everything on 127.0.0.1, every load bounded in time.
#
# usage: bench/rdap.sh [options]
#   -b BLOCKS       random blocks in the registry before the runs (10000)
#   -l SECONDS      length of each wrk and dnsperf run (10)
#   -w RATE         registrations per second written during the RDAP runs (100; 0 = none)
#   -t THREADS      wrk threads (1)        -c CONNS   wrk connections, kept alive (4)
#   -p RATE         RDAP requests per second beside the second DNS run (1000; the fourth
#                   DNS run has wrk at full speed beside it)
#   --http-threads N   lanad's http-threads (2)
#   --lanad PATH, --lana PATH   the binaries (build/lanad, build/lana)
#   --chain N       also run the consistency check (tests/integration/rdap_chain.py) with N
#                   blocks and N addresses, and print its timings (0 = off)
# Output: "rdap PATH req/s=N p99_ms=X ..." and "dns LOAD qps=N" lines, '#' lines for the rest.
# Targets (issue 14): >= 5000 req/s and p99 < 5 ms while 100 registrations/s are written; DNS
# qps unchanged within noise under the HTTP load. Needs wrk, dnsperf
# (tools/install-deps.sh --bench).
set -u
BLOCKS=10000 LEN=10 RATE=100 THREADS=1 CONNS=4 HTHREADS=2 CHAIN=0 PACE=1000
here=$(cd "$(dirname "$0")" && pwd)
LANAD=$here/../build/lanad LANA=$here/../build/lana
usage() { sed -n '/^# usage/,/^# (tools/p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || case $1 in -h|--help) ;; *) echo "$1 needs a value (try -h)" >&2; exit 64;; esac
  case $1 in
    -h|--help) usage 0;;
    -p) PACE=$2;; -b) BLOCKS=$2;; -l) LEN=$2;; -w) RATE=$2;; -t) THREADS=$2;; -c) CONNS=$2;;
    --http-threads) HTHREADS=$2;; --lanad) LANAD=$2;; --lana) LANA=$2;; --chain) CHAIN=$2;;
    *) echo "unknown option $1 (try -h)" >&2; exit 64;;
  esac
  shift 2
done
for v in BLOCKS LEN RATE THREADS CONNS HTHREADS CHAIN PACE; do
  [[ ${!v} =~ ^[0-9]+$ ]] || { echo "$v must be a number, got '${!v}'" >&2; exit 64; }
done
missing=""
for t in wrk dnsperf python3 timeout setsid; do command -v $t >/dev/null || missing+=" $t"; done
[ -x "$LANAD" ] || missing+=" $LANAD (build it first)"
[ -x "$LANA" ] || missing+=" $LANA (build it first)"
[ -n "$missing" ] && { echo "missing:$missing; tools/install-deps.sh --bench installs the tools" >&2; exit 69; }

W=$(mktemp -d "${TMPDIR:-/tmp}/lana-bench-rdap.XXXXXX") || exit 1
PID="" WPID=""
cleanup() {
  [ -n "$WPID" ] && kill "$WPID" 2>/dev/null && wait "$WPID" 2>/dev/null
  if [ -n "$PID" ]; then
    kill -TERM "$PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$PID" 2>/dev/null; wait "$PID" 2>/dev/null
  fi
  rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "# $(nproc) CPUs; wrk -t$THREADS -c$CONNS -d${LEN}s; lanad http-threads=$HTHREADS; writes: $RATE/s"
"$LANAD" --db "$W/lana.db" --listen-dns 127.0.0.1:0 --listen-registry 127.0.0.1:0 \
  --listen-http 127.0.0.1:0 --http-threads "$HTHREADS" --pool 198.18.0.0/15 \
  --pool 2001:db8::/32 --log-level warn --ready-file "$W/ready" 2>"$W/lanad.log" &
PID=$!
for _ in $(seq 100); do [ -s "$W/ready" ] && break; sleep 0.05; done
[ -s "$W/ready" ] || { echo "lanad did not start:"; cat "$W/lanad.log"; exit 70; }
field() { awk -v k="$1" '$1 == k {print $2; exit}' "$W/ready"; }
REG=$(field registry) HTTP=$(field http) DNS=$(field dns)
L=("$LANA" --server "$REG" --token-file "$W/admin.token")

# the registry: random nested blocks (the consistency test's generator), a zone with hosts
t0=$(date +%s%N)
python3 - "$BLOCKS" >"$W/blocks.txt" <<'EOF'
import ipaddress, random, sys
rng = random.Random(7)
pools = [ipaddress.ip_network("198.18.0.0/16"), ipaddress.ip_network("2001:db8::/33")]
kids = {p: [] for p in pools}
nodes = list(pools)
n = int(sys.argv[1])
made = 0
while made < n:
    p = rng.choice(nodes)
    top = 32 if p.version == 4 else 64
    if p.prefixlen >= top:
        continue
    plen = min(top, p.prefixlen + rng.randint(1, 8))
    step = 1 << (p.max_prefixlen - plen)
    net = ipaddress.ip_network((int(p.network_address) +
                                rng.randrange(1 << (plen - p.prefixlen)) * step, plen))
    if any(net.overlaps(c) for c in kids[p]):
        continue
    kids[p].append(net); kids[net] = []; nodes.append(net); made += 1
    print(f"block alloc {net} --holder h{made}")
EOF
{
  echo "block alloc 198.18.0.0/16 --holder bench"
  echo "block alloc 198.19.0.0/16 --holder writer"
  echo "block alloc 2001:db8::/33 --holder bench"
  cat "$W/blocks.txt"
  echo "zone add bench.lab --block 198.18.0.0/16"
  for i in $(seq 1 200); do echo "host add h$i.bench.lab --v4 auto --v6 none"; done
} | "${L[@]}" batch - --keep-going >"$W/batch.out" 2>&1
echo "# registry: $(grep -c . "$W/blocks.txt") blocks and 200 hosts in $((($(date +%s%N) - t0) / 1000000)) ms ($(grep -c '"ok":false\|^lana:' "$W/batch.out") refused)"
ADDR=$("${L[@]}" --json host show h1.bench.lab | python3 -c 'import json,sys; print(json.load(sys.stdin)["host"]["v4"])' 2>/dev/null || echo 198.18.0.1)

# the writer: RATE block alloc/release pairs' halves per second on one connection
writer() {
  python3 - "$REG" "$W/admin.token" "$RATE" "$1" "$here" <<'EOF'
import json, sys, time
sys.path.insert(0, sys.argv[5])
from lanaproto import login, read_token_file
host, port = sys.argv[1].rsplit(":", 1)
token, _ = read_token_file(sys.argv[2])
rate, secs = int(sys.argv[3]), float(sys.argv[4])
s, f = login(host, int(port), token)
done, errors, t0, held = 0, 0, time.monotonic(), []
while time.monotonic() - t0 < secs:
    if held and len(held) > 50:
        s.sendall(f"block release {held.pop(0)}\n".encode())
        ok = json.loads(f.readline()).get("ok")
    else:
        s.sendall(b"block alloc 198.19.0.0/16 /29 --holder writer\n")
        r = json.loads(f.readline())
        ok = r.get("ok")
        if ok:
            held.append(r["block"]["prefix"])
    done += 1
    errors += not ok
    nxt = t0 + done / rate
    time.sleep(max(0.0, nxt - time.monotonic()))
print(f"# writer: {done} registrations in {time.monotonic() - t0:.1f} s "
      f"({done / (time.monotonic() - t0):.0f}/s), {errors} refused")
EOF
}

rdap_run() { # PATH: wrk against it while the writer runs
  local path=$1
  [ "$RATE" -gt 0 ] && { writer "$((LEN + 1))" >"$W/writer.out" & WPID=$!; }
  timeout -k 5 $((LEN + 30)) wrk -t"$THREADS" -c"$CONNS" -d"${LEN}s" --latency \
    "http://$HTTP/rdap/$path" >"$W/wrk.out" 2>&1
  [ -n "$WPID" ] && { wait "$WPID"; WPID=""; cat "$W/writer.out"; }
  awk -v p="$path" '
    /Requests\/sec/ {rps = $2 + 0}
    /^ +99%/ {v = $2; if (v ~ /us$/) {sub(/us$/, "", v); v /= 1000} else if (v ~ /ms$/) {sub(/ms$/, "", v)} else if (v ~ /s$/) {sub(/s$/, "", v); v *= 1000}; p99 = v + 0}
    /^ +50%/ {v = $2; if (v ~ /us$/) {sub(/us$/, "", v); v /= 1000} else if (v ~ /ms$/) {sub(/ms$/, "", v)} else if (v ~ /s$/) {sub(/s$/, "", v); v *= 1000}; p50 = v + 0}
    /Non-2xx/ {bad = $NF}
    END {printf "rdap %s req/s=%d p50_ms=%.2f p99_ms=%.2f non2xx=%d%s\n", p, rps, p50, p99, bad,
         (rps >= 5000 && p99 < 5) ? "" : "  # below the target (5000 req/s, p99 < 5 ms)"}' "$W/wrk.out"
}

paced() { # SECONDS: RDAP at PACE requests/s on one keep-alive connection
  python3 - "$HTTP" "$PACE" "$1" "$ADDR" <<'EOF'
import http.client, sys, time
host, port = sys.argv[1].rsplit(":", 1)
rate, secs, addr = int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
c = http.client.HTTPConnection(host, int(port), timeout=10)
n, t0 = 0, time.monotonic()
while time.monotonic() - t0 < secs:
    c.request("GET", f"/rdap/ip/{addr}" if n % 2 else "/rdap/domain/bench.lab")
    c.getresponse().read()
    n += 1
    time.sleep(max(0.0, t0 + n / rate - time.monotonic()))
print(f"# (meanwhile rdap {n / (time.monotonic() - t0):.0f} req/s, paced)")
EOF
}

dns_run() { # LABEL [paced|full]: dnsperf, alone or beside an RDAP load
  local label=$1 wp=""
  for i in $(seq 1 200); do echo "h$i.bench.lab A"; done >"$W/queries"
  case ${2:-} in
    full) timeout -k 5 $((LEN + 30)) wrk -t"$THREADS" -c"$CONNS" -d"$((LEN + 2))s" \
            "http://$HTTP/rdap/ip/$ADDR" >"$W/wrk2.out" 2>&1 & wp=$!; sleep 1;;
    paced) paced "$((LEN + 2))" >"$W/paced.out" & wp=$!; sleep 1;;
  esac
  timeout -k 5 $((LEN + 30)) dnsperf -s 127.0.0.1 -p "${DNS##*:}" -d "$W/queries" -l "$LEN" \
    -c 8 -q 200 >"$W/perf.out" 2>&1
  [ -n "$wp" ] && wait "$wp"
  local qps
  qps=$(awk '/Queries per second/ {print int($4)}' "$W/perf.out")
  echo "dns $label qps=${qps:-?}"
  case ${2:-} in
    full) awk '/Requests\/sec/ {print "# (meanwhile rdap req/s=" int($2) ", wrk at full speed)"}' \
            "$W/wrk2.out";;
    paced) cat "$W/paced.out";;
  esac
}

rdap_run "ip/$ADDR"
rdap_run "ip/198.18.0.0/16"
rdap_run "domain/h1.bench.lab"
rdap_run "domain/bench.lab"
dns_run alone
dns_run "with-rdap-${PACE}/s" paced
dns_run alone
dns_run with-rdap-full full

if [ "$CHAIN" -gt 0 ]; then
  RDAP_CHAIN_BLOCKS=$CHAIN RDAP_CHAIN_ADDRESSES=$CHAIN LANAD=$LANAD LANA=$LANA \
    python3 "$here/../tests/integration/rdap_chain.py" | grep -E '^(#|not ok|[0-9]+ passed)'
fi
