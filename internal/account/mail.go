package account

import (
	"context"
	"fmt"
	"io"
	"sync"
)

// Mail is one message to a person about their account: a set-password link, an invitation.
// It is plain text; the one thing it carries that matters is a link.
type Mail struct {
	To      string
	Subject string
	Text    string
	// Link is the one URL of ours the text carries, the only line a mail's HTML part makes a
	// link: the rest of the text may hold what someone else typed (an inviter's name), which
	// must never become a link sent from our address.
	Link string
}

// Mailer sends account mail. The composition roots give one: the console of `overdue serve`
// when it has no mail transport, SMTP or SES otherwise.
type Mailer interface {
	SendMail(ctx context.Context, m Mail) error
}

// MailerFunc adapts a function to Mailer.
type MailerFunc func(ctx context.Context, m Mail) error

// SendMail calls f.
func (f MailerFunc) SendMail(ctx context.Context, m Mail) error { return f(ctx, m) }

// ConsoleMailer prints each message on W: how `overdue serve` without a mail transport hands a
// reset or invitation link to whoever runs it. The console is the operator's, not a log, so the
// link may appear there (it is one-time and expires).
type ConsoleMailer struct {
	W  io.Writer
	mu sync.Mutex
}

// SendMail prints the message between two rules.
func (c *ConsoleMailer) SendMail(_ context.Context, m Mail) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err := fmt.Fprintf(c.W, "---- mail to %s: %s (no mail transport; printed here) ----\n%s\n----\n", m.To, m.Subject, m.Text)
	return err
}
