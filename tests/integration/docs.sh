#!/usr/bin/env bash
# The man pages and the bash completion (common/doc, client/clidoc, server/srvdoc):
#  (a) lana and lanad write them again as the build did, and groff and man find nothing to warn
#      about;
#  (b) every row of every table is in them, read back through another door than the
#      generators': lana --help (commands), lana CMD --help (options), lanad --help (options),
#      lanad --check (configuration keys) and lanad's registry table;
#  (c) the completion completes in a plain non-interactive bash, without a daemon;
#  (d) cmake --install puts them where man and bash-completion look.
# Needs LANA, LANAD, DOC (the build's doc directory), SRC (the source tree), BUILD, CMAKE.
set -u
export LC_ALL=C.UTF-8 MANWIDTH=2000
fail=0
bad() { echo "FAIL: $*"; fail=1; }
command -v groff >/dev/null || { echo "SKIP: groff is not installed (tools/install-deps.sh)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ---- (a) generated again, and clean ------------------------------------------------------
"$LANAD" --commands "$tmp/registry.json" || bad "lanad --commands"
"$LANAD" --man "$SRC/doc/lanad.8.in" "$tmp/lanad.8" || bad "lanad --man"
"$LANAD" --conf-man "$SRC/doc/lanad.conf.5.in" "$tmp/lanad.conf.5" || bad "lanad --conf-man"
"$LANAD" --completion bash "$tmp/lanad.bash" || bad "lanad --completion"
"$LANA" --man "$SRC/doc/lana.1.in" "$tmp/registry.json" "$tmp/lana.1" || bad "lana --man"
"$LANA" --completion bash "$tmp/registry.json" "$tmp/lana.bash" || bad "lana --completion"
for f in lana.1 lanad.8 lanad.conf.5 completion/lana completion/lanad; do
  g=$tmp/$(basename "$f"); case $f in completion/*) g=$tmp/$(basename "$f").bash ;; esac
  cmp -s "$DOC/$f" "$g" || bad "$DOC/$f is not what the programs write now"
done
for p in lana.1 lanad.8 lanad.conf.5; do
  w=$(groff -man -ww -z -Tutf8 "$tmp/$p" 2>&1)
  [ -z "$w" ] || bad "groff warns about $p: $w"
  if command -v man >/dev/null; then
    w=$(man --warnings -l "$tmp/$p" 2>&1 >/dev/null)
    [ -z "$w" ] || bad "man warns about $p: $w"
    man -l "$tmp/$p" 2>/dev/null | tr -s ' ' >"$tmp/$p.txt"
  else
    groff -man -Tutf8 -P-cbou "$tmp/$p" | tr -s ' ' >"$tmp/$p.txt"
  fi
  [ -s "$tmp/$p.txt" ] || bad "$p renders to nothing"
done
"$LANA" --man "$SRC/doc/lana.1.in" /nonexistent "$tmp/x" 2>/dev/null && bad "lana --man without a table"
[ -e "$tmp/x" ] && bad "a failed generator left its output"

# ---- (c) the completion, in this non-interactive bash --------------------------------------
# shellcheck disable=SC1090
source "$tmp/lana.bash" && source "$tmp/lanad.bash" || bad "the completion scripts do not load"
complete -p lana lanad >/dev/null 2>&1 || bad "complete -F is not set for lana and lanad"
# comp PROG WORD... : COMPREPLY for completing the last word, one per line, sorted
comp() {
  COMP_WORDS=("$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  "_$1"
  printf '%s\n' "${COMPREPLY[@]}" | sort
}
expect() { # "WORD..." "EXPECTED..." : COMPREPLY must be exactly these words
  local got want
  got=$(eval "comp $1" | tr '\n' ' ')
  want=$(printf '%s\n' $2 | sort | tr '\n' ' ')
  [ "$got" = "$want" ] || bad "complete '$1': got '$got', want '$want'"
}
# cw PROG WORD... : the same in this shell (no subshell: fast), as " w1 w2 ... " in GOT
cw() {
  COMP_WORDS=("$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  "_$1"
  GOT=" ${COMPREPLY[*]} "
}
has() { # "WORD..." WORD... : COMPREPLY holds each
  local got w
  got=" $(eval "comp $1" | tr '\n' ' ')"
  shift
  for w in "$@"; do [[ $got == *" $w "* ]] || bad "complete: '$w' missing"; done
}
mkdir -p "$tmp/cwd/tokdir" && touch "$tmp/cwd/admin.token" "$tmp/cwd/lab.db"
cd "$tmp/cwd" || exit 1
expect "lana bl" "block"
expect "lana block ''" "alloc assign reserve release update show list tree"
expect "lana --server 127.0.0.1:5301 --json block a" "alloc assign"
# as an interactive bash splits it (COMP_WORDBREAKS has ':'), with the line as typed
line="lana --server 127.0.0.1:5301 block a"
got=$(COMP_LINE=$line COMP_POINT=${#line} comp lana --server 127.0.0.1 : 5301 block a | tr '\n' ' ')
[ "$got" = "alloc assign " ] || bad "complete '$line' as bash splits it: got '$got'"
expect "lana block alloc 198.18.0.0/15 /24 --to bob --h" "--holder --help"
expect "lana block alloc 198.18.0.0/15 /24 --to ''" ""
has "lana block alloc 198.18.0.0/15 --" --to --holder --desc --assign --server --token-file
expect "lana --token-file ''" "admin.token lab.db tokdir"
expect "lana class create c1 --students 3 --tokens ''" "tokdir"
expect "lana service bind web1.lab. http --proto ''" "tcp udp"
expect "lana host add h.lab. --v4 ''" "auto none"
expect "lana account add bob --role reg" "registrar registrant"
expect "lana serve 7000 --" "--bind --count --once --max-clients --idle --help"
expect "lana batch ''" "admin.token lab.db tokdir"
expect "lana resolve www.lab. -t AA" "AAAA"
expect "lanad zone ''" "import export list"
expect "lanad --db ''" "admin.token lab.db tokdir"
expect "lanad -c a" "admin.token"
expect "lanad check --" "--json"
has "lanad --" --config --db --listen-dns --pool --workers --tcp-idle-timeout --registry-tls-name

# ---- (b) every row of every table ----------------------------------------------------------
page() { # PAGE TEXT : the rendered page holds TEXT (spaces squeezed)
  local t=$2 pg
  while [[ $t == *"  "* ]]; do t=${t//  / }; done
  pg=${pages[$1]}
  [[ $pg == *"$t"* ]] || bad "$1 lacks '$t'"
}
declare -A pages=([lana.1]="$(<"$tmp/lana.1.txt")" [lanad.8]="$(<"$tmp/lanad.8.txt")"
  [lanad.conf.5]="$(<"$tmp/lanad.conf.5.txt")")
# lana's commands, as lana --help lists them
cmds=$("$LANA" --help | sed -n '/^commands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }')
[ "$(echo "$cmds" | wc -w)" -ge 10 ] || bad "lana --help lists too few commands: $cmds"
cw lana ''
all=$GOT
for c in $cmds; do
  page lana.1 "lana $c"
  [[ $all == *" $c "* ]] || bad "completion lacks command $c"
  # the options of its --help (up to the common options) must complete somewhere on its line
  opts=$("$LANA" "$c" --help | sed '/^common options:/,$d' |
    grep -oE -- '(^|[][ |(])--?[a-z0-9][a-z0-9-]*' | sed 's/^[][ |(]//' | sort -u)
  cw lana "$c" ''
  subs=$GOT
  offered=" "
  for s in "" $subs; do cw lana "$c" $s -; offered+=$GOT; done
  for o in $opts; do
    [[ $offered == *" $o "* ]] || bad "completion of lana $c lacks $o (in its --help)"
  done
done
# the registry's table: each row of a lana command in lana(1) and in the completion; the rows
# lana has no command for are the protocol's own, listed under REGISTRY PROTOCOL
python3 -c '
import json, sys
for r in json.load(open(sys.argv[1]))["table"]:
    print("\x1f".join([r["verb"], r["sub"] or "", r["usage"], " ".join(o["name"] for o in r["options"])]))
' "$tmp/registry.json" >"$tmp/rows" || bad "the registry table is not JSON"
[ "$(wc -l <"$tmp/rows")" -ge 40 ] || bad "the registry table has too few rows"
while IFS=$'\x1f' read -r verb sub usage opts; do
  if [[ " $(echo $cmds) " != *" $verb "* ]]; then
    case $verb in end | ping | help | quit) ;; *) bad "registry command '$verb' has no lana command" ;; esac
    page lana.1 "$usage"
    continue
  fi
  page lana.1 "lana $usage"
  if [ -n "$sub" ]; then
    cw lana "$verb" ''
    [[ $GOT == *" $sub "* ]] || bad "completion of lana $verb lacks $sub"
  fi
  cw lana "$verb" $sub -
  for o in $opts; do [[ $GOT == *" --$o "* ]] || bad "completion of lana $verb $sub lacks --$o"; done
done <"$tmp/rows"
# lanad's options, as lanad --help lists them
lopts=$("$LANAD" --help | sed -nE 's/^  (-([a-zA-Z]), |    )--([a-z0-9-]+).*/-\2 --\3/p' | tr ' ' '\n' | grep -v '^-$' | sort -u)
[ "$(echo "$lopts" | wc -w)" -ge 20 ] || bad "lanad --help lists too few options"
cw lanad -
all=$GOT
for o in $lopts; do
  page lanad.8 "$o"
  [[ $all == *" $o "* ]] || bad "completion of lanad lacks $o"
done
# the configuration keys, as lanad --check prints the configuration in effect
keys=$("$LANAD" --check --db "$tmp/k.db" | sed -E 's/^# ([a-z-]+): .*/\1/; s/^([a-z-]+) = .*/\1/' | sort -u)
[ "$(echo "$keys" | wc -w)" -ge 20 ] || bad "lanad --check prints too few keys"
for k in $keys; do
  page lanad.conf.5 "$k = "
  page lanad.8 "--$k"
  [[ $all == *" --$k "* ]] || bad "completion of lanad lacks --$k"
done

# ---- (d) cmake --install ------------------------------------------------------------------
if [ -n "${CMAKE:-}" ] && [ -n "${BUILD:-}" ]; then
  pfx=prefix # the install prefix inside DESTDIR (any will do: nothing leaves $tmp)
  DESTDIR=$tmp/destdir "$CMAKE" --install "$BUILD" --prefix "/$pfx" >"$tmp/install.log" 2>&1 ||
    bad "cmake --install failed: $(tail -3 "$tmp/install.log")"
  for f in share/man/man1/lana.1 share/man/man8/lanad.8 share/man/man5/lanad.conf.5 \
    share/bash-completion/completions/lana share/bash-completion/completions/lanad bin/lana \
    sbin/lanad; do
    [ -s "$tmp/destdir/$pfx/$f" ] || bad "cmake --install did not install $pfx/$f"
  done
  cmp -s "$tmp/destdir/$pfx/share/man/man1/lana.1" "$tmp/lana.1" || bad "the installed lana.1 differs"
  mode=$(stat -c %a "$tmp/destdir/$pfx/share/man/man8/lanad.8" 2>/dev/null)
  [ "$mode" = 644 ] || bad "lanad.8 installed with mode $mode"
fi

[ $fail = 0 ] && echo "docs ok"
exit $fail
