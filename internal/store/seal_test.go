package store_test

import (
	"errors"
	"testing"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/seal"
	"github.com/overduehq/overdue/internal/store"
)

func box(t *testing.T, secret string) *seal.Box {
	t.Helper()
	b, err := seal.New([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sealed(t *testing.T, b *seal.Box, id, value string) *check.Channel {
	t.Helper()
	ch := &check.Channel{ID: id, Value: value}
	v, err := store.SealValue(b, ch)
	if err != nil {
		t.Fatal(err)
	}
	return &check.Channel{ID: id, Value: v}
}

// TestOpenValues: clear and sealed values open; a value that names this key but does not open
// (sealed for another channel, or cut short) marks only its channel and comes as a DamagedError
// beside the rest; a value sealed under another secret fails the whole, as does a missing box.
func TestOpenValues(t *testing.T) {
	b := box(t, "the server secret of this test, 32")
	chs := []*check.Channel{
		{ID: "clear", Value: "https://example.org/hook"},
		sealed(t, b, "good", "alice@example.org"),
		sealed(t, b, "elsewhere", "bob@example.org"),
		sealed(t, b, "short", "carol@example.org"),
	}
	chs[2].ID = "moved" // its value is bound to "elsewhere"
	chs[3].Value = chs[3].Value[:len(chs[3].Value)-8]

	err := store.OpenValues(b, chs)
	var damaged *store.DamagedError
	if !errors.As(err, &damaged) || len(damaged.Errs) != 2 {
		t.Fatalf("OpenValues = %v, want a DamagedError of 2 channels", err)
	}
	want := []struct{ value, damaged bool }{{true, false}, {true, false}, {false, true}, {false, true}}
	for i, ch := range chs {
		if (ch.Value != "") != want[i].value || (ch.Damaged != "") != want[i].damaged {
			t.Errorf("channel %s: value %q, damaged %q", ch.ID, ch.Value, ch.Damaged)
		}
	}
	if chs[0].Value != "https://example.org/hook" || chs[1].Value != "alice@example.org" {
		t.Errorf("readable values = %q, %q", chs[0].Value, chs[1].Value)
	}

	other := []*check.Channel{sealed(t, box(t, "another server secret, 32 chars!"), "x", "v"), sealed(t, b, "y", "w")}
	if err := store.OpenValues(b, other); !errors.Is(err, seal.ErrOtherKey) || errors.As(err, &damaged) {
		t.Errorf("OpenValues over another secret's value = %v, want seal.ErrOtherKey for the whole", err)
	}
	if err := store.OpenValues(nil, []*check.Channel{sealed(t, b, "z", "v")}); !errors.Is(err, store.ErrNoBox) {
		t.Errorf("OpenValues without a box = %v, want store.ErrNoBox", err)
	}
	if err := store.OpenValues(nil, []*check.Channel{{ID: "c", Value: "clear"}}); err != nil {
		t.Errorf("OpenValues of clear values without a box = %v", err)
	}
}
