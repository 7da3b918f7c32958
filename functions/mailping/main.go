// Command mailping is the Lambda function that turns email into pings on AWS, as `overdue serve
// --smtp-listen` does locally (internal/mailping). The stack creates it only for a stage that
// names a ping domain (the pingDomain setting): an SES receipt rule for that domain publishes
// each message, whole, to an SNS topic (the SNS action, Base64 encoding), and the topic invokes
// this function. The message reaches the function inside its event: there is no bucket of
// mail to protect and expire, and no second request to read it. SES refuses messages larger
// than 150 KB for this action itself, with a bounce to the sender; the ping keeps the first
// 100 kB, as locally.
//
// Each recipient of the message in the ping domain, <uuid>@<domain> or <ping key>+<slug>@<domain>,
// is pinged through internal/mailping's Receiver, so the subject and body keyword filters decide
// success, start, failure or nothing exactly as they do locally. SES has accepted the message
// before this function sees it, so a recipient that names no check cannot be refused: it is
// logged (the address's shape, never the message) and dropped, without a bounce. A notification
// without content (headers only) is still a ping, its subject read from the headers.
//
// A failure of the store fails the invocation, and Lambda tries the event again (twice, for an
// asynchronous invocation from SNS); a notification that cannot be read never succeeds and is
// logged and dropped.
//
// Environment: TABLE_NAME, PING_DOMAIN, LOG_LEVEL. Build with `make build`
// (dist/mailping/bootstrap).
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	_ "time/tzdata" // cron and OnCalendar checks are evaluated in their zones; Lambda has no zone database.

	"github.com/aws/aws-lambda-go/events"

	"github.com/overduehq/overdue/internal/lambdaenv"
	"github.com/overduehq/overdue/internal/mailping"
)

// PingDomain is the variable naming the stage's ping domain.
const PingDomain = "PING_DOMAIN"

// needs are the shared pieces the function uses: the table.
var needs = lambdaenv.Needs{Store: true}

func main() { lambdaenv.Main(build) }

// build is the function's cold start: the ping domain, the shared root, the handler.
func build(ctx context.Context, env *lambdaenv.Env) (any, error) {
	domain := env.Require(PingDomain)
	root, err := lambdaenv.Build(ctx, env, needs)
	if err != nil {
		return nil, err
	}
	return newHandler(root, domain).handle, nil
}

// handler records the email pings of the notifications in one SNS event.
type handler struct {
	root *lambdaenv.Root
	rec  *mailping.Receiver
}

// newHandler returns the handler over the root's store and clock (tests pin it).
func newHandler(root *lambdaenv.Root, domain string) *handler {
	return &handler{root: root, rec: &mailping.Receiver{Store: root.Store, Now: root.Now, Domain: domain, Logger: root.Log}}
}

// notification is what SES publishes to the topic for a received message: the Amazon SES
// notification for the SNS action, with the raw message in content.
type notification struct {
	NotificationType string `json:"notificationType"`
	Mail             struct {
		Source    string `json:"source"`
		MessageID string `json:"messageId"`
		Headers   []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"headers"`
	} `json:"mail"`
	Receipt struct {
		Recipients []string `json:"recipients"`
		Action     struct {
			Type     string `json:"type"`
			Encoding string `json:"encoding"`
		} `json:"action"`
	} `json:"receipt"`
	Content string `json:"content"`
}

// errUnreadable marks a notification that will never be read, however often it is retried.
var errUnreadable = errors.New("not an SES receipt notification")

// handle records each record's message. It asks the data-model guard first: a function that may
// not write records nothing and fails the invocation, so that Lambda tries the event again.
func (h *handler) handle(ctx context.Context, ev events.SNSEvent) error {
	if err := h.root.Guard(ctx); err != nil {
		return fmt.Errorf("mailping: %w", err)
	}
	log := h.root.Log
	var failed error
	for _, r := range ev.Records {
		n, raw, err := decode(r.SNS.Message)
		if err != nil {
			// Never logs the message: it may hold a ping body.
			log.ErrorContext(ctx, "email notification dropped", "sns", r.SNS.MessageID, "error", err.Error())
			continue
		}
		var to []mailping.Address
		for _, rcpt := range n.Receipt.Recipients {
			a, err := h.rec.Parse(rcpt)
			if err != nil {
				log.InfoContext(ctx, "email ping for no check", "mail", n.Mail.MessageID, "reason", err.Error())
				continue
			}
			to = append(to, a)
		}
		if len(to) == 0 {
			continue
		}
		if err := h.rec.Deliver(ctx, n.Mail.Source, to, "", raw); err != nil {
			lambdaenv.Refuse(ctx, err, log, h.root.Refusals)
			log.ErrorContext(ctx, "email ping not recorded", "mail", n.Mail.MessageID, "error", err.Error())
			failed = errors.Join(failed, err)
			continue
		}
		log.InfoContext(ctx, "email ping", "mail", n.Mail.MessageID, "recipients", len(to), "bytes", len(raw))
	}
	return failed
}

// decode reads an SES notification and returns it with the raw message: content decoded, or,
// when SES sent none, the message's headers alone, which is enough for the subject filter.
func decode(message string) (*notification, []byte, error) {
	var n notification
	if err := json.Unmarshal([]byte(message), &n); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", errUnreadable, err)
	}
	if n.NotificationType != "Received" {
		return nil, nil, fmt.Errorf("%w: notificationType %q, want Received", errUnreadable, n.NotificationType)
	}
	if n.Content == "" {
		var b strings.Builder
		for _, hd := range n.Mail.Headers {
			b.WriteString(hd.Name + ": " + hd.Value + "\r\n")
		}
		b.WriteString("\r\n")
		return &n, []byte(b.String()), nil
	}
	if !strings.EqualFold(n.Receipt.Action.Encoding, "BASE64") {
		return &n, []byte(n.Content), nil
	}
	raw, err := base64.StdEncoding.DecodeString(n.Content)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: content is not Base64: %v", errUnreadable, err)
	}
	return &n, raw, nil
}
