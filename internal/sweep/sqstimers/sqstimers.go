// Package sqstimers is the sweep's precise timers on AWS: an SQS standard queue whose messages
// are delayed until their check's deadline (DelaySeconds, up to 15 minutes). The sweep arms
// them (Queue.Arm); the timer function receives each one when its delay ends and hands it to
// sweep.Sweeper.Fire (Decode).
//
// A delay is a whole number of seconds, rounded up from the deadline, so a timer never fires
// before it (but for clocks that disagree, which Fire answers by arming it again for what is
// left). SQS may deliver a message twice, and the sweep arms about half the deadlines twice
// (its lookahead overlaps the next sweep's): Fire's conditional write makes that harmless.
package sqstimers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/overduehq/overdue/internal/sweep"
)

// MaxDelay is the longest delay SQS holds a message for; a later timer is sent with it and
// armed again for the rest when it fires early.
const MaxDelay = 15 * time.Minute

// batchSize is the most entries one SendMessageBatch takes; parallel is how many requests Arm
// has in flight at once.
const (
	batchSize = 10
	parallel  = 8
)

// Client is the part of the SQS client the queue uses; *sqs.Client has it.
type Client interface {
	SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

// Queue arms timers as delayed messages on one queue.
type Queue struct {
	Client Client
	URL    string
}

var _ sweep.Timers = (*Queue)(nil)

// message is a timer on the wire. Check IDs and instants only: nothing secret.
type message struct {
	Check string    `json:"check"`
	Due   time.Time `json:"due"`
}

// Delay is how long a timer due at due is held when sent at now: whole seconds, rounded up,
// within [0, MaxDelay].
func Delay(now, due time.Time) time.Duration {
	d := due.Sub(now)
	if d <= 0 {
		return 0
	}
	secs := math.Ceil(d.Seconds())
	return min(time.Duration(secs)*time.Second, MaxDelay)
}

// Arm sends ts, ten to a request and up to eight requests at once (a thousand timers take a
// hundred requests), each delayed until its Due as seen from now. A timer SQS did not take is
// reported in the error with the others' count; the ones it took stay armed.
func (q *Queue) Arm(ctx context.Context, now time.Time, ts []sweep.Timer) error {
	var (
		mu     sync.Mutex
		failed []error
		wg     sync.WaitGroup
		slots  = make(chan struct{}, parallel)
	)
	report := func(err error) {
		mu.Lock()
		failed = append(failed, err)
		mu.Unlock()
	}
	for start := 0; start < len(ts); start += batchSize {
		chunk := ts[start:min(start+batchSize, len(ts))]
		entries := make([]types.SendMessageBatchRequestEntry, len(chunk))
		for i, t := range chunk {
			body, err := Encode(t)
			if err != nil {
				return err
			}
			entries[i] = types.SendMessageBatchRequestEntry{
				Id:           aws.String(strconv.Itoa(i)),
				MessageBody:  aws.String(body),
				DelaySeconds: int32(Delay(now, t.Due) / time.Second),
			}
		}
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			out, err := q.Client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(q.URL), Entries: entries})
			if err != nil {
				report(fmt.Errorf("send %d timers: %w", len(chunk), err))
				return
			}
			for _, f := range out.Failed {
				id := ""
				if i, err := strconv.Atoi(aws.ToString(f.Id)); err == nil && i >= 0 && i < len(chunk) {
					id = chunk[i].CheckID
				}
				report(fmt.Errorf("timer of check %s: %s %s", id, aws.ToString(f.Code), aws.ToString(f.Message)))
			}
		})
	}
	wg.Wait()
	if len(failed) > 0 {
		return fmt.Errorf("%d requests or timers of %d timers failed: %w", len(failed), len(ts), errors.Join(failed...))
	}
	return nil
}

// Encode is a timer's message body.
func Encode(t sweep.Timer) (string, error) {
	raw, err := json.Marshal(message{Check: t.CheckID, Due: t.Due.UTC()})
	if err != nil {
		return "", fmt.Errorf("encode timer of check %s: %w", t.CheckID, err)
	}
	return string(raw), nil
}

// Decode reads a message body Encode wrote; anything else is an error naming what is wrong.
func Decode(body string) (sweep.Timer, error) {
	var m message
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		return sweep.Timer{}, fmt.Errorf("timer message is not a JSON object with check and due: %w", err)
	}
	if m.Check == "" || m.Due.IsZero() {
		return sweep.Timer{}, errors.New(`timer message lacks "check" or "due"`)
	}
	return sweep.Timer{CheckID: m.Check, Due: m.Due}, nil
}
