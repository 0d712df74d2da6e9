#!/bin/sh
# Installs the Debian packages lana needs to build and test (idempotent: apt-get runs only when
# something is missing). Run as root. With --bench, also dnsperf, sqlite3 and wrk used by bench/
# (the tests need Knot, BIND and NSD already); with --fuzz, clang for the libFuzzer targets.
set -eu
pkgs="build-essential cmake pkg-config libc-ares-dev libsqlite3-dev libssl-dev libjansson-dev libpcap-dev libcmocka-dev
      python3 bind9-dnsutils bind9-utils knot-dnsutils iproute2 procps openssl groff-base man-db ipcalc
      python3-dnspython
      knot knot-dnssecutils bind9 nsd unbound
      libmicrohttpd-dev python3-jsonschema curl whois"
pkgs="$pkgs chromium fonts-dejavu-core" # the web view's test drives a headless browser
for a in "$@"; do
  case $a in
    --bench) pkgs="$pkgs dnsperf sqlite3 wrk" ;;
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
# knot, bind9 and nsd start their system services when installed: the tests never use them
# (they run instances of their own on free loopback ports), and on a fresh machine the three
# contend for port 53, where a failed start without systemd fails the installation. So no
# service starts during this run (policy-rc.d, which invoke-rc.d and deb-systemd-invoke ask),
# unless the machine has a policy of its own; they start at the next boot as configured.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# lana tools/install-deps.sh: no service starts while it installs\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  trap 'rm -f "$policy"' EXIT
  trap 'exit 130' INT TERM
fi
apt-get update -q
# shellcheck disable=SC2086 # word splitting of the package list is wanted
apt-get install -y -q --no-install-recommends $missing
