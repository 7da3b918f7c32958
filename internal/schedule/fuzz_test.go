package schedule

import (
	"testing"
	"time"
)

var fuzzZones = []string{"", "UTC", "America/New_York", "Europe/Riga", "Australia/Lord_Howe", "Pacific/Chatham", "America/St_Johns", "Asia/Kolkata"}

// FuzzParse checks that parsing never panics and that any schedule it
// accepts gives a fire time after the instant asked about, or never.
func FuzzParse(f *testing.F) {
	for _, expr := range []string{
		"* * * * *", "*/15 1-5 L,15 JAN-MAR MON#2", "0 30 2 * * *", "0 0 LW * 5L", "1,,2 * * * *",
		"Mon..Fri *-*-1..7 08:00 Europe/Riga", "*-*~01 00:00", "quarterly", "00:00\n12:00 Asia/Tokyo",
		"2030/2-02-29 *:0/15:30", "Sat,Sun, 12:00", "",
	} {
		f.Add(expr, uint8(2), int64(1762056000))
	}
	f.Fuzz(func(t *testing.T, expr string, zone uint8, after int64) {
		tz := fuzzZones[int(zone)%len(fuzzZones)]
		s, err := Parse(expr, tz)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("Parse(%q): empty error text", expr)
			}
			return
		}
		// Keep instants within the years Python can represent.
		at := time.Unix(minUnix+int64(uint64(after)%uint64(maxUnix-minUnix)), 0)
		next := s.Next(at)
		if !next.IsZero() && !next.After(at) {
			t.Fatalf("%s %q in %q: Next(%v) = %v, not after it", s.Kind(), expr, tz, at.UTC(), next)
		}
	})
}
