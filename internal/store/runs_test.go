package store

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/overduehq/overdue/internal/check"
)

func TestRunsRoundTrip(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for _, runs := range [][]check.Run{
		nil,
		{{N: 1, At: t0}},
		{{N: 7, At: t0, Failed: true, Duration: 90 * time.Second}, {N: 9, At: t0.Add(time.Hour + time.Millisecond), Duration: 71*time.Hour + 59*time.Minute},
			// Out of order and older: a clock step back; numbers only grow.
			{N: 1000000, At: t0.Add(-time.Hour), Failed: true}},
	} {
		b := EncodeRuns(runs)
		got, err := DecodeRuns(b)
		if err != nil {
			t.Fatalf("DecodeRuns(EncodeRuns(%v)): %v", runs, err)
		}
		if diff := cmp.Diff(runs, got); diff != "" {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}
	}
	// 20 runs of half-hourly jobs: what a check item carries.
	var runs []check.Run
	for i := range check.KeptRuns {
		runs = append(runs, check.Run{N: 2 * (i + 1), At: t0.Add(time.Duration(i) * 30 * time.Minute), Duration: 42 * time.Second})
	}
	if n := len(EncodeRuns(runs)); n > 8*check.KeptRuns+8 {
		t.Errorf("20 runs take %d bytes, want at most %d", n, 8*check.KeptRuns+8)
	}
}

func TestDecodeRunsRefuses(t *testing.T) {
	good := EncodeRuns([]check.Run{{N: 3, At: time.Unix(1e9, 0), Duration: time.Second}})
	for name, b := range map[string][]byte{
		"another format": append([]byte{2}, good[1:]...),
		"cut short":      good[:len(good)-1],
	} {
		if _, err := DecodeRuns(b); err == nil {
			t.Errorf("DecodeRuns(%s %x) = nil error, want one", name, b)
		}
	}
}
