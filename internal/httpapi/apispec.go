package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/schedule"
)

// Limits of the check fields the API accepts (Healthchecks' Spec, healthchecks-behaviour.md §4.6
// and §4.7). Name, slug, tags and description follow the domain's rules (check.ValidateName and
// friends), which ?create=1 and the CLI apply too.
const (
	maxScheduleLen = 100
	maxKeywordLen  = check.MaxKeywordLen
	minPeriod      = 60       // seconds, for timeout and grace
	maxPeriod      = 31536000 // seconds (365 days)
)

// uniqueFields are the fields a create request may name in "unique".
var uniqueFields = []string{"name", "slug", "tags", "timeout", "grace"}

// checkSpec is a validated create or update request. A nil field was absent from the request and
// leaves the check's value alone.
type checkSpec struct {
	channels *string
	// lateNotice is whether the channels resolved from channels reach a late channel
	// (check.ReachesLate), set by specChannels: the check's LateNotice goes with its channels.
	lateNotice        bool
	desc              *string
	failureKw         *string
	filterSubject     *bool
	filterBody        *bool
	filterHTTPBody    *bool
	filterDefaultFail *bool
	grace             *time.Duration
	manualResume      *bool
	methods           *string
	name              *string
	schedule          *string
	scheduleKind      check.Kind // of schedule, when set
	slug              *string
	startKw           *string
	subject           *string
	subjectFail       *string
	successKw         *string
	tags              *string
	timeout           *time.Duration
	tz                *string // canonical name (legacy aliases rewritten)
	unique            []string
	rules             ruleSpec // v3 only (apirules.go)
}

// specField validates one member of the request body. It is called only for members that are
// present; it returns the reason after the field's name ("is not a string") or "".
type specField struct {
	name  string
	parse func(sp *checkSpec, raw json.RawMessage) string
}

// specFields are the request fields in Healthchecks' declaration order, which decides which error
// a request with several problems gets: only the first is reported.
var specFields = []specField{
	{"channels", stringField(0, func(sp *checkSpec, v string) string { sp.channels = &v; return "" })},
	{"desc", textField(check.ValidateDesc, func(sp *checkSpec, v string) { sp.desc = &v })},
	{"failure_kw", stringField(maxKeywordLen, func(sp *checkSpec, v string) string { sp.failureKw = &v; return "" })},
	{"filter_subject", boolField(func(sp *checkSpec, v bool) { sp.filterSubject = &v })},
	{"filter_body", boolField(func(sp *checkSpec, v bool) { sp.filterBody = &v })},
	{"filter_http_body", boolField(func(sp *checkSpec, v bool) { sp.filterHTTPBody = &v })},
	{"filter_default_fail", boolField(func(sp *checkSpec, v bool) { sp.filterDefaultFail = &v })},
	{"grace", periodField(func(sp *checkSpec, d time.Duration) { sp.grace = &d })},
	{"manual_resume", boolField(func(sp *checkSpec, v bool) { sp.manualResume = &v })},
	{"methods", parseMethods},
	{"name", textField(check.ValidateName, func(sp *checkSpec, v string) { sp.name = &v })},
	{"schedule", stringField(maxScheduleLen, setSchedule)},
	{"slug", textField(check.ValidateSlug, func(sp *checkSpec, v string) { sp.slug = &v })},
	{"start_kw", stringField(maxKeywordLen, func(sp *checkSpec, v string) string { sp.startKw = &v; return "" })},
	{"subject", stringField(maxKeywordLen, func(sp *checkSpec, v string) string { sp.subject = &v; return "" })},
	{"subject_fail", stringField(maxKeywordLen, func(sp *checkSpec, v string) string { sp.subjectFail = &v; return "" })},
	{"success_kw", stringField(maxKeywordLen, func(sp *checkSpec, v string) string { sp.successKw = &v; return "" })},
	{"tags", textField(check.ValidateTags, func(sp *checkSpec, v string) { sp.tags = &v })},
	{"timeout", periodField(func(sp *checkSpec, d time.Duration) { sp.timeout = &d })},
	{"tz", stringField(0, setTZ)},
	{"unique", parseUnique},
}

// parseCheckSpec validates a create or update request body of API version v. Members it does not
// know, api_key among them, are ignored; before v3 the alert rules are among them. Nothing is
// coerced: "60" is not a number and null is never a value.
func parseCheckSpec(body map[string]json.RawMessage, v int) (*checkSpec, error) {
	sp := &checkSpec{}
	for _, f := range specFields {
		raw, ok := body[f.name]
		if !ok {
			continue
		}
		reason := f.parse(sp, bytes.TrimSpace(raw))
		switch reason {
		case "":
			continue
		case uniqueItemReason:
			return nil, validationError("an item in 'unique' has unexpected value")
		}
		return nil, validationError(f.name + " " + reason)
	}
	if v >= 3 {
		rules, err := parseRuleSpec(body)
		if err != nil {
			return nil, err
		}
		sp.rules = rules
	}
	return sp, nil
}

// validationError is Healthchecks' 400 for a request that does not fit the schema.
func validationError(detail string) error {
	return &clientError{http.StatusBadRequest, "json validation error: " + detail}
}

// stringField parses a JSON string of at most maxLen characters (0: no limit) and hands it to set,
// which may reject it with a reason.
func stringField(maxLen int, set func(sp *checkSpec, v string) string) func(*checkSpec, json.RawMessage) string {
	return func(sp *checkSpec, raw json.RawMessage) string {
		v, ok := jsonString(raw)
		if !ok {
			return "is not a string"
		}
		if maxLen > 0 && utf8.RuneCountInString(v) > maxLen {
			return "is too long"
		}
		return set(sp, v)
	}
}

// textField parses a JSON string and checks it with the domain's rule for the field (whose
// error reads "<field> <reason>", so the reason is what follows the name).
func textField(validate func(string) error, set func(sp *checkSpec, v string)) func(*checkSpec, json.RawMessage) string {
	return stringField(0, func(sp *checkSpec, v string) string {
		var fe *check.FieldError
		if err := validate(v); errors.As(err, &fe) {
			return fe.Reason
		} else if err != nil {
			return err.Error()
		}
		set(sp, v)
		return ""
	})
}

// boolField parses true or false; null, 0 and "true" are not booleans.
func boolField(set func(sp *checkSpec, v bool)) func(*checkSpec, json.RawMessage) string {
	return func(sp *checkSpec, raw json.RawMessage) string {
		switch string(raw) {
		case "true":
			set(sp, true)
		case "false":
			set(sp, false)
		default:
			return "is not a boolean"
		}
		return ""
	}
}

// periodField parses timeout or grace: an integer number of seconds in [60, 31536000]. 60.0, "60"
// and null are not numbers, and neither are true and false: Healthchecks (where a bool is an int)
// takes them as 1 and 0 and answers "is too small", which sends the sender looking at the value
// instead of its type.
func periodField(set func(sp *checkSpec, d time.Duration)) func(*checkSpec, json.RawMessage) string {
	return func(sp *checkSpec, raw json.RawMessage) string {
		n, reason := jsonInteger(raw)
		switch {
		case reason != "":
			return reason
		case n < minPeriod:
			return "is too small"
		case n > maxPeriod:
			return "is too large"
		}
		set(sp, time.Duration(n)*time.Second)
		return ""
	}
}

// jsonInteger reads an integer literal. Integers too large for int64 come back as the int64
// limit of their sign, which every range check rejects.
func jsonInteger(raw json.RawMessage) (int64, string) {
	s := string(raw)
	if s == "" || strings.ContainsAny(s, ".eE") || !(s[0] == '-' || '0' <= s[0] && s[0] <= '9') {
		return 0, "is not a number"
	}
	n, err := strconv.ParseInt(s, 10, 64)
	switch {
	case errors.Is(err, strconv.ErrRange):
		return n, "" // ParseInt returns the limit of the sign
	case err != nil:
		return 0, "is not a number"
	}
	return n, ""
}

// jsonString decodes a JSON string; anything else (null included) is not one.
func jsonString(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", false
	}
	return v, true
}

// parseMethods accepts exactly "" (any method counts as a ping) or "POST".
func parseMethods(sp *checkSpec, raw json.RawMessage) string {
	v, ok := jsonString(raw)
	if !ok || v != "" && v != "POST" {
		return "has unexpected value"
	}
	sp.methods = &v
	return ""
}

// parseUnique accepts an array of field names from uniqueFields.
func parseUnique(sp *checkSpec, raw json.RawMessage) string {
	if len(raw) == 0 || raw[0] != '[' {
		return "is not an array"
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return "is not an array"
	}
	sp.unique = make([]string, 0, len(items))
	for _, item := range items {
		v, ok := jsonString(bytes.TrimSpace(item))
		if !ok || !slices.Contains(uniqueFields, v) {
			return uniqueItemReason
		}
		sp.unique = append(sp.unique, v)
	}
	return ""
}

// uniqueItemReason marks an invalid "unique" item. Healthchecks words that error about the item,
// not the field, so parseCheckSpec replaces the whole message.
const uniqueItemReason = "item has unexpected value"

// setSchedule accepts what Healthchecks accepts: exactly five fields on one line is a cron
// expression, anything else OnCalendar; either must fire at least once after 2000-01-01 (UTC).
// A six-field "cron with seconds" is therefore an invalid OnCalendar expression, as in
// Healthchecks, although the schedule package could parse it as cron.
func setSchedule(sp *checkSpec, v string) string {
	const invalid = "is not a valid cron or OnCalendar expression"
	var (
		s    *schedule.Schedule
		err  error
		kind check.Kind
	)
	if !strings.Contains(v, "\n") && len(strings.FieldsFunc(v, isPySpace)) == 5 {
		s, err = schedule.ParseCron(v, "UTC")
		kind = check.KindCron
	} else {
		s, err = schedule.ParseOnCalendar(v, "UTC")
		kind = check.KindOnCalendar
	}
	if err != nil || s.Next(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero() {
		return invalid
	}
	sp.schedule, sp.scheduleKind = &v, kind
	return ""
}

// setTZ accepts a zone name the zone database knows, and keeps its current name: Europe/Kiev is
// stored as Europe/Kyiv.
func setTZ(sp *checkSpec, v string) string {
	zone, err := schedule.CanonicalZone(v)
	if err != nil {
		return "is not a valid timezone"
	}
	sp.tz = &zone
	return ""
}

// isPySpace reports whether Python's str.split() splits on r, which is how Healthchecks counts
// the fields of a cron expression: Unicode white space and the ASCII separators U+001C..U+001F.
func isPySpace(r rune) bool {
	return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f
}

// apply writes the request's fields to c, in Healthchecks' order: the name (and, before v3, the
// slug made from it), then the kind, then the deprecated subject fields, then the explicit fields,
// so that an explicit filter_subject or slug wins over the one derived. channels, when not nil,
// replaces the check's channels. The caller recomputes AlertAfter.
func (sp *checkSpec) apply(c *check.Check, v int, channels []string) {
	if sp.name != nil {
		c.Name = *sp.name
		if v < 3 {
			c.Slug = slugify(*sp.name)
		}
	}
	if sp.timeout != nil && sp.schedule == nil {
		c.Kind, c.Timeout = check.KindSimple, *sp.timeout
	}
	if sp.schedule != nil {
		c.Kind, c.Schedule = sp.scheduleKind, *sp.schedule
	}
	if sp.subject != nil {
		c.SuccessKw = *sp.subject
		c.FilterSubject = c.SuccessKw != "" || c.FailureKw != ""
	}
	if sp.subjectFail != nil {
		c.FailureKw = *sp.subjectFail
		c.FilterSubject = c.SuccessKw != "" || c.FailureKw != ""
	}
	setIf(&c.Slug, sp.slug)
	setIf(&c.Tags, sp.tags)
	setIf(&c.Desc, sp.desc)
	setIf(&c.ManualResume, sp.manualResume)
	setIf(&c.Methods, sp.methods)
	setIf(&c.TZ, sp.tz)
	setIf(&c.StartKw, sp.startKw)
	setIf(&c.SuccessKw, sp.successKw)
	setIf(&c.FailureKw, sp.failureKw)
	setIf(&c.FilterSubject, sp.filterSubject)
	setIf(&c.FilterBody, sp.filterBody)
	setIf(&c.FilterHTTPBody, sp.filterHTTPBody)
	setIf(&c.FilterDefaultFail, sp.filterDefaultFail)
	setIf(&c.Grace, sp.grace)
	if channels != nil {
		c.Channels = channels
		c.LateNotice = sp.lateNotice
	}
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// matches reports whether c equals the request in every field named in unique. It is false when
// unique is empty or names a field the request does not carry: such a request always creates.
func (sp *checkSpec) matches(c *check.Check) bool {
	if len(sp.unique) == 0 {
		return false
	}
	for _, f := range sp.unique {
		var ok bool
		switch f {
		case "name":
			ok = sp.name != nil && c.Name == *sp.name
		case "slug":
			ok = sp.slug != nil && c.Slug == *sp.slug
		case "tags":
			ok = sp.tags != nil && c.Tags == *sp.tags
		case "timeout":
			// Compared for cron checks too, as Healthchecks does: their stored timeout counts.
			ok = sp.timeout != nil && c.Timeout == *sp.timeout
		case "grace":
			ok = sp.grace != nil && c.Grace == *sp.grace
		}
		if !ok {
			return false
		}
	}
	return true
}

// resolveChannels turns the request's channels value into channel IDs of the project: "*" is
// every channel, "" none, anything else a comma-separated list of channel IDs or exact names.
func resolveChannels(spec string, project []*check.Channel) ([]string, error) {
	ids := []string{}
	switch spec {
	case "*":
		for _, ch := range project {
			ids = append(ids, ch.ID)
		}
		return ids, nil
	case "":
		return ids, nil
	}
	for _, item := range strings.Split(spec, ",") {
		if item == "" {
			return nil, &clientError{http.StatusBadRequest, "empty channel identifier"}
		}
		var found *check.Channel
		for _, ch := range project {
			if ch.ID != item && ch.Name != item {
				continue
			}
			if found != nil {
				return nil, &clientError{http.StatusBadRequest, "non-unique channel identifier: " + item}
			}
			found = ch
		}
		if found == nil {
			return nil, &clientError{http.StatusBadRequest, "invalid channel identifier: " + item}
		}
		if !slices.Contains(ids, found.ID) {
			ids = append(ids, found.ID)
		}
	}
	return ids, nil
}
