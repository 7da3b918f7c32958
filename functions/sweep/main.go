// Command sweep is the Lambda function an EventBridge schedule invokes every minute: one sweep
// (internal/sweep) that finds checks whose ping did not arrive in time and writes their flips.
// The notifier picks the flips up from the table's stream; this function sends nothing itself.
//
// A failed sweep returns its error, so Lambda counts it (and the alarm on the function's errors
// sees it); the next scheduled run sweeps again, and the store's conditional writes make a
// check flip once however many sweeps overlap. A sweep that refuses the data model (not
// migrated yet, or moved past this build) sweeps nothing, fails its invocation the same way and
// counts in the DataModelRefused metric, until the data fits.
//
// Each run reports how late it started after its scheduled time as the SweepLag metric
// (Embedded Metric Format, namespace Overdue), which the stack alarms on; and after each
// successful run it pings HEARTBEAT_URL when set, an outside monitor that alerts when Overdue
// stops sweeping (a failed ping is logged, never fails the sweep).
//
// With TIMER_QUEUE_URL set, each run also arms a precise timer for every check due within the
// next 90 s (a delayed SQS message, internal/sweep/sqstimers), which the timer function turns
// into a flip within seconds of the deadline; a timer that is lost is this sweep's again a
// minute later.
//
// With SITE_ROOT set (the stage's public URL, as the api function hands it out), each run first
// pings the ingestion canary through it, as a job would (internal/sweep, Ingestion): a check of
// its own, created at the first run, whose stored pings record when ping intake worked. With it,
// the sweep reads the api function's counts of ping requests (failed ones, and the rate against
// its usual). A timeout whose ping window saw an outage of intake is held (its check reported
// unknown), not sent down; every run reports IngestionUnhealthy (1 while an outage lasts, else
// 0), which the stack alarms on once per outage.
//
// The function never reads the signing secret: the canary's IDs are random ones kept in the
// table (the first run puts them, conditionally), so the function cannot open channel values, and
// Secrets Manager is not needed for the sweep to run.
//
// Environment: TABLE_NAME, LOG_LEVEL, SITE_ROOT (optional: no canary without it),
// INGESTION_TOLERANCE (optional, default 150s), HEARTBEAT_URL (optional), TIMER_QUEUE_URL
// (optional). Build with `make build` (dist/sweep/bootstrap).
package main

import (
	"context"
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // cron and OnCalendar checks are evaluated in their zones; Lambda has no zone database.

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/overduehq/overdue/internal/lambdaenv"
	"github.com/overduehq/overdue/internal/sweep"
	"github.com/overduehq/overdue/internal/sweep/sqstimers"
)

// needs are the shared pieces the function uses: the table alone (no secret, no channel values).
var needs = lambdaenv.Needs{Store: true}

func main() { lambdaenv.Main(build) }

// build is the function's cold start: the shared root and the handler.
func build(ctx context.Context, env *lambdaenv.Env) (any, error) {
	heartbeat := env.URL(lambdaenv.HeartbeatURL)
	queue := env.URL(lambdaenv.TimerQueueURL)
	site := env.URL(lambdaenv.SiteRoot)
	tolerance := env.Duration(lambdaenv.IngestionTolerance, lambdaenv.DefaultIngestionTolerance)
	root, err := lambdaenv.Build(ctx, env, needs)
	if err != nil {
		return nil, err
	}
	var timers sweep.Timers
	if queue != "" {
		timers = &sqstimers.Queue{Client: sqs.NewFromConfig(root.AWS), URL: queue}
	}
	h := newHandler(root, heartbeat, timers)
	if site != "" {
		h.canary = &canary{site: site, tolerance: tolerance}
	}
	return h.handle, nil
}

// canary is the ingestion canary as the sweep keeps it: created at the first run that may
// write, then pinged through the public endpoint before every run.
type canary struct {
	site      string // SITE_ROOT
	tolerance time.Duration
	beat      *sweep.Heartbeat // nil until the canary is ensured
}

// handler runs one sweep per scheduled event.
type handler struct {
	root      *lambdaenv.Root
	sweeper   *sweep.Sweeper
	heartbeat *sweep.Heartbeat
	canary    *canary // nil: no canary, every timeout goes down
}

// newHandler returns the handler over the root's store and clock (tests pin it), pinging
// heartbeat ("" for none) after every successful sweep: the schedule already spaces them a
// minute apart. With timers (nil for none), each sweep arms the checks due before the next.
func newHandler(root *lambdaenv.Root, heartbeat string, timers sweep.Timers) *handler {
	return &handler{
		root:      root,
		sweeper:   &sweep.Sweeper{Store: root.Store, Now: root.Now, Logger: root.Log, Timers: timers},
		heartbeat: &sweep.Heartbeat{URL: heartbeat, Now: root.Now, Logger: root.Log},
	}
}

// handle sweeps at the handler's clock, not at the event's time: a delayed or retried
// invocation must judge checks by the time it actually runs, or it would flip checks that
// pinged in the meantime. It asks the data-model guard first: a sweep that may not write sweeps
// nothing and fails.
func (h *handler) handle(ctx context.Context, ev events.EventBridgeEvent) error {
	log := h.root.Log
	if err := h.root.Guard(ctx); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	start := h.root.Now()
	lag := start.Sub(ev.Time)
	if h.root.Metrics != nil && !ev.Time.IsZero() {
		h.root.Metrics.Put(lambdaenv.SweepLagMetric, "Milliseconds", float64(lag.Milliseconds()))
	}
	if err := h.pingCanary(ctx); err != nil {
		lambdaenv.Refuse(ctx, err, log, h.root.Refusals)
		log.ErrorContext(ctx, "sweep failed", "event", ev.ID, "error", err.Error())
		return fmt.Errorf("sweep: %w", err)
	}
	res, err := h.sweeper.Run(ctx)
	attrs := []any{"event", ev.ID, "scheduled", ev.Time, "lag", lag.Round(time.Millisecond).String(),
		"examined", res.Examined, "flipped", res.Flipped, "armed", res.Armed, "held", res.Held}
	if err != nil {
		// The data model can move between the guard and a write: the write refuses, and counts.
		lambdaenv.Refuse(ctx, err, log, h.root.Refusals)
		log.ErrorContext(ctx, "sweep failed", append(attrs, "error", err.Error())...)
		return fmt.Errorf("sweep: %w", err)
	}
	log.InfoContext(ctx, "swept", attrs...)
	if h.canary != nil {
		h.reportIngestion(ctx, res)
	}
	_ = h.heartbeat.Beat(ctx) // logged by Beat; an outside monitor's failure is not ours
	return nil
}

// pingCanary makes sure the canary exists (once per instance: one read when it does) and pings
// it through the public endpoint. A failed ping is only logged: the gap it leaves in the
// canary's pings is what the sweep reads as an outage.
func (h *handler) pingCanary(ctx context.Context) error {
	c := h.canary
	if c == nil {
		return nil
	}
	if c.beat == nil {
		in, err := sweep.EnsureCanary(ctx, h.root.Store, lambdaenv.CanaryEvery, h.root.Now())
		if err != nil {
			return fmt.Errorf("ingestion canary: %w", err)
		}
		in.Tolerance, in.Log = c.tolerance, h.root.Store.IngestLog()
		h.sweeper.Ingestion = in
		c.beat = &sweep.Heartbeat{URL: strings.TrimRight(c.site, "/") + "/ping/" + in.CanaryID, Now: h.root.Now}
	}
	if err := c.beat.Beat(ctx); err != nil {
		h.root.Log.WarnContext(ctx, "canary ping failed", "error", err.Error())
	}
	return nil
}

// reportIngestion emits the IngestionUnhealthy metric for one sweep (1 while an outage of ping
// intake lasts, else 0: the alarm sees one outage as one breach) and logs the outage.
func (h *handler) reportIngestion(ctx context.Context, res sweep.Result) {
	unhealthy := !res.Outage.Start.IsZero() && res.Outage.Ongoing()
	if h.root.Metrics != nil {
		v := 0.0
		if unhealthy {
			v = 1
		}
		h.root.Metrics.Put(lambdaenv.IngestionUnhealthyMetric, "Count", v)
	}
	if unhealthy {
		h.root.Log.ErrorContext(ctx, "ingestion unhealthy: pings are not reaching the table; timeouts that this could cause are held, not alerted",
			"since", res.Outage.Start, "cause", res.Outage.Cause, "held", res.Held)
	}
}
