package mailping

import (
	"context"
	"errors"
	"io"
	"net"
	"time"

	"github.com/emersion/go-smtp"
)

// MaxMessageBytes is the largest message the SMTP listener accepts; the stored body is capped
// further by Receiver.BodyLimit.
const MaxMessageBytes = 10 << 20

// NewServer returns an SMTP server that hands each message to rec. It takes mail from anyone
// (it is a ping endpoint, like the HTTP one) and offers no authentication; serve it with
// Serve(listener) and stop it with Close.
func NewServer(rec *Receiver) *smtp.Server {
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		addr := ""
		if a, ok := c.Conn().RemoteAddr().(*net.TCPAddr); ok {
			addr = a.IP.String()
		}
		return &session{rec: rec, remote: addr}, nil
	}))
	s.Domain = rec.Domain
	s.MaxMessageBytes = MaxMessageBytes
	s.MaxRecipients = 50
	s.ReadTimeout = time.Minute
	s.WriteTimeout = time.Minute
	return s
}

type session struct {
	rec    *Receiver
	remote string
	from   string
	to     []Address
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }

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
