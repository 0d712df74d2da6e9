#!/usr/bin/env bash
# The layering rule of DESIGN.md §3: common/ includes nothing of ours above it, db/ only
# common/, server/ and client/ never each other; sqlite3.h stays in db/*.c, ares.h in client/.
set -u
bad=0
check() { # dir pattern message
  local hits
  hits=$(grep -nE "$2" "$1"/*.[ch] 2>/dev/null)
  if [ -n "$hits" ]; then echo "layer violation ($3):"; echo "$hits"; bad=1; fi
}
check common '#include "(db|server|client)/' "common/ uses a higher layer"
check db '#include "(server|client)/' "db/ uses server/ or client/"
check server '#include "client/' "server/ includes client/"
check client '#include "server/' "client/ includes server/"
for f in common/*.[ch] server/*.[ch] client/*.[ch] db/*.h; do
  [ "$f" = db/store_int.h ] && continue
  grep -q '#include <sqlite3.h>' "$f" 2>/dev/null && { echo "sqlite3.h outside db/*.c: $f"; bad=1; }
done
for f in common/*.[ch] server/*.[ch] db/*.[ch]; do
  grep -q '#include <ares' "$f" 2>/dev/null && { echo "ares.h outside client/: $f"; bad=1; }
done
[ $bad = 0 ] && echo "layers ok"
exit $bad
