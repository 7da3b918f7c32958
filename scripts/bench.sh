#!/usr/bin/env bash
# Measures everything BENCHMARKS.md claims and rewrites the file from the results: `make bench`.
#
# Benchmarks, not tests: nothing here fails because the machine is slow; a measurement that
# cannot run (a Lambda function that does not build yet, moto missing) says so in its table.
# Everything runs on loopback: `overdue serve`, the bare server and the fake Lambda runtime
# listen on 127.0.0.1, moto_server is started on a free loopback port by with-moto.sh, and
# every load is bounded in time and in requests. It takes about five minutes, most of it the
# ping runs and the minute a check needs to go down.
#
#   ./scripts/bench.sh                    # everything; writes BENCHMARKS.md
#   BENCH_OUT=/tmp/b.md ./scripts/bench.sh
#   BENCH_DURATION=10s ./scripts/bench.sh # longer ping runs
#
# Inside, `bench.sh --moto WORKDIR` is the part that needs moto_server (with-moto.sh runs it).
set -euo pipefail
self="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$(dirname "$self")/.."

GO=${GO:-go}
OUT=${BENCH_OUT:-BENCHMARKS.md}
DURATION=${BENCH_DURATION:-5s}
# The Lambda build of the Makefile (FUNCTION_FLAGS): the sizes are of what `make build` ships.
LAMBDA_FLAGS=(-tags lambda.norpc -trimpath -ldflags='-s -w')

log() { echo "bench: $*" >&2; }

# step NAME CMD... runs one measurement: stdout to $work/NAME.out, stderr to $work/NAME.err. A
# failure is logged and left for its section of BENCHMARKS.md to report; the run goes on.
step() {
  local name=$1; shift
  if ! "$@" >"$work/$name.out" 2>"$work/$name.err"; then
    log "$name failed (BENCHMARKS.md says so)"
    : >"$work/$name.failed"
  fi
}

# moto_phase runs the measurements that need moto_server; with-moto.sh has exported
# OVERDUE_MOTO_URL, AWS_ENDPOINT_URL and test credentials.
moto_phase() {
  log "DynamoDB capacity per ping (BenchmarkPingCapacity, on moto)"
  step pingcap $GO test -run '^$' -bench PingCapacity -benchtime 20x ./internal/store/dynamo/
  log "DynamoDB bucketed due index per check shape (BenchmarkDueShapes, computed)"
  step dueshapes $GO test -run '^$' -bench DueShapes -benchtime 1x ./internal/store/dynamo/
  log "DynamoDB sweep capacity (BenchmarkSweepCapacity, on moto)"
  step sweepcap $GO test -run '^$' -bench SweepCapacity -benchtime 1x ./internal/store/dynamo/
  log "Precise timers: DynamoDB capacity (BenchmarkTimerCapacity, on moto)"
  step timercap $GO test -run '^$' -bench TimerCapacity -benchtime 1x ./internal/store/dynamo/
  log "Precise timers under the Lambda emulator (TestTimersUnderEmulator, 5 runs)"
  step timerrie sh -c 'OVERDUE_RIE="$1" "$2" test -count=5 -run TestTimersUnderEmulator -v ./functions/rie/ > "$3" &&
    sed -n "s/.*timer: received \([0-9.]*m*s\) after.*flipped \([0-9.]*m*s\) after it; the function.s TimerLag \([0-9]*\) ms.*/| \1 | \3 ms | \2 |/p" "$3"' \
    sh "$PWD/.cache/bin/aws-lambda-rie" "$GO" "$work/timerrie.log"
  log "Lambda ready time (fake runtime API; table on moto)"
  local table=overdue-bench-v1
  if [ -x "$work/overdue" ]; then
    step table sh -c '"$1" table create --table "$2" && "$1" migrate up --store dynamodb --table "$2"' \
      sh "$work/overdue" "$table"
  fi
  step coldstart "$work/loadgen" coldstart --arm64 "$work/lambda/arm64" --host "$work/lambda/host" --runs 10 \
    --table "$table" "${functions[@]}"
}

# fenced prints a file inside a code block, or says it is missing.
fenced() {
  echo '```'
  if [ -s "$1" ]; then cat "$1"; else echo "(no output)"; fi
  echo '```'
}

# bench_table NAME CMD... prints the markdown table CMD makes of the `go test -bench` output of
# step NAME, and the end of that output when the step failed or CMD found no results in it.
bench_table() {
  local name=$1; shift
  local raw="$work/$name.out"
  cat "$work/$name.err" >>"$raw" 2>/dev/null || true
  if ! "$@" <"$raw" 2>/dev/null; then
    echo "Not measured this time; the end of its output:"
    echo
    tail -n 30 "$raw" >"$raw.tail"
    fenced "$raw.tail"
  elif [ -e "$work/$name.failed" ]; then
    echo
    echo "Part of it failed; the end of its output:"
    echo
    tail -n 30 "$raw" >"$raw.tail"
    fenced "$raw.tail"
  fi
}

# md NAME prints the markdown step NAME printed, or why there is none.
md() {
  if [ -s "$work/$1.out" ] && [ ! -e "$work/$1.failed" ]; then
    cat "$work/$1.out"
  else
    echo "Not measured this time; the end of its output:"
    echo
    cat "$work/$1.out" "$work/$1.err" 2>/dev/null | tail -n 30 >"$work/$1.tail"
    fenced "$work/$1.tail"
  fi
}

functions=(api sweep notify migrate)
# shellcheck disable=SC2207 # the Makefile's list, plus the four DESIGN.md names
functions=($(printf '%s\n' "${functions[@]}" $(sed -n 's/^FUNCTIONS := //p' Makefile) | awk '!seen[$0]++'))

if [ "${1:-}" = "--moto" ]; then
  work=$2
  moto_phase
  exit 0
fi

# wrk (Debian's package) is the external load generator of the ping targets: installed here
# when missing and this is root on Debian, or the run stops before it starts, saying how.
if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing wrk (apt-get install wrk)"
    apt-get install -y -q wrk >/dev/null 2>&1 ||
      { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q wrk >/dev/null 2>&1; } || true
  fi
  command -v wrk >/dev/null 2>&1 || { echo "bench: wrk is missing; install it with: apt-get install wrk" >&2; exit 1; }
fi

work=$(mktemp -d -t overdue-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
started=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

log "building overdue, loadgen and the Lambda functions"
version=$(git describe --always --dirty 2>/dev/null || echo dev)
$GO build -trimpath -o "$work/loadgen" ./cmd/loadgen
step build-overdue $GO build -trimpath -ldflags "-s -w -X main.version=$version" -o "$work/overdue" ./cmd/overdue
host_arch=$($GO env GOARCH)
for fn in "${functions[@]}"; do
  for arch in arm64 host; do
    dir="$work/lambda/$arch/$fn"
    mkdir -p "$dir"
    goarch=$arch
    [ "$arch" = host ] && goarch=$host_arch
    if [ ! -d "functions/$fn" ]; then
      echo "functions/$fn does not exist yet" >"$dir/error.txt"
    elif ! GOOS=linux GOARCH=$goarch CGO_ENABLED=0 $GO build "${LAMBDA_FLAGS[@]}" -o "$dir/bootstrap" "./functions/$fn" 2>"$dir/error.txt"; then
      log "functions/$fn does not build for $goarch (the Lambda table says so)"
    fi
  done
done

log "ping throughput: overdue serve and a bare server at 1, 16 and 64 connections, 3 runs of $DURATION each"
step ping "$work/loadgen" ping --overdue "$work/overdue" --conns 1,16,64 --duration "$DURATION" --repeat 3

log "ping throughput measured by wrk: one busy check and 16 checks, 16 and 64 connections, 3 runs of $DURATION each"
step wrk "$work/loadgen" wrk --overdue "$work/overdue" --checks 1,16 --conns 16,64 --duration "$DURATION" --repeat 3

log "CPU profile of the ping path at 16 connections over 16 checks (BenchmarkPingServer)"
step pingserver $GO test -run '^$' -bench 'PingServer/checks=16$' -benchtime 5s -cpuprofile "$work/cpu.prof" \
  -o "$work/httpapi.test" ./internal/httpapi/
step pingserver1 $GO test -run '^$' -bench 'PingServer/checks=1$' -benchtime 5s ./internal/httpapi/
if [ -s "$work/cpu.prof" ]; then
  $GO tool pprof -top -nodecount 15 -tagfocus side=server "$work/httpapi.test" "$work/cpu.prof" 2>/dev/null \
    | sed -n '/flat%/,$p' >"$work/pprof-flat.txt" || true
  $GO tool pprof -top -cum -nodecount 30 -tagfocus side=server "$work/httpapi.test" "$work/cpu.prof" 2>/dev/null \
    | sed -n '/flat%/,$p' >"$work/pprof-cum.txt" || true
  $GO tool pprof -top -nodecount 1 "$work/httpapi.test" "$work/cpu.prof" 2>/dev/null \
    | sed -n 's/^Duration: \(.*\), Total samples = \([^ ]*\).*/\1 \2/p' >"$work/pprof-total.txt" || true
  # The server's samples: `-tags` prints "5.45s (62.36%): server" under "side:".
  $GO tool pprof -tags "$work/httpapi.test" "$work/cpu.prof" 2>/dev/null \
    | sed -n 's/^ *\([0-9.]*m*s\) (.*): server$/\1/p' | head -n 1 >"$work/pprof-server.txt" || true
fi

log "WAL pages a group-commit batch writes, by table and index (BenchmarkBatchPages)"
step batchpages $GO test -run '^$' -bench BatchPages -benchtime 200x ./internal/store/sqlite/

log "sweep time on SQLite (BenchmarkSweep; seeding 100,000 checks takes a while)"
step sweep $GO test -run '^$' -bench '^BenchmarkSweep$' -timeout 20m ./internal/sweep/
log "dashboard pages over 1,000 checks (BenchmarkDashboardPages)"
step dashboard $GO test -run '^$' -bench DashboardPages -benchtime 20x ./internal/web/
log "sweep and dispatch in process (BenchmarkAlertPath)"
step alertpath $GO test -run '^$' -bench AlertPath -benchtime 100x ./internal/sweep/

log "alert latency end to end: overdue serve at --interval 2s and 500ms (a minute and a bit)"
step alert "$work/loadgen" alert --overdue "$work/overdue" --intervals 2s,500ms --checks 12

log "100,000 checks and 10 million pings on overdue serve (builds the data set, then sweep, API and wrk)"
step scale "$work/loadgen" scale --overdue "$work/overdue" --duration "$DURATION" --repeat 3

log "the DynamoDB and Lambda measurements, on moto"
./scripts/with-moto.sh "$self" --moto "$work" || log "the moto part failed (BENCHMARKS.md says so)"

load_end=$(cut -d' ' -f1-3 /proc/loadavg)
elapsed=$(( $(date +%s) - started ))

# The machine, as the tables were measured on it.
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
mem=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
os_name=$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME" || uname -sr)
moto=$(python3 -c 'import moto; print(moto.__version__)' 2>/dev/null || echo "not installed")
read -r prof_duration prof_samples <"$work/pprof-total.txt" 2>/dev/null || true
# seconds converts pprof's "8.40s" or "6140ms" to seconds.
seconds() { awk -v v="$1" 'BEGIN { if (v ~ /ms$/) { sub(/ms$/, "", v); v /= 1000 } else sub(/s$/, "", v); print v + 0 }'; }
# cum_of prints the cumulative seconds of the first `-top -cum` entry whose name ends in $1.
cum_of() {
  seconds "$(awk -v want="$1" '{ n = $6; if (substr(n, length(n) - length(want) + 1) == want) { print $4; exit } }' "$work/pprof-cum.txt")"
}
# bench_metric FILE UNIT prints the value before UNIT on the benchmark's result line.
bench_metric() { sed -n "s|.*[[:space:]]\([0-9.]*\) $2.*|\1|p" "$1" 2>/dev/null | head -n 1 || true; }
pings_per_s=$(bench_metric "$work/pingserver.out" 'pings/s')
cpu_per_ping=$(bench_metric "$work/pingserver.out" 'cpu-µs/ping')
per_txn=$(bench_metric "$work/pingserver.out" 'pings/txn')
pings_per_s1=$(bench_metric "$work/pingserver1.out" 'pings/s')
cpu_per_ping1=$(bench_metric "$work/pingserver1.out" 'cpu-µs/ping')
per_txn1=$(bench_metric "$work/pingserver1.out" 'pings/txn')
# The committer's profile (sqlite.CommitProfile) over the same pings, per transaction.
c_idle=$(bench_metric "$work/pingserver.out" 'idle-µs/txn')
c_gather=$(bench_metric "$work/pingserver.out" 'gather-µs/txn')
c_begin=$(bench_metric "$work/pingserver.out" 'begin-µs/txn')
c_apply=$(bench_metric "$work/pingserver.out" 'apply-µs/txn')
c_commit=$(bench_metric "$work/pingserver.out" 'commit-µs/txn')
c_slow=$(bench_metric "$work/pingserver.out" '%slow-commits')
c_max=$(bench_metric "$work/pingserver.out" 'max-commit-ms')
c_queued=$(bench_metric "$work/pingserver.out" 'queued-µs/ping')
c_waited=$(bench_metric "$work/pingserver.out" 'waited-µs/ping')
# The profile's parts as CPU time per ping: their share of the profile's samples times the CPU
# per ping the benchmark measured (getrusage) over the same pings.
busy="" server_us="" commit_us="" txcommit_us="" http_us="" commit_cap=""
server_samples=$(cat "$work/pprof-server.txt" 2>/dev/null || true)
if [ -n "${prof_samples:-}" ] && [ -n "$server_samples" ] && [ -n "$cpu_per_ping" ]; then
  busy=$(awk -v s="$(seconds "$prof_samples")" -v d="$(seconds "$prof_duration")" -v n="$(nproc)" \
    'BEGIN { if (d > 0) printf "%.0f", 100 * s / (d * n) }')
  total_s=$(seconds "$prof_samples")
  per_ping() { awk -v a="$1" -v t="$total_s" -v c="$cpu_per_ping" 'BEGIN { if (t > 0) printf "%.0f", c * a / t }'; }
  server_us=$(per_ping "$(seconds "$server_samples")")
  commit_us=$(per_ping "$(cum_of 'sqlite.(*Store).commit')")
  txcommit_us=$(per_ping "$(cum_of 'database/sql.(*Tx).Commit')")
  http_us=$(per_ping "$(cum_of 'net/http.(*conn).serve')")
  commit_cap=$(awk -v u="$commit_us" 'BEGIN { if (u > 0) printf "%.0f", 1e6 / u }')
fi

# The sweeps' reads of a minutely check with a minute's grace, per ping (BenchmarkDueShapes).
sweep_per_ping=$(sed -n 's|.*every=1m/grace=1m/late=no-.*[[:space:]]\([0-9.]*\) sweep-RCU/ping.*|\1|p' "$work/dueshapes.out" 2>/dev/null | head -n 1 || true)
"$work/loadgen" cost --checks 1000 --every 1m --sweep-per-ping "${sweep_per_ping:-0}" <"$work/pingcap.out" >"$work/pingcost.md" 2>/dev/null || true

log "writing $OUT"
{
cat <<EOF
# Benchmarks

Numbers we claim, each with the command that reproduces it. Benchmarks never fail because a
machine is slow; they are measured, not asserted. \`make bench\` (\`scripts/bench.sh\`) runs every
one of them and writes this file; each section says what was measured and what was computed.

**Machine:** $(nproc) vCPU ${cpu}, ${mem}, ${os_name}, $($GO env GOVERSION), moto_server ${moto}.
**Date:** $(date -u '+%Y-%m-%d %H:%M UTC'), build ${version}. The machine is shared with other
engineers' builds: load average (1, 5, 15 min) ${load_start} when the run started, ${load_end}
when it ended. The whole run took $((elapsed / 60)) min $((elapsed % 60)) s.

Reproduce everything with \`make bench\`; each section names the command for its own table.

## Targets

EOF
grep -h '^- wrk' "$work/wrk.out" 2>/dev/null || echo "- Ping throughput and p99 with wrk: not measured this time (section 1 says why)."
grep -h '^- ' "$work/ping.out" 2>/dev/null | sed 's/^- /- Own client (issue 8): /' || echo "- Ping throughput with loadgen's own client: not measured this time (section 1 says why)."
cost_verdict=$(grep -h '^\*\*Target' "$work/pingcost.md" 2>/dev/null | sed 's/^\*\*Target: \([^*]*\)\*\*\(.*\)$/\1\2/' || true)
echo "- DynamoDB cost per ping: ${cost_verdict:-not measured this time (section 2 says why).}${cost_verdict:+ (Checks pinged every few minutes or less often with a grace no longer than their period, with a late channel or without, still cost 4.5: section 2.)}"
cat <<EOF
- Sweep: cost follows the number of due checks, not the number of checks, on SQLite (time) and
  on DynamoDB (capacity): section 3.
- Alert latency and Lambda footprint have no target; sections 4 and 5 give the numbers.
EOF
dash_ms=$(sed -n 's|^BenchmarkDashboardPages/page=checks/rows=1000[^[:space:]]*[[:space:]].*[[:space:]]\([0-9.]*\) ms/page.*|\1|p' "$work/dashboard.out" 2>/dev/null | head -n 1 || true)
if [ -n "$dash_ms" ]; then
  dash_verdict=$(awk -v m="$dash_ms" 'BEGIN { print (m < 50 ? "**target (under 50 ms) met**" : "**target (under 50 ms) missed**") }')
  echo "- Dashboard: the checks page of 1,000 checks on SQLite in ${dash_ms} ms per page, ${dash_verdict} (section 6)."
else
  echo "- Dashboard: the checks page of 1,000 checks in under 50 ms on SQLite: not measured this time (section 6)."
fi
cat <<EOF
- Scale (issue 18): \`overdue serve\` with 100,000 checks and 10 million kept pings has no
  target; section 7 gives its memory, database size, start, sweep, API and ping times.

## 1. Ping throughput and latency, locally

### Measured by wrk

\`\`\`sh
go build -o /tmp/overdue ./cmd/overdue && go run ./cmd/loadgen wrk --overdue /tmp/overdue --checks 1,16 --conns 16,64 --duration ${DURATION} --repeat 3
\`\`\`

\`loadgen wrk\` starts \`overdue serve\` on a new SQLite data directory (\`--addr 127.0.0.1:0\`, the
default 2 s sweep interval) and the bare \`net/http\` server (\`loadgen bare\`: reads the body,
answers \`OK\`, with serve's timeouts), creates 16 checks through the management API, and runs
[wrk](https://github.com/wg/wrk) (Debian's \`wrk\` package, a load generator written in C; \`make
bench\` installs it) against each: \`wrk -t1 -c<connections> -d${DURATION}\`, every connection
keep-alive, POSTing a 33-byte text body to \`/ping/<uuid>\` as fast as it is answered, all to one
busy check, or round robin over the 16 checks. Each configuration runs the bare server and then
overdue, three times over, after one unmeasured second on each, so both see the same moments of
a shared machine. Throughput is the median run (the range beside it); p50 and p99 are wrk's, the
median run's (the range of the three p99s beside it), and max the largest of the three. wrk runs
on the same $(nproc) vCPUs as the servers: the bare server's figure is the ceiling of this
machine with this client. The load average is the other engineers' builds sharing the machine;
read the ratios ("of bare"), which compare runs made side by side, rather than the absolute
figures, when it is high. "Server CPU per request" is the server process's CPU time (user and
system, every thread, from \`/proc/<pid>/stat\`) over a run divided by its requests, the median of
the runs: what each request costs the machine, which the load disturbs less than the throughput.

EOF
md wrk
cat <<EOF

### Measured by loadgen's own client

\`\`\`sh
go build -o /tmp/overdue ./cmd/overdue && go run ./cmd/loadgen ping --overdue /tmp/overdue --conns 1,16,64 --duration ${DURATION} --repeat 3
\`\`\`

\`loadgen ping\` is the same comparison with a Go client (\`cmd/loadgen/load.go\`), as issue 8
measured it: one check per connection, each connection POSTing to its own check, at 1, 16 and
64 connections; latency is per request, over the requests of all three runs.

EOF
md ping
cat <<EOF

### What limits it

Every ping is a write, and SQLite has one writer. The store sends every check update through one
committer goroutine (\`internal/store/sqlite/group.go\`): it takes every update waiting when it is
free, applies them in arrival order in one transaction (BEGIN IMMEDIATE on the one write
connection: the data-model guard once; each update's ping logic on the check as the update
before it left it; then the batch's pings, up to 16 to an INSERT, the state columns of up to 16
checks to an UPDATE, and the history trims of up to 16 checks to a DELETE), commits, and only then
answers each request. Between batches the committer keeps the checks it wrote (decoded, runs
and all), so a busy check is not read again while nobody else writes (any other write of the
process, or a commit of another process, which moves SQLite's \`data_version\`, makes it forget
them), and it runs the expiry of old flips and deliveries only once the oldest it knows of is
past the cut-off.

**Durability, and where the fsyncs went.** The database is in WAL mode with
\`synchronous=NORMAL\`: a commit appends the pages it changed to the \`-wal\` file (two \`pwrite\`s a
page: frame header and page) and does not fsync. The pages are in the operating system's cache
when \`pwrite\` returns, so a process killed at any moment (SIGKILL, a crash) loses nothing it
acknowledged (\`TestKillUnderLoadKeepsAcknowledgedPings\` kills serve under load and finds every
acknowledged ping); only a power loss or a kernel crash can lose the last transactions, never
the database's consistency ([SQLite's \`PRAGMA synchronous\`](https://www.sqlite.org/pragma.html#pragma_synchronous):
a transaction committed in WAL mode with NORMAL "might roll back following a power loss or system
crash", and "transactions are durable across application crashes regardless of the synchronous
setting"). \`synchronous=FULL\` would add an fsync to every commit, which every ping of the batch and
every ping queued behind it would wait for: the fsyncs of this machine's disk took 1 to 40 ms
(\`strace -T\`), where a whole batch takes about a millisecond. The fsyncs left are the
checkpoints' (the WAL's pages copied back into the database file: fsync the WAL, copy, fsync the
database). SQLite runs one inside the commit that takes the WAL past 1,000 pages, so one batch in
about seventy waited for two fsyncs, and every request queued behind it: at 16 connections over
16 checks, 4 to 5% of the commits took over a millisecond and the longest 30 to 180 ms, most of
the p99 (\`sqlite.CommitProfile\`, wrk at 16 connections). Now a checkpointer goroutine with a
connection of its own runs a PASSIVE checkpoint every 64 commits (\`checkpoint.go\`), beside the
committer, which checkpoints itself only when the WAL reaches 32 MiB (a load that never pauses
can get there: a checkpoint that is always a few commits behind cannot let the WAL start over).

**The committer's time.** \`BenchmarkPingServer/checks=16\` (\`internal/httpapi/ping_bench_test.go\`:
the same handler, store and a 16-connection closed loop, a Go client, in one process, over 16
checks): ${pings_per_s:-?} pings/s, ${cpu_per_ping:-?} µs of CPU per ping (server and client
together), ${per_txn:-?} pings per transaction; over one busy check (\`checks=1\`)
${pings_per_s1:-?} pings/s, ${cpu_per_ping1:-?} µs, ${per_txn1:-?} pings per transaction. The
store's \`CommitProfile\`, over the 16-check run, per transaction: idle (waiting for the first
update) ${c_idle:-?} µs, gathering the batch ${c_gather:-?} µs, BEGIN and the guard ${c_begin:-?} µs,
the updates and their statements ${c_apply:-?} µs, COMMIT ${c_commit:-?} µs;
${c_slow:-?}% of the commits over a millisecond, the longest ${c_max:-?} ms. A ping waited
${c_queued:-?} µs for the committer to take it and ${c_waited:-?} µs in all until answered.
The committer is idle a large part of the time: with the connections in a closed loop, the
batches are as large as the requests that reach the store while the previous one commits, and
the wait is the HTTP work and the scheduling of 16 handlers and the client on 2 vCPUs.

The CPU profile of the same run (the server's goroutines, the committer's among them, carry the
profiler label \`side=server\`, so the client is cut out)${busy:+; it holds ${prof_samples} of CPU samples in ${prof_duration} on $(nproc) vCPUs: the process kept ${busy}% of the machine busy, ${server_samples} of it in the server}:

\`\`\`sh
go test -run '^\$' -bench 'PingServer/checks=16\$' -benchtime 5s -cpuprofile cpu.prof -o httpapi.test ./internal/httpapi/
go tool pprof -top -nodecount 15 -tagfocus side=server httpapi.test cpu.prof
go tool pprof -top -cum -nodecount 30 -tagfocus side=server httpapi.test cpu.prof
\`\`\`

Top entries by own time (server goroutines):

EOF
fenced "$work/pprof-flat.txt"
cat <<EOF

By cumulative time, where the ping spends it:

EOF
fenced "$work/pprof-cum.txt"
cat <<EOF

As CPU time per ping (each part's share of the samples times the ${cpu_per_ping:-?} µs per ping
the benchmark measured): the server's goroutines ${server_us:-?} µs, the Go client the rest. Of
the server's, the committer's transactions (\`sqlite.(*Store).commit\`) ${commit_us:-?} µs, their
COMMITs alone (\`database/sql.(*Tx).Commit\`: the WAL frames and the system calls that write them)
${txcommit_us:-?} µs; reading, routing and answering the HTTP requests with the ping logic
(\`net/http.(*conn).serve\` and below, not counting the wait for the commit) ${http_us:-?} µs. The
committer is one goroutine: at ${commit_us:-?} µs a ping it could carry ${commit_cap:-?} pings/s with
a core to itself; it is not what stops the throughput first.

**The pages a batch writes.** A commit costs two \`pwrite\`s per distinct page the transaction
changed, whatever the statements. \`BenchmarkBatchPages\` (\`internal/store/sqlite/pages_bench_test.go\`)
commits batches of success pings in wrk's steady state (every check past its 100 kept pings, so
that its history is trimmed as it goes) and reads the WAL back, naming each frame's table or index (SQLite's
\`dbstat\`):

\`\`\`sh
go test -run '^\$' -bench BatchPages -benchtime 200x ./internal/store/sqlite/
\`\`\`

EOF
bench_table batchpages "$work/loadgen" benchmd --params checks,batch \
  --cols 'frames/txn=WAL pages a transaction,frames/ping=a ping,autoindex_check_pings_1-pages/txn=index of pings (check_seq n),check_pings-pages/txn=pings rows,checks-pages/txn=checks rows,checks_due-pages/txn=due index,header-pages/txn=page 1,apply-µs/txn=apply µs,commit-µs/txn=COMMIT µs'
cat <<EOF

The ping path writes these b-trees: the \`check_pings\` table (its newest rows at the end; the
trimmed, oldest ones near the start), its primary key index \`(check_seq, n)\`, the \`checks\` row (its
state columns; \`checks_project\`, \`checks_slug\`, \`checks_badge_key\` and \`checks_seq\` do not
change, so SQLite leaves them alone), \`checks_due\` (\`alert_after\` moves with every ping), and
page 1 when the free list changes. Flips, rare, add the \`flips\` table and its two indexes.

Until data model 21 the index was \`(check_id, n)\`: every entry carried the check's 36-byte UUID
(about 50 bytes a cell), 16 checks' hundred-odd entries each filled some 30 leaves, and a batch of
6 pings to 6 checks changed 7.35 of them, 13.67 pages a transaction in all (16 checks, 6 a batch;
26.31 at 16 a batch; one check 7.95 and 11.10). Version 21 keys pings by \`checks.seq\`, an
integer (table \`check_pings\`; \`pings\` is a view of it for older builds): an entry is three small integers (check, number, rowid), a check's kept entries share
a leaf, and its insert and its trim change the same one (8.56 pages a transaction with the trim
as before, the index 2.79). The trim now deletes a check's history 16 pings at a time (when
\`n_pings\` minus the 100 kept reaches a multiple of 16; the readers show only the newest 100): 16
rows of one check are one index change instead of 16, and the table's pages that hold them are
written once for them, which took the table from 3.0 to 1.7 pages (chunks of 32 and 64
wrote more: 7.5 and 8.1). The table above is the result, against 13.67 before (16 checks, 6 a
batch). The committer alone, this benchmark at 16 checks and 6 a batch, 2,000 batches, three
runs of each side by side (2026-12-07 11:25 UTC, load average 4): COMMIT 159–168 µs a batch
before, 99–110 µs after; the updates and their statements 207–213 µs before, 177–194 µs after.
A larger page for new databases writes fewer frames, not fewer bytes: 8 KiB pages 5.64
frames (46 KiB) a transaction, 16 KiB 5.00 (82 KiB), against 7.32 of 4 KiB (30 KiB). Not adopted:
the benchmark's CPU time for 2,000 such batches (user and system, the setup subtracted, two runs)
was 1.21 s with 4 KiB pages, 1.33 s with 8 KiB and 1.77 s with 16 KiB, the kernel's share
growing with the bytes written; the checkpoints copy those bytes again, and every read of a
check or a ping reads a whole page. An existing database keeps its page size anyway (changing it
needs a \`VACUUM\` outside WAL mode).

**Where the CPU goes**, on \`overdue serve\` itself under wrk (16 connections, 16 checks), sampled
with \`perf record -F 1999 -g\` (2026-12-07 08:00 UTC, load average 9 to 10 from the other
engineers' builds; shares of the process's samples, kernel time included): the committer 45%
(the updates and their statements 22%, of which the ping inserts and trims 10% and the check
writes 7%; COMMIT 15%, 6% of it the \`pwrite\` system calls; BEGIN 3%), reading, routing and
answering the HTTP requests 30% (the ping handler itself 8%), the garbage collector's background
marking 7% and sweeping 1% (allocation, counted where it happens, another 8%), the checkpointer
2%, the sweep loop 1%, the scheduler 4%. At about 130 µs
of server CPU per request (the wrk table's column; the bare server's is 20 to 25 µs), two vCPUs
shared with wrk carry at most about 8,000 requests a second across 16 checks, and a quiet
machine's bare server does 40,000 to 50,000: the 30% target needs the server's CPU per ping under
about 100 µs.

**The garbage collector.** With a live heap of about 3 MB, Go's default pacing (collect when the
heap has doubled, never under 4 MiB) collected 21 times a second under wrk across 16 checks
(\`GODEBUG=gctrace=1\`: 105 collections in the run, an 8 MB goal, 12 to 13 ms of CPU each,
mostly background marking), and the committer, allocating, assisted. \`overdue serve\` now keeps
a heap floor (\`internal/gcfloor\`): after each collection it raises GOGC so that the next
comes when the heap reaches 32 MiB, while the live heap is under 16 MiB; a bigger live heap
keeps GOGC 100, and GOGC or GOMEMLIMIT in the environment turn the floor off. Same run, same
load: 13 collections instead of 105 (a 35 MB goal), server CPU per request 163 → 126 µs (16 MiB
floor: 33 collections, 149 µs). The price is memory: peak resident memory at 16 checks 39 → 82
MiB, with 100,000 checks 64 → 82 MiB (section 7's run, 2026-12-07 10:30, under load).

**What took 16 checks from 24% to 30% and over** (the profile above predates all three): the
heap floor; data model 21 (pings keyed by the check's integer key, history trimmed 16 at a
time), which took a 16-check batch's WAL pages from 13.7 to 7.3 and its commit from about 160
to 100–110 µs; and a fifth fewer allocations per ping (84 instead of 106 objects on the server:
shared header values, a body buffer of the declared size, a check's runs appended in place). On
a quiet machine the server's CPU per request across 16 checks went from 123 µs (24% of bare,
2026-12-07 10:15) to 99–114 µs; two \`make bench\` runs at 12:06 and 12:19 gave 31% and 32%.

EOF
cat <<EOF
## 2. DynamoDB cost per ping

\`\`\`sh
./scripts/with-moto.sh go test -run '^\$' -bench PingCapacity -benchtime 20x ./internal/store/dynamo/
\`\`\`

moto answers every request with a fixed ConsumedCapacity (0.5 for GetItem, 1 for PutItem, nothing
for transactions), so the store's \`Meter\` also models what DynamoDB bills from the item sizes by
its published rules (1 WCU per KB written, twice in a transaction; 0.5 RCU per 4 KB read
eventually consistent; an index key change is a delete plus a put). The modelled numbers are the
ones that count; moto's are in the raw output as \`moto-RCU/op\` and \`moto-WCU/op\`.

EOF
bench_table pingcap "$work/loadgen" cost --checks 1000 --every 1m --sweep-per-ping "${sweep_per_ping:-0}"
cat <<'EOF'

Text bodies are compressed before they are stored and fit one write unit; 1 KB of random bytes
does not compress. A ping with no body costs the same as a text one (the check and ping items
each stay under 1 KB).

Price assumptions: DynamoDB on-demand, Standard table class, us-east-1, as published after the
November 2024 reduction: $0.625 per million write request units and $0.125 per million read
request units (one read unit is one strongly consistent read of up to 4 KB, or two eventually
consistent ones, so the RCU above are read units one for one); a month is 730 hours. Not
included: storage ($0.25 per GB-month after the first 25 GB: 100 pings of about 300 bytes per
check is some 30 MB for 1,000 checks), point-in-time recovery, the stream (reads by Lambda
triggers are free), Lambda and API Gateway. Check the prices at
https://aws.amazon.com/dynamodb/pricing/on-demand/ before relying on them.

With the exact due index of data model 18 a success ping cost 4.5 CU: read the check (0.5),
write it (1), write the ping (1), and move its due-index entry, which DynamoDB bills as a delete
and a put (2). Data model 20 (README, "Versions 19 and 20") sweeps a **bucketed due index**
instead: keys only, sorted by the start of a bucket that holds the deadline; the exact
`AlertAfter` stays on the check item, outside the index. DynamoDB writes an index entry only when
the item's index keys change, so a ping that keeps the deadline in its bucket costs 0.5 + 1 + 1 =
**2.5 CU**; one that moves it into another bucket, or in or out of the index, 4.5. The sweep reads
every check whose bucket has begun (0.5 RCU each, BatchGetItem), flips only those whose exact
`AlertAfter` has passed, and remembers the others for its own later calls and its timers at the
same instant: alert times stay exact, and what the bucket saves on pings the sweep pays in reads
of candidates not yet due.

Which bucket is cheaper depends on the check. A check pinged every P with grace G, on time, has
its deadline between G and P + G ahead; the sweep runs every minute. In a bucket as wide as G it
is never a candidate before it is due (its deadline is always in a later bucket than now), and
the entry moves whenever the deadline crosses into the next bucket: on every ping when P >= G,
on one ping in G / P otherwise. In a one-hour bucket it moves once an hour, but it is a candidate
in every sweep of the hour but the last (P + G) or so: 0.5 RCU a sweep, so about 0.5 · P / 1 min
per ping. A move costs what four candidate reads do, so the store takes the hour when both G and
the time between pings are under four minutes, and a bucket as wide as G otherwise (`due.go`).
A check with a late channel (data model 18, "late notices") is due at its expected time, P after
its ping, not at the end of the grace, and its next ping comes just then: in any bucket it is a
candidate from the bucket's start to the deadline. The store gives it the hour when P is under
four minutes (it is then a candidate in nearly every sweep, 0.5 RCU a minute, against 2 WCU a
ping for moving) and otherwise a bucket of one second, which is the exact index again: 4.5 a
ping, never a candidate. Computed per shape, without a request (2,000 pings at an odd phase,
sweeps on the minute):

```sh
go test -run '^$' -bench DueShapes -benchtime 1x ./internal/store/dynamo/
```

EOF
bench_table dueshapes "$work/loadgen" benchmd --params every,grace,late \
  --cols 'bucket-s=bucket (seconds),ping-CU=CU on the ping,sweep-RCU/ping=sweep RCU per ping,CU/ping=total CU per ping,exact-CU/ping=CU per ping before (exact index)'
cat <<'EOF'

Per ping kind: **success** as above; **start**, 2.5 when start + grace falls in the deadline's
bucket, else 4.5 (a daily job wrapped by runitor: its start moves the deadline to within the
grace and its success moves it back, 4.5 each, as before); **log** and a **fail on a check already
down**, 2.5 (no deadline moves); a **flip**, unchanged (the transaction with the flip item, 8.5:
the entry leaves or enters the index either way). The monthly table's start row is the
benchmark's start, repeated every minute on its own; a start before each success of a daily job
costs 4.5 for each of the two, as before.

Where the target is met and where not: checks pinged every minute or more often, and checks
whose grace is several times their period, cost 2.5–2.9 CU on the ping and at most 3.03 with the
sweeps' reads; checks pinged every few minutes or less often with a grace no longer than their
period, and such checks with a late channel, still cost 4.5. For those no bucket helps while the
sweep runs every minute: a bucket no wider than G moves on every ping (2 WCU), and a wider one is
read by the sweeps that fall in it before the deadline, up to P / 1 min of them a ping, 0.5 RCU
each: 2 RCU a ping or more once P reaches four minutes. (A check pinged hourly or daily sends one such ping an hour or a day.)

What the contract costs once: a write of each check leaves the exact index (DynamoDB bills the
entry's delete, 1 WCU, at its first write after version 20); the back-fills read each check in
the due index (1 RCU, strongly consistent) and write the wrong ones (1 WCU plus the index's 1 or
2). Until then (data at 19) every write keeps both keys, so a ping costs 2 WCU more than the
table above whenever its exact deadline moves, and each sweep queries both indexes.

EOF
cat <<EOF
## 3. Sweep scale

How long one sweep takes (SQLite) and what it reads and writes (DynamoDB) over 1,000, 10,000 and
100,000 checks of which 1% are overdue. One sweep is \`sweep.Sweeper.Run\`: read the due checks
from the store's due index, then one read-modify-write with a flip for each. The checks are
simple checks, all up; the overdue ones went down between minutes and hours ago, the others go
down within the next two hours. Between measured sweeps the flipped checks are put back as they
were, off the clock, so every sweep finds the same due checks.

### SQLite: time

\`\`\`sh
go test -run '^\$' -bench '^BenchmarkSweep\$' ./internal/sweep/
\`\`\`

EOF
bench_table sweep "$work/loadgen" benchmd --params checks,due --cols 'ns/op=time per sweep,us/due-check=µs per due check'
cat <<'EOF'

The last row has the table of the third and the due checks of the first, and its sweep takes
about as long as the first row's: the time follows the due checks, not the table. Each due check
costs one SQLite write transaction (load, update, insert the flip), whatever the table's size;
finding them is one query of a partial index on `alert_after` that holds only checks that can go
down. (The time per due check moves with the machine's load more than with the table's size.)

### DynamoDB: capacity

```sh
./scripts/with-moto.sh go test -run '^$' -bench SweepCapacity -benchtime 1x ./internal/store/dynamo/
```

EOF
bench_table sweepcap "$work/loadgen" benchmd --params checks,due --note how \
  --cols 'DueChecks/op=DueChecks calls,requests/op=requests,find-RCU/op=RCU to find,flip-RCU/op=RCU to flip,flip-WCU/op=WCU to flip,RCU/op=RCU,WCU/op=WCU,model-RCU/op=model RCU,model-WCU/op=model WCU'
cat <<'EOF'

What was measured and what was computed:

- **1,000 and 10,000 checks: measured** on moto with the store's `Meter`, every request the
  sweep makes. The checks are seeded with BatchWriteItem. At 10,000 the flips' transactions run
  against a copy of the due checks in a table of their own, and each flipped check is copied back
  unmetered: moto deep-copies the whole table for every TransactWriteItems, which made the 100
  flips over 10,000 items take six minutes. A flip's capacity depends only on the sizes of the
  items it reads and writes, which are identical in both tables; `DueChecks` runs against the
  full table.
- **100,000 checks: computed**, not run (seeding 100,000 items into moto takes minutes, and
  moto's index queries scan the table). The model (`sweepModel` in
  `internal/store/dynamo/sweep_bench_test.go`): the sweep calls `DueChecks` until it returns
  fewer than its batch of 100, so 1,000 due checks take 11 calls; each call queries all 16 shards
  of the keys-only due index (one page each: the entries' sizes summed, 0.5 RCU per 4 KB, at
  least 0.5) and fetches its batch with BatchGetItem (0.5 RCU per check); each flip costs what
  one flip cost in the measured 1,000-check sweep. The model columns of the measured rows are
  the same model at their sizes, and agree with the measurement.

Cost follows the due checks: 16 shard queries (8 RCU) per `DueChecks` call whatever the table
holds, 0.5 RCU to fetch each due check and one flip each. Since data model 20 the index is keyed
by buckets (section 2), and a check whose bucket has begun but that is not due yet is read too,
once a sweep: none here (the checks have an hour's grace, so buckets of an hour that begin after
now), all but a few of the checks pinged every minute with a minute's grace (the timers' table
below, `sweep: RCU`).
Reading every check instead would cost 0.5 RCU per check per sweep (50,000 RCU at 100,000
checks). `TestSweepCapacity` pins the find part: over 2,000 checks with 20 overdue, one
`DueChecks` is 17 requests and 18 RCU.

A flip is 6 WCU as DynamoDB bills it: TransactWriteItems of the check and the flip, 2 each, plus
the bucketed due index's delete and the unprocessed index's put, 1 each (7 before data model 20,
when the entry left both due indexes). It reads 1.6 RCU as measured here, 0.5 of them the check's
eventually consistent read.

EOF
cat <<EOF
## 4. Alert latency

From the moment a check is due to the notifier's send call, on \`overdue serve\`:

\`\`\`sh
go build -o /tmp/overdue ./cmd/overdue && go run ./cmd/loadgen alert --overdue /tmp/overdue --intervals 2s,500ms --checks 12
\`\`\`

\`loadgen alert\` starts \`overdue serve --interval 2s\` (the default) and \`--interval 500ms\` side by
side, creates 12 checks in each with a one-minute grace time (the API's minimum), and sends each a
\`/start\` ping, 173 ms apart, so that their due moments (start + grace) fall at every phase of the
sweep loop. It reads serve's log for the sweep's \`check went down\` line (the flip is written) and
its console for the \`DOWN | <name>\` alert (the console notifier's send call), and times both from
the moment the check was due (the middle of the start ping's request, plus the grace time).

EOF
md alert
cat <<'EOF'

In `overdue serve` one loop sweeps and then runs the notifier, every interval. A due check waits
up to one interval for the sweep (due → flip: uniform between 0 and the interval, plus the sweep's
own time), and the flip the sweep writes is delivered in the same round (flip → alert: a few
milliseconds). So an alert comes at most one interval after the check was due: up to 2 s at the
default `--interval 2s`. (When the sweep and the notifier ran as two loops on separate tickers,
the notifier often read the outbox just before the sweep wrote the flip, and the alert waited a
whole further interval: up to 4 s. The column "alerts that waited a further interval" counts
that case.)

The work itself, without the waits (a pinned clock; one sweep over 1,000 checks with 1 or 10 of
them due, then one notifier run; `first-alert` is from the start of the sweep to the first
notifier call):

```sh
go test -run '^$' -bench AlertPath -benchtime 100x ./internal/sweep/
```

EOF
bench_table alertpath "$work/loadgen" benchmd --params checks,due --cols 'ns/op=sweep + dispatch,first-alert-us=first alert after (µs)'
cat <<'EOF'

### On AWS: precise timers

Each minute's sweep arms a timer for every check due in the next 90 s: an SQS message delayed
until the deadline (`DelaySeconds`, rounded up to the second); the queue's event source mapping
hands it to the timer function, which re-reads the check and flips it (README, "Alerts within
seconds"). By design, a check goes down **0–1 s** (the rounding) plus the mapping's pickup (long
polling: typically well under a second) plus one invocation (a read and a transaction, tens of
milliseconds warm) after its deadline: about 1–2 s, alarmed (`TimerLag`) past 5 s. A timer that is
lost is caught by the next sweep: at most 60 s (plus the sweep's lag). Without timers, the sweep
alone noticed a deadline 0–60 s late, 30 s on average.

Measured on the emulator: the sweep's and the timer function's real bootstraps under the Lambda
Runtime Interface Emulator, the queue and the table on moto, wall-clock time, checks due 3 s after
the sweep; the test receives the message (long polling, as the mapping does) and invokes the timer
function with it. moto's delay and receive stand in for SQS's: a real queue's pickup is not
measured here (no AWS account on this machine).

```sh
./scripts/with-moto.sh go test -count=5 -run TestTimersUnderEmulator -v ./functions/rie/
```

| deadline → message received | the function's `TimerLag` | deadline → flip written |
|---:|---:|---:|
EOF
md timerrie
cat <<'EOF'

What a thousand due checks cost through the timer path, DynamoDB measured on moto with the
store's `Meter` (2,000 checks, 1,000 due within the lookahead):

```sh
./scripts/with-moto.sh go test -run '^$' -bench TimerCapacity -benchtime 1x ./internal/store/dynamo/
```

EOF
bench_table timercap "$work/loadgen" benchmd \
  --cols 'sweep-RCU=sweep: RCU,arm-requests/1k=arm: requests per 1k,arm-RCU/1k=arm: RCU per 1k,fire-requests/timer=fire: requests,fire-RCU/timer=fire: RCU,fire-WCU/timer=fire: WCU,stale-requests/timer=stale: requests,stale-RCU/timer=stale: RCU'
cat <<'EOF'

`sweep` is the sweep itself, finding nothing due: these checks ping every minute with a
minute's grace, so their buckets are an hour and most of them have begun; each such check is read
once a sweep (section 2). `arm` is what arming adds to a sweep: the keys of the buckets that
begin within the window, and the checks they name; the checks of buckets already begun the
sweep has just read, and arming reads none of them again. `fire` is one timer that flips its
check: a strongly consistent read, then the sweep's own read-modify-write with the flip, whose
writes (6 WCU as DynamoDB bills them; section 3) the sweep would make a minute later anyway. `stale` is a timer whose check pinged since, went down or was
armed twice: one read. Requests above 3 per flip are the project's maintenance windows (one query
per timer) and the badge lookup that a check seeded without one gets written at its first update.

Cost per thousand due checks (us-east-1 list prices; free tiers ignored), arming about 1.5 timers
per deadline (the 90 s windows of consecutive sweeps overlap by 30 s):

| part | per 1,000 due checks | price | cost |
|---|---:|---:|---:|
| SQS SendMessageBatch (10 timers a request) | 150 requests | $0.40 / million | $0.00006 |
| SQS receive and delete by the mapping (about one of each per timer when deadlines are spread out) | 3,000 requests | $0.40 / million | $0.0012 |
| Lambda invocations of the timer function | 1,500 | $0.20 / million | $0.0003 |
| Lambda duration (128 MB arm64, ~30 ms each) | 5.6 GB-s | $0.0000133 / GB-s | $0.00008 |
| DynamoDB reads (arm 7 RCU; 4 RCU per flip, 1 per duplicate) | ~4,400 RCU | $0.125 / million | $0.0006 |
| **total** | | | **≈ $0.002** |

About $2 per million due checks. Pings cost nothing here: a ping writes the check as before and
never touches the queue (per million pings: $0). Fixed: the mapping's idle long polling, a few
ReceiveMessage requests a minute per poller (≈ $0.30 a month), whether or not checks come due.

**Why SQS and not EventBridge Scheduler one-time schedules.** Scheduler costs $1.00 per million
invocations (after 14 million free a month), in the same range; but a one-time schedule is a
resource per deadline that must be created (`CreateSchedule`: one API call per timer, no batch
call, 50 per second by default in a region, so a minute with 5,000 due checks would be
throttled), deleted or left to expire (`ActionAfterCompletion`), and named, so that arming the
same deadline twice is a conflict to handle; and its `at()` expression takes seconds, but AWS
documents no sub-minute invocation precision for it, which is the point here. A delayed SQS
message is one entry of a batch request and needs no cleanup; a duplicate is harmless by design
(the conditional write); a failed one is retried and dead-lettered by the queue. Its limit, a
15-minute delay, is far above the 90 s lookahead.
EOF
cat <<EOF

## 5. Lambda footprint

\`\`\`sh
make bench   # or, with DIR/arm64/<fn>/bootstrap and DIR/host/<fn>/bootstrap built with the flags below,
             # and the table created and migrated on that moto (overdue table create, overdue migrate up):
./scripts/with-moto.sh go run ./cmd/loadgen coldstart --arm64 DIR/arm64 --host DIR/host --runs 10 ${functions[*]}
\`\`\`

Sizes are of each \`bootstrap\` built as \`make build\` builds it (linux/arm64, CGO off,
\`-tags lambda.norpc -trimpath -ldflags='-s -w'\`); "zipped" is the same file deflated at the
default level, as the deployment zip stores it. The ready time is measured on this machine with
the same code built for it (linux/${host_arch}, same flags): \`loadgen coldstart\` starts the
bootstrap with a Lambda environment (\`AWS_LAMBDA_RUNTIME_API\` pointing at a fake runtime API on
loopback, \`TABLE_NAME\` a table created and migrated on moto, \`AWS_ENDPOINT_URL\` moto) and takes
the time from exec to its first \`GET /2018-06-01/runtime/invocation/next\`, which the aws-lambda-go
runtime sends once \`main\` has read its configuration, built its clients and handed over the
handler. That includes the Go runtime's start, package initialisation (the AWS SDK's is most of
it), and for the functions that check the data model at start, one GetItem on moto over
loopback. One unmeasured start warms the page cache first; then 10 measured starts. On Lambda
add the sandbox's own start and the download of the zip, a real DynamoDB round trip (a few ms in
the region), and arm64 instead of this CPU.

EOF
md coldstart
cat <<'EOF'

## 6. Dashboard pages

```sh
go test -run '^$' -bench DashboardPages -benchtime 20x ./internal/web/
```

Server time of the dashboard's pages (issue 14's target: under 50 ms for a project of 1,000
checks on SQLite). One project of 1,000 simple checks, each with 20 pings (10 runs: start, then
success, or for every third check every fifth run a failure). Each page is served by the pages'
handler into an `httptest.ResponseRecorder`: session lookup, membership, the store's reads,
status and next-ping computation, the run strips and the template, to the last byte; not the
network or the browser. The wall time includes waiting for a core on a shared machine; the CPU
time is the process's user + system time per page, which that inflates less. The garbage
collector runs as in `overdue serve`, with its heap floor (section 1, `internal/gcfloor`):
with Go's default pacing the page collected every few megabytes of its ~3 MB of output and
rows, a third of its CPU (2026-12-07, quiet: 49–56 ms a page, 67–76 ms CPU, against 41.5 ms
and 43 ms CPU with the floor's GOGC).

EOF
bench_table dashboard "$work/loadgen" benchmd --params page,rows \
  --cols 'ms/page=time per page (ms),cpu-ms/page=CPU per page (ms)'
cat <<'EOF'

Each check keeps its newest 20 runs (outcome and duration) with it (data model 13, README
"Version 13"), written by the ping's own update, so the checks page draws every strip from the
one query that lists the checks, instead of one `store.Pings` query per check (1,000 queries,
about half of the page's CPU before). From a CPU profile of the page (`-cpuprofile`, focus
`handleChecks`; 2026-12-07, a run at 42 ms of CPU per page): about 24 ms is the template (mostly
`html/template`'s escaper and function calls through reflection, some twenty per row), about
8 ms the store's listing of 1,000 checks (scanning 40 columns a row and their channel lists),
about 8 ms the strips, the rest statuses and next-ping times. The strips are drawn with
`strconv` appends, and the status icon and `<time>` markup built once in Go, from fixed strings
and formatted numbers, not chosen by the template per row. Left: the template's per-row cost
(names, slugs and tags must stay escaped by the template engine) and the listing's row scan; the
filtered page pays the whole listing (1,000 rows scanned, 100 shown).
EOF
cat <<EOF

## 7. 100,000 checks and 10 million pings on \`overdue serve\`

\`\`\`sh
go build -o /tmp/overdue ./cmd/overdue && go run ./cmd/loadgen scale --overdue /tmp/overdue --duration ${DURATION} --repeat 3
\`\`\`

Issue 18 asks what \`overdue serve\` needs with 100,000 checks and 10 million stored pings.
\`loadgen scale\` (\`cmd/loadgen/scale.go\`, \`scalegen.go\`) builds that data set in a data
directory made by serve's own first start: 100 projects of 1,000 simple checks (timeout and grace
one hour), each with 100 kept pings (what serve keeps): 50 hourly runs of a \`/start\` and a
success with a 33-byte body, the newest within the last half hour, so that nothing is due while
serve runs, except for 1% of the checks, whose newest ping is about an hour old: they, and only
they, are due 90 minutes after the data set was made. Then:

- **The sweep**, in process on that database with the clock pinned (\`sweep.Sweeper.Run\` on the
  SQLite store, as serve's loop calls it, without the ingestion guard): at the moment the 1% are
  due, each sweep flipping them (put back, off the clock, between sweeps), and at the time of
  generation, when nothing is due, which is what serve's loop does every 2 s.
- **\`overdue serve\`** started on it (default flags, \`--interval 2s\`) and, side by side, on an
  empty data directory with 16 checks created through the API: the time from exec to its
  \`listening on\` line (opening the store, the data-model guard, the canary), resident memory
  from \`/proc/<pid>/status\` after two sweep rounds idle (VmRSS), sampled every 50 ms under
  wrk's load, after it, and at its peak (VmHWM); the database and WAL files after the load.
- **The API and the dashboard**: a project's checks (\`GET /api/v3/checks/\`, 1,000 checks) and
  one check's pings (\`GET /api/v3/checks/<uuid>/pings/\`); the checks page of that project and
  the check's details page, signed in as the project's owner (a user and a session made with the
  account service when the data set is built); each timed to the last byte over loopback, serve's
  whole answer (section 6 times the pages' handler alone, in process).
- **Pings** with wrk as in section 1 (\`wrk -t1 -c16\`, a 33-byte POST to \`/ping/<uuid>\`), one busy
  check, and round robin over all 100,000 checks (each ping then loads a check that no recent
  ping touched, and trims its oldest ping), against the empty server's one check and 16 checks;
  the two servers take turns, three runs each, after one unmeasured second each.

**How the data set is written.** Ten million \`UpdateCheck\` calls would take most of an hour
here, so the store writes what carries meaning and the bulk is a copy of what it wrote: one
template check gets its 100 pings through \`store.UpdateCheck\` and \`check.ApplyPing\`, as the
ping handler records them; every other check's state is computed by the same \`ApplyPing\` over
the same signals at its own times and written with \`store.CreateCheck\`; its pings are the
template's rows copied by one \`INSERT … SELECT\` per 10,000 checks, which names only the two
columns it changes (\`check_seq\`, the check's integer key, and \`created\`, moved by the check's shift) and copies every
other column the table has, so it cannot drift from the store's schema. The copy writes the pages
once, without the WAL (a rollback journal, \`synchronous=OFF\`: nothing else has the file open;
serve's store puts the WAL back when it opens it). Every 997th check is then read back through
the store (\`Check\`, \`Pings\`, \`Ping\` with its body) and compared with the template's state and
pings, shifted; every project's list and the due checks too. "Built in" is all of that;
\`TestGenerate\` (\`cmd/loadgen/scalegen_test.go\`) checks a small one through the store, and that
after the next real ping the oldest is no longer listed.

The database was just written, so it is in the operating system's page cache: the times are
those of a warm server, and the resident memory is the process's own (SQLite's page cache of
each connection is part of it; the file's pages in the kernel's cache are not).

EOF
md scale
cat <<'EOF'

What it shows. Memory does not follow the data: the server on 100,000 checks and 10 million
pings idles at the empty server's resident memory and stays within a few tens of MiB of it under
load (every request reads the database; each SQLite connection's page cache is bounded). The
database holds about 145 bytes per kept ping (the row, its 33-byte body and the primary-key index
on `(check_seq, n)`; 220 bytes before data model 21, whose index entries carried the check's
36-byte UUID, as did the rows): some 1.4 GB for 10 million. The start takes as long as on an
empty directory.
A sweep with nothing due, serve's every 2 s, reads an empty range of the partial due index: a
few milliseconds at most whatever the table holds. A sweep that finds 1,000 checks due costs what
section 3 measured per due check, one write transaction each, in sequence: most of a second on
this machine, added to the wait for the next sweep when a thousand checks go down at once. The
checks page reads the project's checks and no pings (each check keeps its run strip), so its
time follows the project's checks, not the pings; the details page reads one check's newest
pings through the primary key. Pings round robin over 100,000 checks are slower than over 16:
each loads a check row, and one in 16 trims its check's 16 oldest pings, from pages no recent
ping touched, and a group-commit
batch touches as many checks as it holds pings.

**Migrating this data set to data model 21** (measured by hand, not by this script: the data set
is built by a build of version 20, \`loadgen scale\` at 768cdc3, and migrated by \`overdue migrate
up --data DIR\` of the build that brought version 21; 2026-12-07 10:57 UTC, load average 3 to 6
from the other engineers' builds): 57 s in all (50 s of CPU; 2 min 26 s at load 11 to 17), the
backup (\`overdue.db.bak-v20\`, \`VACUUM INTO\`, 2.1 GB, and its \`quick_check\`) included. The data
directory peaked at 7.1 GB, 3.3 times the 2.17 GB database: the backup, the new table written
beside the old one, and the WAL, which holds the new table until the checkpoint at the end. The
pings took 2.10 GB before (table 1.57 GB, index 0.54 GB) and 1.37 GB after (1.21 and 0.16); the
file ends at 3.54 GB, 2.1 GB of it free pages (the old table's), which SQLite reuses for new
rows but does not give back without a \`VACUUM\`.
EOF
} >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
log "done in $((elapsed / 60)) min $((elapsed % 60)) s: $OUT"
