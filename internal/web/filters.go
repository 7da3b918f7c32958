package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/project"
	"github.com/overduehq/overdue/internal/store"
)

// filtersForm is the allowed methods and keyword filters form's values (the API's methods,
// filter_subject, filter_body, filter_http_body, start_kw, success_kw, failure_kw and
// filter_default_fail).
type filtersForm struct {
	Methods                               string // "" (any method counts) or "POST"
	FilterSubject, FilterBody, FilterHTTP bool
	StartKw, SuccessKw, FailureKw         string
	DefaultFail                           bool
}

// filtersOf is c's methods and filters as the form shows them.
func filtersOf(c *check.Check) filtersForm {
	return filtersForm{Methods: c.Methods, FilterSubject: c.FilterSubject, FilterBody: c.FilterBody,
		FilterHTTP: c.FilterHTTPBody, StartKw: c.StartKw, SuccessKw: c.SuccessKw, FailureKw: c.FailureKw,
		DefaultFail: c.FilterDefaultFail}
}

// Filtering reports whether any keyword filter is on.
func (f filtersForm) Filtering() bool { return f.FilterSubject || f.FilterBody || f.FilterHTTP }

// checked reads a checkbox: the form sends value 1 when it is ticked, and nothing when not.
func checked(r *http.Request, name string) bool {
	switch r.PostForm.Get(name) {
	case "1", "on", "true":
		return true
	}
	return false
}

// keywordFields are the keyword inputs: their names and what an error calls them.
var keywordFields = []struct{ id, words string }{
	{"success_kw", "Success keywords"}, {"failure_kw", "Failure keywords"}, {"start_kw", "Start keywords"},
}

// validate checks the form as the API checks these fields: methods is "" or "POST", and each
// keyword list has at most check.MaxKeywordLen characters.
func (f filtersForm) validate() []fieldError {
	var errs []fieldError
	if f.Methods != "" && f.Methods != "POST" {
		errs = append(errs, fieldError{"methods", "Choose whether any HTTP method counts as a ping, or only POST."})
	}
	for i, v := range []string{f.SuccessKw, f.FailureKw, f.StartKw} {
		if n := utf8.RuneCountInString(v); n > check.MaxKeywordLen {
			errs = append(errs, fieldError{keywordFields[i].id, fmt.Sprintf(
				"%s are too long: at most %d characters in all, this has %d. Keep the keywords that tell the outcome apart.",
				keywordFields[i].words, check.MaxKeywordLen, n)})
		}
	}
	return errs
}

// handleEditFilters serves POST /checks/{code}/filters/ (fields methods, filter_subject,
// filter_body, filter_http_body, success_kw, failure_kw, start_kw and filter_default_fail, as
// the API names them; a box not ticked is false), validated as the API validates them.
func (s *Server) handleEditFilters(w http.ResponseWriter, r *http.Request) {
	c, m, ok := s.requireWriter(w, r)
	if !ok {
		return
	}
	if err := readForm(w, r); err != nil {
		s.badForm(w, r)
		return
	}
	f := filtersForm{Methods: r.PostForm.Get("methods"), FilterSubject: checked(r, "filter_subject"),
		FilterBody: checked(r, "filter_body"), FilterHTTP: checked(r, "filter_http_body"),
		StartKw: strings.TrimSpace(r.PostForm.Get("start_kw")), SuccessKw: strings.TrimSpace(r.PostForm.Get("success_kw")),
		FailureKw: strings.TrimSpace(r.PostForm.Get("failure_kw")), DefaultFail: checked(r, "filter_default_fail")}
	if errs := f.validate(); len(errs) > 0 {
		view := s.detailsOf(c, m, r)
		view.Filters = f
		s.renderDetails(w, r, http.StatusUnprocessableEntity, view, errs)
		return
	}
	s.updateAndReturn(w, r, c.ID, func(c *check.Check) (store.Change, error) {
		c.Methods, c.FilterSubject, c.FilterBody, c.FilterHTTPBody = f.Methods, f.FilterSubject, f.FilterBody, f.FilterHTTP
		c.StartKw, c.SuccessKw, c.FailureKw, c.FilterDefaultFail = f.StartKw, f.SuccessKw, f.FailureKw, f.DefaultFail
		return store.Change{}, nil
	})
}

// channelChoice is one of the project's channels on the details page, and whether the check
// notifies it.
type channelChoice struct {
	ID, Name, Kind string
	Assigned       bool
}

// loadChannels lists the project's channels for the details page, ticking those in assigned.
// Read-only members get none: the API leaves a check's channels out of what they see.
func (s *Server) loadChannels(r *http.Request, view *detailsView) error {
	if !view.CanSeeSecrets() {
		return nil
	}
	chans, err := s.st.Channels(r.Context(), view.Project.ID)
	if err != nil {
		return fmt.Errorf("list channels of project %s: %w", view.Project.ID, err)
	}
	view.Channels = make([]channelChoice, 0, len(chans))
	for _, ch := range chans {
		view.Channels = append(view.Channels, channelChoice{ID: ch.ID, Name: ch.Name, Kind: ch.Kind,
			Assigned: slices.Contains(view.assigned, ch.ID)})
	}
	return nil
}

// handleEditChannels serves POST /checks/{code}/channels/ (field channel, once for each channel
// to notify; none: notify nobody): the check notifies exactly those, in the project's order, as
// the API's channels field sets them. An ID that is not one of the project's channels (removed
// meanwhile, or never its) is refused, and nothing changes.
func (s *Server) handleEditChannels(w http.ResponseWriter, r *http.Request) {
	c, m, ok := s.requireWriter(w, r)
	if !ok {
		return
	}
	if err := readForm(w, r); err != nil {
		s.badForm(w, r)
		return
	}
	chans, err := s.st.Channels(r.Context(), m.Project.ID)
	if err != nil {
		s.fail(w, r, fmt.Errorf("list channels of project %s: %w", m.Project.ID, err))
		return
	}
	wanted := r.PostForm["channel"]
	ids := []string{}
	for _, ch := range chans {
		if slices.Contains(wanted, ch.ID) {
			ids = append(ids, ch.ID)
		}
	}
	for _, id := range wanted {
		if !slices.Contains(ids, id) {
			view := s.detailsOf(c, m, r)
			view.assigned = ids
			s.renderDetails(w, r, http.StatusUnprocessableEntity, view, []fieldError{{"channels",
				"One of the chosen integrations is not in this project any more (it was removed meanwhile). " +
					"The list shows the project's integrations as they are now: choose again and save."}})
			return
		}
	}
	late := check.ReachesLate(ids, chans)
	s.updateAndReturn(w, r, c.ID, func(c *check.Check) (store.Change, error) {
		c.Channels = ids
		project.SetLateNotice(c, late)
		return store.Change{}, nil
	})
}
