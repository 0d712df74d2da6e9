#!/usr/bin/env bash
# TLS on the registry protocol (EPP over TLS, RFC 5734): openssl s_client as an outside client
# runs the application handshake inside TLS; lana over TLS with the token file's pin, with
# --tls-ca (name and address checked), refused with a wrong pin or an unknown CA (exit 76);
# trust on first use only when asked; plain on loopback still works; registry-tls = required
# refuses a plain client with an ERROR line; a pipelined TLS client whose requests wait
# decrypted inside the server while its replies pile up is served to the end. As root, in a
# network namespace with a 198.18.0.0/15 address: a non-loopback endpoint requires TLS, and
# lana uses TLS there by itself.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/lanad.sh"
: "${LANA:?}"
command -v openssl >/dev/null || { echo "skipped: needs the openssl command"; exit 77; }
unset LANA_TOKEN LANA_CONFIG LANA_SERVER
export XDG_CONFIG_HOME=$WORK/xdg HOME=$WORK

lanad_start --log-level info
CRT=$WORK/registry.crt
PIN=$(sed -n 's/^tls-sha256=//p' "$TOKEN_FILE")
HEX=$(sed -n 's/^token=//p' "$TOKEN_FILE")
S="--server 127.0.0.1:$RPORT"
tls_lines() { grep -c "registry: 127.0.0.1:[0-9]*: TLSv1.3" "$WORK/lanad.log"; }

# --- openssl s_client, an outside TLS client, verifying the certificate as localhost
out=$( (printf 'HELLO lana/1 seq=41\n'; sleep 1) | timeout 10 openssl s_client -connect "127.0.0.1:$RPORT" \
  -quiet -CAfile "$CRT" -verify_hostname localhost -verify_return_error 2>/dev/null | head -1)
case $out in
  "WELCOME lana/1 ack=42 seq="*) ok "openssl s_client: HELLO -> WELCOME inside TLS" ;;
  *) not_ok "openssl s_client: HELLO -> WELCOME inside TLS" "got: $out" ;;
esac
got=$(echo | timeout 10 openssl s_client -connect "127.0.0.1:$RPORT" -brief -CAfile "$CRT" \
  -verify_return_error 2>&1 | sed -n 's/^Protocol version: //p')
expect "TLS 1.3 is negotiated" "$got" "TLSv1.3"
got=$(echo | timeout 10 openssl s_client -connect "127.0.0.1:$RPORT" -tls1_2 -brief -CAfile "$CRT" 2>&1 \
  | sed -n 's/^Protocol version: //p')
expect "TLS 1.2 is accepted" "$got" "TLSv1.2"
echo | timeout 10 openssl s_client -connect "127.0.0.1:$RPORT" -tls1_1 -brief >/dev/null 2>&1
[ $? -ne 0 ] && ok "TLS 1.1 is refused" || not_ok "TLS 1.1 is refused"
fp=$(openssl x509 -in "$CRT" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f)
expect "the token file's pin is the certificate's SHA-256" "$PIN" "$fp"

# --- lana: the token file's pin (TLS without asking), a CA file, a wrong pin
n0=$(tls_lines)
expect "lana with the token file: TLS, pinned" "$("$LANA" $S --token-file "$TOKEN_FILE" block alloc 198.18.0.0/15 /16 --holder tls)" \
  "198.18.0.0/16            allocated  tls"
sleep 0.2
expect "... and lanad saw TLS 1.3" "$(( $(tls_lines) - n0 ))" "1"
expect "lana --tls-ca, server by name" "$("$LANA" --server "localhost:$RPORT" --tls-ca "$CRT" --token-file "$TOKEN_FILE" block release 198.18.0.0/16)" \
  "released 198.18.0.0/16 (1 block)"
expect "lana --tls-ca, server by address" "$("$LANA" $S --tls-ca "$CRT" pool list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["pools"]))')" "2"
expect "lana --tls-pin with colons" "$("$LANA" $S --tls-pin "$(openssl x509 -in "$CRT" -noout -fingerprint -sha256 | sed 's/.*=//')" pool list >/dev/null; echo $?)" "0"
err=$("$LANA" $S --token-file "$TOKEN_FILE" --tls-pin "$(printf '%064d' 0)" block alloc 198.18.0.0/15 /16 2>&1); rc=$?
expect "wrong pin: exit 76" "$rc" "76"
expect "wrong pin: clear message" "$err" \
  "lana: the server's TLS certificate is not the pinned one: sha256=$PIN, pin $(printf '%064d' 0)"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/other.key" \
  -out "$WORK/other.crt" -subj /CN=other -days 1 2>/dev/null
err=$("$LANA" $S --tls-ca "$WORK/other.crt" pool list 2>&1); rc=$?
expect "unknown CA: exit 76" "$rc" "76"
case $err in
  "lana: the server's TLS certificate sha256=$PIN is not trusted ($WORK/other.crt, "*) ok "unknown CA: clear message" ;;
  *) not_ok "unknown CA: clear message" "$err" ;;
esac
err=$("$LANA" $S --tls pool list 2>&1); rc=$?
expect "--tls with nothing to verify by: exit 76" "$rc" "76"
case $err in *"use --tls-pin, --tls-ca FILE or --tls-tofu"*) ok "... and says what to give" ;;
  *) not_ok "... and says what to give" "$err" ;; esac

# --- plain on loopback: a bare token (no pin), anonymous reads, lana connect --hello
n0=$(tls_lines)
expect "plain on loopback with a bare token" "$(LANA_TOKEN=$HEX "$LANA" $S block alloc 198.18.0.0/15 /16 --holder plain)" \
  "198.18.0.0/16            allocated  plain"
expect "plain anonymous read" "$("$LANA" $S pool list >/dev/null; echo $?)" "0"
expect "lana connect --hello: plain, unaffected" "$("$LANA" connect 127.0.0.1 "$RPORT" --hello --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["hello"]["ready"])')" "True"
sleep 0.2
expect "... none of them used TLS" "$(( $(tls_lines) - n0 ))" "0"
expect "LANA_TOKEN holding the token file's text: TLS, pinned" "$(LANA_TOKEN=$(cat "$TOKEN_FILE") "$LANA" $S block release 198.18.0.0/16)" \
  "released 198.18.0.0/16 (1 block)"

# --- trust on first use, only when asked: the pin is kept, a changed certificate is refused
err=$("$LANA" $S --tls-tofu pool list 2>&1 >/dev/null); rc=$?
expect "--tls-tofu: accepted" "$rc" "0"
expect "--tls-tofu: says what it accepted and where it saved it" "$err" \
  "lana: trusted 127.0.0.1:$RPORT's TLS certificate on first use: sha256=$PIN; saved in $WORK/xdg/lana/known_servers (later connections check it)"
expect "known_servers holds the pin" "$(cat "$WORK/xdg/lana/known_servers")" "127.0.0.1:$RPORT $PIN"
expect "--tls later: verified by the kept pin" "$("$LANA" $S --tls pool list 2>&1 >/dev/null; echo $?)" "0"
printf '127.0.0.1:%s %064d\n' "$RPORT" 9 >"$WORK/xdg/lana/known_servers"
expect "--tls-tofu with a kept pin that differs: refused, exit 76" "$("$LANA" $S --tls-tofu pool list >/dev/null 2>&1; echo $?)" "76"

# --- the server's side of a pipelined TLS client: 3000 requests in a few records, read only
# after all are sent (authenticated: reads without a token are rate-limited). lanad stops reading at 1 MiB of unsent replies with the rest of the
# requests already decrypted (nothing more comes on the socket): it must go on by itself.
got=$(python3 - "$RPORT" "$HEX" <<'EOF'
import hashlib, hmac, socket, ssl, sys, time
port, n, token = int(sys.argv[1]), 3000, bytes.fromhex(sys.argv[2])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=20))
f = s.makefile("rb")
s.sendall(b"HELLO lana/1 seq=1\n")
y = int(f.readline().split()[3].split(b"=")[1])
sig = hmac.new(hashlib.sha256(token).digest(), f"1:{y}".encode(), hashlib.sha256).digest()
proof = bytes(a ^ b for a, b in zip(token, sig)).hex()
s.sendall(f"ACK ack={(y + 1) % 2**32} proof={proof}\n".encode())
f.readline()
s.sendall(b"help\n" * n)
t0, got = time.monotonic(), 0
try:
    while got < n and f.readline().startswith(b'{"ok":true'):
        got += 1
except OSError:
    pass
print(got, "replies", "in time" if time.monotonic() - t0 < 15 else "late")
EOF
)
expect "pipelined TLS client: every reply, though its requests waited inside TLS" "$got" "3000 replies in time"
lanad_stop

# --- at the connection cap a loopback client is told "busy" at once, before it says
# anything (as before TLS): a plain client reads the line, lana over TLS recognizes it. The
# place is held by a client past its handshake (one still in it would be evicted instead).
lanad_start --registry-max-connections 1
S="--server 127.0.0.1:$RPORT"
python3 -c 'import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
f = s.makefile("rb")
s.sendall(b"HELLO lana/1 seq=1\n")
y = int(f.readline().split()[3].split(b"=")[1])
s.sendall(b"ACK ack=%d\n" % ((y + 1) % 2**32))
f.readline()
open(sys.argv[2], "w").close()
time.sleep(3)' "$RPORT" "$WORK/held" &
HOLD=$!
for _ in $(seq 100); do [ -e "$WORK/held" ] && break; sleep 0.05; done
sleep 0.2
err=$("$LANA" $S --token-file "$TOKEN_FILE" pool list 2>&1); rc=$?
expect "at the cap, lana over TLS: refused, exit 76 (as plain)" "$rc" "76"
# the refusal comes before TLS, or inside it when the ClientHello was there first: same words
expect "at the cap, lana over TLS: says so" "${err/refused the handshake/refused the connection}" \
  "lana: the server refused the connection: too many connections; try again later"
err=$(LANA_TOKEN=$HEX "$LANA" $S pool list 2>&1); rc=$?
expect "at the cap, plain lana: refused, exit 76" "$rc" "76"
expect "at the cap, plain lana: says so" "$err" \
  "lana: the server refused the handshake: too many connections; try again later"
wait "$HOLD"
lanad_stop

# --- registry-tls = required, on loopback: a plain client is told, a TLS client served
lanad_start --registry-tls required --log-level info
S="--server 127.0.0.1:$RPORT"
got=$(python3 - "$RPORT" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"HELLO lana/1 seq=1\n")
print(s.makefile("rb").read().decode().strip())
EOF
)
expect "required: a plain client gets an ERROR line and the end" "$got" \
  'ERROR {"ok":false,"error":{"code":"handshake","message":"this registry endpoint requires TLS (EPP over TLS, RFC 5734): connect with lana --tls"}}'
err=$(LANA_TOKEN=$HEX "$LANA" $S pool list 2>&1); rc=$?
expect "required: plain lana exits 76" "$rc" "76"
expect "required: plain lana says why" "$err" \
  "lana: the server refused the handshake: this registry endpoint requires TLS (EPP over TLS, RFC 5734): connect with lana --tls"
expect "required: lana with the token file (TLS)" "$("$LANA" $S --token-file "$TOKEN_FILE" pool list >/dev/null; echo $?)" "0"
grep -q "plain connection on an endpoint that requires TLS; refused" "$WORK/lanad.log" \
  && ok "required: the refusal is logged" || not_ok "required: the refusal is logged"
lanad_stop

# --- registry-tls = required at the cap: a refused connection cannot be told before a
# ClientHello, so it is closed at once; waiting for one kept a descriptor per refused
# connection for two idle periods, and a flood of silent ones ran lanad out of descriptors
lanad_start --registry-tls required --registry-max-per-address 1
got=$(python3 - "$RPORT" <<'EOF'
import socket, ssl, sys, time
port = int(sys.argv[1])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
hold = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=20,
                                                source_address=("127.0.0.2", 0)))
f = hold.makefile("rb")
hold.sendall(b"HELLO lana/1 seq=1\n")
y = int(f.readline().split()[3].split(b"=")[1])
hold.sendall(b"ACK ack=%d\n" % ((y + 1) % 2**32))
f.readline()  # READY: its address's only place is held past the handshake
try:
    s = socket.create_connection(("127.0.0.1", port), timeout=3,
                                 source_address=("127.0.0.2", 0))  # over the per-address cap
except OSError:  # reset before the connect returned: closed at once all the same
    print("closed")
    sys.exit(0)
t0 = time.monotonic()
try:
    ended = s.recv(1) == b""
except socket.timeout:
    ended = False
except OSError:  # reset
    ended = True
print("closed" if ended and time.monotonic() - t0 < 2 else "left open")
EOF
)
expect "required: a connection refused at a cap is closed at once, not kept for a ClientHello" \
  "$got" "closed"
lanad_stop

# --- a non-loopback endpoint, in a network namespace (root only)
if [ "$(id -u)" -eq 0 ] && command -v ip >/dev/null && ip netns add "lana-tls-$$" 2>/dev/null; then
  NS=lana-tls-$$
  trap 'lanad_stop; ip netns del "$NS" 2>/dev/null; rm -rf "$WORK"' EXIT
  # the lab address sits on the namespace's lo: the path stays inside the host, yet the
  # endpoint's address is not loopback, which is what lanad decides by
  if ip -n "$NS" link set lo up && ip -n "$NS" addr add 198.18.0.1/32 dev lo; then
    ND=$WORK/ns
    mkdir -m 700 "$ND"
    ip netns exec "$NS" "$LANAD" --db "$ND/lana.db" --listen-dns 127.0.0.1:0 \
      --listen-registry 198.18.0.1:0 --listen-registry 127.0.0.1:0 --ready-file "$ND/ready" \
      --log-level info 2>"$ND/lanad.log" &
    LANAD_PID=$!
    for _ in $(seq 100); do [ -s "$ND/ready" ] && break; sleep 0.05; done
    EXT=$(awk '$1 == "registry" && $2 ~ /^198/ {print $2}' "$ND/ready")
    LOC=$(awk '$1 == "registry" && $2 ~ /^127/ {print $2}' "$ND/ready")
    NT=$ND/admin.token NHEX=$(sed -n 's/^token=//p' "$ND/admin.token")
    X() { ip netns exec "$NS" "$@"; }
    got=$(X python3 - "$EXT" <<'EOF'
import socket, sys
h, p = sys.argv[1].rsplit(":", 1)
s = socket.create_connection((h, int(p)), timeout=5)
s.sendall(b"HELLO lana/1 seq=1\n")
print(s.makefile("rb").readline().decode().split('"code":')[1].split(",")[0])
EOF
)
    expect "non-loopback endpoint: a plain client is refused" "$got" '"handshake"'
    err=$(LANA_TOKEN=$NHEX X "$LANA" --server "$EXT" pool list 2>&1); rc=$?
    expect "non-loopback: lana uses TLS by itself, and will not trust blindly (exit 76)" "$rc" "76"
    case $err in *"is not trusted (system CAs"*) ok "... saying the certificate is not trusted" ;;
      *) not_ok "... saying the certificate is not trusted" "$err" ;; esac
    expect "non-loopback: lana with the token file" "$(X "$LANA" --server "$EXT" --token-file "$NT" block alloc 198.18.0.0/15 /24 --holder far)" \
      "198.18.0.0/24            allocated  far"
    expect "non-loopback: --tls-ca checks the address in the certificate" "$(LANA_TOKEN=$NHEX X "$LANA" --server "$EXT" --tls-ca "$ND/registry.crt" pool list >/dev/null; echo $?)" "0"
    expect "the same lanad's loopback endpoint: plain still works" "$(LANA_TOKEN=$NHEX X "$LANA" --server "$LOC" block release 198.18.0.0/24)" \
      "released 198.18.0.0/24 (1 block)"
    lanad_stop
  else
    echo "# skipped the non-loopback part: cannot configure the namespace"
  fi
  ip netns del "$NS" 2>/dev/null
else
  echo "# skipped the non-loopback part: needs root and network namespaces"
fi
finish
