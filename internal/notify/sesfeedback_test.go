package notify

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/check"
)

// TestParseSESFeedback reads SES event-publishing records in the shape SES publishes them to SNS:
// a permanent bounce and a complaint disable the channel their tags name; a transient bounce
// notes it only; other events and untagged mail say nothing about a channel.
func TestParseSESFeedback(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	bounce, complaint := read("ses-bounce.json"), read("ses-complaint.json")
	const project = "8f14e45f-ceea-467f-a0e6-6d4b2f3c1a20"
	for _, tc := range []struct {
		name, body string
		want       *SESFeedback
	}{
		{"permanent bounce", bounce, &SESFeedback{ProjectID: project, ChannelID: "c1d2e3f4-0000-4000-8000-000000000001",
			Reason: "SES: the address bounced (permanent, General); the channel is disabled: fix the address and enable it again", Disable: true}},
		{"transient bounce", strings.Replace(bounce, `"Permanent"`, `"Transient"`, 1), &SESFeedback{ProjectID: project,
			ChannelID: "c1d2e3f4-0000-4000-8000-000000000001", Reason: "SES: the address bounced (transient, General)"}},
		{"complaint", complaint, &SESFeedback{ProjectID: project, ChannelID: "c1d2e3f4-0000-4000-8000-000000000002",
			Reason: "SES: the recipient marked an alert as spam (abuse); the channel is disabled", Disable: true}},
		{"delivery", strings.Replace(bounce, `"eventType": "Bounce"`, `"eventType": "Delivery"`, 1), nil},
		{"untagged", strings.Replace(bounce, `"overdue-channel"`, `"other"`, 1), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSESFeedback([]byte(tc.body))
			if err != nil {
				t.Fatalf("ParseSESFeedback() error = %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseSESFeedback() (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := ParseSESFeedback([]byte(`{"eventType": "Bounce"}`)); err == nil {
		t.Error("ParseSESFeedback(a Bounce without bounce) = nil error")
	}
	if _, err := ParseSESFeedback([]byte(`not json`)); err == nil {
		t.Error("ParseSESFeedback(not JSON) = nil error")
	}
}

// recordingSES keeps the SendEmail requests it gets.
type recordingSES struct{ got []*sesv2.SendEmailInput }

func (r *recordingSES) SendEmail(_ context.Context, in *sesv2.SendEmailInput, _ ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
	r.got = append(r.got, in)
	return &sesv2.SendEmailOutput{}, nil
}

// TestSESTagsWithConfigurationSet: through a configuration set, every email carries the tags
// that let its bounces and complaints find the channel; without one, no tags.
func TestSESTagsWithConfigurationSet(t *testing.T) {
	ch := &check.Channel{ID: "c1d2e3f4-0000-4000-8000-000000000001", ProjectID: "8f14e45f-ceea-467f-a0e6-6d4b2f3c1a20", Kind: check.ChannelEmail, Value: "ops@example.org"}
	m := &Message{Subject: "s", Text: "t", HTML: "<p>t</p>"}
	for _, cfgSet := range []string{"overdue-dev", ""} {
		rec := &recordingSES{}
		ses, err := NewSES(rec, SESConfig{From: "alerts@example.org", ConfigurationSet: cfgSet})
		if err != nil {
			t.Fatal(err)
		}
		if err := ses.Send(t.Context(), ch, m, "d1"); err != nil {
			t.Fatal(err)
		}
		tags := map[string]string{}
		for _, tag := range rec.got[0].EmailTags {
			tags[aws.ToString(tag.Name)] = aws.ToString(tag.Value)
		}
		want := map[string]string{}
		if cfgSet != "" {
			want = map[string]string{SESTagProject: ch.ProjectID, SESTagChannel: ch.ID}
		}
		if diff := cmp.Diff(want, tags); diff != "" || aws.ToString(rec.got[0].ConfigurationSetName) != cfgSet {
			t.Errorf("configuration set %q: sent with %q and tags (-want +got):\n%s", cfgSet, aws.ToString(rec.got[0].ConfigurationSetName), diff)
		}
	}
}
