#!/usr/bin/env bash
# Secrets on disk: a token file planted before the first start (mode 0666 or 0600) is refused
# (exit 73, nothing created, nothing read); a first start writes the token file 0600 in the
# key=value format with the TLS pin, the database's directory 0700, the database and its -wal
# and -shm files 0600, the TLS key 0600; a start on a 0644 database and a 0755 directory
# tightens them, with a log line; lana reads the new token file and still the old one (64
# hex digits), and refuses one readable by others.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/lanad.sh"
: "${LANA:?}"
unset LANA_TOKEN LANA_CONFIG LANA_SERVER
export XDG_CONFIG_HOME=$WORK/xdg HOME=$WORK
mode() { stat -c %a "$1" 2>/dev/null || echo missing; }

# --- a planted token file: refused before anything is made, whatever its mode
# (timeout: a lanad that takes the planted file starts and serves; it fails the check)
for m in 666 600; do
  D=$WORK/planted$m
  mkdir -m 700 "$D"
  printf '%064d\n' 1 >"$D/admin.token"
  chmod "$m" "$D/admin.token"
  timeout 10 "$LANAD" --db "$D/lana.db" --listen-dns 127.0.0.1:0 --listen-registry 127.0.0.1:0 --listen-http 127.0.0.1:0 \
    --ready-file "$D/ready" 2>"$D/log"
  rc=$?
  expect "planted token file ($m): lanad refuses to start, exit 73" "$rc" "73"
  grep -q "admin.token exists, but the database has no admin account: lanad did not write" "$D/log" \
    && ok "planted token file ($m): the message says what is wrong" \
    || not_ok "planted token file ($m): the message says what is wrong" "$(cat "$D/log")"
  grep -q "Remove the file" "$D/log" && ok "planted token file ($m): and what to do" \
    || not_ok "planted token file ($m): and what to do"
  expect "planted token file ($m): nothing created" "$(ls "$D" | tr '\n' ' ')" "admin.token log "
  expect "planted token file ($m): left as it was" "$(cat "$D/admin.token")" "$(printf '%064d' 1)"
done
# the same with a database that exists but has no admin account (made offline)
D=$WORK/offline
mkdir -m 700 "$D"
printf '$ORIGIN x.test.\n@ 3600 IN SOA ns hm 1 3600 600 86400 60\n@ IN NS ns\nns IN A 127.0.0.1\n' >"$D/z"
"$LANAD" --db "$D/lana.db" zone import "$D/z" >/dev/null 2>&1
printf '%064d\n' 2 >"$D/admin.token"
chmod 600 "$D/admin.token"
timeout 10 "$LANAD" --db "$D/lana.db" --listen-dns 127.0.0.1:0 --listen-registry 127.0.0.1:0 --listen-http 127.0.0.1:0 \
  --ready-file "$D/ready" 2>"$D/log"
expect "token file beside a database without admin: exit 73" "$?" "73"
expect "token file beside a database without admin: no TLS key made" "$(mode "$D/registry.key")" "missing"

# --- first start: the modes
DB=$WORK/state/lana.db
lanad_start
TOKEN_FILE=$WORK/state/admin.token
expect "database directory 0700" "$(mode "$WORK/state")" "700"
expect "database 0600" "$(mode "$DB")" "600"
"$LANA" --server "127.0.0.1:$RPORT" pool list >/dev/null # a read: the -wal and -shm exist now
expect "database -wal 0600" "$(mode "$DB-wal")" "600"
expect "database -shm 0600" "$(mode "$DB-shm")" "600"
expect "token file 0600" "$(mode "$TOKEN_FILE")" "600"
expect "TLS key 0600" "$(mode "$WORK/state/registry.key")" "600"
expect "ready file not readable by others" "$(( 0$(mode "$WORK/ready") & 077 ))" "0"
expect "token file: user=admin" "$(grep -c '^user=admin$' "$TOKEN_FILE")" "1"
expect "token file: token=" "$(grep -cE '^token=[0-9a-f]{64}$' "$TOKEN_FILE")" "1"
pin=$(openssl x509 -in "$WORK/state/registry.crt" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f)
expect "token file: tls-sha256= is the certificate's SHA-256" "$(sed -n 's/^tls-sha256=//p' "$TOKEN_FILE")" "$pin"

# --- lana reads it (no --user needed), the old format too, and refuses it readable by others
expect "lana with the token file" "$("$LANA" --server "127.0.0.1:$RPORT" --token-file "$TOKEN_FILE" block alloc 198.18.0.0/15 /16 --holder a)" \
  "198.18.0.0/16            allocated  a"
sed -n 's/^token=//p' "$TOKEN_FILE" >"$WORK/old.token"
chmod 600 "$WORK/old.token"
expect "lana with a token file of the old format" "$("$LANA" --server "127.0.0.1:$RPORT" --token-file "$WORK/old.token" block release 198.18.0.0/16)" \
  "released 198.18.0.0/16 (1 block)"
chmod 644 "$WORK/old.token"
"$LANA" --server "127.0.0.1:$RPORT" --token-file "$WORK/old.token" pool list >/dev/null 2>"$WORK/err"
expect "token file readable by others: exit 78" "$?" "78"
grep -q "readable by others (mode 644)" "$WORK/err" && ok "token file readable by others: said so" \
  || not_ok "token file readable by others: said so" "$(cat "$WORK/err")"
printf 'user=admin\ntoken=%064d\nfoo=bar\n' 3 >"$WORK/bad.token"
chmod 600 "$WORK/bad.token"
"$LANA" --server "127.0.0.1:$RPORT" --token-file "$WORK/bad.token" pool list >/dev/null 2>"$WORK/err"
expect "token file with an unknown key: exit 78" "$?" "78"
expect "token file with an unknown key: the line named" "$(cat "$WORK/err")" \
  "lana: token file $WORK/bad.token: line 3: unknown key 'foo'"
lanad_stop

# --- a start on a 0644 database in a 0755 directory: tightened, with a log line
chmod 644 "$DB"
chmod 755 "$WORK/state"
lanad_start
expect "0644 database made 0600" "$(mode "$DB")" "600"
expect "0755 directory made 0700" "$(mode "$WORK/state")" "700"
"$LANA" --server "127.0.0.1:$RPORT" pool list >/dev/null
expect "database -wal 0600 after the start on a 0644 database" "$(mode "$DB-wal")" "600"
expect "database -shm 0600 after the start on a 0644 database" "$(mode "$DB-shm")" "600"
grep -q "lana.db was mode 644: now 0600" "$WORK/lanad.log" && ok "the tightening is logged (database)" \
  || not_ok "the tightening is logged (database)"
grep -q "directory .* was mode 755: now 0700" "$WORK/lanad.log" && ok "the tightening is logged (directory)" \
  || not_ok "the tightening is logged (directory)"
grep -q "admin token written" <(tail -n +2 "$WORK/lanad.log" | sed -n '/was mode 644/,$p') \
  && not_ok "restart keeps the token" || ok "restart keeps the token"
lanad_stop

# --- a TLS key others may read is refused
chmod 644 "$WORK/state/registry.key"
timeout 10 "$LANAD" --db "$DB" --listen-dns 127.0.0.1:0 --listen-registry 127.0.0.1:0 --listen-http 127.0.0.1:0 --ready-file "$WORK/ready2" 2>"$WORK/log2"
expect "TLS key readable by others: lanad refuses to start" "$?" "70"
grep -q "registry.key may be read by others (mode 644); chmod 600 it first" "$WORK/log2" \
  && ok "TLS key readable by others: said so" || not_ok "TLS key readable by others: said so" "$(cat "$WORK/log2")"
finish
