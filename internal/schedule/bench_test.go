package schedule

import (
	"testing"
	"time"
)

func BenchmarkNext(b *testing.B) {
	for _, bc := range []struct {
		name, kind, expr, tz string
	}{
		{"cron/hourly-utc", KindCron, "0 * * * *", "UTC"},
		{"cron/fixed-time-dst", KindCron, "30 2 * * 1-5", "America/New_York"},
		{"cron/every-15-dst", KindCron, "*/15 * * * *", "Europe/Riga"},
		{"cron/last-friday", KindCron, "0 12 * * 5L", "Australia/Sydney"},
		{"cron/never", KindCron, "24 13 */9 9,10,12 0#5", "America/New_York"},
		{"oncalendar/weekdays", KindOnCalendar, "Mon..Fri 09:00", "Europe/London"},
		{"oncalendar/two-lines", KindOnCalendar, "09:00 Asia/Tokyo\n18:00 Europe/London", "UTC"},
		{"oncalendar/leap-day", KindOnCalendar, "*-02-29 12:00", "America/Los_Angeles"},
	} {
		parse := ParseCron
		if bc.kind == KindOnCalendar {
			parse = ParseOnCalendar
		}
		s, err := parse(bc.expr, bc.tz)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Date(2025, 10, 25, 23, 47, 13, 0, time.UTC)
		b.Run(bc.name, func(b *testing.B) {
			after := start
			for b.Loop() {
				next := s.Next(after)
				if next.IsZero() {
					next = start
				}
				after = next
			}
		})
	}
}
