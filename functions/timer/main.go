// Command timer is the Lambda function that turns precise timers into flips. The sweep arms a
// timer for each check due before its next run: a message on the timer queue, delayed until the
// check's deadline (internal/sweep/sqstimers). When the delay ends, the queue's event source
// mapping hands the message to this function, which re-reads the check and, if it is still due,
// flips it through the sweep's own conditional write (sweep.Sweeper.Fire): a check goes down
// within seconds of its deadline instead of at the next minute's sweep. The notifier picks the
// flip up from the table's stream, as for every other flip.
//
// A timer is harmless however often it arrives: a check that pinged since, went down already
// or was deleted is left alone. One that arrives early (clocks disagree) is sent again for the
// time left. A record that fails (the table refused, a malformed message) is reported in
// BatchItemFailures; SQS delivers it again after its visibility timeout and, after five
// receives, moves it to the dead-letter queue, which the stack alarms on. Lost or late timers
// cost precision only: the sweep flips whatever is due when it runs.
//
// Each invocation reports the largest lateness in its batch (now minus deadline) as the
// TimerLag metric (Embedded Metric Format, namespace Overdue).
//
// A timer fired while Overdue's own ping intake has an outage (the ingestion canary the sweep
// pings has gone quiet, or the api function's counts show failed pings or a ping rate far below
// its usual) is held like the sweep holds it (internal/sweep, Ingestion): the check is
// reported unknown, not sent down. The function reads the canary's pings and the counts at most
// every 5 s.
//
// Environment: TABLE_NAME, TIMER_QUEUE_URL, LOG_LEVEL, SECRET_ARN (or OVERDUE_SECRET_KEY: the
// canary's ID derives from the signing secret), INGESTION_TOLERANCE (optional, default 150s).
// Build with `make build` (dist/timer/bootstrap).
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

// needs are the shared pieces the function uses: the table, and the secret the canary's ID
// derives from.
var needs = lambdaenv.Needs{Store: true, Secret: true}

func main() { lambdaenv.Main(build) }

// build is the function's cold start: the shared root, the queue it re-arms early timers on,
// the handler.
func build(ctx context.Context, env *lambdaenv.Env) (any, error) {
	queue := env.URL(lambdaenv.TimerQueueURL)
	if queue == "" {
		env.Require(lambdaenv.TimerQueueURL)
	}
	tolerance := env.Duration(lambdaenv.IngestionTolerance, lambdaenv.DefaultIngestionTolerance)
	root, err := lambdaenv.Build(ctx, env, needs)
	if err != nil {
		return nil, err
	}
	return newHandler(root, &sqstimers.Queue{Client: sqs.NewFromConfig(root.AWS), URL: queue}, tolerance).handle, nil
}

// handler fires the timers of one batch.
type handler struct {
	root    *lambdaenv.Root
	sweeper *sweep.Sweeper
	rearm   sweep.Timers
}

// newHandler returns the handler over the root's store and clock (tests pin it), arming early
// timers again on rearm. With the root's secret, it holds the timeouts an outage of ping intake
// could have caused, judged from the canary the sweep creates and pings with tolerance (until
// the canary exists and has pinged, nothing is held).
func newHandler(root *lambdaenv.Root, rearm sweep.Timers, tolerance time.Duration) *handler {
	h := &handler{
		root:    root,
		sweeper: &sweep.Sweeper{Store: root.Store, Now: root.Now, Logger: root.Log},
		rearm:   rearm,
	}
	if root.Secret != nil {
		h.sweeper.Ingestion = &sweep.Ingestion{CanaryID: sweep.CanaryID(root.Secret), Every: lambdaenv.CanaryEvery, Tolerance: tolerance,
			Log: root.Store.IngestLog()}
	}
	return h
}

// handle fires each record's timer. It asks the data-model guard first: a function that may
// not write fires nothing and fails the invocation, so every message comes back later.
func (h *handler) handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	log := h.root.Log
	var resp events.SQSEventResponse
	if err := h.root.Guard(ctx); err != nil {
		return resp, fmt.Errorf("timer: %w", err)
	}
	fail := func(r events.SQSMessage) {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
	}
	var lag time.Duration
	fired := 0
	for _, r := range ev.Records {
		t, err := sqstimers.Decode(r.Body)
		if err != nil {
			// Never succeeds: it reaches the dead-letter queue after its receives, and the
			// alarm on that queue. The body is not logged; the message ID finds it there.
			log.ErrorContext(ctx, "timer message refused", "message", r.MessageId, "error", err.Error())
			fail(r)
			continue
		}
		now := h.root.Now()
		res, err := h.sweeper.Fire(ctx, t)
		if err != nil {
			lambdaenv.Refuse(ctx, err, log, h.root.Refusals)
			log.ErrorContext(ctx, "timer failed", "message", r.MessageId, "check", t.CheckID, "error", err.Error())
			fail(r)
			continue
		}
		if res.Early > 0 {
			if err := h.rearm.Arm(ctx, now, []sweep.Timer{t}); err != nil {
				log.ErrorContext(ctx, "early timer not re-armed", "message", r.MessageId, "check", t.CheckID, "error", err.Error())
				fail(r)
				continue
			}
			log.InfoContext(ctx, "timer early; armed again", "check", t.CheckID, "due", t.Due, "early", res.Early.String())
			continue
		}
		fired++
		late := now.Sub(t.Due)
		lag = max(lag, late)
		log.InfoContext(ctx, "timer fired", "check", t.CheckID, "due", t.Due, "late", late.Round(time.Millisecond).String(), "flipped", res.Flipped, "held", res.Held)
	}
	if fired > 0 && h.root.Metrics != nil {
		h.root.Metrics.Put(lambdaenv.TimerLagMetric, "Milliseconds", float64(lag.Milliseconds()))
	}
	return resp, nil
}
