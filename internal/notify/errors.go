package notify

import (
	"errors"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// PermanentError marks a failure that sending again cannot fix: the address was rejected, the
// phone number is not valid, the webhook answered 404. The dispatcher does not retry it; it
// records the delivery as failed and disables the channel with the error. Anything else a
// Transport returns is transient and retried with backoff.
type PermanentError struct {
	Err error
}

// Error is the underlying error's text.
func (e *PermanentError) Error() string { return e.Err.Error() }

// Unwrap gives errors.Is and errors.As the underlying error.
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent marks err as permanent. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// IsPermanent reports whether err, or an error it wraps, was marked with Permanent.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// MaxErrorLen is how many characters of an error a delivery record and a channel keep, as
// Healthchecks' Channel.last_error.
const MaxErrorLen = 200

// errorText is err as stored and shown: without the URL net/http puts in front of transport
// errors (a webhook URL often carries a token), on one line, at most MaxErrorLen characters.
func errorText(err error) string {
	var ue *url.Error
	for errors.As(err, &ue) {
		err = ue.Err
	}
	s := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, err.Error())
	if utf8.RuneCountInString(s) > MaxErrorLen {
		s = string([]rune(s)[:MaxErrorLen-1]) + "…"
	}
	return s
}
