package schedule

import (
	"testing"
	"time"
)

func TestCanonicalZone(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{"Europe/Kiev", "Europe/Kyiv", false},
		{"Europe/Kyiv", "Europe/Kyiv", false},
		{"Asia/Calcutta", "Asia/Kolkata", false},
		{"UCT", "Etc/UTC", false},
		{"CET", "Europe/Brussels", false},
		{"US/Eastern", "America/New_York", false},
		{"UTC", "UTC", false},
		{"Europe/Bratislava", "Europe/Bratislava", false}, // listed for its country: not legacy
		{"Europe/Riga", "Europe/Riga", false},
		{"Mars/Olympus", "", true},
		{"", "", true},
		{"Local", "", true},
		{"../../etc/passwd", "", true},
	}
	for _, tt := range tests {
		got, err := CanonicalZone(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("CanonicalZone(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestLegacyZoneTargetsLoad(t *testing.T) {
	for legacy, current := range legacyZones {
		if _, err := time.LoadLocation(current); err != nil {
			t.Errorf("%s maps to %s, which does not load: %v", legacy, current, err)
		}
		if _, again := legacyZones[current]; again {
			t.Errorf("%s maps to %s, itself a legacy name", legacy, current)
		}
	}
}
