#!/bin/sh
# The benchmarks' zone lab. on stdout: SOA, two NS with glue, N hosts hNNNNNN (one A in
# 198.18.0.0/15 and one AAAA in 2001:db8::/32 each), 100 SRV and 100 CNAME records.
# Deterministic: the same N gives the same bytes on any machine.
# usage: bench/genzone.sh N
set -eu
[ $# -eq 1 ] && [ "$1" -ge 1 ] 2>/dev/null || { echo "usage: genzone.sh N (hosts, at least 1)" >&2; exit 64; }
awk -v n="$1" 'BEGIN {
  print "$ORIGIN lab.\n$TTL 3600"
  print "@ SOA ns1.lab. hostmaster.lab. 2026112401 3600 900 1209600 300"
  print "@ NS ns1.lab.\n@ NS ns2.lab.\nns1 A 127.0.0.1\nns1 AAAA ::1\nns2 A 127.0.0.2"
  for (i = 0; i < n; i++) {
    a = i + 1
    printf "h%06d A 198.%d.%d.%d\nh%06d AAAA 2001:db8::%x:%x\n", i, 18 + int(a / 65536) % 2,
      int(a / 256) % 256, a % 256, i, int(a / 65536), a % 65536
  }
  for (k = 0; k < 100 && k < n; k++) {
    printf "_svc%d._tcp SRV 10 5 %d h%06d.lab.\n", k, 8000 + k, k
    printf "www%d CNAME h%06d.lab.\n", k, k
  }
}'
