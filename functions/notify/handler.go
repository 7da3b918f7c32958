package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/lambdaenv"
	"github.com/overduehq/overdue/internal/notify"
	"github.com/overduehq/overdue/internal/store"
)

// dispatcher is what the handler needs of the notifier; *notify.Dispatcher has it. DeliverFlip
// is idempotent (per-channel delivery records), which is what makes a retried or duplicated
// stream batch harmless.
type dispatcher interface {
	DeliverFlip(ctx context.Context, f *check.Flip) (int, error)
	RetryDue(ctx context.Context) (int, error)
}

// channelMarker records what SES said about an email channel; dynamo.Deliveries has it.
type channelMarker interface {
	MarkChannelError(ctx context.Context, projectID, channelID, msg string, disable bool) error
}

// handler turns Lambda events into dispatcher calls.
type handler struct {
	disp dispatcher
	// channels takes SES bounces and complaints (nil: such events fail).
	channels channelMarker
	log      *slog.Logger
	// guard is the data-model check made before each invocation (lambdaenv.Root.Guard); nil
	// for none, in tests of the dispatching alone.
	guard func(context.Context) error
	// refusals counts refusals met during an invocation; nil for none.
	refusals *lambdaenv.Refusals
	// tester runs the api function's channel tests (notify.RemoteTest) over chans, with the
	// dispatcher's transports; nil: such events fail.
	tester *notify.Tester
	chans  notify.ChannelLister
}

// invoke is the function's entry point. It takes the three events the function is subscribed
// to: DynamoDB Streams batches of flip items; an EventBridge schedule that retries deliveries
// whose send failed transiently (a send failure is recorded, not returned, so without the
// schedule nothing would try again until the next flip); SNS messages carrying SES bounces
// and complaints; and the api function's channel tests (notify.RemoteTest), invoked directly.
func (h *handler) invoke(ctx context.Context, raw json.RawMessage) (any, error) {
	var probe struct {
		Records []struct {
			EventSource string `json:"EventSource"` // "aws:sns"; a stream record's is eventSource
		} `json:"Records"`
		Source     string `json:"source"`
		DetailType string `json:"detail-type"`
		Overdue    string `json:"overdue"` // notify.RemoteTestEvent
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, fmt.Errorf("decode event: %w", err)
	}
	if h.guard != nil {
		if err := h.guard(ctx); err != nil {
			// Nothing is delivered, so failing the whole invocation is exact: Lambda sends the
			// batch again (the schedule comes back anyway) and its Errors metric counts it.
			return nil, fmt.Errorf("notify: %w", err)
		}
	}
	switch {
	case probe.Overdue == notify.RemoteTestEvent:
		var req notify.RemoteTest
		if err := json.Unmarshal(raw, &req); err != nil {
			return nil, fmt.Errorf("decode channel test: %w", err)
		}
		return h.handleChannelTest(ctx, req)
	case len(probe.Records) > 0 && probe.Records[0].EventSource == "aws:sns":
		var ev events.SNSEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("decode SNS event: %w", err)
		}
		return nil, h.handleSESFeedback(ctx, ev)
	case probe.Records != nil:
		var ev events.DynamoDBEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("decode DynamoDB stream event: %w", err)
		}
		return h.handleStream(ctx, ev)
	case probe.DetailType == "Scheduled Event":
		var ev events.EventBridgeEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("decode scheduled event: %w", err)
		}
		return nil, h.handleSchedule(ctx, ev)
	}
	return nil, errors.New("unrecognised event: want a DynamoDB stream batch, an EventBridge Scheduled Event, SES feedback through SNS or a channel test")
}

// handleChannelTest sends a test notification through a channel for the api function (POST
// /api/v3/channels/{id}/test), which has no transports of its own, and answers what happened
// (notify.RemoteResult). A service's refusal or failure is an answer, not an error: only a
// failure to read the channels fails the invocation.
func (h *handler) handleChannelTest(ctx context.Context, req notify.RemoteTest) (notify.RemoteResult, error) {
	if h.tester == nil || h.chans == nil {
		return notify.RemoteResult{}, errors.New("channel test: this function has no tester")
	}
	res, err := h.tester.Run(ctx, h.chans, req)
	if err != nil {
		lambdaenv.Refuse(ctx, err, h.log, h.refusals)
		return res, fmt.Errorf("channel test: %w", err)
	}
	h.log.InfoContext(ctx, "channel tested", "project", req.Project, "channel", req.Channel,
		"sent", res.Sent, "refused", res.Refused, "error", res.Error)
	return res, nil
}

// handleStream delivers every flip a batch inserted, in order, and ignores every other record.
//
// On the first failure it stops and reports that record alone in BatchItemFailures. Lambda then
// checkpoints before it and sends it and every later record of the shard again, so stopping
// loses nothing, and it keeps one check's flips in order: a check's records share a shard, and
// delivering its "up" before the "down" that failed would alert backwards. Records before the
// failure are done and are not sent again. It never returns an error: that would make Lambda
// retry the whole batch, done records included.
func (h *handler) handleStream(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	// An empty list, not null: both mean "all done" to Lambda, the list says so plainly.
	resp := events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{}}
	flips, sent := 0, 0
	for _, rec := range ev.Records {
		n, isFlip, err := h.deliver(ctx, rec)
		if isFlip {
			flips++
		}
		sent += n
		if err != nil {
			// The data model can move between the guard and a write: the write refuses, and counts.
			lambdaenv.Refuse(ctx, err, h.log, h.refusals)
			h.log.ErrorContext(ctx, "flip not delivered; the batch resumes from it",
				"record", rec.EventID, "sequence", rec.Change.SequenceNumber, "error", err.Error())
			resp.BatchItemFailures = append(resp.BatchItemFailures,
				events.DynamoDBBatchItemFailure{ItemIdentifier: rec.Change.SequenceNumber})
			break
		}
	}
	h.log.InfoContext(ctx, "stream batch", "records", len(ev.Records), "flips", flips, "sent", sent,
		"failed", len(resp.BatchItemFailures))
	return resp, nil
}

// deliver hands the flip a record inserted to the dispatcher, reporting whether it was one.
func (h *handler) deliver(ctx context.Context, rec events.DynamoDBEventRecord) (int, bool, error) {
	f, ok, err := flipFromRecord(rec)
	if err != nil || !ok {
		return 0, false, err
	}
	n, err := h.disp.DeliverFlip(ctx, f)
	if err != nil {
		return n, true, fmt.Errorf("deliver flip %s of check %s: %w", f.ID, f.CheckID, err)
	}
	h.log.DebugContext(ctx, "flip delivered", "check", f.CheckID, "flip", f.ID, "status", string(f.NewStatus), "sent", n)
	return n, true, nil
}

// handleSchedule makes the next attempt of every delivery that is due. An error fails the
// invocation so Lambda counts it; the next schedule tries again.
func (h *handler) handleSchedule(ctx context.Context, ev events.EventBridgeEvent) error {
	n, err := h.disp.RetryDue(ctx)
	if err != nil {
		lambdaenv.Refuse(ctx, err, h.log, h.refusals)
		h.log.ErrorContext(ctx, "retrying due deliveries failed", "event", ev.ID, "sent", n, "error", err.Error())
		return fmt.Errorf("retry due deliveries: %w", err)
	}
	h.log.InfoContext(ctx, "retried due deliveries", "event", ev.ID, "sent", n)
	return nil
}

// handleSESFeedback applies SES bounces and complaints (notify.ParseSESFeedback) to the email
// channels their tags name: a permanent bounce or a complaint disables the channel with the
// reason as its last error, as a permanent send failure does; a transient bounce notes it. An
// error fails the invocation, and Lambda retries the SNS delivery.
func (h *handler) handleSESFeedback(ctx context.Context, ev events.SNSEvent) error {
	if h.channels == nil {
		return errors.New("SES feedback: no channel store")
	}
	for _, rec := range ev.Records {
		fb, err := notify.ParseSESFeedback([]byte(rec.SNS.Message))
		if err != nil {
			return fmt.Errorf("SES feedback %s: %w", rec.SNS.MessageID, err)
		}
		if fb == nil {
			h.log.InfoContext(ctx, "SES event ignored: no Overdue channel", "message", rec.SNS.MessageID)
			continue
		}
		err = h.channels.MarkChannelError(ctx, fb.ProjectID, fb.ChannelID, fb.Reason, fb.Disable)
		if errors.Is(err, store.ErrNotFound) {
			h.log.InfoContext(ctx, "SES feedback for a channel that is gone", "project", fb.ProjectID, "channel", fb.ChannelID)
			continue
		}
		if err != nil {
			lambdaenv.Refuse(ctx, err, h.log, h.refusals)
			return fmt.Errorf("SES feedback for channel %s: %w", fb.ChannelID, err)
		}
		h.log.WarnContext(ctx, "SES feedback applied", "project", fb.ProjectID, "channel", fb.ChannelID,
			"disabled", fb.Disable, "reason", fb.Reason)
	}
	return nil
}
