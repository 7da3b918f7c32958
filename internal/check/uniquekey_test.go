package check

import "testing"

func TestUniqueKey(t *testing.T) {
	// printf 1111111111114111 | sha1sum: the first 16 hex digits of the UUID, dashes removed.
	const id = "11111111-1111-4111-8111-111111111111"
	const want = "a0fd04db8396895e5a64a823e6c390e2498168e1"
	if got := UniqueKey(id); got != want {
		t.Errorf("UniqueKey(%s) = %s, want %s", id, got, want)
	}
	if got := UniqueKey("11111111-1111-4111-8111-AAAAAAAAAAAA"); got != want {
		t.Errorf("UniqueKey depends on digits past the 16th or on case: %s", got)
	}
	if UniqueKey("22222222-2222-4222-8222-222222222222") == want {
		t.Error("two checks share a unique key")
	}
	for s, ok := range map[string]bool{want: true, id: false, want[:39]: false, want[:39] + "g": false, "A" + want[1:]: false} {
		if IsUniqueKey(s) != ok {
			t.Errorf("IsUniqueKey(%q) = %v, want %v", s, !ok, ok)
		}
	}
}
