#!/usr/bin/env bash
# Refuses a commit that tracks a compiled program or a large file: `go build ./functions/timer`
# in the root once put a 24 MB binary into the history, where every clone carries it for good.
# Tracked files must be text under 1 MiB; lists every offender with the command that untracks it.
# `make lint` (and so `make test`) runs it.
set -uo pipefail
cd "${BASH_SOURCE[0]%/*}/.." || exit 1
limit=$((1024 * 1024))
bad=0
while IFS= read -r -d '' f; do
  [ -f "$f" ] || continue # deleted in the work tree, not yet committed
  size=$(wc -c <"$f")
  magic=$(head -c 4 "$f" | od -An -tx1 | tr -d ' \n')
  if [ "$magic" = 7f454c46 ] || [ "$size" -gt "$limit" ]; then
    echo "tracked file $f is a compiled program or larger than 1 MiB ($size bytes): git rm --cached '$f', and list it in .gitignore" >&2
    bad=1
  fi
done < <(git ls-files -z)
exit $bad
