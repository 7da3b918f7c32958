#!/usr/bin/env bash
# Clones the committed state of this repository (HEAD) into an empty temporary folder, with
# nothing beside it, and there builds every package and runs the schedule reference tests. It
# fails when the repository needs anything outside itself to build or to load its reference data:
# a test reading ../../../something, a replace directive in go.mod pointing beside the clone, a
# data file that was never committed. `make test` runs it; uncommitted changes are not part of
# what it checks (commit first).
#
# The Go module and build caches are the usual ones: the clone needs no network once the modules
# are downloaded, and only this repository's own packages are compiled again (the build cache
# keys them by folder); the dependencies, the AWS CDK's included, come from the cache that
# `go test ./...` filled. No -trimpath for that reason: it would compile every dependency again.
# GOWORK=off keeps a go.work above the folder out of it.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}

head=$(git rev-parse HEAD)
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  echo "clone-test: uncommitted changes are not checked; testing the clone of HEAD ${head:0:12}" >&2
fi
tmp=$(mktemp -d -t overdue-clone.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
git clone --quiet --no-checkout . "$tmp/overdue"
git -C "$tmp/overdue" checkout --quiet --detach "$head"

cd "$tmp/overdue"
export GOWORK=off
started=$(date +%s)
"$GO" build ./...
"$GO" test -count=1 ./internal/schedule/
echo "clone-test: a clone of ${head:0:12} alone in $tmp builds and passes the schedule reference tests ($(($(date +%s) - started)) s)"
