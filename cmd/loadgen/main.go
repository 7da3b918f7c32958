// Command loadgen runs the measurements of scripts/bench.sh that need real processes, and
// prints each as a markdown table for BENCHMARKS.md:
//
//	loadgen ping --overdue bin/overdue [--conns 1,16,64] [--duration 5s]
//	    ping throughput and latency of `overdue serve` on SQLite against a bare net/http
//	    server, POSTing small pings over keep-alive connections
//	loadgen wrk --overdue bin/overdue [--checks 1,16] [--conns 16,64] [--duration 5s]
//	    the same, measured by wrk (an external load generator; apt-get install wrk), one busy
//	    check and pings spread over 16 checks, against the bare server in the same run
//	loadgen scale --overdue bin/overdue [--projects 100] [--checks-per-project 1000] [--pings 100]
//	    `overdue serve` with 100,000 checks and 10 million kept pings: the time to build them,
//	    database size, start time, resident memory, sweep time, API, pages and pings (wrk)
//	loadgen alert --overdue bin/overdue [--intervals 2s,500ms] [--checks 12]
//	    time from the moment a check is due to the console notifier's alert, end to end
//	loadgen coldstart --arm64 DIR --host DIR [--runs 10] FUNCTION...
//	    size of each Lambda bootstrap, and the time from exec to its first poll of a fake
//	    Lambda runtime API
//	loadgen cost [--checks 1000] [--every 1m] < BenchmarkPingCapacity-output
//	    DynamoDB capacity per ping kind, and the monthly cost of a fleet at on-demand prices
//	loadgen benchmd [--params K,…] [--cols UNIT=HEADER,…] < go-test-bench-output
//	    `go test -bench` output as a markdown table
//	loadgen bare
//	    the bare server itself (loadgen ping starts it)
//
// It is a benchmark, not a test: nothing fails because the machine is slow. Everything it
// starts listens on loopback and everything it sends goes to loopback; every load is bounded
// in time and in requests, and every process it starts it stops, by PID.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

const usage = "usage: loadgen ping|wrk|scale|alert|coldstart|cost|benchmd|bare [flags] (see the package documentation)"

func run(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%s", usage)
	}
	switch args[0] {
	case "ping":
		return cmdPing(ctx, args[1:], stdout)
	case "wrk":
		return cmdWrk(ctx, args[1:], stdout)
	case "scale":
		return cmdScale(ctx, args[1:], stdout)
	case "alert":
		return cmdAlert(ctx, args[1:], stdout)
	case "coldstart":
		return cmdColdStart(ctx, args[1:], stdout)
	case "bare":
		return cmdBare(args[1:], stdout)
	case "cost":
		return cmdCost(args[1:], stdin, stdout)
	case "benchmd":
		return cmdBenchMD(args[1:], stdin, stdout)
	}
	return fmt.Errorf("unknown command %q; %s", args[0], usage)
}
