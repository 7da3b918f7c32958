package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/notify"
	"github.com/overduehq/overdue/internal/project"
	"github.com/overduehq/overdue/internal/store"
)

// ChannelTester sends a test notification through a channel (notify.Tester); the same the API's
// POST /api/v3/channels/{id}/test uses.
type ChannelTester interface {
	TestChannel(ctx context.Context, ch *check.Channel, project []*check.Channel) error
}

// channelRow is one line of the integrations page. A channel's value is never shown: it may
// hold a service's key.
type channelRow struct {
	ID, Name, Kind, Warning string
	Disabled                bool
	LastError               string
	// Delay and Repeat are the channel's timing in whole minutes (0: none).
	Delay, Repeat int64
	// Late: the channel also gets late notices; LateOK: its kind can (notify.ValidateLate).
	Late, LateOK bool
	Damaged      bool
}

// channelsView is the integrations page's data.
type channelsView struct {
	*membership
	Rows   []channelRow
	Kinds  []string
	Add    channelForm
	Result string // what the last test did
	Failed bool
}

// channelForm is the add-channel form's values.
type channelForm struct {
	Kind, Name, Value string
}

// channelsPath is the URL of a project's integrations page.
func channelsPath(projectID string) string {
	return "/projects/" + url.PathEscape(projectID) + "/integrations/"
}

// handleChannels serves GET /projects/{project}/integrations/: the project's channels, a test
// button and a remove button on each, and the form that adds one.
func (s *Server) handleChannels(w http.ResponseWriter, r *http.Request) {
	m, ok := s.requireMember(w, r, r.PathValue("project"))
	if !ok {
		return
	}
	s.renderChannels(w, r, m, http.StatusOK, nil, channelForm{Kind: check.ChannelWebhook}, "", false)
}

// renderChannels renders the integrations page with the add form's values and errors, and the
// outcome of a test when there was one.
func (s *Server) renderChannels(w http.ResponseWriter, r *http.Request, m *membership, status int, errs []fieldError, add channelForm, result string, failed bool) {
	chans, err := store.ListChannels(r.Context(), s.st, m.Project.ID)
	if err != nil {
		s.fail(w, r, fmt.Errorf("list channels of project %s: %w", m.Project.ID, err))
		return
	}
	view := &channelsView{membership: m, Kinds: notify.ChannelKinds(), Add: add, Result: result, Failed: failed}
	sort.Strings(view.Kinds)
	for _, ch := range chans {
		view.Rows = append(view.Rows, channelRow{ID: ch.ID, Name: ch.Name, Kind: ch.Kind, Warning: s.undeliverable[ch.Kind],
			Disabled: ch.Disabled, LastError: ch.LastError, Delay: int64(ch.Delay / time.Minute),
			Repeat: int64(ch.Repeat / time.Minute), Damaged: ch.Damaged != "",
			Late: ch.Late, LateOK: notify.ValidateLate(ch.Kind, ch.Value, true) == nil})
	}
	s.render(w, r, status, "channels", &page{Title: "Integrations · " + m.Project.Name, Viewer: m.Viewer, Errors: errs, Data: view, Wide: true})
}

// handleAddChannel serves POST /projects/{project}/integrations/add/ (fields kind, name,
// value): validated as the API validates a channel (notify.ValidateChannel, and a group's
// targets against the project's channels).
func (s *Server) handleAddChannel(w http.ResponseWriter, r *http.Request) {
	m, ok := s.requireMember(w, r, r.PathValue("project"))
	if !ok {
		return
	}
	if !m.CanWrite() {
		s.forbidden(w, r, m)
		return
	}
	if err := readForm(w, r); err != nil {
		s.badForm(w, r)
		return
	}
	f := channelForm{Kind: strings.TrimSpace(r.PostForm.Get("kind")), Name: strings.TrimSpace(r.PostForm.Get("name")),
		Value: strings.TrimSpace(r.PostForm.Get("value"))}
	var errs []fieldError
	if err := check.ValidateChannelName(f.Name); err != nil {
		errs = append(errs, fieldError{"name", upperFirst(err.Error())})
	}
	if err := notify.ValidateChannel(f.Kind, f.Value); err != nil {
		field := "value"
		if !contains(notify.ChannelKinds(), f.Kind) {
			field = "kind"
		}
		errs = append(errs, fieldError{field, upperFirst(err.Error())})
	} else if f.Kind == notify.ChannelGroup {
		chans, err := store.ListChannels(r.Context(), s.st, m.Project.ID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if err := notify.ValidateGroup(f.Value, chans); err != nil {
			errs = append(errs, fieldError{"value", upperFirst(err.Error())})
		}
	}
	if len(errs) > 0 {
		s.renderChannels(w, r, m, http.StatusUnprocessableEntity, errs, f, "", false)
		return
	}
	name := f.Name
	if name == "" {
		name = notify.DefaultChannelName(f.Kind, f.Value)
	}
	ch := &check.Channel{ID: uuid.NewString(), ProjectID: m.Project.ID, Kind: f.Kind, Name: name, Value: f.Value, Created: s.acc.Now()}
	if err := s.st.CreateChannel(r.Context(), ch); err != nil {
		s.fail(w, r, fmt.Errorf("create channel %s: %w", ch.ID, err))
		return
	}
	s.log.InfoContext(r.Context(), "channel created", "channel", ch.ID, "kind", ch.Kind, "project", m.Project.ID, "user", m.Viewer.User.ID)
	redirect(w, r, channelsPath(m.Project.ID))
}

// handleEditChannel serves POST /projects/{project}/integrations/{id}/edit/ (fields name,
// value, delay and repeat in minutes, late "1" or absent): the API's channel update. An empty value keeps the one
// stored; a value sent re-enables a channel a service disabled and clears its last error, as in
// the API. A refusal is shown above the list, naming the field, and changes nothing.
func (s *Server) handleEditChannel(w http.ResponseWriter, r *http.Request) {
	m, ok := s.requireMember(w, r, r.PathValue("project"))
	if !ok {
		return
	}
	if !m.CanWrite() {
		s.forbidden(w, r, m)
		return
	}
	if err := readForm(w, r); err != nil {
		s.badForm(w, r)
		return
	}
	found, chans, ok := s.projectChannel(w, r, m)
	if !ok {
		return
	}
	refuse := func(msg string) {
		s.renderChannels(w, r, m, http.StatusUnprocessableEntity, nil, channelForm{Kind: check.ChannelWebhook},
			found.Name+" was not changed: "+msg, true)
	}
	if found.Damaged != "" {
		refuse(found.Damaged + ". Remove it and add it again.")
		return
	}
	name, value := strings.TrimSpace(r.PostForm.Get("name")), strings.TrimSpace(r.PostForm.Get("value"))
	valueSent := value != ""
	if !valueSent {
		value = found.Value
	}
	minutes := func(field string) (time.Duration, bool) {
		v := strings.TrimSpace(r.PostForm.Get(field))
		if v == "" {
			return 0, true
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			refuse(upperFirst(field) + " must be a whole number of minutes, 0 or more.")
			return 0, false
		}
		return time.Duration(n) * time.Minute, true
	}
	delay, ok := minutes("delay")
	if !ok {
		return
	}
	repeat, ok := minutes("repeat")
	if !ok {
		return
	}
	if err := check.ValidateChannelName(name); err != nil {
		refuse(upperFirst(err.Error()))
		return
	}
	if err := notify.ValidateChannel(found.Kind, value); err != nil {
		refuse(upperFirst(err.Error()))
		return
	}
	if found.Kind == notify.ChannelGroup {
		if err := notify.ValidateGroup(value, slices.DeleteFunc(slices.Clone(chans), func(c *check.Channel) bool { return c.ID == found.ID })); err != nil {
			refuse(upperFirst(err.Error()))
			return
		}
		if delay != 0 || repeat != 0 {
			refuse("Delay and repeat apply to the channels a group reaches: set them on those channels, not on the group.")
			return
		}
	}
	if err := check.ValidateTiming(delay, repeat); err != nil {
		msg := err.Error()
		if fe := (*check.FieldError)(nil); errors.As(err, &fe) {
			msg = fe.Advice()
		}
		refuse(upperFirst(msg))
		return
	}
	late := r.PostForm.Get("late") != ""
	if err := notify.ValidateLate(found.Kind, value, late); err != nil {
		refuse(upperFirst(err.Error()))
		return
	}
	if name == "" {
		name = notify.DefaultChannelName(found.Kind, value)
	}
	if _, err := s.st.UpdateChannel(r.Context(), m.Project.ID, found.ID, func(ch *check.Channel) error {
		ch.Name, ch.Value, ch.Delay, ch.Repeat, ch.Late = name, value, delay, repeat, late
		if valueSent {
			ch.Disabled, ch.LastError = false, ""
		}
		return nil
	}); err != nil {
		s.fail(w, r, fmt.Errorf("update channel %s: %w", found.ID, err))
		return
	}
	s.log.InfoContext(r.Context(), "channel updated", "channel", found.ID, "kind", found.Kind, "project", m.Project.ID,
		"user", m.Viewer.User.ID, "value_sent", valueSent, "late", late)
	s.syncLate(r, m.Project.ID, late != found.Late || (found.Kind == notify.ChannelGroup && value != found.Value))
	redirect(w, r, channelsPath(m.Project.ID))
}

// projectChannel finds the channel of the URL among the project's channels.
func (s *Server) projectChannel(w http.ResponseWriter, r *http.Request, m *membership) (*check.Channel, []*check.Channel, bool) {
	chans, err := store.ListChannels(r.Context(), s.st, m.Project.ID)
	if err != nil {
		s.fail(w, r, fmt.Errorf("list channels of project %s: %w", m.Project.ID, err))
		return nil, nil, false
	}
	for _, ch := range chans {
		if ch.ID == r.PathValue("id") {
			return ch, chans, true
		}
	}
	s.pageNotFound(w, r, m.Viewer)
	return nil, nil, false
}

// handleTestChannel serves POST /projects/{project}/integrations/{id}/test/: sends a test
// notification, as the API's channel test, and shows what came of it.
func (s *Server) handleTestChannel(w http.ResponseWriter, r *http.Request) {
	m, ok := s.requireMember(w, r, r.PathValue("project"))
	if !ok {
		return
	}
	if !m.CanWrite() {
		s.forbidden(w, r, m)
		return
	}
	ch, chans, ok := s.projectChannel(w, r, m)
	if !ok {
		return
	}
	if ch.Damaged != "" {
		s.renderChannels(w, r, m, http.StatusConflict, nil, channelForm{Kind: check.ChannelWebhook},
			"The channel "+ch.Name+" cannot be tested: "+ch.Damaged+". Remove it and add it again.", true)
		return
	}
	if s.tester == nil {
		s.renderChannels(w, r, m, http.StatusNotImplemented, nil, channelForm{Kind: check.ChannelWebhook},
			"This server cannot send test notifications.", true)
		return
	}
	err := s.tester.TestChannel(r.Context(), ch, chans)
	var tf *notify.TestFailure
	switch {
	case err == nil:
		s.log.InfoContext(r.Context(), "channel tested", "channel", ch.ID, "kind", ch.Kind, "project", m.Project.ID)
		s.renderChannels(w, r, m, http.StatusOK, nil, channelForm{Kind: check.ChannelWebhook}, "A test notification was sent to "+ch.Name+".", false)
	case errors.As(err, &tf):
		status := http.StatusBadGateway
		if tf.Refused {
			status = http.StatusBadRequest
		}
		s.renderChannels(w, r, m, status, nil, channelForm{Kind: check.ChannelWebhook}, "The test notification to "+ch.Name+" failed: "+tf.Message, true)
	default:
		s.fail(w, r, fmt.Errorf("test channel %s: %w", ch.ID, err))
	}
}

// handleRemoveChannel serves POST /projects/{project}/integrations/{id}/remove/: removes the
// channel from the project and from its checks.
func (s *Server) handleRemoveChannel(w http.ResponseWriter, r *http.Request) {
	m, ok := s.requireMember(w, r, r.PathValue("project"))
	if !ok {
		return
	}
	if !m.CanWrite() {
		s.forbidden(w, r, m)
		return
	}
	ch, _, ok := s.projectChannel(w, r, m)
	if !ok {
		return
	}
	if err := s.st.DeleteChannel(r.Context(), m.Project.ID, ch.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.fail(w, r, fmt.Errorf("delete channel %s: %w", ch.ID, err))
		return
	}
	s.log.InfoContext(r.Context(), "channel deleted", "channel", ch.ID, "project", m.Project.ID, "user", m.Viewer.User.ID)
	s.syncLate(r, m.Project.ID, ch.Late || ch.Kind == notify.ChannelGroup)
	redirect(w, r, channelsPath(m.Project.ID))
}

// syncLate keeps the late-notice marker of the project's checks (project.SyncLate) after a
// channel change that can move it (when is true). The change is made: a failure here is logged,
// and the markers are right again after the next such change.
func (s *Server) syncLate(r *http.Request, projectID string, when bool) {
	if !when {
		return
	}
	if _, err := project.SyncLate(r.Context(), s.st, projectID); err != nil {
		s.log.ErrorContext(r.Context(), "late-notice markers not updated", "project", projectID, "error", err.Error())
	}
}
