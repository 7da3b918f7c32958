package notify

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/overduehq/overdue/internal/check"
)

// Tester sends test notifications through channels now, for the API's channel test. It records
// nothing: a test is not an alert, and a failed one neither retries nor disables the channel.
type Tester struct {
	// Transports sends by kind, as Dispatcher.Transports.
	Transports map[string]Transport
	// Undeliverable says why kinds without a transport cannot be sent, as Dispatcher.Undeliverable.
	Undeliverable map[string]string
	// SiteRoot, if set, makes the link in the test message.
	SiteRoot string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// TestFailure is why a test notification was not sent. Message is safe to show: it names the
// service and its answer, without the channel's secrets or the URL of the request.
type TestFailure struct {
	// Refused is true when the service refused the message or the channel cannot be sent here:
	// sending again will not help until the channel (or the server) is changed. False means the
	// service could not be reached or failed on its side.
	Refused bool
	Message string
}

// Error is the message.
func (e *TestFailure) Error() string { return e.Message }

// TestAlert is what a channel test says: a check named "TEST" that has just gone down, as
// Healthchecks' test notifications read. The check's UUID is the channel's, so services that
// open incidents keep one incident per tested channel.
func TestAlert(ch *check.Channel, now time.Time, siteRoot string) Alert {
	c := check.New(ch.ID, ch.ProjectID, now)
	c.Name, c.Status, c.LastPing = "TEST", check.StatusDown, now
	a := Alert{Check: c, SiteRoot: siteRoot,
		Flip: &check.Flip{ID: "test", CheckID: c.ID, Created: now, OldStatus: check.StatusUp,
			NewStatus: check.StatusDown, Reason: check.ReasonFail}}
	return a
}

// TestChannel sends a test notification through ch now. A group tests each of its targets among
// project's channels (a target that is not one, or is a group, fails the test). It returns nil
// when every send went out, else a *TestFailure.
func (t *Tester) TestChannel(ctx context.Context, ch *check.Channel, project []*check.Channel) error {
	now := time.Now().UTC()
	if t.Now != nil {
		now = t.Now()
	}
	if ch.Kind == ChannelGroup {
		if err := ValidateGroup(ch.Value, project); err != nil {
			return &TestFailure{Refused: true, Message: errorText(err)}
		}
		var errs []error
		for _, id := range groupTargets(ch.Value) {
			for _, target := range project {
				if target.ID == id {
					if err := t.TestChannel(ctx, target, nil); err != nil {
						errs = append(errs, fmt.Errorf("%s: %w", target.Name, err))
					}
				}
			}
		}
		if len(errs) > 0 {
			var tf *TestFailure
			refused := errors.As(errs[0], &tf) && tf.Refused
			return &TestFailure{Refused: refused, Message: errorText(errors.Join(errs...))}
		}
		return nil
	}
	tr := t.Transports[ch.Kind]
	if tr == nil {
		reason := t.Undeliverable[ch.Kind]
		if reason == "" {
			reason = "no transport for " + ch.Kind + " channels is configured on this server"
		}
		return &TestFailure{Refused: true, Message: reason}
	}
	a := TestAlert(ch, now, t.SiteRoot)
	if t.SiteRoot != "" {
		a.URL = t.SiteRoot + "/api/v3/checks/" + a.Check.ID
	}
	m, err := NewMessage(a)
	if err != nil {
		return fmt.Errorf("render test message: %w", err)
	}
	err = tr.Send(ctx, ch, m, "test:"+ch.ID+":"+strconv.FormatInt(now.Unix(), 10))
	if err == nil {
		return nil
	}
	return &TestFailure{Refused: IsPermanent(err), Message: errorText(err)}
}
