package dynamo

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestAttempts: counts per key and window, shared by every Attempts of the table (as by every
// instance of the api function), reset per key, with the TTL at the window's end, and no key
// stored in plain text.
func TestAttempts(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	w := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	end := w.Add(15 * time.Minute)
	one, other := s.Attempts(), s.Attempts()
	count := func(a *Attempts, window time.Time, keys ...string) []int {
		t.Helper()
		n, err := a.Count(ctx, window, keys...)
		if err != nil {
			t.Fatalf("Count = %v", err)
		}
		return n
	}
	if got := count(one, w, "account:alice@example.org", "address:198.51.100.7"); !cmp.Equal(got, []int{0, 0}) {
		t.Errorf("Count before any failure = %v, want [0 0]", got)
	}
	for range 3 {
		if err := one.Add(ctx, w, end, "account:alice@example.org", "address:198.51.100.7"); err != nil {
			t.Fatal(err)
		}
	}
	if err := other.Add(ctx, w, end, "account:bob@example.org", "address:198.51.100.7"); err != nil {
		t.Fatal(err)
	}
	if got := count(other, w, "account:alice@example.org", "address:198.51.100.7"); !cmp.Equal(got, []int{3, 4}) {
		t.Errorf("Count from another instance = %v, want [3 4]", got)
	}
	if got := count(one, end, "account:alice@example.org", "address:198.51.100.7"); !cmp.Equal(got, []int{0, 0}) {
		t.Errorf("Count in the next window = %v, want [0 0]", got)
	}
	if err := one.Reset(ctx, w, "account:alice@example.org"); err != nil {
		t.Fatal(err)
	}
	if got := count(one, w, "address:198.51.100.7", "account:alice@example.org", "account:bob@example.org"); !cmp.Equal(got, []int{4, 0, 1}) {
		t.Errorf("Count after alice's reset = %v, want [4 0 1]", got)
	}
	m, err := s.get(ctx, attemptKey(w, "account:bob@example.org"), true)
	if err != nil || m == nil {
		t.Fatalf("bob's count item: %v, %v", m, err)
	}
	it, err := unmarshal[attemptItem](m)
	if err != nil {
		t.Fatal(err)
	}
	if it.TTL != end.Unix() || it.N != 1 {
		t.Errorf("bob's count item = %+v, want n 1 and TTL %d", it, end.Unix())
	}
	if raw := it.PK + it.SK; strings.Contains(raw, "bob") || strings.Contains(raw, "example.org") {
		t.Errorf("count item key %q holds the email", raw)
	}

	// What a sign-in pays for its limits (the README's figures): the check before it one
	// request of 1 RCU (two eventually consistent reads of small items), a failure two
	// UpdateItems of 1 WCU each, a success one DeleteItem.
	for _, tc := range []struct {
		what string
		run  func() error
		want Usage
	}{
		{"check", func() error {
			_, err := one.Count(ctx, w, "account:bob@example.org", "address:198.51.100.7")
			return err
		},
			Usage{Requests: 1, RCU: 1}},
		{"failure", func() error { return one.Add(ctx, w, end, "account:bob@example.org", "address:198.51.100.7") },
			Usage{Requests: 2, WCU: 2}},
		{"success", func() error { return one.Reset(ctx, w, "account:bob@example.org") }, Usage{Requests: 1, WCU: 1}},
	} {
		s.Meter = &Meter{}
		if err := tc.run(); err != nil {
			t.Fatalf("%s: %v", tc.what, err)
		}
		got := s.Meter.Usage()
		got.ReportedRCU, got.ReportedWCU = 0, 0 // moto reports a constant per request
		if got != tc.want {
			t.Errorf("%s costs %+v, want %+v", tc.what, got, tc.want)
		}
	}
}
