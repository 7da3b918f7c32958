#!/usr/bin/env bash
# Makes sure the browser tests (internal/web, driven through chromedp) have Debian's chromium:
# when neither OVERDUE_CHROMIUM nor a chromium on PATH is there, installs the `chromium` package
# with apt-get (as root, or through sudo without a password prompt). When it cannot, it says
# which command to run and exits 1: `make test` stops there rather than skip the browser tests.
set -euo pipefail

if [ -n "${OVERDUE_CHROMIUM:-}" ]; then
  if [ -x "$OVERDUE_CHROMIUM" ]; then exit 0; fi
  echo "chromium: OVERDUE_CHROMIUM=$OVERDUE_CHROMIUM is not an executable file; unset it or point it at a Chromium binary" >&2
  exit 1
fi
for name in chromium chromium-browser google-chrome google-chrome-stable; do
  if command -v "$name" >/dev/null 2>&1; then exit 0; fi
done

cmd="apt-get install -y --no-install-recommends chromium"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium: not found, and this system has no apt-get. Install Chromium (or Chrome) and put it on PATH," >&2
  echo "or set OVERDUE_CHROMIUM to its binary: the browser tests in internal/web need it." >&2
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "chromium: not found; the browser tests in internal/web need it. Install it with:" >&2
  echo "  sudo apt-get update && sudo $cmd" >&2
  exit 1
fi
echo "chromium: not found; installing Debian's chromium for the browser tests: $cmd"
"${sudo[@]}" apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" $cmd
