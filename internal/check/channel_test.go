package check

import (
	"strings"
	"testing"
)

func TestValidateChannel(t *testing.T) {
	tests := []struct {
		kind, value string
		wantErr     string // "" for valid; else a part of the message
	}{
		{ChannelEmail, "alice@example.org", ""},
		{ChannelEmail, "alice+ops@mail.example.co.uk", ""},
		{ChannelEmail, "root@localhost", ""},
		{ChannelEmail, "", "has no value: send a single address"},
		{ChannelEmail, "not an address", "not an email address"},
		{ChannelEmail, "Alice <alice@example.org>", "without a display name"},
		{ChannelEmail, "<alice@example.org>", "not an email address"},
		{ChannelEmail, "alice@example.org, bob@example.org", "not an email address"},
		{ChannelEmail, "alice@example", `the domain "example" is not a host name`},
		{ChannelEmail, "alice@example..org", "not an email address"},
		{ChannelEmail, "alice@.example.org", "not an email address"},
		{ChannelEmail, "alice@[192.0.2.1]", "is not a host name"},
		{ChannelEmail, " alice@example.org", "not an email address"},
		{ChannelEmail, strings.Repeat("a", 250) + "@example.org", "longer than 254"},

		{ChannelSMS, "+14155550100", ""},
		{ChannelSMS, "+37120000000", ""},
		{ChannelSMS, "+12345678", ""},
		{ChannelSMS, "+123456789012345", ""},
		{ChannelSMS, "14155550100", "it must start with +"},
		{ChannelSMS, "+1234567", "not an E.164 phone number"},
		{ChannelSMS, "+1234567890123456", "not an E.164 phone number"},
		{ChannelSMS, "+1 415 555 0100", "without spaces"},
		{ChannelSMS, "+04155550100", "not an E.164 phone number"},
		{ChannelSMS, "", "has no value"},

		{ChannelSNS, "arn:aws:sns:eu-west-1:123456789012:alerts", ""},
		{ChannelSNS, "arn:aws-us-gov:sns:us-gov-west-1:123456789012:Ops_Alerts-2", ""},
		{ChannelSNS, "arn:aws-cn:sns:cn-north-1:123456789012:a", ""},
		{ChannelSNS, "arn:aws:sqs:eu-west-1:123456789012:alerts", "not an SNS topic ARN"},
		{ChannelSNS, "arn:aws:sns:eu-west-1:123456789012", "not an SNS topic ARN"},
		{ChannelSNS, "arn:gcp:sns:eu-west-1:123456789012:alerts", `unknown partition "gcp"`},
		{ChannelSNS, "arn:aws:sns:Europe:123456789012:alerts", `the region "Europe"`},
		{ChannelSNS, "arn:aws:sns::123456789012:alerts", "region"},
		{ChannelSNS, "arn:aws:sns:eu-west-1:12345:alerts", "12-digit AWS account ID"},
		{ChannelSNS, "arn:aws:sns:eu-west-1:123456789012:", "1 to 256 letters"},
		{ChannelSNS, "arn:aws:sns:eu-west-1:123456789012:a.b", "1 to 256 letters"},
		{ChannelSNS, "arn:aws:sns:eu-west-1:123456789012:alerts.fifo", "FIFO topics are not supported"},

		{ChannelWebhook, "https://example.org/hooks/overdue?token=x", ""},
		{ChannelWebhook, "http://10.0.0.1:8080/", ""},
		{ChannelWebhook, "ftp://example.org/hook", "scheme must be http or https"},
		{ChannelWebhook, "example.org/hook", "scheme must be http or https"},
		{ChannelWebhook, "https:///path", "has no host"},
		{ChannelWebhook, "https://exa mple.org/", "not a URL"},
		{ChannelWebhook, "https://example.org/a b", "white space"},
		{ChannelWebhook, "https://example.org/" + strings.Repeat("a", MaxWebhookURL), "longer than 2048"},

		{"", "x", "channel kind is missing: send one of email, sms, sns, webhook"},
		{"slack", "x", `unknown channel kind "slack": send one of email, sms, sns, webhook`},
		{"EMAIL", "alice@example.org", "unknown channel kind"},
	}
	for _, tt := range tests {
		err := ValidateChannel(tt.kind, tt.value)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("ValidateChannel(%q, %q) = %v, want nil", tt.kind, tt.value, err)
		case tt.wantErr != "" && err == nil:
			t.Errorf("ValidateChannel(%q, %q) = nil, want an error containing %q", tt.kind, tt.value, tt.wantErr)
		case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
			t.Errorf("ValidateChannel(%q, %q) = %q, want it to contain %q", tt.kind, tt.value, err, tt.wantErr)
		case err != nil && strings.Contains(err.Error(), "\n"):
			t.Errorf("ValidateChannel(%q, %q) = %q, want one line", tt.kind, tt.value, err)
		}
	}
}
