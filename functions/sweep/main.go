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
// Environment: TABLE_NAME, LOG_LEVEL, HEARTBEAT_URL (optional), TIMER_QUEUE_URL (optional). Build with `make build` (dist/sweep/bootstrap).
package main

import (
	"context"
	"fmt"
	"time"
	_ "time/tzdata" // cron and OnCalendar checks are evaluated in their zones; Lambda has no zone database.

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/overduehq/overdue/internal/lambdaenv"
	"github.com/overduehq/overdue/internal/sweep"
	"github.com/overduehq/overdue/internal/sweep/sqstimers"
)

// needs are the shared pieces the function uses: the table.
var needs = lambdaenv.Needs{Store: true}

func main() { lambdaenv.Main(build) }

// build is the function's cold start: the shared root and the handler.
func build(ctx context.Context, env *lambdaenv.Env) (any, error) {
	heartbeat := env.URL(lambdaenv.HeartbeatURL)
	queue := env.URL(lambdaenv.TimerQueueURL)
	root, err := lambdaenv.Build(ctx, env, needs)
	if err != nil {
		return nil, err
	}
	var timers sweep.Timers
	if queue != "" {
		timers = &sqstimers.Queue{Client: sqs.NewFromConfig(root.AWS), URL: queue}
	}
	return newHandler(root, heartbeat, timers).handle, nil
}

// handler runs one sweep per scheduled event.
type handler struct {
	root      *lambdaenv.Root
	sweeper   *sweep.Sweeper
	heartbeat *sweep.Heartbeat
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
	res, err := h.sweeper.Run(ctx)
	attrs := []any{"event", ev.ID, "scheduled", ev.Time, "lag", lag.Round(time.Millisecond).String(),
		"examined", res.Examined, "flipped", res.Flipped, "armed", res.Armed}
	if err != nil {
		// The data model can move between the guard and a write: the write refuses, and counts.
		lambdaenv.Refuse(ctx, err, log, h.root.Refusals)
		log.ErrorContext(ctx, "sweep failed", append(attrs, "error", err.Error())...)
		return fmt.Errorf("sweep: %w", err)
	}
	log.InfoContext(ctx, "swept", attrs...)
	_ = h.heartbeat.Beat(ctx) // logged by Beat; an outside monitor's failure is not ours
	return nil
}
