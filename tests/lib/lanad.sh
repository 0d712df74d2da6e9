# Shell helpers for integration tests: start a private lanad on free loopback ports with a
# temporary database, find its port in the ready file, stop exactly that process on exit.
# Needs LANAD (path of the binary). Sets WORK, DB, PORT, PORT6 (DNS), RPORT (registry),
# TOKEN_FILE, LANAD_PID.

WORK=$(mktemp -d "${TMPDIR:-/tmp}/lana-it.XXXXXX")
DB=$WORK/lana.db
LANAD_PID=""
FAILS=0 PASSES=0

lanad_stop() {
  if [ -n "$LANAD_PID" ] && kill -0 "$LANAD_PID" 2>/dev/null; then
    kill -TERM "$LANAD_PID"
    for _ in $(seq 50); do kill -0 "$LANAD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$LANAD_PID" 2>/dev/null
  fi
  wait "$LANAD_PID" 2>/dev/null
  LANAD_PID=""
}
cleanup() { lanad_stop; rm -rf "$WORK"; }
trap cleanup EXIT

# lanad_start [extra lanad options...]: starts on 127.0.0.1:0 and [::1]:0, waits for ready
lanad_start() {
  rm -f "$WORK/ready"
  "$LANAD" --db "$DB" --listen-dns 127.0.0.1:0 --listen-dns '[::1]:0' \
    --listen-registry 127.0.0.1:0 --ready-file "$WORK/ready" --listen-http 127.0.0.1:0 \
    "$@" 2>>"$WORK/lanad.log" &
  LANAD_PID=$!
  for _ in $(seq 100); do
    [ -s "$WORK/ready" ] && break
    kill -0 "$LANAD_PID" 2>/dev/null || { echo "lanad exited:"; cat "$WORK/lanad.log"; exit 1; }
    sleep 0.05
  done
  [ -s "$WORK/ready" ] || { echo "lanad did not get ready"; cat "$WORK/lanad.log"; exit 1; }
  PORT=$(awk '$1 == "dns" && $2 ~ /^127/ {sub(/.*:/, "", $2); print $2; exit}' "$WORK/ready")
  PORT6=$(awk '$1 == "dns" && $2 ~ /^\[/ {sub(/.*:/, "", $2); print $2; exit}' "$WORK/ready")
  RPORT=$(awk '$1 == "registry" {sub(/.*:/, "", $2); print $2; exit}' "$WORK/ready")
  HTTP_PORT=$(awk '$1 == "http" {sub(/.*:/, "", $2); print $2; exit}' "$WORK/ready")
  TOKEN_FILE=$WORK/admin.token
}

ok() { PASSES=$((PASSES + 1)); echo "ok - $1"; }
not_ok() { FAILS=$((FAILS + 1)); echo "not ok - $1"; [ -n "${2:-}" ] && echo "$2" | sed 's/^/#   /'; }
# expect NAME GOT WANT
expect() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "want: $3
got:  $2"; fi; }
finish() { echo "$PASSES passed, $FAILS failed"; [ "$FAILS" -eq 0 ]; }
