package check

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
)

// The channel kinds Overdue delivers to. A channel's Value is the kind's target: an email
// address, an E.164 phone number, an SNS topic ARN or a webhook URL.
const (
	ChannelEmail   = "email"
	ChannelSMS     = "sms"
	ChannelSNS     = "sns"
	ChannelWebhook = "webhook"
)

// ChannelKinds lists the channel kinds, in the order error messages name them.
var ChannelKinds = []string{ChannelEmail, ChannelSMS, ChannelSNS, ChannelWebhook}

// Limits of a channel's fields.
const (
	// MaxChannelName is the longest channel name, in characters (Healthchecks' Channel.name).
	MaxChannelName = 100
	// MaxWebhookURL is the longest webhook URL accepted: longer URLs are not portable.
	MaxWebhookURL = 2048
)

// ValidateChannel checks that value is a usable target for a channel of kind. The error says
// what was wrong and what to send instead, in one line, ready to show to whoever sent it.
func ValidateChannel(kind, value string) error {
	var err error
	switch kind {
	case ChannelEmail:
		err = validateEmail(value)
	case ChannelSMS:
		err = validatePhone(value)
	case ChannelSNS:
		err = validateTopicARN(value)
	case ChannelWebhook:
		err = validateWebhook(value)
	case "":
		return fmt.Errorf("channel kind is missing: send one of %s", strings.Join(ChannelKinds, ", "))
	default:
		return fmt.Errorf("unknown channel kind %q: send one of %s", kind, strings.Join(ChannelKinds, ", "))
	}
	if err != nil {
		if value == "" {
			return fmt.Errorf("the %s channel has no value: %w", kind, err)
		}
		return fmt.Errorf("invalid %s channel value %q: %w", kind, value, err)
	}
	return nil
}

// validateEmail accepts a single bare address with a plausible domain: no display name, no angle
// brackets, no list.
func validateEmail(v string) error {
	const want = "send a single address such as alice@example.org, without a display name"
	if v == "" {
		return errors.New(want)
	}
	a, err := mail.ParseAddress(v)
	if err != nil || a.Name != "" || a.Address != v {
		return fmt.Errorf("not an email address; %s", want)
	}
	at := strings.LastIndexByte(v, '@')
	domain := v[at+1:]
	// Django's validator, which Healthchecks uses, allows "localhost" as the one dotless domain.
	if domain != "localhost" && (!strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") ||
		strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") || strings.HasPrefix(domain, "[")) {
		return fmt.Errorf("the domain %q is not a host name; %s", domain, want)
	}
	if len(v) > 254 {
		return fmt.Errorf("the address is longer than 254 characters; %s", want)
	}
	return nil
}

// validatePhone accepts an E.164 number: "+", a country code that does not start with 0, and 8 to
// 15 digits in all.
func validatePhone(v string) error {
	const want = `send "+", the country code and the number, 8 to 15 digits without spaces, such as +14155550100`
	if v == "" {
		return errors.New(want)
	}
	digits, ok := strings.CutPrefix(v, "+")
	if !ok {
		return fmt.Errorf("not in E.164 form (it must start with +); %s", want)
	}
	if len(digits) < 8 || len(digits) > 15 || !allDigits(digits) || digits[0] == '0' {
		return fmt.Errorf("not an E.164 phone number; %s", want)
	}
	return nil
}

// validateTopicARN accepts arn:<partition>:sns:<region>:<account>:<topic> for a standard topic.
func validateTopicARN(v string) error {
	const want = "send a topic ARN such as arn:aws:sns:eu-west-1:123456789012:alerts"
	if v == "" {
		return errors.New(want)
	}
	parts := strings.Split(v, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sns" {
		return fmt.Errorf("not an SNS topic ARN; %s", want)
	}
	partition, region, account, topic := parts[1], parts[3], parts[4], parts[5]
	switch {
	case partition != "aws" && partition != "aws-cn" && partition != "aws-us-gov":
		return fmt.Errorf("unknown partition %q (use aws, aws-cn or aws-us-gov); %s", partition, want)
	case !isRegion(region):
		return fmt.Errorf("the region %q is not an AWS region name; %s", region, want)
	case len(account) != 12 || !allDigits(account):
		return fmt.Errorf("the account %q is not a 12-digit AWS account ID; %s", account, want)
	case strings.HasSuffix(topic, ".fifo"):
		return fmt.Errorf("FIFO topics are not supported; %s", want)
	case !isTopicName(topic):
		return fmt.Errorf("the topic name %q must be 1 to 256 letters, digits, hyphens or underscores; %s", topic, want)
	}
	return nil
}

// validateWebhook accepts an absolute http or https URL with a host.
func validateWebhook(v string) error {
	const want = "send an absolute http:// or https:// URL such as https://example.org/hooks/overdue"
	if v == "" {
		return errors.New(want)
	}
	if len(v) > MaxWebhookURL {
		return fmt.Errorf("the URL is longer than %d characters; %s", MaxWebhookURL, want)
	}
	u, err := url.Parse(v)
	if err != nil {
		return fmt.Errorf("not a URL; %s", want)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("the scheme must be http or https; %s", want)
	}
	if u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("the URL has no host; %s", want)
	}
	if strings.ContainsAny(v, " \t\r\n") {
		return fmt.Errorf("the URL contains white space; %s", want)
	}
	return nil
}

// isRegion reports whether s looks like an AWS region name: lowercase words joined by hyphens and
// ending in a number, such as eu-west-1 or us-gov-west-1.
func isRegion(s string) bool {
	words := strings.Split(s, "-")
	if len(words) < 3 {
		return false
	}
	for i, w := range words {
		if w == "" {
			return false
		}
		last := i == len(words)-1
		for j := 0; j < len(w); j++ {
			c := w[j]
			if last && !('0' <= c && c <= '9') || !last && !('a' <= c && c <= 'z') {
				return false
			}
		}
	}
	return true
}

func isTopicName(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
