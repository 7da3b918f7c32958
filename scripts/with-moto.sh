#!/usr/bin/env bash
# Runs a command with moto_server (the AWS emulator) on a free loopback port, and stops it by PID
# when the command ends, whether it passed or not. Tests that need AWS read OVERDUE_MOTO_URL (and
# the standard AWS_ENDPOINT_URL). Without moto_server (or the curl and python3 it is started
# with) it runs nothing and fails with one line per missing tool saying how to install it.
set -uo pipefail

"$(dirname "$0")/prereqs.sh" moto_server python3 curl || exit 1

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
log=$(mktemp -t moto.XXXXXX.log)
# moto's own server with each DynamoDB request applied whole before the next on its table
# (scripts/moto-server.py says why), when python3 has moto; else moto_server as it comes.
if python3 -c 'import moto.moto_server.werkzeug_app, werkzeug.serving' 2>/dev/null; then
  python3 "$(dirname "$0")/moto-server.py" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
else
  moto_server -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
fi
pid=$!
# stop ends the server: SIGTERM, and SIGKILL if it is still there after 5 seconds (a moto_server
# busy under load has ignored SIGTERM before, which left this script waiting for ever).
stop() {
  kill "$pid" 2>/dev/null
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  rm -f "$log"
}
trap stop EXIT

url="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
  if curl -fsS "$url/moto-api/" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then echo "with-moto: moto_server exited:" >&2; cat "$log" >&2; exit 1; fi
  sleep 0.1
done

export OVERDUE_MOTO_URL="$url"
export AWS_ENDPOINT_URL="$url"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
"$@"
