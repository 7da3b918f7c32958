// Package notify delivers flips: every flip that alerts anyone goes to each enabled channel
// assigned to its check, once, through the transport for the channel's kind.
//
// # Flow
//
// Flips are the outbox. Dispatcher.DeliverFlip takes one flip: it skips flips that alert no one
// (new→up, paused→up, pause and resume, as in Healthchecks), loads the check, renders one
// Message (subject, text and HTML bodies, SMS line, JSON event), and for each of the check's
// channels claims a delivery record and sends. Only then does it mark the flip processed, so a
// crash at any point leaves the flip in the outbox and the next run picks it up. `overdue serve`
// calls Dispatcher.Run in a loop (unprocessed flips, then due retries); the DynamoDB Streams
// handler calls DeliverFlip per stream record and RetryDue on a schedule.
//
// # Exactly once on the outside
//
// Each (flip, channel) pair has one Delivery record, keyed by DeliveryID(check, flip, channel).
// Deliveries.Claim creates it conditionally; whoever creates it makes the first attempt, and
// everyone else, a retried batch, a duplicate stream record, a second dispatcher, finds it and
// sends nothing. Every later change is an Update conditional on the record's Version, so only
// one worker ever holds an attempt.
//
// An attempt is a lease: a pending record carries NextAttempt = now + Retry.Lease (2 minutes),
// and a send is cut off at half the lease. If a worker dies between claiming and recording, the
// lease runs out, the record becomes due, and another worker sends. That is the one window in
// which a message can go out twice: the provider accepted it and the worker died before writing
// "sent". So delivery is exactly-once except for a crash in that window, where it is
// at-least-once; it is never at-most-once. Webhooks and SNS topics carry the delivery ID
// (X-Overdue-Delivery header, "delivery" field and attribute) and SMTP mail a Message-ID
// derived from it, so receivers can drop that rare repeat.
//
// # Failures
//
// A Transport's error is transient unless marked Permanent. A transient failure is retried with
// backoff (Retry: 30 s, 2 min, 10 min, 30 min by default; five attempts) by RetryDue; after the
// last attempt the delivery is parked: it stays, with its error, in Deliveries.Parked for the
// API, the channel's LastError says so, and an error-level "delivery parked" log line feeds the
// alarm. A permanent failure (the address, number, topic or URL is wrong: what only the
// channel's owner can fix) ends the delivery as failed and disables the channel with the error,
// as Healthchecks does, instead of retrying forever. Failures of our own configuration (an
// unverified SES sender, missing permissions to send SMS) are transient on purpose: they must
// not disable every channel at once, and once fixed the retries go out.
//
// A channel whose kind has no transport at all (`overdue serve` without --smtp-host has no way
// to send email) is parked at its first attempt, with Dispatcher.Undeliverable's reason (what is
// missing and how to enable it) as the delivery's error and the channel's LastError, so the
// operator sees it in the parked list and not only in a log. The channel is not disabled: that is
// the server's configuration, not the channel, and once the transport is there the next alert
// goes out. The parked one is not sent late, as no parked delivery is.
//
// # Transports
//
//   - email: SES v2 SendEmail (SES) in AWS; SMTP (SMTP) for `overdue serve`.
//   - sms: SNS Publish to a phone number (SMS), one message of at most 160 GSM characters.
//   - sns: SNS Publish to a topic (Topic): the JSON event, with message attributes status,
//     check, project and delivery for subscription filter policies.
//   - webhook: HTTP POST of the JSON event (Webhook), 10 s timeout, signed with
//     X-Overdue-Signature: sha256=<hex HMAC-SHA256 of the body> under the channel's signing
//     secret (WebhookSecret).
//   - service kinds (slack, discord, msteamsw, mattermost, pd, …): one file each, kind_<name>.go,
//     holding the kind's validator (ValidateChannel reaches it, with errors naming the bad field)
//     and its request (the message laid out in the service's own format), listed once in
//     serviceKinds and sent by one shared service transport (NewServices). Its outcomes: 2xx
//     sent; 429, 408, 5xx and network errors transient, a Retry-After honoured (RetryAfterError:
//     the dispatcher waits at least that long, capped at MaxRetryAfter); other answers permanent,
//     with the service's error text, keys scrubbed. Services with a fixed address take their base
//     URL from ServicesConfig.BaseURLs, which the composition roots fill from OVERDUE_URL_<KIND>
//     (ParseBaseURLs); this package reads no environment.
//
// AWS clients come in as the small SESClient and SNSClient interfaces, built once in main. Logs
// carry check, flip, channel and delivery IDs, the channel kind and the attempt's error; never
// message bodies, channel targets (a webhook URL may hold a token) or keys. Errors are stored
// and logged without the URL net/http puts in them, shortened to 200 characters.
package notify
