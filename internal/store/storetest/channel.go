package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

func testChannels(t *testing.T, s store.Store) {
	ctx := t.Context()
	pa, pb := newProject(1, t0), newProject(2, t0)
	createProject(t, s, pa)
	createProject(t, s, pb)
	ch1 := newChannel(1, pa.ID, t0.Add(time.Minute))
	ch1.Kind = "webhook"
	ch1.Disabled = true
	ch1.LastError = "Received status code 502"
	ch1.Delay, ch1.Repeat = 15*time.Minute, 2*time.Hour
	ch1.Late = true
	requireAllSet(t, *ch1, "Damaged") // a read's mark, never stored
	ch2 := newChannel(2, pa.ID, t0)
	ch3 := newChannel(3, pb.ID, t0)
	for _, ch := range []*check.Channel{ch1, ch2, ch3} {
		createChannel(t, s, ch)
	}

	channels := func(projectID string) []*check.Channel {
		t.Helper()
		got, err := s.Channels(ctx, projectID)
		if err != nil {
			t.Fatalf("Channels(%s) = %v", projectID, err)
		}
		return got
	}
	if diff := cmp.Diff([]*check.Channel{ch2, ch1}, channels(pa.ID)); diff != "" {
		t.Errorf("Channels(%s) mismatch, want oldest first (-want +got):\n%s", pa.ID, diff)
	}
	if diff := cmp.Diff([]*check.Channel{ch3}, channels(pb.ID)); diff != "" {
		t.Errorf("Channels(%s) mismatch (-want +got):\n%s", pb.ID, diff)
	}
	dup := newChannel(1, pb.ID, t0)
	if err := s.CreateChannel(ctx, dup); !errors.Is(err, store.ErrConflict) {
		t.Errorf("CreateChannel(%s) again = %v, want ErrConflict", dup.ID, err)
	}

	x := newCheck(1, pa.ID, t0)
	x.Channels = []string{ch1.ID, ch2.ID}
	y := newCheck(2, pa.ID, t0)
	y.Channels = []string{ch2.ID}
	z := newCheck(3, pb.ID, t0)
	z.Channels = []string{ch3.ID}
	for _, c := range []*check.Check{x, y, z} {
		createCheck(t, s, c)
	}
	// UpdateCheck writes a changed list, in its order.
	update(t, s, y.ID, func(c *check.Check) *check.Flip {
		c.Channels = []string{ch2.ID, ch1.ID}
		return nil
	})
	if got := loadCheck(t, s, y.ID).Channels; !cmp.Equal(got, []string{ch2.ID, ch1.ID}) {
		t.Errorf("Check(%s).Channels after UpdateCheck = %v, want %v", y.ID, got, []string{ch2.ID, ch1.ID})
	}

	if err := s.DeleteChannel(ctx, pa.ID, ch1.ID); err != nil {
		t.Fatalf("DeleteChannel(%s, %s) = %v", pa.ID, ch1.ID, err)
	}
	if diff := cmp.Diff([]*check.Channel{ch2}, channels(pa.ID)); diff != "" {
		t.Errorf("Channels(%s) after delete mismatch (-want +got):\n%s", pa.ID, diff)
	}
	for _, tt := range []struct {
		id   string
		want []string
	}{
		{x.ID, []string{ch2.ID}},
		{y.ID, []string{ch2.ID}},
		{z.ID, []string{ch3.ID}},
	} {
		if got := loadCheck(t, s, tt.id).Channels; !cmp.Equal(got, tt.want) {
			t.Errorf("Check(%s).Channels after deleting %s = %v, want %v", tt.id, ch1.ID, got, tt.want)
		}
	}

	tests := []struct {
		name, projectID, id string
	}{
		{"deleted channel", pa.ID, ch1.ID},
		{"other project's channel", pa.ID, ch3.ID},
		{"unknown channel", pa.ID, channelID(99)},
	}
	for _, tt := range tests {
		if err := s.DeleteChannel(ctx, tt.projectID, tt.id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteChannel(%s) of %s = %v, want ErrNotFound", tt.projectID, tt.name, err)
		}
	}
	if diff := cmp.Diff([]*check.Channel{ch3}, channels(pb.ID)); diff != "" {
		t.Errorf("Channels(%s) after refused deletes mismatch (-want +got):\n%s", pb.ID, diff)
	}
	if got := loadCheck(t, s, z.ID).Channels; !cmp.Equal(got, []string{ch3.ID}) {
		t.Errorf("Check(%s).Channels after refused deletes = %v, want %v", z.ID, got, []string{ch3.ID})
	}
}

func testUpdateChannel(t *testing.T, s store.Store) {
	ctx := t.Context()
	pa, pb := newProject(1, t0), newProject(2, t0)
	createProject(t, s, pa)
	createProject(t, s, pb)
	ch := newChannel(1, pa.ID, t0)
	ch.Disabled, ch.LastError = true, "Received status code 410"
	createChannel(t, s, ch)
	other := newChannel(2, pb.ID, t0)
	createChannel(t, s, other)

	got, err := s.UpdateChannel(ctx, pa.ID, ch.ID, func(c *check.Channel) error {
		if c.Value != ch.Value || !c.Disabled {
			t.Errorf("fn got %+v, want the stored channel, its value opened", c)
		}
		c.Name, c.Value, c.Disabled, c.LastError = "Renamed", "new@example.org", false, ""
		c.Delay, c.Repeat = 10*time.Minute, time.Hour
		c.Late = true
		// What fn may not change stays.
		c.ID, c.ProjectID, c.Kind, c.Created = "x", pb.ID, "sms", t0.Add(time.Hour)
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateChannel = %v", err)
	}
	want := *ch
	want.Name, want.Value, want.Disabled, want.LastError = "Renamed", "new@example.org", false, ""
	want.Delay, want.Repeat = 10*time.Minute, time.Hour
	want.Late = true
	if diff := cmp.Diff(&want, got); diff != "" {
		t.Errorf("UpdateChannel's result (-want +got):\n%s", diff)
	}
	list, err := s.Channels(ctx, pa.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]*check.Channel{&want}, list); diff != "" {
		t.Errorf("Channels after UpdateChannel (-want +got):\n%s", diff)
	}

	boom := errors.New("refused")
	if _, err := s.UpdateChannel(ctx, pa.ID, ch.ID, func(c *check.Channel) error {
		c.Name = "Not stored"
		return boom
	}); !errors.Is(err, boom) {
		t.Errorf("UpdateChannel with a failing fn = %v, want its error", err)
	}
	for _, tt := range []struct{ name, project, id string }{
		{"other project's channel", pa.ID, other.ID},
		{"unknown channel", pa.ID, channelID(99)},
	} {
		called := false
		if _, err := s.UpdateChannel(ctx, tt.project, tt.id, func(*check.Channel) error { called = true; return nil }); !errors.Is(err, store.ErrNotFound) || called {
			t.Errorf("UpdateChannel of %s = %v (fn called: %v), want ErrNotFound without calling fn", tt.name, err, called)
		}
	}
	list, _ = s.Channels(ctx, pa.ID)
	otherList, _ := s.Channels(ctx, pb.ID)
	if diff := cmp.Diff([]*check.Channel{&want}, list); diff != "" {
		t.Errorf("Channels after refused updates (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]*check.Channel{other}, otherList); diff != "" {
		t.Errorf("the other project's channel after refused updates (-want +got):\n%s", diff)
	}
}
