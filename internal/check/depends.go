package check

import (
	"strings"
	"time"
)

// Dependencies: a check may depend on other checks of its project (DependsOn), its parents.
// While a parent is down, the check's down alerts are held: its status stays truthful, but the
// down flip is recorded as processed, marked "held: <parent> is down" (Note), and the alert is
// owed, as a snooze owes it. The sweep looks at the check again every DependencyRecheck; once no
// parent is down and the check is still down, the one owed alert goes out (a down→down flip,
// with the reason it went down). If it comes back up first, neither its down nor its up is sent.
// The parents' statuses come from the store, read outside the check's own write: a parent that
// changes in between is seen at the next look.

// Limits of dependencies.
const (
	// MaxDependsOn is how many checks one check may depend on: each down flip reads them all.
	MaxDependsOn = 10
	// DependencyRecheck is how often the sweep looks again at the parents of a check whose
	// alert they hold.
	DependencyRecheck = time.Minute
)

// DownParent is the first of parents that is down at now (by StatusAt, so a parent past its
// deadline counts before the sweep records it), or nil when none is. schedOf evaluates a
// parent's schedule (nil for a simple check, or when it cannot).
func DownParent(parents []*Check, now time.Time, schedOf func(*Check) Schedule) *Check {
	for _, p := range parents {
		if p != nil && p.StatusAt(now, schedOf(p), false) == StatusDown {
			return p
		}
	}
	return nil
}

// HeldNoteFor is the note of an alert parent holds: "held: <name> is down" (the UUID for a
// check without a name).
func HeldNoteFor(parent *Check) string {
	name := parent.Name
	if name == "" {
		name = parent.ID
	}
	return "held: " + name + " is down"
}

// HoldForParent holds the alert of f, a flip the check just made at now, while parent (a check
// it depends on, down at now; nil when none is) is down. A down flip that would alert is
// recorded as processed, noted, and its alert owed until the next look; an owed alert being
// released (down→down) is taken back and owed again. It returns the flip to write: nil when a
// release was taken back. Other flips, flips the snooze, a window or flapping already held, and
// a nil parent leave f as it is (a snoozed flip gets the note too: its alert is due when the
// snooze ends, and the parent is asked again then).
func (c *Check) HoldForParent(f *Flip, parent *Check, now time.Time) *Flip {
	if f == nil || parent == nil || f.NewStatus != StatusDown || f.Note == NoteFlapping {
		return f
	}
	note := HeldNoteFor(parent)
	if !f.Processed.IsZero() {
		f.Note = note
		return f
	}
	released := f.OldStatus == StatusDown
	c.HeldReason = f.Reason
	if c.HeldReason == ReasonNone {
		c.HeldReason = ReasonFail
	}
	c.HeldParent, c.HeldNote = parent.ID, note
	c.HeldUntil = now.Add(DependencyRecheck)
	c.AlertAfter = c.HeldUntil
	if released {
		return nil
	}
	f.Processed = now
	f.Note = note
	c.heldNotice(f)
	return f
}

// DependencyCycle is the cycle that giving check id the parents dependsOn would close, given
// the other checks' parents (deps, check ID → its DependsOn; id's own entry is ignored): the IDs
// along it from id back to id ([id, id] for a check depending on itself), or nil when there is
// none. The first cycle found, in the order of dependsOn, is returned.
func DependencyCycle(id string, dependsOn []string, deps map[string][]string) []string {
	seen := map[string]bool{}
	var path []string
	var walk func(at string) bool
	walk = func(at string) bool {
		path = append(path, at)
		if at == id {
			return true
		}
		if !seen[at] {
			seen[at] = true
			for _, next := range deps[at] {
				if walk(next) {
					return true
				}
			}
		}
		path = path[:len(path)-1]
		return false
	}
	for _, p := range dependsOn {
		path = path[:0]
		if walk(p) {
			return append([]string{id}, path...)
		}
	}
	return nil
}

// ValidateDependsOn checks a list of parents by itself: at most MaxDependsOn, none empty. That
// each is a check of the same project, and that no cycle forms, needs the project's checks:
// the caller's (DependencyCycle).
func ValidateDependsOn(ids []string) error {
	if len(ids) > MaxDependsOn {
		return &FieldError{Field: "depends_on", Reason: "has too many checks", Hint: "at most 10"}
	}
	for _, id := range ids {
		if strings.TrimSpace(id) == "" {
			return &FieldError{Field: "depends_on", Reason: "has an empty entry", Hint: "a list of check UUIDs"}
		}
	}
	return nil
}

// DropParent removes id from the check's DependsOn, and reports whether it was there.
func (c *Check) DropParent(id string) bool {
	for i, p := range c.DependsOn {
		if p == id {
			c.DependsOn = append(c.DependsOn[:i:i], c.DependsOn[i+1:]...)
			if len(c.DependsOn) == 0 {
				c.DependsOn = nil
			}
			return true
		}
	}
	return false
}
