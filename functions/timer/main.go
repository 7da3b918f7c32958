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
// every 5 s. It finds the canary in the table, where the sweep keeps its random IDs; until the
// sweep has created it, nothing is held, and the function looks again at most once a minute.
// It never reads the signing secret, so it cannot open channel values.
//
// Environment: TABLE_NAME, TIMER_QUEUE_URL, LOG_LEVEL, INGESTION_TOLERANCE (optional, default
// 150s). Build with `make build` (dist/timer/bootstrap).
package main

import (
	"context"
	"errors"
	"fmt"
	"time"
	_ "time/tzdata" // cron and OnCalendar checks are evaluated in their zones; Lambda has no zone database.

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/overduehq/overdue/internal/lambdaenv"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/sweep"
	"github.com/overduehq/overdue/internal/sweep/sqstimers"
)

// needs are the shared pieces the function uses: the table alone (no secret, no channel values).
var needs = lambdaenv.Needs{Store: true}

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

// canaryLookEvery is how often a timer function that has not found the canary yet looks for it:
// the sweep creates it at its first run, a minute at most after a deploy.
const canaryLookEvery = time.Minute

// handler fires the timers of one batch.
type handler struct {
	root      *lambdaenv.Root
	sweeper   *sweep.Sweeper
	rearm     sweep.Timers
	tolerance time.Duration
	lookedAt  time.Time // when it last looked for the canary and found none
}

// newHandler returns the handler over the root's store and clock (tests pin it), arming early
// timers again on rearm. It holds the timeouts an outage of ping intake could have caused,
// judged with tolerance from the canary the sweep creates and pings (until the canary exists
// and has pinged, nothing is held).
func newHandler(root *lambdaenv.Root, rearm sweep.Timers, tolerance time.Duration) *handler {
	return &handler{
		root:      root,
		sweeper:   &sweep.Sweeper{Store: root.Store, Now: root.Now, Logger: root.Log},
		rearm:     rearm,
		tolerance: tolerance,
	}
}

// findCanary gives the sweeper the ingestion judge once the canary exists: one read of the
// table per canaryLookEvery until then, none after. A failed read is logged, and holds nothing:
// timers fire as they would without a canary.
func (h *handler) findCanary(ctx context.Context) {
	now := h.root.Now()
	if h.sweeper.Ingestion != nil || (!h.lookedAt.IsZero() && now.Sub(h.lookedAt) < canaryLookEvery) {
		return
	}
	in, err := sweep.FindCanary(ctx, h.root.Store, lambdaenv.CanaryEvery)
	if err != nil {
		h.lookedAt = now
		if !errors.Is(err, store.ErrNotFound) {
			h.root.Log.WarnContext(ctx, "ingestion canary not read; holding nothing", "error", err.Error())
		}
		return
	}
	in.Tolerance, in.Log = h.tolerance, h.root.Store.IngestLog()
	h.sweeper.Ingestion = in
}

// handle fires each record's timer. It asks the data-model guard first: a function that may
// not write fires nothing and fails the invocation, so every message comes back later.
func (h *handler) handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	log := h.root.Log
	var resp events.SQSEventResponse
	if err := h.root.Guard(ctx); err != nil {
		return resp, fmt.Errorf("timer: %w", err)
	}
	h.findCanary(ctx)
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
