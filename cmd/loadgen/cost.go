package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

// pingKinds are the rows of the cost table: BenchmarkPingCapacity's case names and how the
// table calls them.
var pingKinds = []struct{ name, label string }{
	{"success", "success, no flip"},
	{"start", "start"},
	{"log", "log"},
	{"fail", "fail on a check already down"},
	{"success/flip", "success that flips the check up"},
	{"fail/flip", "fail that flips the check down"},
}

// cmdCost is `loadgen cost [--checks 1000] [--every 1m] [--wru 0.625] [--rru 0.125]
// [--sweep-per-ping 0.49]` with the output of BenchmarkPingCapacity (internal/store/dynamo) on
// stdin: the capacity of each ping kind as a markdown table, the verdict on the target for a
// success ping (--target-cu), then what a fleet of checks pinged at a fixed period costs a month
// at on-demand prices, with the sweeps' reads of checks whose due bucket has begun
// (--sweep-per-ping, read units per ping, from BenchmarkDueShapes). The prices are flags, so
// the table states what it assumed.
func cmdCost(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("cost", flag.ContinueOnError)
	checks := fs.Int("checks", 1000, "checks in the fleet")
	every := fs.Duration("every", time.Minute, "how often each check is pinged, and the sweep runs")
	wru := fs.Float64("wru", 0.625, "USD per million write request units (on-demand)")
	rru := fs.Float64("rru", 0.125, "USD per million read request units (on-demand)")
	hours := fs.Float64("hours", 730, "hours in a month (AWS's pricing calculator uses 730)")
	sweepRRU := fs.Float64("sweep-rru", dueShardQueries*0.5, "read units of a sweep that finds nothing due")
	target := fs.Float64("target-cu", 3, "the target for a success ping without a flip, in capacity units")
	sweepPerPing := fs.Float64("sweep-per-ping", 0, "read units the sweeps spend per ping reading checks whose due bucket has begun")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *checks < 1 || *every < time.Second {
		return fmt.Errorf("cost: --checks %d, --every %s: want at least one check, pinged at most every second", *checks, *every)
	}
	lines, _, err := parseBench(stdin)
	if err != nil {
		return err
	}
	// capacity[kind][body] = values of that line.
	capacity := map[string]map[string]map[string]float64{}
	for _, l := range lines {
		if len(l.rest) < 2 {
			continue
		}
		kind, body := strings.Join(l.rest[:len(l.rest)-1], "/"), l.rest[len(l.rest)-1]
		if capacity[kind] == nil {
			capacity[kind] = map[string]map[string]float64{}
		}
		capacity[kind][body] = l.values
	}
	if len(capacity) == 0 {
		return fmt.Errorf("cost: no BenchmarkPingCapacity results on stdin")
	}

	fmt.Fprintln(stdout, "| ping (1 KB body) | requests | RCU | WCU | total CU, text body | total CU, random body |")
	fmt.Fprintln(stdout, "|---|---:|---:|---:|---:|---:|")
	for _, k := range pingKinds {
		text, random := capacity[k.name]["text-1KB"], capacity[k.name]["random-1KB"]
		if text == nil {
			continue
		}
		total := func(v map[string]float64) string {
			if v == nil {
				return "—"
			}
			return formatValue(v["CU/op"])
		}
		t := total(text)
		if k.name == "success" {
			t = "**" + t + "**"
		}
		fmt.Fprintf(stdout, "| %s | %s | %s | %s | %s | %s |\n", k.label, formatValue(text["requests/op"]),
			formatValue(text["RCU/op"]), formatValue(text["WCU/op"]), t, total(random))
	}

	success, start := capacity["success"]["text-1KB"], capacity["start"]["text-1KB"]
	if success == nil || start == nil {
		return nil
	}
	fmt.Fprintln(stdout)
	if cu := success["CU/op"]; cu <= *target {
		fmt.Fprintf(stdout, "**Target: at most %s CU for a success ping without a flip. Met: %s CU.**", formatValue(*target), formatValue(cu))
		if *sweepPerPing > 0 {
			fmt.Fprintf(stdout, " With the sweeps' reads of the check while its due bucket has begun (every %s, a minute's grace): %s CU.",
				period(*every), formatValue(cu+*sweepPerPing))
		}
		fmt.Fprintln(stdout)
	} else {
		fmt.Fprintf(stdout, "**Target: at most %s CU for a success ping without a flip. Missed by %s CU (%.0f%%).**\n",
			formatValue(*target), formatValue(cu-*target), 100*(cu-*target) / *target)
	}
	perMonth := *hours * float64(time.Hour) / float64(*every) // pings per check, and sweeps
	pings := perMonth * float64(*checks)
	usd := func(r, w float64) float64 { return r/1e6**rru + w/1e6**wru }
	fmt.Fprintln(stdout)
	fmt.Fprintf(stdout, "Monthly cost of %s checks, each pinged every %s (%s pings a month), text bodies, "+
		"at $%.3f per million write and $%.3f per million read request units:\n\n", thousands(float64(*checks)), period(*every),
		thousands(pings), *wru, *rru)
	fmt.Fprintln(stdout, "| what | read units | write units | USD a month |")
	fmt.Fprintln(stdout, "|---|---:|---:|---:|")
	rowCost := func(label string, r, w float64) float64 {
		c := usd(r, w)
		fmt.Fprintf(stdout, "| %s | %s | %s | $%.2f |\n", label, thousands(r), thousands(w), c)
		return c
	}
	pr, pw := pings*success["RCU/op"], pings*success["WCU/op"]
	sr := perMonth * *sweepRRU
	a := rowCost("success pings", pr, pw)
	s := rowCost(fmt.Sprintf("sweeps (one every %s, nothing due: %s RCU each)", period(*every), formatValue(*sweepRRU)), sr, 0)
	if *sweepPerPing > 0 {
		s += rowCost(fmt.Sprintf("sweeps' reads of checks whose due bucket has begun (%s RCU a ping)", formatValue(*sweepPerPing)),
			pings**sweepPerPing, 0)
	}
	fmt.Fprintf(stdout, "| **total, success pings only** | | | **$%.2f** |\n", a+s)
	b := rowCost("a start ping before each success (runitor, `curl …/start`)", pings*start["RCU/op"], pings*start["WCU/op"])
	fmt.Fprintf(stdout, "| **total, start and success pings** | | | **$%.2f** |\n", a+b+s)
	return nil
}

// dueShardQueries is how many queries a sweep makes of the due index (dynamo.DueShards): a
// sweep that finds nothing costs half a read unit for each.
const dueShardQueries = 16

// period names a duration the way a sentence says it: "minute", "hour", or "90s".
func period(d time.Duration) string {
	switch d {
	case time.Minute:
		return "minute"
	case time.Hour:
		return "hour"
	}
	return d.String()
}
