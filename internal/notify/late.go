package notify

import (
	"fmt"
	"slices"
	"strings"

	"github.com/overduehq/overdue/internal/check"
)

// Late notices (check.Channel.Late; the rules are check's, late.go) are plain messages: "the
// check is late". They go only to kinds that deliver a message as it is written: email, SMS, an
// SNS topic and a webhook in its URL form (Overdue's JSON event, "event": "late"). The others
// refuse the option: incident services (PagerDuty, Opsgenie, VictorOps, PagerTree, Spike, a
// phone call, GitHub issues, Trello cards) would open an incident that no "up" ever resolves,
// since the check never went down; a Healthchecks-style webhook and a shell command have only a
// down and an up form ($STATUS), and a late notice is neither; chat kinds lay the message out as
// down or up (colours, icons), which a late notice would contradict.

// lateKinds are the kinds that take late notices.
var lateKinds = []string{check.ChannelEmail, check.ChannelSMS, check.ChannelSNS, check.ChannelWebhook}

// LateKinds lists the channel kinds that take late notices.
func LateKinds() []string { return slices.Clone(lateKinds) }

// ValidateLate checks that a channel of kind with value may send late notices; nil when late is
// off. The error is the whole sentence a 400 carries.
func ValidateLate(kind, value string, late bool) error {
	switch {
	case !late:
		return nil
	case kind == ChannelGroup:
		return fmt.Errorf("late applies to the channels a group reaches: set it on those channels, not on the group")
	case kind == check.ChannelWebhook && isWebhookJSON(value):
		return fmt.Errorf("late: a webhook in Healthchecks' form (url_down, url_up) has no request for a late notice; use the URL form, which posts Overdue's JSON event with \"event\": \"late\"")
	case !slices.Contains(lateKinds, kind):
		return fmt.Errorf("late: a %s channel cannot take late notices (its service shows alerts as down or up, or opens incidents that only an up resolves); late notices go to %s channels", kind, strings.Join(lateKinds, ", "))
	}
	return nil
}

// lateTargets keeps the channels of chs that take late notices.
func lateTargets(chs []*check.Channel) []*check.Channel {
	return slices.DeleteFunc(chs, func(ch *check.Channel) bool { return !ch.Late })
}
