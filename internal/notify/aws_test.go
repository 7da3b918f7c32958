package notify_test

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/notify"
)

// These tests run against moto_server, which scripts/with-moto.sh starts and names in
// OVERDUE_MOTO_URL. Other packages share it in parallel, so every test uses names of its own
// and nothing here resets it.

const motoMissing = "moto_server is not running: run the tests with 'make test' (which starts it), " +
	"or install it with pip install 'moto[server]'"

func motoConfig(t *testing.T) (aws.Config, string) {
	t.Helper()
	url := os.Getenv("OVERDUE_MOTO_URL")
	if url == "" {
		t.Fatal(motoMissing)
	}
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(url),
	}, url
}

// unique is a lowercase name part no other test run uses.
func unique() string { return strings.ToLower(rand.Text()[:12]) }

// motoData reads moto's record of everything it holds: service → model → instances.
func motoData(t *testing.T, url string) map[string]map[string][]json.RawMessage {
	t.Helper()
	resp, err := http.Get(url + "/moto-api/data.json")
	if err != nil {
		t.Fatalf("read moto data: %v", err)
	}
	defer resp.Body.Close()
	var data map[string]map[string][]json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&data); err != nil {
		t.Fatalf("decode moto data: %v", err)
	}
	return data
}

func TestSESOnMoto(t *testing.T) {
	cfg, url := motoConfig(t)
	client := sesv2.NewFromConfig(cfg)
	domain := "t" + unique() + ".example.com"
	if _, err := client.CreateEmailIdentity(t.Context(), &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String(domain)}); err != nil {
		t.Fatalf("CreateEmailIdentity = %v", err)
	}
	ses, err := notify.NewSES(client, notify.SESConfig{From: "Overdue <alerts@" + domain + ">"})
	if err != nil {
		t.Fatal(err)
	}
	to := "alice-" + unique() + "@example.org"
	if err := ses.Send(t.Context(), email(to), message(t), "c:7:e"); err != nil {
		t.Fatalf("Send = %v", err)
	}

	type sent struct {
		Source       string `json:"source"`
		Subject      string `json:"subject"`
		Body         string `json:"body"`
		Destinations struct {
			ToAddresses []string `json:"ToAddresses"`
		} `json:"destinations"`
	}
	var found []sent
	for _, raw := range motoData(t, url)["ses"]["Message"] {
		var m sent
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		if slices.Contains(m.Destinations.ToAddresses, to) {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		t.Fatalf("moto holds %d messages to %s, want 1", len(found), to)
	}
	m := found[0]
	if m.Subject != "DOWN | simple" || !strings.Contains(m.Source, "alerts@"+domain) {
		t.Errorf("message from %q, subject %q; want from alerts@%s, subject DOWN | simple", m.Source, m.Subject, domain)
	}
	// moto keeps one body of simple content, the HTML one when there is one.
	if !strings.Contains(m.Body, "success signal did not arrive on time") || !strings.Contains(m.Body, "<table") {
		t.Errorf("body = %q, want the HTML alert", m.Body)
	}
}

// TestSESUnverifiedSenderIsTransient: SES rejecting our own sender is our configuration, not the
// channel's fault; it must not disable the channel.
func TestSESUnverifiedSenderIsTransient(t *testing.T) {
	cfg, _ := motoConfig(t)
	ses, err := notify.NewSES(sesv2.NewFromConfig(cfg), notify.SESConfig{From: "alerts@unverified-" + unique() + ".example.com"})
	if err != nil {
		t.Fatal(err)
	}
	err = ses.Send(t.Context(), email("bob@example.org"), message(t), "d")
	if err == nil || notify.IsPermanent(err) {
		t.Fatalf("Send from an unverified sender = %v, want a transient error", err)
	}
	if !strings.HasPrefix(err.Error(), "SES MessageRejected: ") {
		t.Errorf("error = %q, want it shortened to the service, code and message", err)
	}
}

func TestSMSOnMoto(t *testing.T) {
	cfg, url := motoConfig(t)
	tr := notify.NewSMS(sns.NewFromConfig(cfg))
	var digits strings.Builder
	for _, b := range []byte(rand.Text()[:7]) {
		digits.WriteByte('0' + b%10)
	}
	phone := "+1555" + digits.String()
	m := message(t)
	ch := &check.Channel{ID: "e1", ProjectID: "p", Kind: check.ChannelSMS, Value: phone}
	if err := tr.Send(t.Context(), ch, m, "d"); err != nil {
		t.Fatalf("Send = %v", err)
	}
	var got []string
	for _, raw := range motoData(t, url)["sns"]["SMS"] {
		var s struct {
			Phone   string `json:"phone_number"`
			Message string `json:"message"`
		}
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatal(err)
		}
		if s.Phone == phone {
			got = append(got, s.Message)
		}
	}
	if len(got) != 1 || got[0] != m.SMS {
		t.Errorf("SMS to %s = %q, want one: %q", phone, got, m.SMS)
	}

	ch.Value = "+0123"
	if err := tr.Send(t.Context(), ch, m, "d"); !notify.IsPermanent(err) {
		t.Errorf("Send to %s = %v, want a permanent error", ch.Value, err)
	}
}

func TestTopicOnMoto(t *testing.T) {
	cfg, url := motoConfig(t)
	client := sns.NewFromConfig(cfg)
	name := "overdue-test-" + unique()
	out, err := client.CreateTopic(t.Context(), &sns.CreateTopicInput{Name: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateTopic = %v", err)
	}
	arn := aws.ToString(out.TopicArn)
	t.Cleanup(func() { client.DeleteTopic(t.Context(), &sns.DeleteTopicInput{TopicArn: &arn}) })
	tr := notify.NewTopic(client)
	ch := &check.Channel{ID: "e1", ProjectID: "p1", Kind: check.ChannelSNS, Value: arn}
	if err := tr.Send(t.Context(), ch, message(t), "c:7:e1"); err != nil {
		t.Fatalf("Send = %v", err)
	}

	var notes [][]json.RawMessage
	for _, raw := range motoData(t, url)["sns"]["Topic"] {
		var topic struct {
			ARN  string              `json:"arn"`
			Sent [][]json.RawMessage `json:"sent_notifications"`
		}
		if err := json.Unmarshal(raw, &topic); err != nil {
			t.Fatal(err)
		}
		if topic.ARN == arn {
			notes = topic.Sent
		}
	}
	// Each notification is [message_id, message, subject, attributes, group_id].
	if len(notes) != 1 || len(notes[0]) < 4 {
		t.Fatalf("topic %s holds %d notifications, want 1", arn, len(notes))
	}
	var msg, subject string
	var attrs map[string]struct {
		Type  string `json:"Type"`
		Value string `json:"Value"`
	}
	if err := errors.Join(json.Unmarshal(notes[0][1], &msg), json.Unmarshal(notes[0][2], &subject),
		json.Unmarshal(notes[0][3], &attrs)); err != nil {
		t.Fatalf("notification %s: %v", notes[0], err)
	}
	var ev notify.Event
	if err := json.Unmarshal([]byte(msg), &ev); err != nil || ev.Delivery != "c:7:e1" || ev.Flip.New != "down" {
		t.Errorf("message = %s (%v), want the event JSON", msg, err)
	}
	if subject != "DOWN | simple" {
		t.Errorf("subject = %q, want DOWN | simple", subject)
	}
	for k, want := range map[string]string{"status": "down", "check": ev.Check.UUID, "project": "p1", "delivery": "c:7:e1"} {
		if attrs[k].Value != want || attrs[k].Type != "String" {
			t.Errorf("attribute %s = %+v, want String %q", k, attrs[k], want)
		}
	}

	ch.Value = strings.TrimSuffix(arn, name) + "overdue-missing-" + unique()
	if err := tr.Send(t.Context(), ch, message(t), "d"); !notify.IsPermanent(err) {
		t.Errorf("Send to a missing topic = %v, want a permanent error", err)
	}
}
