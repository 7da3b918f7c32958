package schedule

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// nextTimes returns up to n successive fire times after `after`, each
// computed strictly after the previous; "never" ends the list.
func nextTimes(s *Schedule, after time.Time, n int) []string {
	var out []string
	for range n {
		next := s.Next(after)
		if next.IsZero() {
			return append(out, "never")
		}
		out = append(out, next.Format(time.RFC3339))
		after = next
	}
	return out
}

type nextCase struct {
	name  string
	expr  string
	tz    string
	after string
	want  []string
}

func runNextCases(t *testing.T, parse func(expr, tz string) (*Schedule, error), cases []nextCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := parse(tc.expr, tc.tz)
			if err != nil {
				t.Fatalf("parse %q: %v", tc.expr, err)
			}
			got := nextTimes(s, mustTime(t, tc.after), len(tc.want))
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("%q in %s after %s:\n got %v\nwant %v", tc.expr, tc.tz, tc.after, got, tc.want)
			}
		})
	}
}

// Expected times below were checked against cronsim 2.7 and oncalendar 1.1,
// except where a comment says the package deliberately differs.

func TestCronNext(t *testing.T) {
	runNextCases(t, ParseCron, []nextCase{
		// Healthchecks' own cases.
		{"hourly", "0 * * * *", "UTC", "2000-01-01T00:00:00Z",
			[]string{"2000-01-01T01:00:00Z", "2000-01-01T02:00:00Z"}},
		{"riga autumn", "15 * * * *", "Europe/Riga", "2023-10-29T00:55:00Z",
			[]string{"2023-10-29T01:15:00Z", "2023-10-29T02:15:00Z", "2023-10-29T03:15:00Z"}},

		// Extensions.
		{"L", "0 0 L * *", "UTC", "2024-01-15T00:00:00Z",
			[]string{"2024-01-31T00:00:00Z", "2024-02-29T00:00:00Z", "2024-03-31T00:00:00Z", "2024-04-30T00:00:00Z"}},
		{"LW", "0 9 LW * *", "UTC", "2025-05-01T00:00:00Z",
			[]string{"2025-05-30T09:00:00Z", "2025-06-30T09:00:00Z", "2025-07-31T09:00:00Z", "2025-08-29T09:00:00Z"}},
		{"5L", "0 12 * * 5L", "UTC", "2025-01-01T00:00:00Z",
			[]string{"2025-01-31T12:00:00Z", "2025-02-28T12:00:00Z", "2025-03-28T12:00:00Z", "2025-04-25T12:00:00Z"}},
		{"MON#1", "0 8 * * MON#1", "Europe/Berlin", "2025-01-01T00:00:00Z",
			[]string{"2025-01-06T07:00:00Z", "2025-02-03T07:00:00Z", "2025-03-03T07:00:00Z", "2025-04-07T06:00:00Z"}},
		{"lower-case names", "0 9 * * mon-fri", "Asia/Tokyo", "2025-01-03T00:00:00Z",
			[]string{"2025-01-06T00:00:00Z", "2025-01-07T00:00:00Z", "2025-01-08T00:00:00Z"}},
		{"day OR weekday", "0 0 13 * FRI", "UTC", "2025-06-01T00:00:00Z",
			[]string{"2025-06-06T00:00:00Z", "2025-06-13T00:00:00Z", "2025-06-20T00:00:00Z"}},
		{"day AND weekday when one starts with *", "0 0 */13 * FRI", "UTC", "2025-06-01T00:00:00Z",
			[]string{"2025-06-27T00:00:00Z", "2025-08-01T00:00:00Z", "2025-11-14T00:00:00Z"}},
		{"1/2 reaches 7, which is Sunday", "0 0 * * 1/2", "UTC", "2025-06-01T00:00:00Z",
			[]string{"2025-06-02T00:00:00Z", "2025-06-04T00:00:00Z", "2025-06-06T00:00:00Z", "2025-06-08T00:00:00Z", "2025-06-09T00:00:00Z"}},
		{"leap day", "0 0 29 2 *", "UTC", "2025-01-01T00:00:00Z",
			[]string{"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"}},
		{"seconds field", "*/20 * * * * *", "UTC", "2025-01-01T00:00:00Z",
			[]string{"2025-01-01T00:00:20Z", "2025-01-01T00:00:40Z", "2025-01-01T00:01:00Z"}},
		{"no match within 50 years", "24 13 */9 9,10,12 0#5", "America/New_York", "2025-04-05T15:09:18Z",
			[]string{"never"}},

		// Sub-second parts of after are dropped before advancing.
		{"fraction before the minute", "* * * * *", "UTC", "2025-01-01T00:59:59.9Z",
			[]string{"2025-01-01T01:00:00Z"}},
		{"fraction after the minute", "* * * * *", "UTC", "2025-01-01T01:00:00.5Z",
			[]string{"2025-01-01T01:01:00Z"}},

		// DST, fixed-time jobs: Debian cron's handling.
		{"spring gap runs after the gap", "30 2 * * *", "America/New_York", "2026-03-07T12:00:00Z",
			[]string{"2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z", "2026-03-10T06:30:00Z"}},
		{"autumn repeat runs once", "30 1 * * *", "America/New_York", "2025-11-01T12:00:00Z",
			[]string{"2025-11-02T05:30:00Z", "2025-11-03T06:30:00Z", "2025-11-04T06:30:00Z"}},
		// cronsim returns 05:30Z here, before after (06:15Z = 01:15 EST, the
		// second pass); the package continues to the next day instead.
		{"after in the repeated hour", "30 1 * * *", "America/New_York", "2025-11-02T06:15:00Z",
			[]string{"2025-11-03T06:30:00Z"}},

		// DST, other jobs: real instants.
		{"autumn repeat matches twice", "*/30 * * * *", "America/New_York", "2025-11-02T05:00:00Z",
			[]string{"2025-11-02T05:30:00Z", "2025-11-02T06:00:00Z", "2025-11-02T06:30:00Z", "2025-11-02T07:00:00Z"}},
		{"spring gap does not match", "*/30 * * * *", "America/New_York", "2026-03-08T06:45:00Z",
			[]string{"2026-03-08T07:00:00Z", "2026-03-08T07:30:00Z"}},
		{"six fields get no Debian handling", "0 30 2 * * *", "America/New_York", "2026-03-07T12:00:00Z",
			[]string{"2026-03-09T06:30:00Z", "2026-03-10T06:30:00Z"}},
		// Chatham moves its clocks at 03:45 -> 02:45. cronsim returns
		// 13:15Z (before after) and then cycles; the package gives the
		// first real instant in hour 3: 03:00 CHAST.
		{"transition off the hour", "* 3 * * *", "Pacific/Chatham", "2016-04-02T13:59:00Z",
			[]string{"2016-04-02T14:15:00Z", "2016-04-02T14:16:00Z"}},
	})
}

func TestOnCalendarNext(t *testing.T) {
	runNextCases(t, ParseOnCalendar, []nextCase{
		{"in the past", "2019-01-01", "UTC", "2020-01-01T00:00:00Z", []string{"never"}},
		{"last second before 2200", "2199-12-31 23:59:59", "UTC", "2199-01-01T00:00:00Z",
			[]string{"2199-12-31T23:59:59Z", "never"}},
		{"weekday with comma", "Mon, 12:34", "UTC", "2025-10-25T23:47:00Z", []string{"2025-10-27T12:34:00Z"}},
		{"last day of February", "*-02~01 12:00", "UTC", "2025-01-01T00:00:00Z",
			[]string{"2025-02-28T12:00:00Z", "2026-02-28T12:00:00Z"}},
		{"last Saturday", "Sat *-*~01..07 10:00", "UTC", "2025-01-01T00:00:00Z",
			[]string{"2025-01-25T10:00:00Z", "2025-02-22T10:00:00Z", "2025-03-29T10:00:00Z"}},
		{"zone on the line", "Mon..Fri *-*-1..7 08:00 Europe/Riga", "America/New_York", "2025-01-01T00:00:00Z",
			[]string{"2025-01-01T06:00:00Z", "2025-01-02T06:00:00Z", "2025-01-03T06:00:00Z"}},
		{"several lines", "*-*-* 01:30\n*-*-* 01:15 Asia/Tokyo", "Europe/London", "2025-05-01T00:00:00Z",
			[]string{"2025-05-01T00:30:00Z", "2025-05-01T16:15:00Z", "2025-05-02T00:30:00Z", "2025-05-02T16:15:00Z"}},
		{"spring gap is skipped", "*-*-* 02:30", "America/New_York", "2026-03-07T12:00:00Z",
			[]string{"2026-03-09T06:30:00Z", "2026-03-10T06:30:00Z"}},
		{"autumn repeat runs once", "*-*-* 01:30", "America/New_York", "2025-11-01T12:00:00Z",
			[]string{"2025-11-02T05:30:00Z", "2025-11-03T06:30:00Z"}},
		{"repeated hour is not repeated", "*:0/30", "America/New_York", "2025-11-02T05:00:00Z",
			[]string{"2025-11-02T05:30:00Z", "2025-11-02T07:00:00Z", "2025-11-02T07:30:00Z"}},
		// The library would return 05:30Z (01:30 EDT), before after; the
		// package continues from the end of the repeated hour.
		{"after in the repeated hour", "*:0/30", "America/New_York", "2025-11-02T06:10:00Z",
			[]string{"2025-11-02T07:00:00Z"}},
	})
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		kind, expr, tz, want string
	}{
		{"cron", "0 0 31 2 *", "UTC", "Bad day-of-month"},
		{"cron", "0 0 30 2 *", "UTC", "Bad day-of-month"},
		{"cron", "0 0 31 4,6 *", "UTC", "Bad day-of-month"},
		{"cron", "0 0 ? * *", "UTC", "Bad day-of-month"},
		{"cron", "* * * *", "UTC", "Wrong number of fields"},
		{"cron", "* * * * * * *", "UTC", "Wrong number of fields"},
		{"cron", "0 0 * * MON#6", "UTC", "Bad day-of-week"},
		{"cron", "0 0 * * 8", "UTC", "Bad day-of-week"},
		{"cron", "0 0 * * MON-SUN", "UTC", "Bad day-of-week"},
		{"cron", "0 0 * * L", "UTC", "Bad day-of-week"},
		{"cron", "0 0 * 13 *", "UTC", "Bad month"},
		{"cron", "60 * * * *", "UTC", "Bad minute"},
		{"cron", "61 * * * * *", "UTC", "Bad second"},
		{"cron", "0 0 * * *", "Mars/Olympus", "unknown time zone Mars/Olympus"},
		{"cron", "0 0 * * *", "Local", "unknown time zone Local"},
		{"cron", "0 0 * * *", "Europe//Riga", "unknown time zone Europe//Riga"},
		{"oncalendar", "*-*-* 12:00:00.5", "UTC", "Bad second"},
		{"oncalendar", "12", "UTC", "Bad day-of-week"},
		{"oncalendar", "Mon Tue 12:00", "UTC", "Wrong number of fields"},
		{"oncalendar", "*-13-01", "UTC", "Bad month"},
		{"oncalendar", "*-*~29", "UTC", "Bad day-of-month"},
		{"oncalendar", "1969-01-01", "UTC", "Bad year"},
		{"oncalendar", "*/2:00", "UTC", "Bad hour"},
		{"oncalendar", "Sun..Mon", "UTC", "Bad day-of-week"},
		{"oncalendar", "2024-01-01-01", "UTC", "Bad date"},
		{"oncalendar", "12:00:00:00", "UTC", "Bad time"},
		{"oncalendar", "*-*-* 12:00 Mars/Base", "UTC", "Bad day-of-week"},
		{"oncalendar", "daily\n\nweekly", "UTC", "Wrong number of fields"},
		{"oncalendar", "daily", "Nowhere/Town", "unknown time zone Nowhere/Town"},
	} {
		parse := ParseCron
		if tc.kind == KindOnCalendar {
			parse = ParseOnCalendar
		}
		s, err := parse(tc.expr, tc.tz)
		if err == nil || err.Error() != tc.want {
			t.Errorf("parse %s %q in %q = %v, %v; want error %q", tc.kind, tc.expr, tc.tz, s, err, tc.want)
		}
	}
}

func TestParseKind(t *testing.T) {
	for _, tc := range []struct {
		expr, want string
	}{
		{"0 * * * *", KindCron},
		{"  0 *\t* * *  ", KindCron},
		{"0 30 * * * *", KindCron},
		{"Mon 12:00", KindOnCalendar},
		{"daily", KindOnCalendar},
		{"Mon *-*-01", KindOnCalendar},
		{"0 0\n* * *", "error Bad day-of-week"}, // two lines: OnCalendar
		// Cron's alphabet, a field count neither syntax takes: cron's error.
		{"* * * *", "error Wrong number of fields"},
		{"0 0 * * * * *", "error Wrong number of fields"},
		{"5 4 * JAN,Feb", "error Wrong number of fields"},
		{"0 0 1 * MON#2 ? 2026", "error Wrong number of fields"},
		{"* * *", "error Wrong number of fields"},
		{"61 * * * * *", "error Bad second"}, // six fields in cron's alphabet: cron's error
		// Anything else, and one or two fields, keep OnCalendar's answer.
		{"* *", "error Bad day-of-week"},
		{"12", "error Bad day-of-week"},
		{"a b c d e f", "error Bad day-of-week"},
		{"Mon 12:00 * *", "error Wrong number of fields"},
		{"Mon *-13-01", "error Bad month"},
		{"Mon..Fri * * *", "error Wrong number of fields"},
		{"0 61 * * *", "error Bad hour"},
		{"", "error Wrong number of fields"},
	} {
		got := ""
		s, err := Parse(tc.expr, "Europe/Riga")
		if err != nil {
			got = "error " + err.Error()
		} else {
			got = s.Kind()
		}
		if got != tc.want {
			t.Errorf("Parse(%q) kind = %q, want %q", tc.expr, got, tc.want)
		}
		if tc.want == "error Wrong number of fields" && !errors.Is(err, ErrFieldCount) {
			t.Errorf("Parse(%q) error %v is not ErrFieldCount", tc.expr, err)
		}
	}
}

func TestForCheck(t *testing.T) {
	n, err := ForCheck("simple", "", "")
	if n != nil || err != nil {
		t.Errorf(`ForCheck("simple") = %v, %v; want nil, nil`, n, err)
	}
	n, err = ForCheck("cron", "0 * * * *", "UTC")
	if err != nil {
		t.Fatalf(`ForCheck("cron") error: %v`, err)
	}
	after := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	if got, want := n.Next(after), after.Add(time.Hour); !got.Equal(want) {
		t.Errorf("Next(%v) = %v, want %v", after, got, want)
	}
	n, err = ForCheck("oncalendar", "hourly", "Asia/Kolkata")
	if err != nil {
		t.Fatalf(`ForCheck("oncalendar") error: %v`, err)
	}
	if got, want := n.Next(after), after.Add(30*time.Minute); !got.Equal(want) {
		t.Errorf("Next(%v) = %v, want %v", after, got, want)
	}
	n, err = ForCheck("cron", "0 0 31 2 *", "UTC")
	if n != nil || err == nil || err.Error() != "Bad day-of-month" {
		t.Errorf("ForCheck with a bad expression = %v, %v; want nil, Bad day-of-month", n, err)
	}
	if _, err := ForCheck("weekly", "", ""); err == nil {
		t.Error("ForCheck with an unknown kind: want an error")
	}
}

func TestNextIsUTC(t *testing.T) {
	s, err := ParseCron("0 9 * * *", "Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	got := s.Next(time.Date(2025, 1, 1, 0, 0, 0, 0, time.FixedZone("X", 3600)))
	if got.Location() != time.UTC {
		t.Errorf("Next location = %v, want UTC", got.Location())
	}
	if want := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("Next = %v, want %v", got, want)
	}
}

func TestNextExtremes(t *testing.T) {
	s, err := ParseCron("0 0 * * *", "UTC")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Next(time.Time{}), time.Date(1, 1, 2, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("Next(zero time) = %v, want %v", got, want)
	}
	if got := s.Next(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)); !got.IsZero() {
		t.Errorf("Next(year 10000) = %v, want never", got)
	}
	s, err = ParseOnCalendar("daily", "Europe/Riga")
	if err != nil {
		t.Fatal(err)
	}
	// Years start at 1970; Riga was on Moscow time then.
	if got, want := s.Next(time.Time{}), time.Date(1969, 12, 31, 21, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("OnCalendar Next(zero time) = %v, want %v", got, want)
	}
}
