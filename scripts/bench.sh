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
  log "DynamoDB sweep capacity (BenchmarkSweepCapacity, on moto)"
  step sweepcap $GO test -run '^$' -bench SweepCapacity -benchtime 1x ./internal/store/dynamo/
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

log "CPU profile of the ping path at 16 connections (BenchmarkPingServer)"
step pingserver $GO test -run '^$' -bench PingServer -benchtime 5s -cpuprofile "$work/cpu.prof" \
  -o "$work/httpapi.test" ./internal/httpapi/
if [ -s "$work/cpu.prof" ]; then
  $GO tool pprof -top -nodecount 15 -tagfocus side=server "$work/httpapi.test" "$work/cpu.prof" 2>/dev/null \
    | sed -n '/flat%/,$p' >"$work/pprof-flat.txt" || true
  $GO tool pprof -top -cum -nodecount 25 -tagfocus side=server "$work/httpapi.test" "$work/cpu.prof" 2>/dev/null \
    | sed -n '/flat%/,$p' >"$work/pprof-cum.txt" || true
  $GO tool pprof -top -nodecount 1 "$work/httpapi.test" "$work/cpu.prof" 2>/dev/null \
    | sed -n 's/^Duration: \(.*\), Total samples = \([^ ]*\).*/\1 \2/p' >"$work/pprof-total.txt" || true
fi

log "sweep time on SQLite (BenchmarkSweep; seeding 100,000 checks takes a while)"
step sweep $GO test -run '^$' -bench '^BenchmarkSweep$' -timeout 20m ./internal/sweep/
log "sweep and dispatch in process (BenchmarkAlertPath)"
step alertpath $GO test -run '^$' -bench AlertPath -benchtime 100x ./internal/sweep/

log "alert latency end to end: overdue serve at --interval 2s and 500ms (a minute and a bit)"
step alert "$work/loadgen" alert --overdue "$work/overdue" --intervals 2s,500ms --checks 12

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
busy="" share_update="" share_commit=""
if [ -n "${prof_samples:-}" ]; then
  busy=$(awk -v s="$(seconds "$prof_samples")" -v d="$(seconds "$prof_duration")" -v n="$(nproc)" \
    'BEGIN { if (d > 0) printf "%.0f", 100 * s / (d * n) }')
  serve_s=$(cum_of 'net/http.(*conn).serve')
  share_update=$(awk -v a="$(cum_of 'sqlite.(*Store).UpdateCheck')" -v b="$serve_s" 'BEGIN { if (b > 0) printf "%.0f", 100 * a / b }')
  share_commit=$(awk -v a="$(cum_of 'database/sql.(*Tx).Commit')" -v b="$serve_s" 'BEGIN { if (b > 0) printf "%.0f", 100 * a / b }')
fi
pings_per_s=$(sed -n 's/.* \([0-9.]*\) pings\/s.*/\1/p' "$work/pingserver.out" 2>/dev/null | head -n 1)

"$work/loadgen" cost --checks 1000 --every 1m <"$work/pingcap.out" >"$work/pingcost.md" 2>/dev/null || true

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
grep -h '^- ' "$work/ping.out" 2>/dev/null || echo "- Ping throughput and p99: not measured this time (section 1 says why)."
cost_verdict=$(grep -h '^\*\*Target' "$work/pingcost.md" 2>/dev/null | sed 's/^\*\*Target: \(.*\)\*\*$/\1/' || true)
echo "- DynamoDB cost per ping: ${cost_verdict:-not measured this time (section 2 says why).}"
cat <<EOF
- Sweep: cost follows the number of due checks, not the number of checks, on SQLite (time) and
  on DynamoDB (capacity): section 3.
- Alert latency and Lambda footprint have no target; sections 4 and 5 give the numbers.

## 1. Ping throughput and latency, locally

\`\`\`sh
go build -o /tmp/overdue ./cmd/overdue && go run ./cmd/loadgen ping --overdue /tmp/overdue --conns 1,16,64 --duration ${DURATION} --repeat 3
\`\`\`

\`loadgen ping\` starts \`overdue serve\` on a new SQLite data directory (\`--addr 127.0.0.1:0\`, the
default 2 s sweep interval), creates one check per connection through the management API, and a
bare \`net/http\` server (\`loadgen bare\`: reads the body, answers \`OK\`, with serve's timeouts).
At each connection count it runs the bare server, then overdue, three times over: every
connection is a keep-alive connection that POSTs a 33-byte text body to its own check's
\`/ping/<uuid>\` and sends the next ping as soon as the answer is read (closed loop), for
${DURATION} after a 1 s warm-up, at most 2,000,000 requests. Throughput is the median of the three
runs (the range beside it); latency is per request, from send to the last byte of the answer,
over the requests of all three. The load generator runs on the same $(nproc) vCPUs as the
server, so the bare server's figure is the ceiling of this machine with this client, not of
\`net/http\`; and other engineers' builds share the machine (the last column), which moves the
latencies most.

EOF
md ping
cat <<EOF

### What limits it

Every ping is a write: overdue loads the check, applies the ping, updates the check, inserts the
ping and trims the check's history in one SQLite transaction. SQLite has one writer at a time,
and the store sends every write through a single connection (\`internal/store/sqlite\`: BEGIN
IMMEDIATE on a pool of one), so pings are served one transaction after another however many
connections send them: throughput is one over the time a ping holds the write connection, and
extra connections only queue (at 64 connections the queue shows in p99). Each commit appends the
changed pages (check row, ping row, their index pages) to the WAL, one \`pwrite\` per page; with
\`synchronous=NORMAL\` there is no fsync per commit. The bare server has no such serial section.

The profile below is of \`BenchmarkPingServer\` (\`internal/httpapi/ping_bench_test.go\`): the
same handler, store and 16-connection closed loop in one process, ${pings_per_s:-?} pings/s. The
server's goroutines carry the profiler label \`side=server\`, so the client is cut out.
${busy:+The profile holds ${prof_samples} of CPU samples in ${prof_duration} on $(nproc) vCPUs: the process (server and client together) kept ${busy}% of the machine busy.}

\`\`\`sh
go test -run '^\$' -bench PingServer -benchtime 5s -cpuprofile cpu.prof -o httpapi.test ./internal/httpapi/
go tool pprof -top -nodecount 15 -tagfocus side=server httpapi.test cpu.prof
go tool pprof -top -cum -nodecount 25 -tagfocus side=server httpapi.test cpu.prof
\`\`\`

Top entries by own time (server goroutines):

EOF
fenced "$work/pprof-flat.txt"
cat <<EOF

By cumulative time, where the ping spends it:

EOF
fenced "$work/pprof-cum.txt"
cat <<EOF

Reading them: \`sqlite.(*Store).UpdateCheck\`, the ping's transaction, is ${share_update:-?}% of
the server's CPU time (\`net/http.(*conn).serve\` and below), and its commit alone
(\`database/sql.(*Tx).Commit\`: appending the WAL frames, \`walWriteOneFrame\`, and the system
calls that write them, \`linux.Syscall6\` under \`modernc.org/libc\`) ${share_commit:-?}%. Reading and
writing HTTP, routing and the ping logic share the rest. Raising overdue's share of the bare
server means fewer serialised writes per ping, not faster HTTP: committing the pings that queue
up for the write connection together, in one transaction (group commit), would divide the
commit among them.

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
bench_table pingcap "$work/loadgen" cost --checks 1000 --every 1m
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

The floor for a success ping with an exact due index is 4.5 CU: read the check (0.5), write it
(1), write the ping (1), and move its due-index entry, which DynamoDB bills as a delete and a put
(2). Getting under 4 means letting the index lag the real due time (bucketing AlertAfter), which
either alerts late or makes the sweep re-read checks that are not due yet; for a monitor, neither
is worth half a unit.

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
holds, 0.5 RCU to fetch each due check and one flip each; nothing for checks that are not due.
Reading every check instead would cost 0.5 RCU per check per sweep (50,000 RCU at 100,000
checks). `TestSweepCapacity` pins the find part: over 2,000 checks with 20 overdue, one
`DueChecks` is 17 requests and 18 RCU.

A flip is counted at 0.5 RCU (the eventually consistent read of the check) and 8 WCU
(TransactWriteItems of the check and the flip, 2 each, plus the due-index delete and the
unprocessed-index put, 1 each, is 6). The other 2 WCU are the `Meter` pricing the absent ping of
a flip without one as a 1 KB transactional write (`writeCheck` adds `writeCost(nil, ping, true)`
when `ping` is nil); DynamoDB would bill 6 WCU per flip, so the WCU columns are a quarter high.

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
} >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
log "done in $((elapsed / 60)) min $((elapsed % 60)) s: $OUT"
