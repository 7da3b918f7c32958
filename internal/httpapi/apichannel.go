package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/notify"
	"github.com/overduehq/overdue/internal/project"
	"github.com/overduehq/overdue/internal/store"
)

// channelsJSON is the body of the channels list.
type channelsJSON struct {
	Channels []channelJSON `json:"channels"`
}

// handleListChannels serves GET /api/v{1,2,3}/channels/ (read-write key only): the project's
// channels, oldest first.
func (s *Server) handleListChannels(w http.ResponseWriter, r *http.Request, v int) {
	ctx := r.Context()
	p, _, err := s.authenticate(ctx, r, nil, readWrite)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	chans, err := store.ListChannels(ctx, s.store, p.ID)
	if err != nil {
		s.writeAPIError(w, r, fmt.Errorf("list channels of project %s: %w", p.ID, err), "project", p.ID)
		return
	}
	out := channelsJSON{Channels: make([]channelJSON, 0, len(chans))}
	for _, ch := range chans {
		out.Channels = append(out.Channels, renderChannelV(ch, v))
	}
	writeJSON(w, http.StatusOK, out)
}

// handleCreateChannel serves POST /api/v3/channels/, an Overdue extension (Healthchecks manages
// channels only in its web UI): {"kind": one of notify.ChannelKinds ("email", "slack", "pd", …),
// "value": the kind's target or configuration (a string, or for kinds with several fields a JSON
// object, stored as its JSON text), "name": optional, default the value, "delay" and "repeat":
// optional timing in whole seconds (check.ValidateTiming; not for a group), "late": optional,
// true to send late notices too (notify.ValidateLate: some kinds and groups refuse it)}. 201 with the channel and "deliverable"; a kind this
// server has no transport for is still created (the operator may add the transport later), with
// "deliverable": false and a "warning" saying how to enable it. Checks created afterwards with
// "channels": "*" get it; existing checks keep their channels.
func (s *Server) handleCreateChannel(w http.ResponseWriter, r *http.Request, v int) {
	ctx := r.Context()
	body, err := readJSONObject(r)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	p, _, err := s.authenticate(ctx, r, body, readWrite)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	f, err := readChannelFields(body)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	kind, name, value := f.kind, f.name, f.value
	if !s.validChannel(w, r, p.ID, "", kind, name, value) || !s.validTiming(w, r, kind, f.delay, f.repeat) ||
		!s.validLate(w, r, kind, value, f.late) {
		return
	}
	if name == "" {
		// As the CLI does: a listing shows something recognisable, but never a service's key.
		name = notify.DefaultChannelName(kind, value)
	}
	ch := &check.Channel{
		ID: s.newID(), ProjectID: p.ID, Kind: kind, Name: name, Value: value, Created: s.now(),
		Delay: f.delay, Repeat: f.repeat, Late: f.late,
	}
	if err := s.store.CreateChannel(ctx, ch); err != nil {
		s.writeAPIError(w, r, fmt.Errorf("create channel %s: %w", ch.ID, err), "project", p.ID)
		return
	}
	s.log.InfoContext(ctx, "channel created", "channel", ch.ID, "kind", kind, "project", p.ID)
	out := createdChannelJSON{channelJSON: renderChannel(ch), Deliverable: true}
	if reason, ok := s.undeliverable[kind]; ok {
		out.Deliverable, out.Warning = false, reason
	}
	if kind == check.ChannelWebhook && len(s.secret) > 0 {
		// Shown once, here: the receiver verifies X-Overdue-Signature with it.
		out.Secret = notify.WebhookSecret(s.secret, ch.ID)
	}
	writeJSON(w, http.StatusCreated, out)
}

// channelFields are the fields of a channel create or update, with whether each was sent.
type channelFields struct {
	kind, name, value          string
	hasKind, hasName, hasValue bool
	// delay and repeat are the channel's timing (seconds in the request), Overdue's extension.
	delay, repeat       time.Duration
	hasDelay, hasRepeat bool
	// late asks for late notices too (check.Channel.Late), Overdue's extension.
	late, hasLate bool
}

// readChannelFields reads kind, name and value from a request body, and the timing: delay and
// repeat, whole seconds (0: off). Kind, name and value are strings; value may also be a JSON
// object (a kind with several fields: pd, telegram, …), kept as its compact JSON text, as
// Healthchecks stores Channel.value.
func readChannelFields(body map[string]json.RawMessage) (channelFields, error) {
	var f channelFields
	if raw, ok := body["late"]; ok {
		switch string(bytes.TrimSpace(raw)) {
		case "true":
			f.late = true
		case "false":
		default:
			return f, validationError("late is not a boolean: send true or false")
		}
		f.hasLate = true
	}
	for _, field := range []struct {
		name string
		to   *time.Duration
		has  *bool
	}{{"delay", &f.delay, &f.hasDelay}, {"repeat", &f.repeat, &f.hasRepeat}} {
		raw, ok := body[field.name]
		if !ok {
			continue
		}
		n, reason := jsonInteger(bytes.TrimSpace(raw))
		if reason != "" {
			return f, validationError(field.name + " " + reason + ": send whole seconds, 0 for off")
		}
		if n < 0 || n > int64(check.MaxChannelRepeat/time.Second) {
			// Out of every range: ValidateTiming would say so, but the product below could overflow.
			n = -1
		}
		*field.to, *field.has = time.Duration(n)*time.Second, true
	}
	for _, field := range []struct {
		name string
		to   *string
		has  *bool
	}{{"kind", &f.kind, &f.hasKind}, {"name", &f.name, &f.hasName}, {"value", &f.value, &f.hasValue}} {
		raw, ok := body[field.name]
		if !ok {
			continue
		}
		str, ok := jsonString(raw)
		if !ok && field.name == "value" && len(raw) > 0 && raw[0] == '{' {
			var compact bytes.Buffer
			if json.Compact(&compact, raw) == nil {
				str, ok = compact.String(), true
			}
		}
		if !ok {
			return f, validationError(field.name + " is not a string")
		}
		*field.to, *field.has = str, true
	}
	return f, nil
}

// validChannel checks a channel's name and value of kind for project, as create and update
// accept them; self is the channel being updated ("" for a new one), which a group may not
// name. When they are not valid it has answered 400, naming the field, and ok is false.
func (s *Server) validChannel(w http.ResponseWriter, r *http.Request, project, self, kind, name, value string) (ok bool) {
	if err := check.ValidateChannelName(name); err != nil {
		msg := err.Error()
		if fe := (*check.FieldError)(nil); errors.As(err, &fe) {
			msg = fe.Advice()
		}
		s.writeAPIError(w, r, validationError(msg))
		return false
	}
	if err := notify.ValidateChannel(kind, value); err != nil {
		s.writeAPIError(w, r, &clientError{http.StatusBadRequest, err.Error()})
		return false
	}
	if kind == notify.ChannelGroup {
		// Its targets must be this project's channels, and not groups (nor itself).
		chans, err := store.ListChannels(r.Context(), s.store, project)
		if err != nil {
			s.writeAPIError(w, r, fmt.Errorf("list channels of project %s: %w", project, err), "project", project)
			return false
		}
		chans = slices.DeleteFunc(chans, func(ch *check.Channel) bool { return ch.ID == self })
		if err := notify.ValidateGroup(value, chans); err != nil {
			s.writeAPIError(w, r, &clientError{http.StatusBadRequest, err.Error()})
			return false
		}
	}
	return true
}

// validTiming checks a channel's delay and repeat for a channel of kind. A group's timing is
// refused: each channel it reaches is delivered with that channel's own. When they are not
// valid it has answered 400, naming the field, and ok is false.
func (s *Server) validTiming(w http.ResponseWriter, r *http.Request, kind string, delay, repeat time.Duration) (ok bool) {
	if kind == notify.ChannelGroup && (delay != 0 || repeat != 0) {
		s.writeAPIError(w, r, validationError("delay and repeat apply to the channels a group reaches: set them on those channels, not on the group"))
		return false
	}
	if err := check.ValidateTiming(delay, repeat); err != nil {
		msg := err.Error()
		if fe := (*check.FieldError)(nil); errors.As(err, &fe) {
			msg = fe.Advice()
		}
		s.writeAPIError(w, r, validationError(msg))
		return false
	}
	return true
}

// validLate checks that a channel of kind with value may send late notices (notify.ValidateLate).
// When it may not, it has answered 400 and ok is false.
func (s *Server) validLate(w http.ResponseWriter, r *http.Request, kind, value string, late bool) (ok bool) {
	if err := notify.ValidateLate(kind, value, late); err != nil {
		s.writeAPIError(w, r, validationError(err.Error()))
		return false
	}
	return true
}

// syncLate keeps the late-notice marker of the project's checks (project.SyncLate) after a
// channel change that can move it. The change is made: a failure here is logged, and the
// markers are right again after the next such change.
func (s *Server) syncLate(ctx context.Context, projectID string) {
	n, err := project.SyncLate(ctx, s.store, projectID)
	if err != nil {
		s.log.ErrorContext(ctx, "late-notice markers not updated", "project", projectID, "error", err.Error())
		return
	}
	if n > 0 {
		s.log.InfoContext(ctx, "late-notice markers updated", "project", projectID, "checks", n)
	}
}

// handleUpdateChannel serves POST /api/v3/channels/{id}, an Overdue extension (as Healthchecks
// updates a check by POST to its URL): {"name": …, "value": …, "delay": …, "repeat": …}, each
// optional, with the rules of create; "kind" may be sent but must be the channel's (a channel does not change kind). A value
// sent, even the one the channel has, re-enables a channel a service's permanent refusal
// disabled, and clears its last error: sending it is how one says the target is fixed. 200 with
// the channel, "deliverable" and "warning" as create answers; the value is never in it.
func (s *Server) handleUpdateChannel(w http.ResponseWriter, r *http.Request, v int) {
	ctx := r.Context()
	body, err := readJSONObject(r)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	p, _, err := s.authenticate(ctx, r, body, readWrite)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	f, err := readChannelFields(body)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	id := r.PathValue("id")
	found, _, ok := s.projectChannel(w, r, p.ID, id)
	if !ok || s.damaged(w, r, found) {
		return
	}
	if f.hasKind && f.kind != found.Kind {
		s.writeAPIError(w, r, validationError(fmt.Sprintf("kind: a %s channel cannot become %q; create a new channel and delete this one", found.Kind, f.kind)))
		return
	}
	name, value := found.Name, found.Value
	if f.hasName {
		name = f.name
	}
	if f.hasValue {
		value = f.value
	}
	delay, repeat := found.Delay, found.Repeat
	if f.hasDelay {
		delay = f.delay
	}
	if f.hasRepeat {
		repeat = f.repeat
	}
	late := found.Late
	if f.hasLate {
		late = f.late
	}
	if !s.validChannel(w, r, p.ID, id, found.Kind, name, value) || !s.validTiming(w, r, found.Kind, delay, repeat) ||
		!s.validLate(w, r, found.Kind, value, late) {
		return
	}
	if strings.TrimSpace(name) == "" {
		name = notify.DefaultChannelName(found.Kind, value)
	}
	ch, err := s.store.UpdateChannel(ctx, p.ID, id, func(ch *check.Channel) error {
		ch.Name, ch.Value = name, value
		ch.Delay, ch.Repeat, ch.Late = delay, repeat, late
		if f.hasValue {
			ch.Disabled, ch.LastError = false, ""
		}
		return nil
	})
	if err != nil {
		s.writeAPIError(w, r, fmt.Errorf("update channel %s: %w", id, err), "channel", id)
		return
	}
	// The field names only: a value is never logged.
	s.log.InfoContext(ctx, "channel updated", "channel", id, "kind", ch.Kind, "project", p.ID,
		"name_sent", f.hasName, "value_sent", f.hasValue, "delay", seconds(ch.Delay), "repeat", seconds(ch.Repeat), "late", ch.Late)
	if ch.Late != found.Late || (ch.Kind == notify.ChannelGroup && ch.Value != found.Value) {
		s.syncLate(ctx, p.ID)
	}
	out := createdChannelJSON{channelJSON: renderChannel(ch), Deliverable: true}
	if reason, ok := s.undeliverable[ch.Kind]; ok {
		out.Deliverable, out.Warning = false, reason
	}
	writeJSON(w, http.StatusOK, out)
}

// createdChannelJSON is the answer to a channel create: the channel, whether this server can
// deliver its kind (with a warning saying how to enable it when not), and for a webhook the
// secret its requests are signed with.
type createdChannelJSON struct {
	channelJSON
	Deliverable bool   `json:"deliverable"`
	Warning     string `json:"warning,omitempty"`
	Secret      string `json:"secret,omitempty"`
}

// handleDeleteChannel serves DELETE /api/v3/channels/{id}, an Overdue extension: removes the
// channel from the project and from every check, and answers 200 with the channel as it was. A
// channel of another project is not found.
func (s *Server) handleDeleteChannel(w http.ResponseWriter, r *http.Request, v int) {
	ctx := r.Context()
	p, _, err := s.authenticate(ctx, r, nil, readWrite)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	id := r.PathValue("id")
	found, _, ok := s.projectChannel(w, r, p.ID, id)
	if !ok {
		return
	}
	if err := s.store.DeleteChannel(ctx, p.ID, id); err != nil {
		s.writeAPIError(w, r, fmt.Errorf("delete channel %s: %w", id, err), "channel", id)
		return
	}
	s.log.InfoContext(ctx, "channel deleted", "channel", id, "project", p.ID)
	if found.Late || found.Kind == notify.ChannelGroup {
		s.syncLate(ctx, p.ID)
	}
	writeJSON(w, http.StatusOK, renderChannel(found))
}

// projectChannel finds channel id among project's channels and returns it with all of them.
// When it is not there, or the channels cannot be listed, it has answered the request and ok is
// false: a channel of another project is not found, as an unknown one is.
func (s *Server) projectChannel(w http.ResponseWriter, r *http.Request, project, id string) (ch *check.Channel, chans []*check.Channel, ok bool) {
	chans, err := store.ListChannels(r.Context(), s.store, project)
	if err != nil {
		s.writeAPIError(w, r, fmt.Errorf("list channels of project %s: %w", project, err), "project", project)
		return nil, nil, false
	}
	i := slices.IndexFunc(chans, func(ch *check.Channel) bool { return ch.ID == id })
	if i < 0 {
		s.writeAPINotFound(w)
		return nil, nil, false
	}
	return chans[i], chans, true
}

// byChannelID routes /api/v3/channels/{id} when {id} is a channel UUID; anything else is an
// unknown URL.
func (s *Server) byChannelID(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !isCheckUUID(r.PathValue("id")) {
			s.handleNotFound(w, r)
			return
		}
		h(w, r)
	}
}

// ChannelTester sends a test notification through a channel now (notify.Tester). A failure it
// returns as a *notify.TestFailure is shown to the client; any other error is internal.
type ChannelTester interface {
	TestChannel(ctx context.Context, ch *check.Channel, project []*check.Channel) error
}

// testedChannelJSON is the answer to a successful channel test.
type testedChannelJSON struct {
	channelJSON
	Result string `json:"result"` // "sent": the service accepted the test notification
}

// handleTestChannel serves POST /api/v3/channels/{id}/test, an Overdue extension: sends a test
// notification through the channel now and answers 200 when the service accepted it; 400 with
// the service's refusal (or why this server cannot send the kind), 502 when the service could not
// be reached or failed. Nothing is recorded, and the channel is not disabled by a refusal.
func (s *Server) handleTestChannel(w http.ResponseWriter, r *http.Request, v int) {
	ctx := r.Context()
	p, _, err := s.authenticate(ctx, r, nil, readWrite)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	ch, chans, ok := s.projectChannel(w, r, p.ID, r.PathValue("id"))
	if !ok || s.damaged(w, r, ch) {
		return
	}
	if s.tester == nil {
		s.writeAPIError(w, r, &clientError{http.StatusNotImplemented, "this server cannot send test notifications"})
		return
	}
	err = s.tester.TestChannel(ctx, ch, chans)
	var tf *notify.TestFailure
	switch {
	case err == nil:
		s.log.InfoContext(ctx, "channel tested", "channel", ch.ID, "kind", ch.Kind, "project", p.ID)
		writeJSON(w, http.StatusOK, testedChannelJSON{channelJSON: renderChannel(ch), Result: "sent"})
	case errors.As(err, &tf):
		s.log.InfoContext(ctx, "channel test failed", "channel", ch.ID, "kind", ch.Kind, "project", p.ID, "error", tf.Message)
		status := http.StatusBadGateway
		if tf.Refused {
			status = http.StatusBadRequest
		}
		s.writeAPIError(w, r, &clientError{status, tf.Message})
	default:
		s.writeAPIError(w, r, fmt.Errorf("test channel %s: %w", ch.ID, err), "channel", ch.ID)
	}
}

// damaged answers 409 for a channel whose stored value does not open (store.DamagedError): it
// can be listed and deleted, not changed or tested. It reports whether it answered.
func (s *Server) damaged(w http.ResponseWriter, r *http.Request, ch *check.Channel) bool {
	if ch.Damaged == "" {
		return false
	}
	s.writeAPIError(w, r, &clientError{http.StatusConflict, ch.Damaged + ": delete and re-create the channel"})
	return true
}
