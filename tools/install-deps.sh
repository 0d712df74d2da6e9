#!/bin/sh
# Installs the Debian packages lana needs to build and test (idempotent: apt-get runs only when
# something is missing). Run as root. With --bench, also the reference servers and dnsperf
# used by bench/; with --fuzz, clang for the libFuzzer targets (bench/fuzz.sh).
set -eu
pkgs="build-essential cmake pkg-config libc-ares-dev libsqlite3-dev libssl-dev libjansson-dev libpcap-dev libcmocka-dev
      python3 bind9-dnsutils bind9-utils knot-dnsutils iproute2 procps openssl groff-base man-db ipcalc
      python3-dnspython"
pkgs="$pkgs knot knot-dnssecutils bind9" # catalog consumers and kzonecheck (catalog test)
for a in "$@"; do
  case $a in
    --bench) pkgs="$pkgs dnsperf nsd knot sqlite3" ;;
    --fuzz) pkgs="$pkgs clang" ;;
    -h|--help) sed -n '2,4s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "install-deps.sh: unknown option $a (try --help)" >&2; exit 64 ;;
  esac
done
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps.sh: missing packages:$missing; run this script as root" >&2
  exit 77
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086 # word splitting of the package list is wanted
apt-get install -y -q --no-install-recommends $missing
