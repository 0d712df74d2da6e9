#!/usr/bin/env bash
# Runs the libFuzzer targets (tests/fuzz/fuzz_*.c) one after the other, each for a given time
# or number of executions, and prints per target: executions, executions per second, coverage
# (libFuzzer's cov: edges and ft: features) and findings (crash, leak, timeout and oom files).
# Builds with clang and -DLANA_FUZZ=ON (ASan+UBSan) in its own build directory. Each target's
# new inputs go to BUILD/fuzz/TARGET/corpus (the seeds under tests/fuzz/corpus are only read)
# and its findings to BUILD/fuzz/TARGET/findings; add a finding to the seeds and a unit test.
#
# usage: bench/fuzz.sh [options] [TARGET...]
#   -t SECONDS      run each target this long (60)
#   -n EXECS        or stop each target after this many executions (overrides -t)
#   -b DIR          build directory (build-fuzz, or build-fuzz-SANITIZERS with -s)
#   -s SANITIZERS   the build's sanitizers (address,undefined); "undefined" alone is many times
#                   faster for targets that allocate large buffers per input (zfile)
#   -j JOBS         build jobs (2)
#   --nice N        niceness of the fuzzing processes (10)
#   --no-build      use the binaries already in the build directory
# TARGETs are among: dnsmsg zfile regproto conf cidr dname text tokfile (default: all).
# Exit status: 0 when no target found anything, 1 otherwise, 64 for a usage error.
# Needs clang (tools/install-deps.sh --fuzz).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
SECS=60 EXECS="" BUILD="" JOBS=2 NICE=10 DOBUILD=1 SAN=address,undefined
ALL="dnsmsg zfile regproto conf cidr dname text tokfile"
usage() { sed -n '/^# usage/,/^# Needs/p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
targets=()
while [ $# -gt 0 ]; do
  case $1 in
    -h|--help) usage 0;;
    -t|-n|-b|-j|-s|--nice) [ $# -ge 2 ] || { echo "$1 needs a value (try -h)" >&2; exit 64; }
      case $1 in -t) SECS=$2;; -n) EXECS=$2;; -b) BUILD=$2;; -j) JOBS=$2;; -s) SAN=$2;;
        --nice) NICE=$2;; esac
      shift 2;;
    --no-build) DOBUILD=0; shift;;
    -*) echo "unknown option $1 (try -h)" >&2; exit 64;;
    *) case " $ALL " in *" $1 "*) targets+=("$1");;
         *) echo "unknown target $1; targets: $ALL" >&2; exit 64;; esac
       shift;;
  esac
done
[ ${#targets[@]} -gt 0 ] || read -r -a targets <<<"$ALL"
case "$SECS$EXECS" in *[!0-9]*) echo "-t and -n take whole numbers" >&2; exit 64;; esac
if [ -z "$BUILD" ]; then
  BUILD=$root/build-fuzz
  [ "$SAN" = address,undefined ] || BUILD=$root/build-fuzz-${SAN//,/-}
fi
BUILD=$(mkdir -p "$BUILD" && cd "$BUILD" && pwd)
# Longest input per target: past these lengths inputs only repeat what shorter ones reach
# (a query, a line, a name or an address is short) and cost time.
max_len() {
  case $1 in cidr) echo 128;; dname) echo 1100;; dnsmsg) echo 1024;; conf) echo 4096;;
    regproto) echo 4200;; zfile) echo 2048;; esac
}

if [ $DOBUILD = 1 ]; then
  command -v clang >/dev/null || { echo "clang missing: tools/install-deps.sh --fuzz" >&2; exit 69; }
  CC=clang cmake -S "$root" -B "$BUILD" -DLANA_FUZZ=ON -DLANA_FUZZ_SANITIZERS="$SAN" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    >"$BUILD/cmake.log" 2>&1 || { cat "$BUILD/cmake.log" >&2; exit 1; }
  for t in "${targets[@]}"; do
    nice -n "$NICE" cmake --build "$BUILD" -j "$JOBS" --target "libfuzz_$t" >>"$BUILD/cmake.log" 2>&1 ||
      { tail -30 "$BUILD/cmake.log" >&2; exit 1; }
  done
fi

if [ -n "$EXECS" ]; then limit=(-runs="$EXECS"); else limit=(-max_total_time="$SECS"); fi
echo "# sanitizers $SAN, build $BUILD"
printf '%-10s %12s %10s %8s %8s %9s\n' target execs exec/s cov ft findings
found=0
for t in "${targets[@]}"; do
  bin=$BUILD/tests/libfuzz_$t
  [ -x "$bin" ] || { echo "$bin missing (build with -DLANA_FUZZ=ON)" >&2; exit 1; }
  work=$BUILD/fuzz/$t
  mkdir -p "$work/corpus" "$work/findings"
  # -print_final_stats gives the execution count and speed; the last "cov:" line the coverage
  nice -n "$NICE" "$bin" "${limit[@]}" -max_len="$(max_len "$t")" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$work/findings/" "$work/corpus" "$root/tests/fuzz/corpus/$t" \
    >"$work/log" 2>&1
  execs=$(awk '/stat::number_of_executed_units:/{print $2}' "$work/log")
  speed=$(awk '/stat::average_exec_per_sec:/{print $2}' "$work/log")
  cov=$(grep -o 'cov: [0-9]*' "$work/log" | tail -1 | awk '{print $2}')
  ft=$(grep -o 'ft: [0-9]*' "$work/log" | tail -1 | awk '{print $2}')
  n=$(find "$work/findings" -type f | wc -l)
  [ "$n" -gt 0 ] && found=1
  printf '%-10s %12s %10s %8s %8s %9s\n' "$t" "${execs:-?}" "${speed:-?}" "${cov:-?}" "${ft:-?}" "$n"
  [ "$n" -gt 0 ] && find "$work/findings" -type f | sed 's/^/#   /'
done
exit $found
