#!/usr/bin/env bash
# Runs the AWS CDK CLI pinned in .cdk-cli/package.json (installing it with npm ci when missing) against
# the Go app in infra/, with the caches kept in .cache/. The Makefile's synth, diff and deploy
# targets call it; any cdk arguments work:
#
#   scripts/cdk.sh synth -c stage=dev
#   scripts/cdk.sh deploy Overdue-prod -c stage=prod
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/prereqs.sh go node npm || exit 1
# shellcheck source=scripts/cdk-env.sh
source scripts/cdk-env.sh
cdk_cli_ready
cdk "$@"
