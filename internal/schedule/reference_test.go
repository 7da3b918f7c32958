package schedule

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// referenceDir holds fire times and error texts recorded from cronsim 2.7 and
// oncalendar 1.1, the libraries Healthchecks uses; testdata/README.md says how.
var referenceDir = "testdata"

// referenceLine is one JSON line; encoding/json matches the lower-case keys
// to these fields case-insensitively.
type referenceLine struct {
	Kind  string
	Expr  string
	TZ    string
	After string
	Next  []string
	Error string
}

func loadReference(t *testing.T, name string) []referenceLine {
	t.Helper()
	p := filepath.Join(referenceDir, name)
	f, err := os.Open(p)
	if err != nil {
		t.Fatalf("reference data missing: %v", err)
	}
	defer f.Close()
	var lines []referenceLine
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		var l referenceLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("%s:%d: %v", name, n, err)
		}
		lines = append(lines, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read %s: %v", p, err)
	}
	if len(lines) == 0 {
		t.Fatalf("%s is empty", p)
	}
	return lines
}

func TestReference(t *testing.T) {
	for _, file := range []string{"cron-shared.jsonl", "oncalendar-shared.jsonl"} {
		for i, l := range loadReference(t, file) {
			t.Run(fmt.Sprintf("%s:%d", file, i+1), func(t *testing.T) {
				checkReferenceLine(t, l)
			})
		}
	}
}

func checkReferenceLine(t *testing.T, l referenceLine) {
	parse := ParseCron
	if l.Kind == KindOnCalendar {
		parse = ParseOnCalendar
	}
	s, err := parse(l.Expr, l.TZ)
	// Parse, which picks the syntax itself (overdue schedule, overdue check
	// create), must come to the same kind, or the same error text.
	ps, perr := Parse(l.Expr, l.TZ)
	if l.Error != "" {
		if err == nil || err.Error() != l.Error {
			t.Fatalf("parse %s %q: error %v, want %q", l.Kind, l.Expr, err, l.Error)
		}
		if perr == nil || perr.Error() != l.Error {
			t.Fatalf("Parse(%q): error %v, want %q", l.Expr, perr, l.Error)
		}
		return
	}
	if perr != nil || ps.Kind() != l.Kind {
		t.Errorf("Parse(%q) = %v, %v; want a %s schedule", l.Expr, ps, perr, l.Kind)
	}
	if err != nil {
		t.Fatalf("parse %s %q: %v", l.Kind, l.Expr, err)
	}
	if s.Kind() != l.Kind {
		t.Errorf("Kind() = %q, want %q", s.Kind(), l.Kind)
	}
	prev, err := time.Parse(time.RFC3339, l.After)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range l.Next {
		got := s.Next(prev)
		if g := got.Format(time.RFC3339); g != want {
			t.Fatalf("%q tz %s: next #%d after %s = %s, want %s (all: %v)", l.Expr, l.TZ, i+1, prev.Format(time.RFC3339), g, want, l.Next)
		}
		prev = got
	}
	if len(l.Next) < 6 {
		// The reference iterator ran out: Next must report "never".
		if got := s.Next(prev); !got.IsZero() {
			t.Errorf("%q tz %s: next after %s = %s, want never", l.Expr, l.TZ, prev.Format(time.RFC3339), got.Format(time.RFC3339))
		}
	}
}
