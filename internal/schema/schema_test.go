package schema

import (
	"slices"
	"strings"
	"testing"
)

func TestThisBuildIsValid(t *testing.T) {
	if err := This().Validate(); err != nil {
		t.Fatalf("This().Validate() = %v", err)
	}
	if This().Current != Current || This().Oldest != Oldest {
		t.Errorf("This() = %+v, want Current %d and Oldest %d", This(), Current, Oldest)
	}
	// The build's own minimum reader can never be above itself.
	if r := This().MinReader(); r < 1 || r > Current {
		t.Errorf("This().MinReader() = %d, want 1..%d", r, Current)
	}
}

func TestValidateRejects(t *testing.T) {
	ok := Migration{Version: 2, MinReader: 1, Phase: Expand, Description: "x"}
	tests := []struct {
		name string
		b    Build
		want string
	}{
		{"oldest zero", Build{Current: 1, Oldest: 0}, "oldest"},
		{"oldest above current", Build{Current: 2, Oldest: 3, Migrations: []Migration{ok}}, "oldest"},
		{"missing migration", Build{Current: 3, Oldest: 1, Migrations: []Migration{ok}}, "one per version"},
		{"out of order", Build{Current: 3, Oldest: 1, Migrations: []Migration{
			{Version: 3, MinReader: 1, Phase: Expand, Description: "x"}, ok}}, "position"},
		{"min reader falls", Build{Current: 4, Oldest: 1, Migrations: []Migration{ok,
			{Version: 3, MinReader: 2, Phase: Contract, Description: "x"},
			{Version: 4, MinReader: 1, Phase: Expand, Description: "x"}}}, "lowers"},
		{"min reader above version", Build{Current: 2, Oldest: 1, Migrations: []Migration{
			{Version: 2, MinReader: 3, Phase: Contract, Description: "x"}}}, "at most 1"},
		{"min reader of its own version", Build{Current: 3, Oldest: 1, Migrations: []Migration{ok,
			{Version: 3, MinReader: 3, Phase: Contract, Description: "x"}}}, "builds of version 2 can still read"},
		{"expand raises min reader", Build{Current: 3, Oldest: 1, Migrations: []Migration{ok,
			{Version: 3, MinReader: 2, Phase: Expand, Description: "x"}}}, "expands but raises"},
		{"contract keeps min reader", Build{Current: 2, Oldest: 1, Migrations: []Migration{
			{Version: 2, MinReader: 1, Phase: Contract, Description: "x"}}}, "contracts but keeps"},
		{"no phase", Build{Current: 2, Oldest: 1, Migrations: []Migration{
			{Version: 2, MinReader: 1, Description: "x"}}}, "phase"},
		{"no description", Build{Current: 2, Oldest: 1, Migrations: []Migration{
			{Version: 2, MinReader: 1, Phase: Expand}}}, "description"},
	}
	for _, tt := range tests {
		err := tt.b.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Validate() = %v, want an error about %q", tt.name, err, tt.want)
		}
	}
}

func TestPendingAndMinReader(t *testing.T) {
	b := Build{Current: 4, Oldest: 2, Migrations: []Migration{
		{Version: 2, MinReader: 1, Phase: Expand, Description: "a"},
		{Version: 3, MinReader: 1, Phase: Expand, Description: "b"},
		{Version: 4, MinReader: 3, Phase: Contract, Description: "c"},
	}}
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	for from, want := range map[int][]int{1: {2, 3, 4}, 2: {3, 4}, 3: {4}, 4: nil, 5: nil} {
		var got []int
		for _, m := range b.Pending(from) {
			got = append(got, m.Version)
		}
		if !slices.Equal(got, want) {
			t.Errorf("Pending(%d) = %v, want %v", from, got, want)
		}
	}
	if got := b.MinReader(); got != 3 {
		t.Errorf("MinReader() = %d, want 3", got)
	}
	b.Current = 3 // the same history, seen by the build before the contract
	if got := b.MinReader(); got != 1 {
		t.Errorf("MinReader() at Current 3 = %d, want 1", got)
	}
	if got := (Build{Current: 1, Oldest: 1}).MinReader(); got != 1 {
		t.Errorf("MinReader() of the first schema = %d, want 1", got)
	}
}

// TestSplit: the expand phase takes the leading expand steps; everything from the first
// contract step on waits for the contract phase, even an expand step after it.
func TestSplit(t *testing.T) {
	b := Build{Current: 5, Oldest: 1, Migrations: []Migration{
		{Version: 2, MinReader: 1, Phase: Expand, Description: "a"},
		{Version: 3, MinReader: 2, Phase: Contract, Description: "b"},
		{Version: 4, MinReader: 2, Phase: Expand, Description: "c"},
		{Version: 5, MinReader: 3, Phase: Contract, Description: "d"},
	}}
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	versions := func(ms []Migration) []int {
		var out []int
		for _, m := range ms {
			out = append(out, m.Version)
		}
		return out
	}
	for _, tt := range []struct {
		from       int
		now, later []int
		awaits     bool
	}{
		{1, []int{2}, []int{3, 4, 5}, false},
		{2, nil, []int{3, 4, 5}, false}, // the build needs version 4, an expand step
		{3, []int{4}, []int{5}, false},
		{4, nil, []int{5}, true},
		{5, nil, nil, false},
	} {
		now, later := b.Split(tt.from)
		if !slices.Equal(versions(now), tt.now) || !slices.Equal(versions(later), tt.later) {
			t.Errorf("Split(%d) = %v, %v; want %v, %v", tt.from, versions(now), versions(later), tt.now, tt.later)
		}
		if got := b.AwaitsContract(tt.from); got != tt.awaits {
			t.Errorf("AwaitsContract(%d) = %v, want %v", tt.from, got, tt.awaits)
		}
	}
}

func TestThisIsACopy(t *testing.T) {
	b := This()
	b.Migrations[0].MinReader = 99
	if This().Migrations[0].MinReader == 99 {
		t.Errorf("This() shares its migration list with the caller")
	}
}
