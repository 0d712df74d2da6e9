#!/usr/bin/env bash
# "lana calc" through the real binary, offline (no daemon): the exit status of every outcome
# (0 done, 64 usage, 65 a value that cannot be used), the lines README and scripts read, the
# JSON fields with big numbers as strings, --split and its cap, and the zone-index message.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/lanad.sh"
: "${LANA:?}"
L() { "$LANA" "$@"; }
rc_of() { "$@" >/dev/null 2>&1; echo $?; }
field() { awk -v k="$1" 'index($0, k) == 1 {print substr($0, 16); exit}'; }
J() { python3 -c 'import json,sys; r=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

# exit statuses
expect "calc PREFIX: exit 0" "$(rc_of L calc 198.18.0.0/15)" "0"
expect "calc --help: exit 0" "$(rc_of L calc --help)" "0"
expect "calc without PREFIX: exit 64" "$(rc_of L calc)" "64"
expect "calc two prefixes: exit 64" "$(rc_of L calc 198.18.0.0/15 2001:db8::/32)" "64"
expect "calc unknown option: exit 64" "$(rc_of L calc 198.18.0.0/15 --bogus)" "64"
expect "calc --split without /N: exit 64" "$(rc_of L calc 198.18.0.0/24 --split)" "64"
expect "calc bad length: exit 65" "$(rc_of L calc 198.18.0.1/33)" "65"
expect "calc bad address: exit 65" "$(rc_of L calc 198.18.0.256)" "65"
expect "calc zone index: exit 65" "$(rc_of L calc fe80::1%eth0)" "65"
expect "calc --split /N shorter than the prefix: exit 65" "$(rc_of L calc 198.18.0.0/24 --split /23)" "65"
expect "calc --split over 65536 subnets: exit 65" "$(rc_of L calc 198.18.0.0/15 --split /32)" "65"
expect "calc --split /x: exit 65" "$(rc_of L calc 198.18.0.0/24 --split /x)" "65"

# the zone index is named, not a generic parse error
expect "calc zone index: precise message" "$(L calc fe80::1%eth0/64 2>&1 >/dev/null)" \
  "lana calc: fe80::1%eth0: a zone index (%eth0) names an interface, it is not part of the address (RFC 4007 §11): give the address alone, fe80::1"

# the text lines
out=$(L calc 198.18.7.9/24)
expect "text: broadcast" "$(echo "$out" | field broadcast:)" "198.18.7.255"
expect "text: host range" "$(echo "$out" | field 'host min:') $(echo "$out" | field 'host max:')" "198.18.7.1 198.18.7.254"
expect "text: usable hosts" "$(echo "$out" | field 'usable hosts:')" "254"
expect "text: wildcard" "$(echo "$out" | field wildcard:)" "0.0.0.255"
expect "text: addresses as a power" "$(echo "$out" | field addresses:)" "256 (2^8)"
expect "text: class" "$(echo "$out" | field class:)" "C"
expect "text: special" "$(echo "$out" | field special:)" "benchmarking (198.18.0.0/15, RFC 2544)"
expect "text: binary" "$(echo "$out" | field binary:)" "11000110.00010010.00000111.|00001001"
expect "text: mapped" "$(echo "$out" | field ipv4-mapped:)" "::ffff:198.18.7.9"
expect "text: nat64" "$(echo "$out" | field nat64:)" "64:ff9b::198.18.7.9"
expect "text: /31 has no broadcast" "$(L calc 198.18.0.4/31 | field broadcast: | cut -c1-4)" "none"
expect "text: ::/0 is 2^128" "$(L calc ::/0 | awk '/^addresses/{print $2, $3}')" "340282366920938463463374607431768211456 (2^128)"
expect "text: 0.0.0.0/0 is 2^32" "$(L calc 0.0.0.0/0 | field addresses:)" "4294967296 (2^32)"

# JSON: every field, big numbers as strings
js=$(L calc 2001:db8::/32 --json)
expect "json: IPv6 hosts as a string" "$(echo "$js" | J 'repr(r["hosts"])')" "'79228162514264337593543950335'"
expect "json: IPv6 host range" "$(echo "$js" | J 'r["host_min"] + " " + r["host_max"]')" "2001:db8::1 2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"
expect "json: no IPv6 broadcast" "$(echo "$js" | J 'r["broadcast"]')" "None"
expect "json: addresses_log2" "$(echo "$js" | J 'r["addresses_log2"]')" "96"
expect "json: special" "$(echo "$js" | J 'r["special"][0]["prefix"] + " " + r["special"][0]["rfc"]')" "2001:db8::/32 RFC 3849"
js=$(L calc ::/0 --json)
expect "json: ::/0 addresses" "$(echo "$js" | J 'repr(r["addresses"])')" "'340282366920938463463374607431768211456'"
js=$(L calc 198.18.0.0/24 --split /26 --json)
expect "json: split" "$(echo "$js" | J 'r["split"]["count"] + " " + " ".join(r["split"]["subnets"])')" \
  "4 198.18.0.0/26 198.18.0.64/26 198.18.0.128/26 198.18.0.192/26"
expect "json: class, wildcard, broadcast" "$(echo "$js" | J 'r["class"] + " " + r["wildcard"] + " " + r["broadcast"]')" "C 0.0.0.255 198.18.0.255"

# --split: the cap is 65536 lines of subnets
expect "split at the cap prints 65536 subnets" "$(L calc 198.18.0.0/15 --split /31 | grep -c '^  198\.')" "65536"
expect "split over the cap says why" "$(L calc 198.18.0.0/15 --split /32 2>&1 >/dev/null)" \
  "lana calc: --split /32: 2^17 subnets, more than the 65536 (2^16) printed at most; split at /31 or shorter"
# against ipcalc itself (Debian's ipcalc 0.42, when installed): 120 random IPv4 prefixes,
# /0../30 (ipcalc prints /31 and /32 its own way), every field both show
if command -v ipcalc >/dev/null; then
  mism=$(python3 - "$LANA" <<'PY'
import json, random, re, subprocess, sys
lana = sys.argv[1]
rnd = random.Random(20261202)
bad = []
for _ in range(120):
    plen = rnd.randint(0, 30)
    a = ".".join(str(rnd.randint(0, 255)) for _ in range(4))
    p = f"{a}/{plen}"
    ip = subprocess.run(["ipcalc", "-b", "-n", p], capture_output=True, text=True).stdout
    f = dict(re.findall(r"^(\w+(?:/\w+)?):\s+(\S+)", ip, re.M))
    r = json.loads(subprocess.run([lana, "--json", "calc", p], capture_output=True, text=True).stdout)
    want = (f["Network"], f["Netmask"], f["Wildcard"], f["Broadcast"], f["HostMin"], f["HostMax"], f["Hosts/Net"])
    got = (r["network"], r["netmask"], r["wildcard"], r["broadcast"], r["host_min"], r["host_max"], str(r["hosts"]))
    if want != got:
        bad.append(f"{p}: ipcalc {want} lana {got}")
print(len(bad)); print("\n".join(bad[:5]))
PY
)
  expect "120 random prefixes: the same fields as ipcalc" "$(echo "$mism" | head -1)" "0"
else
  echo "# ipcalc not installed: the cross-check against it is skipped"
fi
finish
