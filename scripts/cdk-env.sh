# shellcheck shell=bash
# Sourced by the scripts/cdk*.sh scripts, from the repository root. Keeps every cache the CDK
# writes inside the project (.cache/, ignored by git through its own .gitignore), so a fresh
# clone or a CI machine needs nothing installed beforehand but Go, Node and npm.

mkdir -p .cache
[ -f .cache/.gitignore ] || printf '# everything here is a cache: see scripts/cdk-env.sh\n*\n' >.cache/.gitignore

# jsii unpacks aws-cdk-lib (about 200 MB) here on the first synth, instead of ~/.cache/aws/jsii.
export JSII_RUNTIME_PACKAGE_CACHE_ROOT="$PWD/.cache/jsii"
# The CDK CLI keeps its installation ID, notices and telemetry state here. It ignores $HOME
# (it reads the home directory from the passwd entry), so CDK_HOME is the only way to move it.
export CDK_HOME="$PWD/.cache/cdk"
# jsii prints a page-wide banner on every run under Node 20, which is past end of life but works.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20

# The CDK CLI is pinned in .cdk-cli/package-lock.json and installed into .cdk-cli/node_modules:
# a directory whose name starts with a dot, so that `go build ./...` and `go vet ./...` never walk
# into the Go templates the CLI ships.
#
# cdk_cli_ready installs the pinned CLI unless .cdk-cli/node_modules already holds that version.
cdk_cli_ready() {
  local want have
  want=$(node -p "require('./.cdk-cli/package-lock.json').packages['node_modules/aws-cdk'].version")
  have=$(node -p "try { require('./.cdk-cli/node_modules/aws-cdk/package.json').version } catch { '' }")
  if [ "$have" != "$want" ]; then
    echo "cdk: installing aws-cdk $want from .cdk-cli/package-lock.json (npm ci)" >&2
    npm ci --prefix .cdk-cli --no-audit --no-fund --loglevel=error >&2
  fi
}

# cdk runs the pinned CLI, never a global or newer one.
cdk() {
  "$PWD/.cdk-cli/node_modules/.bin/cdk" "$@"
}

# fake_dist DIR writes a placeholder bootstrap for every function into DIR, for synthesizing
# without `make build`: the templates are the same but for the asset hashes.
fake_dist() {
  local fn
  for fn in api sweep notify migrate timer mailping reports; do
    mkdir -p "$1/$fn"
    printf '#!/bin/sh\necho "placeholder for %s: run make build"\nexit 1\n' "$fn" >"$1/$fn/bootstrap"
    chmod +x "$1/$fn/bootstrap"
  done
}
