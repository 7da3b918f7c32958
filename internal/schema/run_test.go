package schema

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 24, 20, 0, 0, 0, time.UTC)

// fakeStore is a Migrator that records every call, with optional lock and backup.
type fakeStore struct {
	v     Version
	calls []string
	// raced is what another migrator leaves behind while this one waits for the lock.
	raced *Version
	// failAt makes Apply of that version fail.
	failAt int
}

func (f *fakeStore) Version(context.Context) (Version, error) { return f.v, nil }

func (f *fakeStore) Create(_ context.Context, build string, now time.Time) error {
	f.calls = append(f.calls, fmt.Sprintf("create %s %s", build, now.Format(time.RFC3339)))
	f.v = Version{3, 2}
	return nil
}

func (f *fakeStore) Apply(_ context.Context, m Migration, build string, _ time.Time) error {
	if m.Version == f.failAt {
		return errors.New("disk full")
	}
	if f.v.Version >= m.Version {
		f.calls = append(f.calls, fmt.Sprintf("apply %d (no-op)", m.Version))
		return nil
	}
	f.calls = append(f.calls, fmt.Sprintf("apply %d by %s", m.Version, build))
	f.v = Version{m.Version, m.MinReader}
	return nil
}

// lockingStore adds Locker and Backuper.
type lockingStore struct{ fakeStore }

func (f *lockingStore) Lock(context.Context, time.Time) error {
	f.calls = append(f.calls, "lock")
	if f.raced != nil {
		f.v = *f.raced
	}
	return nil
}

func (f *lockingStore) Unlock(context.Context) error {
	f.calls = append(f.calls, "unlock")
	return nil
}

func (f *lockingStore) Backup(_ context.Context, from Version) (string, error) {
	f.calls = append(f.calls, fmt.Sprintf("backup v%d", from.Version))
	return fmt.Sprintf("bak-v%d", from.Version), nil
}

var testBuild = Build{Current: 3, Oldest: 1, Migrations: []Migration{
	{Version: 2, MinReader: 1, Phase: Expand, Description: "add"},
	{Version: 3, MinReader: 2, Phase: Contract, Description: "require"},
}}

func runOpts(dry bool) RunOptions {
	return RunOptions{Build: testBuild, Name: "v0.3.0", Now: func() time.Time { return t0 }, DryRun: dry}
}

func TestRun(t *testing.T) {
	tests := []struct {
		name      string
		store     Migrator
		dry       bool
		wantCalls []string
		wantAfter Version
		wantErr   bool
	}{
		{"create", &fakeStore{}, false, []string{"create v0.3.0 2026-11-24T20:00:00Z"}, Version{3, 2}, false},
		{"create, dry run", &fakeStore{}, true, nil, Version{}, false},
		{"use", &fakeStore{v: Version{3, 2}}, false, nil, Version{3, 2}, false},
		{"use newer, never down", &fakeStore{v: Version{4, 2}}, false, nil, Version{4, 2}, false},
		{"refuse newer", &lockingStore{fakeStore{v: Version{4, 4}}}, false, nil, Version{4, 4}, true},
		{"migrate two", &fakeStore{v: Version{1, 1}}, false,
			[]string{"apply 2 by v0.3.0", "apply 3 by v0.3.0"}, Version{3, 2}, false},
		{"migrate, dry run", &lockingStore{fakeStore{v: Version{1, 1}}}, true, nil, Version{1, 1}, false},
		{"migrate with lock and backup", &lockingStore{fakeStore{v: Version{2, 1}}}, false,
			[]string{"lock", "backup v2", "apply 3 by v0.3.0", "unlock"}, Version{3, 2}, false},
		{"another migrator finished first", &lockingStore{fakeStore{v: Version{1, 1}, raced: &Version{3, 2}}}, false,
			[]string{"lock", "unlock"}, Version{3, 2}, false},
		{"another migrator half way", &lockingStore{fakeStore{v: Version{1, 1}, raced: &Version{2, 1}}}, false,
			[]string{"lock", "backup v2", "apply 3 by v0.3.0", "unlock"}, Version{3, 2}, false},
		{"a step fails", &lockingStore{fakeStore{v: Version{1, 1}, failAt: 3}}, false,
			[]string{"lock", "backup v1", "apply 2 by v0.3.0", "unlock"}, Version{2, 1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Run(t.Context(), tt.store, runOpts(tt.dry))
			if (err != nil) != tt.wantErr {
				t.Fatalf("Run = %v, want error %v", err, tt.wantErr)
			}
			var calls []string
			switch s := tt.store.(type) {
			case *fakeStore:
				calls = s.calls
			case *lockingStore:
				calls = s.calls
			}
			if !slices.Equal(calls, tt.wantCalls) {
				t.Errorf("calls = %q, want %q", calls, tt.wantCalls)
			}
			if rep != nil && rep.After != tt.wantAfter {
				t.Errorf("Report.After = %v, want %v", rep.After, tt.wantAfter)
			}
		})
	}
}

func TestRunReport(t *testing.T) {
	s := &lockingStore{fakeStore{v: Version{1, 1}}}
	rep, err := Run(t.Context(), s, runOpts(true))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Decision != Migrate || len(rep.Pending) != 2 || len(rep.Applied) != 0 || rep.Backup != "" {
		t.Errorf("dry-run report = %+v, want migrate with 2 pending, nothing applied, no backup", rep)
	}
	rep, err = Run(t.Context(), s, runOpts(false))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Before != (Version{1, 1}) || rep.After != (Version{3, 2}) || len(rep.Applied) != 2 || rep.Backup != "bak-v1" {
		t.Errorf("report = %+v, want 1→3, 2 applied, backup bak-v1", rep)
	}

	// A refusal is reported with the decision and the error, and nothing is called.
	s = &lockingStore{fakeStore{v: Version{4, 4}}}
	rep, err = Run(t.Context(), s, runOpts(false))
	var ve *VersionError
	if !errors.As(err, &ve) || rep.Decision != Refuse || len(s.calls) != 0 {
		t.Errorf("Run on newer data = %+v, %v; calls %q; want a refusal and no calls", rep, err, s.calls)
	}
}

// TestRunPhases: a deploy runs the expand steps before the new code takes traffic and the
// contract steps after; each phase applies its own part and nothing else.
func TestRunPhases(t *testing.T) {
	tests := []struct {
		name         string
		store        *lockingStore
		phase        Phase
		wantCalls    []string
		wantAfter    Version
		wantDeferred []int
	}{
		{"expand applies the expand step only", &lockingStore{fakeStore{v: Version{1, 1}}}, Expand,
			[]string{"lock", "backup v1", "apply 2 by v0.3.0", "unlock"}, Version{2, 1}, []int{3}},
		{"expand with only a contract left: no lock, no backup, no write", &lockingStore{fakeStore{v: Version{2, 1}}}, Expand,
			nil, Version{2, 1}, []int{3}},
		{"expand, another migrator did it meanwhile", &lockingStore{fakeStore{v: Version{1, 1}, raced: &Version{2, 1}}}, Expand,
			[]string{"lock", "unlock"}, Version{2, 1}, []int{3}},
		{"contract applies the rest", &lockingStore{fakeStore{v: Version{2, 1}}}, Contract,
			[]string{"lock", "backup v2", "apply 3 by v0.3.0", "unlock"}, Version{3, 2}, nil},
		{"contract applies everything when the expand phase did not run", &lockingStore{fakeStore{v: Version{1, 1}}}, Contract,
			[]string{"lock", "backup v1", "apply 2 by v0.3.0", "apply 3 by v0.3.0", "unlock"}, Version{3, 2}, nil},
		{"contract on migrated data does nothing", &lockingStore{fakeStore{v: Version{3, 2}}}, Contract,
			nil, Version{3, 2}, nil},
		{"expand creates an empty store whole", &lockingStore{}, Expand,
			[]string{"create v0.3.0 2026-11-24T20:00:00Z"}, Version{3, 2}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := runOpts(false)
			opts.Phase = tt.phase
			rep, err := Run(t.Context(), tt.store, opts)
			if err != nil {
				t.Fatalf("Run = %v", err)
			}
			if !slices.Equal(tt.store.calls, tt.wantCalls) {
				t.Errorf("calls = %q, want %q", tt.store.calls, tt.wantCalls)
			}
			if rep.After != tt.wantAfter {
				t.Errorf("Report.After = %v, want %v", rep.After, tt.wantAfter)
			}
			var deferred []int
			for _, m := range rep.Deferred {
				deferred = append(deferred, m.Version)
			}
			if !slices.Equal(deferred, tt.wantDeferred) {
				t.Errorf("Report.Deferred = %v, want %v", deferred, tt.wantDeferred)
			}
		})
	}
}
