#!/usr/bin/env bash
# Zone transfer figures on this machine, in one run (figures only; never a test):
#  (a) AXFR of the N-host zone (bench/genzone.sh) from lanad, Knot and NSD serving the same
#      zone side by side: wall time and server CPU time per transfer, median of the rounds;
#  (b) IXFR bytes of a one-record change to a ~10,000-record zone against its AXFR bytes;
#  (c) propagation of one-record changes to Knot and BIND secondaries, p50/p99 (NOTIFY-driven:
#      skipped with a note while lanad sends no NOTIFY);
#  (d) catalog: `lana zone add` until both catalog consumers serve the zone (skipped while
#      lanad has no catalog zone).
# Everything on 127.0.0.1, every wait bounded (bench/xfr.py does the work).
#
# usage: bench/xfr.sh [options]
#   -n HOSTS        hosts in the big zone (100000)      -r ROUNDS   AXFRs per server (5)
#   -s "SERVERS"    reference servers: nsd knot ("knot nsd")
#   -k CHANGES      changes for (c) (100)               -z ZONES    zones for (d) (5)
#   -P PARTS        which parts, among a b c d (abcd)
#   -p PORT         first port of the servers started here (15500; up to PORT+7)
#   --lanad PATH, --lana PATH   the binaries (build/lanad, build/lana)
#   --server-cpu C, --client-cpu C   CPUs of the servers (0) and of the client (1)
# Needs python3 with dnspython, knotd/knotc, named/rndc, nsd (tools/install-deps.sh).
set -u
N=100000 RUNS=5 SERVERS="knot nsd" CHANGES=100 ZONES=5 PARTS=abcd BASEPORT=15500 SCPU=0 CCPU=1
here=$(cd "$(dirname "$0")" && pwd)
LANAD=$here/../build/lanad LANA=$here/../build/lana
usage() { sed -n '/^# usage/,/^# Needs/p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || case $1 in -h|--help) ;; *) echo "$1 needs a value (try -h)" >&2; exit 64;; esac
  case $1 in
    -h|--help) usage 0;;
    -n) N=$2;; -r) RUNS=$2;; -s) SERVERS=$2;; -k) CHANGES=$2;; -z) ZONES=$2;; -P) PARTS=$2;;
    -p) BASEPORT=$2;; --lanad) LANAD=$2;; --lana) LANA=$2;;
    --server-cpu) SCPU=$2;; --client-cpu) CCPU=$2;;
    *) echo "unknown option $1 (try -h)" >&2; exit 64;;
  esac
  shift 2
done
for v in N RUNS CHANGES ZONES BASEPORT SCPU CCPU; do
  [[ ${!v} =~ ^[0-9]+$ ]] || { echo "$v must be a number, got '${!v}'" >&2; exit 64; }
done
[ "$N" -ge 100 ] || { echo "-n: at least 100 hosts" >&2; exit 64; }
[ "$RUNS" -ge 1 ] && [ "$RUNS" -le 100 ] || { echo "-r: 1 to 100 rounds" >&2; exit 64; }
[ "$CHANGES" -le 10000 ] && [ "$ZONES" -le 1000 ] || { echo "-k at most 10000, -z at most 1000" >&2; exit 64; }
[[ $PARTS =~ ^[abcd]+$ ]] || { echo "-P: letters among a b c d" >&2; exit 64; }
for s in $SERVERS; do case $s in nsd|knot) ;; *) echo "unknown server $s" >&2; exit 64;; esac; done
missing=""
for x in "$LANAD" "$LANA"; do [ -x "$x" ] || missing+=" $x (build it first)"; done
python3 -c 'import sys; sys.path.append("/usr/lib/python3/dist-packages"); import dns.message' 2>/dev/null ||
  missing+=" python3-dnspython"
[ -n "$missing" ] && { echo "missing:$missing" >&2; exit 69; }

W=$(mktemp -d "${TMPDIR:-/tmp}/lana-xfr.XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT
trap 'exit 130' INT TERM
"$here/genzone.sh" "$N" >"$W/big.zone"
SMALL_HOSTS=4900   # 2 records each, plus 205: a zone of 10,005 records
"$here/genzone.sh" "$SMALL_HOSTS" >"$W/small.zone"
big=$(grep -vc '^\$' "$W/big.zone") small=$(grep -vc '^\$' "$W/small.zone")
echo "# zones: $N hosts ($big records); $SMALL_HOSTS hosts ($small records)"
echo "# machine: $(nproc) CPU, $(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo), kernel $(uname -r)"
timeout -k 10 1800 python3 "$here/xfr.py" --lanad "$LANAD" --lana "$LANA" \
  --zone "$W/big.zone" --hosts "$N" --small-zone "$W/small.zone" --small "$small" \
  --rounds "$RUNS" --changes "$CHANGES" --zones "$ZONES" --parts "$PARTS" --port "$BASEPORT" \
  --servers "$SERVERS" --server-cpu "$SCPU" --client-cpu "$CCPU"
