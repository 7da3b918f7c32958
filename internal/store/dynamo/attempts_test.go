package dynamo

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestAttempts: counts per key and window, added and read back in one step, shared by every
// Attempts of the table (as by every instance of the api function), given back and reset per
// key, with the TTL at the window's end, and no key stored in plain text.
func TestAttempts(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	w := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	end := w.Add(15 * time.Minute)
	one, other := s.Attempts(), s.Attempts()
	add := func(a *Attempts, window time.Time, n int, keys ...string) []int {
		t.Helper()
		got, err := a.Add(ctx, window, window.Add(15*time.Minute), n, keys...)
		if err != nil {
			t.Fatalf("Add = %v", err)
		}
		return got
	}
	for i := range 3 {
		if got, want := add(one, w, 1, "account:alice@example.org", "address:198.51.100.7"), []int{i + 1, i + 1}; !cmp.Equal(got, want) {
			t.Errorf("Add #%d = %v, want %v", i+1, got, want)
		}
	}
	if got := add(other, w, 1, "account:bob@example.org", "address:198.51.100.7"); !cmp.Equal(got, []int{1, 4}) {
		t.Errorf("Add from another instance = %v, want [1 4]", got)
	}
	if got := add(one, end, 1, "account:alice@example.org"); !cmp.Equal(got, []int{1}) {
		t.Errorf("Add in the next window = %v, want [1]", got)
	}
	if got := add(one, w, -1, "address:198.51.100.7"); !cmp.Equal(got, []int{3}) {
		t.Errorf("Add -1 = %v, want [3]", got)
	}
	if err := one.Reset(ctx, w, "account:alice@example.org"); err != nil {
		t.Fatal(err)
	}
	if got := add(other, w, 1, "account:alice@example.org"); !cmp.Equal(got, []int{1}) {
		t.Errorf("Add after alice's reset = %v, want [1]", got)
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

	// Concurrent additions from many instances each read a different count: the reservation
	// a limit relies on (two requests never both see the last free attempt).
	const n = 8
	seen := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			got, err := s.Attempts().Add(ctx, w, end, 1, "account:carol@example.org")
			if err != nil {
				t.Error(err)
				return
			}
			seen[i] = got[0]
		})
	}
	wg.Wait()
	distinct := map[int]bool{}
	for _, c := range seen {
		distinct[c] = true
	}
	if len(distinct) != n {
		t.Errorf("%d concurrent additions read %v, want %d distinct counts", n, seen, n)
	}

	// What a sign-in pays for its limits (the README's figures): an attempt three UpdateItems
	// of 1 WCU each and no read (two before the email's ceiling, which a refused attempt does
	// not reach), a success one DeleteItem and two UpdateItems.
	for _, tc := range []struct {
		what string
		run  func() error
		want Usage
	}{
		{"attempt", func() error {
			if _, err := one.Add(ctx, w, end, 1, "pair:bob@example.org\x00198.51.100.7", "address:198.51.100.7"); err != nil {
				return err
			}
			_, err := one.Add(ctx, w, end, 1, "account:bob@example.org")
			return err
		}, Usage{Requests: 3, WCU: 3}},
		{"success", func() error {
			if err := one.Reset(ctx, w, "pair:bob@example.org\x00198.51.100.7"); err != nil {
				return err
			}
			_, err := one.Add(ctx, w, end, -1, "account:bob@example.org", "address:198.51.100.7")
			return err
		}, Usage{Requests: 3, WCU: 3}},
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
