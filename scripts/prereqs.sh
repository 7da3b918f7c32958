#!/usr/bin/env bash
# Checks that the tools `make test` needs and cannot install itself are on PATH, and prints one
# line for each that is missing (or too old) with the command that gets it; exits 1 if any is.
# `make test` runs it first. With arguments it checks only the tools named, so a script can check
# what it uses: `scripts/prereqs.sh moto_server curl python3`.
#
# What `make test` installs itself is not checked here: the Go toolchain go.mod asks for and the
# Go modules (from the Go module proxy, by any go 1.21 or newer that may switch toolchains), and
# the pinned CDK CLI (`npm ci` into .cdk-cli/ from the npm registry). For go, the check is that
# `go` can build this module: `go env GOVERSION` in the repository, which fetches the toolchain
# go.mod names if need be.
#
# Only bash builtins are used besides the tools checked, so the check works (and its test runs)
# with PATH holding nothing but those tools.
set -uo pipefail
here=${BASH_SOURCE[0]%/*}
[ "$here" != "${BASH_SOURCE[0]}" ] || here=.
cd "$here/.." || exit 1

# gomod_go prints the Go version go.mod requires ("1.26.0").
gomod_go() {
  local key value _
  while read -r key value _; do
    if [ "$key" = go ]; then
      echo "$value"
      return
    fi
  done <go.mod
}

# what TOOL prints what `make test` uses TOOL for.
what() {
  case $1 in
  go) echo "builds and tests everything" ;;
  git) echo "lint's file list, the rollback drill's older release, scripts/clone-test.sh" ;;
  curl) echo "scripts/with-moto.sh waits for moto_server with it" ;;
  python3) echo "scripts/with-moto.sh picks a free port with it" ;;
  node | npm) echo "runs the pinned CDK CLI for cfn-lint and the smoke deploy" ;;
  moto_server) echo "the AWS emulator the AWS tests run against" ;;
  cfn-lint) echo "lints the synthesized CloudFormation templates" ;;
  aws) echo "scripts/cdk-smoke.sh reads the deployed stack back with it" ;;
  *) echo "asked for by the caller" ;;
  esac
}

# how TOOL prints how to install TOOL: Debian and Ubuntu package names; pip for the Python tools
# (on Debian 12 and later in a virtual environment, or with pipx).
how() {
  case $1 in
  go) echo "https://go.dev/dl/ (Go $(gomod_go) or newer; or any Go from 1.21 on with GOTOOLCHAIN=auto, the default, which fetches Go $(gomod_go) itself)" ;;
  git | curl | python3) echo "apt-get install $1" ;;
  node | npm) echo "apt-get install nodejs npm (Node 18 or newer; or https://nodejs.org/)" ;;
  moto_server) echo "pip install 'moto[server]'" ;;
  cfn-lint) echo "pip install cfn-lint" ;;
  aws) echo "pip install awscli" ;;
  *) echo "see README.md" ;;
  esac
}

# older A B succeeds when version A ("1.22.3", "v16.20.2") is older than B, by major and minor.
older() {
  local a b
  [[ $1 =~ ([0-9]+)\.([0-9]+) ]] || return 0
  a=("${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}")
  [[ $2 =~ ([0-9]+)\.([0-9]+) ]] || return 1
  b=("${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}")
  ((a[0] < b[0] || (a[0] == b[0] && a[1] < b[1])))
}

# unusable TOOL prints why TOOL, although on PATH, cannot be used, or nothing.
unusable() {
  local out
  case $1 in
  go)
    if ! out=$(go env GOVERSION 2>&1); then
      echo "cannot build this module: ${out%%$'\n'*}"
    elif older "$out" "$(gomod_go)"; then
      echo "is $out; go.mod needs Go $(gomod_go)"
    fi
    ;;
  node)
    out=$(node --version 2>&1)
    if older "$out" 18.0; then
      echo "is ${out%%$'\n'*}; the CDK CLI needs Node 18 or newer"
    fi
    ;;
  esac
}

tools=("$@")
if [ ${#tools[@]} -eq 0 ]; then
  tools=(go git curl python3 node npm moto_server cfn-lint aws)
fi
missing=0
for tool in "${tools[@]}"; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "prereqs: $tool not found ($(what "$tool")); install it with: $(how "$tool")" >&2
    missing=$((missing + 1))
  elif why=$(unusable "$tool") && [ -n "$why" ]; then
    echo "prereqs: $tool $why ($(what "$tool")); install it with: $(how "$tool")" >&2
    missing=$((missing + 1))
  fi
done
exit $((missing > 0))
