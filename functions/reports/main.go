// Command reports is the Lambda function an EventBridge schedule invokes every five minutes: one
// run of internal/report, which mails each person the report (daily, weekly or monthly) and the
// reminders (hourly or daily, while a check is down) they chose, in their time zone, through
// SES.
//
// Each person's mail for a slot goes out once however often the function runs, overlaps itself
// or is retried: the run claims a record keyed by the person, the kind and the slot before it
// sends. A send that fails transiently is tried again by a later run; a failed run returns its
// error, so Lambda counts it and the alarm on the function's errors sees it. A run that refuses
// the data model sends nothing and counts in the DataModelRefused metric.
//
// Environment: TABLE_NAME, EMAIL_FROM (the sender, on an identity verified in SES), SITE_ROOT
// (the base of the dashboard links), LOG_LEVEL. Build with `make build` (dist/reports/bootstrap).
package main

import (
	"context"
	"fmt"
	_ "time/tzdata" // people's time zones are evaluated here; Lambda has no zone database.

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/overduehq/overdue/internal/lambdaenv"
	"github.com/overduehq/overdue/internal/notify"
	"github.com/overduehq/overdue/internal/report"
)

// needs are the shared pieces the function uses: the table (no secret: it reads no channel).
var needs = lambdaenv.Needs{Store: true}

func main() { lambdaenv.Main(build) }

// build is the function's cold start: the shared root, the SES transport and the handler.
func build(ctx context.Context, env *lambdaenv.Env) (any, error) {
	from := env.Require(lambdaenv.EmailFrom)
	site := env.URL(lambdaenv.SiteRoot)
	root, err := lambdaenv.Build(ctx, env, needs)
	if err != nil {
		return nil, err
	}
	// No configuration set: its bounce handling disables the channel a message was sent to,
	// and a report is sent to a person, not to a channel.
	mail, err := notify.NewSES(sesv2.NewFromConfig(root.AWS), notify.SESConfig{From: from})
	if err != nil {
		return nil, fmt.Errorf("configuration: %s: %w", lambdaenv.EmailFrom, err)
	}
	return newHandler(root, mail, site).handle, nil
}

// handler runs the reporter once per scheduled event.
type handler struct {
	root     *lambdaenv.Root
	reporter *report.Reporter
}

// newHandler returns the handler over the root's store and clock (tests pin it), sending
// through mail.
func newHandler(root *lambdaenv.Root, mail notify.Transport, siteRoot string) *handler {
	return &handler{root: root, reporter: &report.Reporter{Store: root.Store, People: root.Store.People(), Mail: mail,
		SiteRoot: siteRoot, Now: root.Now, Logger: root.Log}}
}

// handle runs at the handler's clock, not at the event's time, as the sweep does: a late
// invocation judges slots by when it runs. It asks the data-model guard first.
func (h *handler) handle(ctx context.Context, ev events.EventBridgeEvent) error {
	log := h.root.Log
	if err := h.root.Guard(ctx); err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	res, err := h.reporter.Run(ctx)
	attrs := []any{"event", ev.ID, "reports", res.Reports, "reminders", res.Reminders, "retrying", res.Retrying, "failed", res.Failed}
	if err != nil {
		lambdaenv.Refuse(ctx, err, log, h.root.Refusals)
		log.ErrorContext(ctx, "reports failed", append(attrs, "error", err.Error())...)
		return fmt.Errorf("reports: %w", err)
	}
	log.InfoContext(ctx, "reports run", attrs...)
	return nil
}
