package notify

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// The message tags the SES transport puts on every email it sends through a configuration set,
// so that SES's bounce and complaint events name the channel that caused them.
const (
	SESTagProject = "overdue-project"
	SESTagChannel = "overdue-channel"
)

// SESFeedback is what an SES bounce or complaint event says about the email channel it was sent
// to: a permanent bounce or a complaint disables the channel (SES pauses an account whose bounce
// or complaint rate stays high, and then no email alert goes out to anyone); a transient bounce
// only notes the error.
type SESFeedback struct {
	ProjectID, ChannelID string
	// Reason is the channel's new LastError.
	Reason string
	// Disable is true for a permanent bounce and for a complaint.
	Disable bool
}

// sesEvent is the part of an SES event-publishing record (the body of the SNS message a
// configuration set's event destination publishes) that feedback needs.
type sesEvent struct {
	EventType string `json:"eventType"`
	Bounce    *struct {
		BounceType    string `json:"bounceType"`
		BounceSubType string `json:"bounceSubType"`
	} `json:"bounce"`
	Complaint *struct {
		ComplaintFeedbackType string `json:"complaintFeedbackType"`
	} `json:"complaint"`
	Mail struct {
		Tags map[string][]string `json:"tags"`
	} `json:"mail"`
}

// ParseSESFeedback reads one SES event-publishing record. It returns nil, nil for an event that
// says nothing about a channel: another event type, or mail sent without the channel's tags
// (not by Overdue, or before the tags existed).
func ParseSESFeedback(body []byte) (*SESFeedback, error) {
	var ev sesEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		return nil, fmt.Errorf("decode SES event: %w", err)
	}
	tag := func(name string) string {
		if v := ev.Mail.Tags[name]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	fb := &SESFeedback{ProjectID: tag(SESTagProject), ChannelID: tag(SESTagChannel)}
	switch ev.EventType {
	case "Bounce":
		if ev.Bounce == nil {
			return nil, errors.New("decode SES event: a Bounce without its bounce object")
		}
		kind := strings.ToLower(ev.Bounce.BounceType)
		fb.Disable = ev.Bounce.BounceType == "Permanent"
		fb.Reason = fmt.Sprintf("SES: the address bounced (%s, %s)", kind, ev.Bounce.BounceSubType)
		if fb.Disable {
			fb.Reason += "; the channel is disabled: fix the address and enable it again"
		}
	case "Complaint":
		typ := "no feedback type"
		if ev.Complaint != nil && ev.Complaint.ComplaintFeedbackType != "" {
			typ = ev.Complaint.ComplaintFeedbackType
		}
		fb.Disable = true
		fb.Reason = fmt.Sprintf("SES: the recipient marked an alert as spam (%s); the channel is disabled", typ)
	default:
		return nil, nil
	}
	if fb.ProjectID == "" || fb.ChannelID == "" {
		return nil, nil
	}
	return fb, nil
}
