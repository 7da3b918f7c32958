package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/notify"
	"github.com/overduehq/overdue/internal/project"
)

// channelOutput is a channel as the CLI prints it; the API's fields plus the target.
type channelOutput struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Kind  string `json:"kind"`
	Value string `json:"value"`
	// Delay and Repeat are the channel's timing in seconds, only when set (as in the v3 API).
	Delay  int64 `json:"delay,omitempty"`
	Repeat int64 `json:"repeat,omitempty"`
	// Late says the channel also gets late notices, only when true (as in the v3 API).
	Late bool `json:"late,omitempty"`
	// Secret is a webhook channel's signing secret, shown when the channel is created.
	Secret string `json:"secret,omitempty"`
}

// toChannelOutput is ch as the CLI prints it, its value as given (a listing passes a hint).
func toChannelOutput(ch *check.Channel, value string) channelOutput {
	return channelOutput{ID: ch.ID, Name: ch.Name, Kind: ch.Kind, Value: value,
		Delay: int64(ch.Delay / time.Second), Repeat: int64(ch.Repeat / time.Second), Late: ch.Late}
}

// timingFlags are channel add's and update's --delay, --repeat and --late (README, "Per-channel
// timing").
type timingFlags struct {
	delay, repeat durationValue
	late          boolValue
}

func addTimingFlags(fs *flag.FlagSet) *timingFlags {
	tf := &timingFlags{}
	fs.Var(&tf.delay, "delay", "alert only once the check has been down this long; a check back up sooner gets neither down nor up alert here (seconds or a duration such as 15m; default at once)")
	fs.Var(&tf.repeat, "repeat", "send the down alert again this often while the check stays down (at least 5m; 0 or default: once)")
	fs.Var(&tf.late, "late", "also send a late notice when a check passes its expected time without the ping (email, sms, sns and URL webhooks; --late=false turns it off)")
	return tf
}

// apply sets the timing the flags name on ch and validates it for ch's kind.
func (tf *timingFlags) apply(cmd string, ch *check.Channel) error {
	if tf.delay.set {
		ch.Delay = tf.delay.d
	}
	if tf.repeat.set {
		ch.Repeat = tf.repeat.d
	}
	if tf.late.set {
		ch.Late = tf.late.b
	}
	if ch.Kind == notify.ChannelGroup && ch.Timed() {
		return usagef("%s: --delay and --repeat apply to the channels a group reaches: set them on those channels", cmd)
	}
	if err := check.ValidateTiming(ch.Delay, ch.Repeat); err != nil {
		var fe *check.FieldError
		if errors.As(err, &fe) {
			return usagef("%s: --%s: %s", cmd, fe.Field, fe.Advice())
		}
		return usagef("%s: %v", cmd, err)
	}
	if err := notify.ValidateLate(ch.Kind, ch.Value, ch.Late); err != nil {
		return usagef("%s: --%s", cmd, err)
	}
	return nil
}

// cmdChannelAdd is `overdue channel add --project ID --kind KIND --value V [--name N] [--delay D]
// [--repeat D] [--late] [--json]`.
func cmdChannelAdd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("channel add")
	stf := addStoreFlags(fs)
	projectID := fs.String("project", "", "project id (required)")
	kind := fs.String("kind", "", "channel kind (required): "+strings.Join(notify.ChannelKinds(), ", "))
	value := fs.String("value", "", `the kind's target: address, E.164 number, SNS topic ARN, URL, or JSON such as {"service_key": "…"} (required)`)
	name := fs.String("name", "", "a name to show in listings (default: the value, or the service's name)")
	tf := addTimingFlags(fs)
	asJSON := fs.Bool("json", false, "print the channel as JSON")
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return err
	}
	if err := noPositional(fs, pos); err != nil {
		return err
	}
	switch {
	case *projectID == "":
		return usagef("channel add: --project is required")
	case *kind == "":
		return usagef("channel add: --kind is required (%s)", strings.Join(notify.ChannelKinds(), ", "))
	case *value == "":
		return usagef("channel add: --value is required")
	}
	if err := notify.ValidateChannel(*kind, *value); err != nil {
		return usagef("channel add: %s", err)
	}
	if err := check.ValidateChannelName(*name); err != nil {
		return nameUsage(fs.Name(), err)
	}
	ch := &check.Channel{
		ID: uuid.NewString(), ProjectID: *projectID, Kind: *kind, Name: *name, Value: *value,
		Created: time.Now().UTC(),
	}
	if err := tf.apply(fs.Name(), ch); err != nil {
		return err
	}
	st, err := stf.openProject(ctx, fs.Name(), *projectID)
	if err != nil {
		return err
	}
	defer st.Close()
	if *kind == notify.ChannelGroup {
		project, err := st.Channels(ctx, *projectID)
		if err != nil {
			return fmt.Errorf("list channels: %w", err)
		}
		if err := notify.ValidateGroup(*value, project); err != nil {
			return usagef("channel add: %s", err)
		}
	}
	if strings.TrimSpace(ch.Name) == "" {
		ch.Name = notify.DefaultChannelName(ch.Kind, ch.Value)
	}
	if err := st.CreateChannel(ctx, ch); err != nil {
		return fmt.Errorf("create channel: %w", err)
	}
	out := toChannelOutput(ch, ch.Value)
	if ch.Kind == check.ChannelWebhook {
		// Receivers verify X-Overdue-Signature with the channel's own secret, derived from the
		// server's (the same --data directory or OVERDUE_SECRET_KEY that serve uses).
		secret, err := loadSecret(*stf.data)
		if err != nil {
			return err
		}
		out.Secret = notify.WebhookSecret(secret, ch.ID)
	}
	if warning := stf.deliveryWarning(ch.Kind); warning != "" {
		fmt.Fprintln(stderr, warning)
	}
	if *asJSON {
		return writeJSON(stdout, out)
	}
	fmt.Fprintf(stdout, "Channel %q (%s) created: %s\n", out.Name, out.Kind, out.ID)
	if out.Secret != "" {
		fmt.Fprintf(stdout, "Signing secret (verify X-Overdue-Signature with it): %s\n", out.Secret)
	}
	return nil
}

// cmdChannelUpdate is `overdue channel update --project ID --id ID [--name N] [--value V]
// [--delay D] [--repeat D] [--late[=false]] [--json]`:
// the API's channel update (POST /api/v3/channels/{id}) on the store. A value given, even the one
// the channel has, re-enables a channel a service's permanent refusal disabled.
func cmdChannelUpdate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("channel update")
	stf := addStoreFlags(fs)
	projectID := fs.String("project", "", "project id (required)")
	id := fs.String("id", "", "channel id (required; see overdue channel list)")
	value := fs.String("value", "", "the new target or configuration, as channel add takes it (default: unchanged)")
	name := fs.String("name", "", "the new name (default: unchanged)")
	tf := addTimingFlags(fs)
	asJSON := fs.Bool("json", false, "print the channel as JSON")
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return err
	}
	if err := noPositional(fs, pos); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case *projectID == "":
		return usagef("channel update: --project is required")
	case *id == "":
		return usagef("channel update: --id is required (overdue channel list --project %s shows the IDs)", *projectID)
	case !set["value"] && !set["name"] && !set["delay"] && !set["repeat"] && !set["late"]:
		return usagef("channel update: nothing to change: give --name, --value, --delay, --repeat or --late")
	}
	if set["name"] {
		if err := check.ValidateChannelName(*name); err != nil {
			return nameUsage(fs.Name(), err)
		}
	}
	st, err := stf.openProject(ctx, fs.Name(), *projectID)
	if err != nil {
		return err
	}
	defer st.Close()
	chans, err := st.Channels(ctx, *projectID)
	if err != nil {
		return fmt.Errorf("list channels: %w", err)
	}
	i := slices.IndexFunc(chans, func(ch *check.Channel) bool { return ch.ID == *id })
	if i < 0 {
		return usagef("channel update: --id: project %s has no channel %s (overdue channel list --project %s shows them)", *projectID, *id, *projectID)
	}
	found := chans[i]
	timed := *found
	if set["value"] {
		timed.Value = *value // late is judged on the value the channel will have
	}
	if err := tf.apply(fs.Name(), &timed); err != nil {
		return err
	}
	if set["value"] {
		if err := notify.ValidateChannel(found.Kind, *value); err != nil {
			return usagef("channel update: --value: %s", err)
		}
		if found.Kind == notify.ChannelGroup {
			others := slices.DeleteFunc(slices.Clone(chans), func(ch *check.Channel) bool { return ch.ID == found.ID })
			if err := notify.ValidateGroup(*value, others); err != nil {
				return usagef("channel update: --value: %s", err)
			}
		}
	}
	ch, err := st.UpdateChannel(ctx, *projectID, *id, func(ch *check.Channel) error {
		if set["name"] {
			ch.Name = *name
		}
		if set["value"] {
			ch.Value, ch.Disabled, ch.LastError = *value, false, ""
		}
		ch.Delay, ch.Repeat, ch.Late = timed.Delay, timed.Repeat, timed.Late
		if strings.TrimSpace(ch.Name) == "" {
			ch.Name = notify.DefaultChannelName(ch.Kind, ch.Value)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("update channel: %w", err)
	}
	if ch.Late != found.Late || (ch.Kind == notify.ChannelGroup && ch.Value != found.Value) {
		if _, err := project.SyncLate(ctx, st, *projectID); err != nil {
			return fmt.Errorf("channel updated; its checks' late-notice markers not: %w (run the update again)", err)
		}
	}
	out := toChannelOutput(ch, notify.ValueHint(ch.Kind, ch.Value))
	if warning := stf.deliveryWarning(ch.Kind); warning != "" {
		fmt.Fprintln(stderr, warning)
	}
	if *asJSON {
		return writeJSON(stdout, out)
	}
	fmt.Fprintf(stdout, "Channel %q (%s) updated: %s\n", out.Name, out.Kind, out.ID)
	return nil
}

// cmdChannelList is `overdue channel list --project ID [--json]`.
func cmdChannelList(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs := newFlags("channel list")
	stf := addStoreFlags(fs)
	projectID := fs.String("project", "", "project id (required)")
	asJSON := fs.Bool("json", false, `print {"channels": [...]} as JSON`)
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return err
	}
	if err := noPositional(fs, pos); err != nil {
		return err
	}
	if *projectID == "" {
		return usagef("channel list: --project is required")
	}
	st, err := stf.openProject(ctx, fs.Name(), *projectID)
	if err != nil {
		return err
	}
	defer st.Close()
	chans, err := st.Channels(ctx, *projectID)
	if err != nil {
		return fmt.Errorf("list channels: %w", err)
	}
	outs := make([]channelOutput, 0, len(chans))
	for _, ch := range chans {
		// A listing never shows a key or token: only a hint of it (notify.ValueHint).
		outs = append(outs, toChannelOutput(ch, notify.ValueHint(ch.Kind, ch.Value)))
	}
	if *asJSON {
		return writeJSON(stdout, map[string]any{"channels": outs})
	}
	for _, o := range outs {
		fmt.Fprintf(stdout, "%s  %-8s  %-24s  %s%s\n", o.ID, o.Kind, o.Name, o.Value, timingText(o))
	}
	return nil
}

// timingText is a channel's timing as channel list prints it after the value: "" when none.
func timingText(o channelOutput) string {
	var parts []string
	if o.Delay > 0 {
		parts = append(parts, "delay "+(time.Duration(o.Delay)*time.Second).String())
	}
	if o.Repeat > 0 {
		parts = append(parts, "repeat "+(time.Duration(o.Repeat)*time.Second).String())
	}
	if o.Late {
		parts = append(parts, "late notice")
	}
	if len(parts) == 0 {
		return ""
	}
	return "  (" + strings.Join(parts, ", ") + ")"
}

// deliveryWarning is the line `channel add` prints on stderr when the server may not deliver
// channels of kind: the reason the last `overdue serve` on this store recorded, or, on a SQLite
// store no server has recorded anything for yet, what serve needs for the kind. "" when the
// kind is deliverable, or on a DynamoDB table no local server serves (on AWS every kind is).
func (sf *storeFlags) deliveryWarning(kind string) string {
	if rec := sf.serveRecord(); rec != nil {
		if reason, ok := rec.Undeliverable[kind]; ok {
			return fmt.Sprintf("warning: %s (recorded by the last overdue serve on %s; until then alerts to this channel are parked)",
				reason, *sf.data)
		}
		return ""
	}
	if hint, ok := enableHints[kind]; ok && *sf.kind == "sqlite" {
		return fmt.Sprintf("note: overdue serve delivers %s channels only when told how: %s", kind, hint)
	}
	return ""
}
