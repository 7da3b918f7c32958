package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/overduehq/overdue/internal/check"
)

// RemoteTestEvent marks a RemoteTest among the events a process takes.
const RemoteTestEvent = "channel-test"

// RemoteTest is a channel test one process asks another to run: on AWS the api function asks
// the notify function, which holds the transports and the permissions to send (SES, SNS). It
// names the channel; its value never travels.
type RemoteTest struct {
	Event   string `json:"overdue"` // RemoteTestEvent
	Project string `json:"project"`
	Channel string `json:"channel"`
}

// RemoteResult is the answer to a RemoteTest: sent, or the TestFailure's fields.
type RemoteResult struct {
	Sent    bool   `json:"sent"`
	Refused bool   `json:"refused,omitempty"`
	Error   string `json:"error,omitempty"`
}

// ChannelLister lists a project's channels, their values opened; store.Store has it.
type ChannelLister interface {
	Channels(ctx context.Context, projectID string) ([]*check.Channel, error)
}

// Run runs a RemoteTest with t over the project's channels as st lists them. A channel the
// project does not have is a refusal; only a failure to list the channels is an error.
func (t *Tester) Run(ctx context.Context, st ChannelLister, req RemoteTest) (RemoteResult, error) {
	chans, err := st.Channels(ctx, req.Project)
	if err != nil {
		return RemoteResult{}, fmt.Errorf("list channels of project %s: %w", req.Project, err)
	}
	i := slices.IndexFunc(chans, func(ch *check.Channel) bool { return ch.ID == req.Channel })
	if i < 0 {
		return RemoteResult{Refused: true, Error: "project " + req.Project + " has no channel " + req.Channel}, nil
	}
	err = t.TestChannel(ctx, chans[i], chans)
	if tf := (*TestFailure)(nil); errors.As(err, &tf) {
		return RemoteResult{Refused: tf.Refused, Error: tf.Message}, nil
	}
	if err != nil {
		return RemoteResult{}, err
	}
	return RemoteResult{Sent: true}, nil
}

// RemoteTester tests channels by asking another process (RemoteTest, RemoteResult), for the
// api function on AWS, which has no transports of its own. It implements httpapi's
// ChannelTester.
type RemoteTester struct {
	// Invoke sends a RemoteTest's JSON to the process that runs it and returns the
	// RemoteResult's JSON; an error means the test could not be run.
	Invoke func(ctx context.Context, payload []byte) ([]byte, error)
}

// TestChannel asks for a test of ch: nil when it was sent, a *TestFailure when the service
// refused or failed it, another error when it could not be asked.
func (r *RemoteTester) TestChannel(ctx context.Context, ch *check.Channel, _ []*check.Channel) error {
	payload, err := json.Marshal(RemoteTest{Event: RemoteTestEvent, Project: ch.ProjectID, Channel: ch.ID})
	if err != nil {
		return err
	}
	out, err := r.Invoke(ctx, payload)
	if err != nil {
		return fmt.Errorf("ask for a test of channel %s: %w", ch.ID, err)
	}
	var res RemoteResult
	if err := json.Unmarshal(out, &res); err != nil {
		return fmt.Errorf("test of channel %s: unreadable answer: %w", ch.ID, err)
	}
	if res.Sent {
		return nil
	}
	return &TestFailure{Refused: res.Refused, Message: res.Error}
}
