// Package schedule parses and evaluates check schedules: cron expressions and
// systemd OnCalendar expressions, each bound to a time zone.
//
// Results match Healthchecks, which evaluates cron with the Python library
// cronsim 2.7 and OnCalendar with the library oncalendar 1.1: same accepted
// syntax, same error texts, same fire times, including around DST
// transitions. To get the transitions right the package replays the
// libraries' field-by-field walks on a model of Python's datetime rather
// than searching for matches its own way.
//
// The package is pure: it reads no clock and does no I/O beyond loading zone
// data through time.LoadLocation.
package schedule

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Schedule is a parsed cron or OnCalendar expression bound to a time zone.
// It is immutable and safe for concurrent use.
type Schedule struct {
	kind string
	loc  *time.Location
	cron *cronExpr
	cal  []*calExpr
}

// Kinds reported by Schedule.Kind.
const (
	KindCron       = "cron"
	KindOnCalendar = "oncalendar"
)

// ParseCron parses a cron expression (5 fields, or 6 with leading seconds) in
// zone tz (IANA name; "" means UTC). Errors for bad expressions carry
// cronsim's texts, such as "Bad minute" or "Wrong number of fields".
func ParseCron(expr, tz string) (*Schedule, error) {
	loc, err := loadZone(tz)
	if err != nil {
		return nil, err
	}
	c, err := parseCron(expr)
	if err != nil {
		return nil, err
	}
	return &Schedule{kind: KindCron, loc: loc, cron: c}, nil
}

// ParseOnCalendar parses one or more newline-separated OnCalendar
// expressions; tz is the default zone ("" means UTC) for lines that do not
// end with their own. Errors carry the oncalendar library's texts, such as
// "Bad hour" or "Wrong number of fields".
func ParseOnCalendar(expr, tz string) (*Schedule, error) {
	loc, err := loadZone(tz)
	if err != nil {
		return nil, err
	}
	s := &Schedule{kind: KindOnCalendar, loc: loc}
	for line := range strings.SplitSeq(strings.TrimFunc(expr, isPySpace), "\n") {
		c, err := parseCalLine(line)
		if err != nil {
			return nil, err
		}
		s.cal = append(s.cal, c)
	}
	return s, nil
}

// ErrFieldCount is the error for an expression with too many or too few
// fields for its syntax. Its text is the libraries' own, "Wrong number of
// fields", as every other error of this package is theirs.
var ErrFieldCount = errors.New("Wrong number of fields")

// Parse picks the syntax as Healthchecks' API does: an expression of exactly
// 5 whitespace-separated fields on a single line is cron; otherwise
// OnCalendar. A single-line expression of 6 fields is cron (with leading
// seconds) if it parses as cron, and OnCalendar otherwise.
//
// When neither syntax accepts a single-line expression of three or more
// fields written only in cron's alphabet (digits, "*", "/", ",", "-", "?",
// "L", "W", "#", month and day names), the error is cron's: ErrFieldCount
// for "* * * *" or "* * * * * * *", rather than the OnCalendar "Bad
// day-of-week" that Healthchecks' routing would produce, which names a field
// the writer never meant. Three or more such fields are never valid
// OnCalendar: without a time (":") or a zone, OnCalendar has at most two
// fields, a weekday and a date. One or two may well be meant as OnCalendar
// ("Mon 01-32"), and keep its answer.
func Parse(expr, tz string) (*Schedule, error) {
	if strings.Contains(expr, "\n") {
		return ParseOnCalendar(expr, tz)
	}
	fields := pyFields(expr)
	if len(fields) == 5 {
		return ParseCron(expr, tz)
	}
	cs, cronErr := ParseCron(expr, tz)
	if len(fields) == 6 && cronErr == nil {
		return cs, nil
	}
	s, err := ParseOnCalendar(expr, tz)
	if err != nil && len(fields) >= 3 && cronAlphabet(fields) {
		return nil, cronErr
	}
	return s, err
}

// cronAlphabet reports whether fields use only what cron expressions are
// written with: nothing of OnCalendar's own syntax (":", "..", "~") and no
// word but month and day names.
func cronAlphabet(fields []string) bool {
	for _, f := range fields {
		f = strings.ToUpper(f)
		for _, name := range cronDayNames {
			f = strings.ReplaceAll(f, name, "")
		}
		for _, name := range cronMonthNames {
			f = strings.ReplaceAll(f, name, "")
		}
		if strings.Trim(f, "0123456789*/,-?LW#") != "" {
			return false
		}
	}
	return true
}

// Kind reports "cron" or "oncalendar".
func (s *Schedule) Kind() string { return s.kind }

// Next returns the first fire time strictly after `after`, in UTC, at
// one-second resolution (the sub-second part of after is dropped before
// advancing), or the zero Time when there is none ("never"): a cron
// expression with no match within 50 years, or an OnCalendar expression
// with none before the year 2200.
//
// Times are those of Healthchecks' libraries except in three corners where
// the libraries go back in time (or, in the second, never answer):
//   - When after falls in the second pass of an hour repeated by an autumn
//     transition, a wall-clock schedule (fixed-time cron, OnCalendar) would
//     return the first pass's time; Next continues from the end of the
//     repeated hour instead, as Debian cron does.
//   - Where cronsim's walk goes back in time or cycles (transitions off the
//     hour, as on Lord Howe Island and the Chatham Islands, or at
//     midnight), Next searches real instants instead.
//   - Several OnCalendar lines merge by instant; the library compares
//     their wall-clock times in the default zone, which can reorder
//     results that fall in a repeated hour.
func (s *Schedule) Next(after time.Time) time.Time {
	u := after.Unix()
	if u > maxUnix {
		return time.Time{}
	}
	u = max(u, minUnix-1)
	var best int64
	found := false
	if s.cron != nil {
		best, found = s.cron.next(u, s.loc)
	}
	for _, c := range s.cal {
		if t, ok := c.next(u, s.loc); ok && (!found || t < best) {
			best, found = t, true
		}
	}
	if !found {
		return time.Time{}
	}
	return time.Unix(best, 0).UTC()
}

// Nexter is what the domain needs of a schedule.
type Nexter interface {
	Next(after time.Time) time.Time
}

var _ Nexter = (*Schedule)(nil)

// ForCheck returns the schedule for a check of the given kind ("simple",
// "cron", "oncalendar"): nil (an untyped nil Nexter) for "simple", else the
// parsed schedule.
func ForCheck(kind, expr, tz string) (Nexter, error) {
	var (
		s   *Schedule
		err error
	)
	switch kind {
	case "simple":
		return nil, nil
	case KindCron:
		s, err = ParseCron(expr, tz)
	case KindOnCalendar:
		s, err = ParseOnCalendar(expr, tz)
	default:
		return nil, fmt.Errorf("unknown check kind %q", kind)
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// loadZone loads an IANA zone, accepting only names Python's zoneinfo would:
// no "Local" (the host's zone) and no paths that are not in canonical form.
func loadZone(name string) (*time.Location, error) {
	if name == "" {
		return time.UTC, nil
	}
	if name == "Local" || path.Clean(name) != name || strings.ContainsRune(name, '\\') {
		return nil, errUnknownZone(name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, errUnknownZone(name)
	}
	return loc, nil
}

func errUnknownZone(name string) error { return errors.New("unknown time zone " + name) }

// isPySpace reports whether Python's str.split() splits on r. Python also
// counts the ASCII information separators U+001C..U+001F as whitespace.
func isPySpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// pyFields is Python's str.split() with no arguments.
func pyFields(s string) []string { return strings.FieldsFunc(s, isPySpace) }

// rsplitField is Python's s.rsplit(maxsplit=1) for a stripped s that
// contains whitespace: everything before the last run of whitespace, and
// the word after it.
func rsplitField(s string) (head, last string) {
	i := strings.LastIndexFunc(s, isPySpace)
	head = strings.TrimRightFunc(s[:i], isPySpace)
	_, size := utf8.DecodeRuneInString(s[i:])
	return head, s[i+size:]
}
