package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// testBadgeKeys: projects and checks are found by their badge keys, checks as they are now;
// project and check keys are separate; "" and unknown keys find nothing, nor does the key of a
// deleted check.
func testBadgeKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	p1, p2 := newProject(1, t0), newProject(2, t0.Add(time.Minute))
	noKey := newProject(3, t0.Add(2*time.Minute))
	noKey.BadgeKey = ""
	for _, p := range []*check.Project{p1, p2, noKey} {
		createProject(t, s, p)
	}
	c1, c2 := newCheck(1, p1.ID, t0), newCheck(2, p2.ID, t0)
	unkeyed := newCheck(3, p1.ID, t0)
	unkeyed.BadgeKey = ""
	// A check whose badge key is also a project's: the two kinds of key do not meet.
	shared := newCheck(4, p1.ID, t0)
	shared.BadgeKey = p2.BadgeKey
	for _, c := range []*check.Check{c1, c2, unkeyed, shared} {
		createCheck(t, s, c)
	}
	pinged, _, _ := applyPing(t, s, c1.ID, success(), t0.Add(time.Hour))

	projectTests := []struct {
		key  string
		want *check.Project
	}{
		{p1.BadgeKey, p1},
		{p2.BadgeKey, p2},
		{c1.BadgeKey, nil}, // a check's key
		{"unknown", nil},
		{"", nil},
	}
	for _, tt := range projectTests {
		got, err := s.ProjectByBadgeKey(ctx, tt.key)
		if tt.want == nil {
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("ProjectByBadgeKey(%q) = %v, %v; want ErrNotFound", tt.key, got, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ProjectByBadgeKey(%q) = %v", tt.key, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ProjectByBadgeKey(%q) mismatch (-want +got):\n%s", tt.key, diff)
		}
	}

	checkTests := []struct {
		key  string
		want *check.Check
	}{
		{c1.BadgeKey, pinged}, // as it is now, after the ping
		{c2.BadgeKey, loadCheck(t, s, c2.ID)},
		{shared.BadgeKey, loadCheck(t, s, shared.ID)},
		{p1.BadgeKey, nil}, // a project's key
		{"unknown", nil},
		{"", nil},
	}
	for _, tt := range checkTests {
		got, err := s.CheckByBadgeKey(ctx, tt.key)
		if tt.want == nil {
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("CheckByBadgeKey(%q) = %v, %v; want ErrNotFound", tt.key, got, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("CheckByBadgeKey(%q) = %v", tt.key, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got, equateEmpty); diff != "" {
			t.Errorf("CheckByBadgeKey(%q) mismatch (-want +got):\n%s", tt.key, diff)
		}
	}

	if err := s.DeleteCheck(ctx, c1.ID); err != nil {
		t.Fatalf("DeleteCheck(%s) = %v", c1.ID, err)
	}
	if got, err := s.CheckByBadgeKey(ctx, c1.BadgeKey); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CheckByBadgeKey(%q) of a deleted check = %v, %v; want ErrNotFound", c1.BadgeKey, got, err)
	}
}
