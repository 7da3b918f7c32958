package notify

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/overduehq/overdue/internal/check"
)

// ChannelGroup is the kind of a channel that fans out to other channels of its project. Its
// value is their IDs, comma-separated, as Healthchecks stores a group. A group has no transport:
// the dispatcher delivers a flip to each of its targets as if the check were assigned to them,
// each with its own (flip, channel) record, so a target reached both directly and through a
// group, or through two groups, gets one message, and a retry resends to no one who had it.
const ChannelGroup = "group"

var channelIDPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// groupTargets splits a group's value into its channel IDs, dropping empty entries.
func groupTargets(value string) []string {
	var out []string
	for _, id := range strings.Split(value, ",") {
		if id = strings.TrimSpace(id); id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// validateGroup checks a group's value on its own: one or more channel UUIDs.
func validateGroup(value string) error {
	ids := groupTargets(value)
	if len(ids) == 0 {
		return &ValueError{Kind: ChannelGroup, Problem: "it names no channel; send the IDs of the project's channels, comma-separated"}
	}
	for _, id := range ids {
		if !channelIDPattern.MatchString(id) {
			return &ValueError{Kind: ChannelGroup, Problem: fmt.Sprintf("%q is not a channel ID; send the IDs of the project's channels (UUIDs), comma-separated", id)}
		}
	}
	return nil
}

// ValidateGroup checks a group's targets against the channels of its project: each must be one
// of them, and none a group (a group never contains groups, so fan-out cannot loop). The API and
// the CLI call it after ValidateChannel, with the project's channels; it does no I/O.
func ValidateGroup(value string, project []*check.Channel) error {
	if err := validateGroup(value); err != nil {
		return err
	}
	for _, id := range groupTargets(value) {
		i := slices.IndexFunc(project, func(ch *check.Channel) bool { return ch.ID == id })
		switch {
		case i < 0:
			return &ValueError{Kind: ChannelGroup, Problem: fmt.Sprintf("channel %s is not a channel of this project", id)}
		case project[i].Kind == ChannelGroup:
			return &ValueError{Kind: ChannelGroup, Problem: fmt.Sprintf("channel %s is a group; a group cannot contain groups", id)}
		}
	}
	return nil
}
