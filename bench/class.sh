#!/usr/bin/env bash
# `lana class` benchmark: the time of `lana class create` end to end (lana starting, the
# handshake, the one transaction in lanad, the reply with every token, the token files
# written), then of `lana class report` and `lana class delete`, for classes of each size.
# lanad runs on 127.0.0.1 with a temporary database and the pools 198.18.0.0/15 (RFC 2544)
# and 2001:db8::/32 (RFC 3849); each student gets a /26 (a thousand /24s would not fit the
# /15). Every step is bounded in time. Not run by ctest.
#
# usage: bench/class.sh [-n "SIZES"] [--build DIR]
#   -n "SIZES"   class sizes (default "30 1000"); targets: 30 < 1 s, 1,000 < 10 s
#   --build DIR  where lanad and lana are (build)
set -u
SIZES="30 1000"
here=$(cd "$(dirname "$0")" && pwd)
B=$here/../build
while [ $# -gt 0 ]; do
  case $1 in
    -h|--help) sed -n '/^# usage/,/^# *--build/p' "$0" | sed 's/^# \{0,1\}//'; exit 0;;
    -n) SIZES=$2;; --build) B=$2;;
    *) echo "unknown option $1 (try -h)" >&2; exit 64;;
  esac
  shift 2 || { echo "$1 needs a value" >&2; exit 64; }
done
for x in lanad lana; do
  [ -x "$B/$x" ] || { echo "$B/$x missing: build first (cmake --build build)" >&2; exit 69; }
done
W=$(mktemp -d "${TMPDIR:-/tmp}/lana-class.XXXXXX") || exit 1
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$W"' EXIT
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

"$B/lanad" --db "$W/lana.db" --listen-dns 127.0.0.1:0 --listen-registry 127.0.0.1:0 --listen-http 127.0.0.1:0 \
  --pool 198.18.0.0/15 --pool 2001:db8::/32 --ready-file "$W/ready" 2>"$W/lanad.log" &
PID=$!
for _ in $(seq 100); do [ -s "$W/ready" ] && break; sleep 0.05; done
[ -s "$W/ready" ] || { echo "lanad did not start" >&2; cat "$W/lanad.log" >&2; exit 1; }
RPORT=$(awk '$1 == "registry" {sub(/.*:/, "", $2); print $2; exit}' "$W/ready")
export LANA_SERVER=127.0.0.1:$RPORT XDG_CONFIG_HOME=$W/xdg HOME=$W
unset LANA_TOKEN LANA_CONFIG
A() { timeout 60 "$B/lana" --token-file "$W/admin.token" "$@"; }

printf '%-10s %12s %12s %12s %12s\n' students "create ms" "report ms" "delete ms" "report bytes"
for n in $SIZES; do
  t0=$(now_ms)
  A class create "b$n" --students "$n" --v4 /26 --tokens "$W/t$n" >/dev/null || { echo "create $n failed" >&2; exit 1; }
  t1=$(now_ms)
  bytes=$(A --json class report "b$n" | wc -c) || exit 1
  t2=$(now_ms)
  files=$(ls "$W/t$n" | wc -l)
  [ "$files" -eq $((n + 1)) ] || { echo "$files token files for $n students" >&2; exit 1; }
  A class delete "b$n" >/dev/null || { echo "delete $n failed" >&2; exit 1; }
  t3=$(now_ms)
  printf '%-10s %12s %12s %12s %12s\n' "$n" $((t1 - t0)) $((t2 - t1)) $((t3 - t2)) "$bytes"
done
