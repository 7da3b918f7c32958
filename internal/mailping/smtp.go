package mailping

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// MaxMessageBytes is the largest message the SMTP listener accepts, read whole into memory;
// the stored body is capped further by Receiver.BodyLimit. SES, the AWS path, bounces anything
// over 150 KB itself; a cron job's mail is a few kilobytes.
const MaxMessageBytes = 1 << 20

// MaxSessions is how many SMTP sessions the listener serves at once. The port takes mail from
// anyone, so this bounds what a flood can hold in memory (MaxSessions × MaxMessageBytes); a
// client past it is told to try again later (a 4xx answer to its HELO/EHLO), as mail servers
// retry.
const MaxSessions = 100

// NewServer returns an SMTP server that hands each message to rec. It takes mail from anyone
// (it is a ping endpoint, like the HTTP one) and offers no authentication; serve it with
// Serve(listener) and stop it with Close.
func NewServer(rec *Receiver) *smtp.Server { return newServer(rec, MaxSessions) }

// newServer is NewServer with at most sessions sessions at once.
func newServer(rec *Receiver, sessions int) *smtp.Server {
	slots := make(chan struct{}, sessions)
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		select {
		case slots <- struct{}{}:
		default:
			return nil, &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "Too many connections, try again later"}
		}
		addr := ""
		if a, ok := c.Conn().RemoteAddr().(*net.TCPAddr); ok {
			addr = a.IP.String()
		}
		return &session{rec: rec, remote: addr, release: func() { <-slots }}, nil
	}))
	s.Domain = rec.Domain
	s.MaxMessageBytes = MaxMessageBytes
	s.MaxRecipients = 50
	s.ReadTimeout = time.Minute
	s.WriteTimeout = time.Minute
	return s
}

type session struct {
	rec     *Receiver
	remote  string
	from    string
	to      []Address
	release func() // gives the session's slot back
	done    sync.Once
}

func (s *session) Reset() { s.from, s.to = "", nil }

func (s *session) Logout() error {
	s.done.Do(s.release)
	return nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	a, err := s.rec.Parse(to)
	switch {
	case errors.Is(err, ErrOtherDomain):
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "Recipient rejected"}
	case err != nil:
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "Invalid mailbox"}
	}
	s.to = append(s.to, a)
	return nil
}

func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.rec.Deliver(ctx, s.from, s.to, s.remote, raw); err != nil {
		s.rec.log().Error("email ping not recorded", "error", err.Error())
		// A transient refusal: the sender's server tries again later.
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
	}
	return nil
}
