package dynamo

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/store"
)

// TestLock: one holder at a time; a second migrator is told who holds the lock and until
// when; an expired lock is taken over, and its former holder cannot release it.
func TestLock(t *testing.T) {
	ctx := t.Context()
	a := newBareStore(t)
	b := New(a.db, a.table, store.Options{Box: testBox})
	if err := a.Lock(ctx, t0); err != nil {
		t.Fatalf("a.Lock = %v", err)
	}
	err := b.Lock(ctx, t0.Add(time.Minute))
	var le *LockError
	if !errors.As(err, &le) || le.Owner == "" || !le.Expires.Equal(t0.Add(lockTTL)) {
		t.Fatalf("b.Lock while a holds it = %v, want a *LockError naming a and its expiry", err)
	}
	if !strings.Contains(err.Error(), "another migration of table "+a.table+" is running") {
		t.Errorf("LockError = %q", err)
	}
	// a stalls past the expiry: b takes the lock over, and a's release fails.
	if err := b.Lock(ctx, t0.Add(lockTTL+time.Second)); err != nil {
		t.Fatalf("b.Lock after a's lock expired = %v", err)
	}
	if err := a.Unlock(ctx); err == nil {
		t.Errorf("a.Unlock of a lock b took over = nil, want an error")
	}
	if err := b.Unlock(ctx); err != nil {
		t.Errorf("b.Unlock = %v", err)
	}
	if err := a.Lock(ctx, t0.Add(lockTTL+2*time.Second)); err != nil {
		t.Errorf("a.Lock after b released = %v", err)
	}
	if err := a.Unlock(ctx); err != nil {
		t.Errorf("a.Unlock = %v", err)
	}
}

// TestRunWhileLocked: a migration that meets another migrator's lock, and does not wait,
// fails with a clear error and writes nothing.
func TestRunWhileLocked(t *testing.T) {
	ctx := t.Context()
	s := newBareStore(t)
	seedV1(t, s, 1, 4)
	holder := New(s.db, s.table, store.Options{Box: testBox})
	if err := holder.Lock(ctx, t0); err != nil {
		t.Fatal(err)
	}
	before := scanAll(t, s)
	_, err := schema.Run(ctx, s, runOpts("v0.2.0"))
	var le *LockError
	if !errors.As(err, &le) {
		t.Fatalf("Run while another migrator holds the lock = %v, want a *LockError", err)
	}
	if diff := cmp.Diff(before, scanAll(t, s)); diff != "" {
		t.Errorf("a refused migration wrote (-before +after):\n%s", diff)
	}
}

// TestConcurrentMigrations: migrators started at once on version 1 data (the deploy's custom
// resource and an operator, say): exactly one applies the migrations, the others wait for the
// lock and find nothing left to do, and the history has one entry per version.
//
// moto checks a write's condition and applies it in separate steps without a lock, so two
// conditional writes at once can both succeed; the test client (motoClient) serializes write
// requests, as DynamoDB's writes are atomic, and leaves reads concurrent.
func TestConcurrentMigrations(t *testing.T) {
	ctx := t.Context()
	first := newBareStore(t)
	seedV1(t, first, 4, 25)
	const migrators = 4
	reports := make([]*schema.Report, migrators)
	errs := make([]error, migrators)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range migrators {
		s := New(first.db, first.table, store.Options{Box: testBox})
		s.LockWait = time.Minute
		wg.Go(func() {
			<-start
			reports[i], errs[i] = schema.Run(ctx, s, runOpts("v0.2.0"))
		})
	}
	close(start)
	wg.Wait()
	applied, waited := 0, 0
	for i := range migrators {
		if errs[i] != nil {
			t.Errorf("migrator %d: %v", i, errs[i])
			continue
		}
		applied += len(reports[i].Applied)
		if reports[i].Decision == schema.Migrate && len(reports[i].Applied) == 0 {
			waited++ // it set out to migrate, met the lock, and found the work done
		}
		if reports[i].After != (schema.Version{Version: schema.Current, MinReader: schema.This().MinReader()}) {
			t.Errorf("migrator %d left the data at %v", i, reports[i].After)
		}
	}
	if want := schema.Current - 1; applied != want {
		t.Errorf("%d migrations applied, want exactly %d (each once)", applied, want)
	}
	if waited == 0 {
		t.Errorf("no migrator waited for the lock: the test did not make them race")
	}
	hist, err := first.History(ctx)
	if err != nil || len(hist) != schema.Current-1 || hist[0].Version != 2 {
		t.Errorf("History = %+v, %v; want one entry for each version from 2", hist, err)
	}
	lookups := 0
	for _, m := range scanAll(t, first) {
		if strings.HasPrefix(m["sk"].(string), pingPrefix) && m["bs"] == nil {
			t.Errorf("%s %s has no bs", m["pk"], m["sk"])
		}
		if m["sk"] == checkSK && m["bk"] != nil && m["bkl"] != "BOOL:true" {
			t.Errorf("%s has a badge key but no bkl", m["pk"])
		}
		if strings.HasPrefix(m["pk"].(string), badgeKeyPrefix) {
			lookups++
		}
		if m["pk"] == metaPK && (m[metaLockOwner] != nil || m[metaLockExpires] != nil) {
			t.Errorf("META still holds a lock: %v", m)
		}
	}
	if lookups != 4 { // the badged project's and three of the four checks'
		t.Errorf("%d badge lookups, want 4", lookups)
	}
}
