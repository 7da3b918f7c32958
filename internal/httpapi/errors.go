package httpapi

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/store"
)

// clientError is a problem with the request: the status and message the client sees. Handlers
// return these (or store errors); statusOf turns every error into a status in one place.
type clientError struct {
	status  int
	message string
}

func (e *clientError) Error() string { return e.message }

// The ping API's client errors, with Healthchecks' exact bodies.
var (
	errInvalidURL    = &clientError{http.StatusBadRequest, "invalid url format"}
	errInvalidRID    = &clientError{http.StatusBadRequest, "invalid uuid format"}
	errAmbiguousSlug = &clientError{http.StatusConflict, "ambiguous slug"}
	// errTooManyChecks is answered as a plain 404, as Healthchecks does when auto-provisioning
	// would exceed the owner's limit.
	errTooManyChecks = &clientError{http.StatusNotFound, "not found"}
	// Healthchecks answers an oversized body with Django's generic "Bad Request" page; saying what
	// was wrong is more useful and no client depends on that page.
	errBodyTooLarge = &clientError{http.StatusBadRequest, "request body too large"}
	errBodyRead     = &clientError{http.StatusBadRequest, "could not read the request body"}
)

// fieldError is the ping API's 400 for a check field the domain refuses: the field, what is wrong
// and what would do ("slug is too long (at most 100 characters)").
func fieldError(err error) error {
	var fe *check.FieldError
	if errors.As(err, &fe) {
		return &clientError{http.StatusBadRequest, fe.Advice()}
	}
	return &clientError{http.StatusBadRequest, err.Error()}
}

// statusOf maps an error to the status and message a client sees. It is the one place errors
// become status codes; anything it does not recognise is an internal error whose details stay in
// the log.
func statusOf(err error) (int, string) {
	var ce *clientError
	switch {
	case errors.As(err, &ce):
		return ce.status, ce.message
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, "not found"
	case errors.Is(err, store.ErrConflict):
		return http.StatusConflict, "conflict, please retry"
	case schema.Refused(err) != nil:
		// The data model moved past this build, or has not reached it yet: nothing was written,
		// and the message names both versions and what to do (DESIGN.md, "code and data model
		// ship together").
		return http.StatusServiceUnavailable, schema.Refused(err).Error()
	default:
		return http.StatusInternalServerError, "internal server error"
	}
}

// writePingError answers a ping with the status and plain message for err (text/html, like every
// Healthchecks ping response, but without the success-only CORS and Ping-Body-Limit headers).
// Internal errors are logged with attrs, which must never include keys or bodies.
func (s *Server) writePingError(w http.ResponseWriter, r *http.Request, err error, attrs ...any) {
	status, msg := statusOf(err)
	if status >= http.StatusInternalServerError {
		s.log.ErrorContext(r.Context(), "ping failed", append(attrs, slog.Any("error", err))...)
	}
	// A refused ping (not found, a bad URL) is ping intake working; a server error is not.
	s.countPing(r.Context(), status >= http.StatusInternalServerError)
	writeBody(w, status, msg)
}
