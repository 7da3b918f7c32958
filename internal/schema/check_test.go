package schema

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// build3 writes version 3 and migrates from version 2: far enough from both ends of the
// version line that every row of Check's table has a case.
var build3 = Build{Current: 3, Oldest: 2}

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		data Version
		want Decision
		// wantErr: "" none; "newer" or "older" a *VersionError of that kind; "damaged" a *DamagedError.
		wantErr string
	}{
		{"empty store", Version{}, Create, ""},
		{"same version", Version{3, 3}, Use, ""},
		{"same version, old readers allowed", Version{3, 1}, Use, ""},
		{"one behind", Version{2, 1}, Migrate, ""},
		{"at oldest", Version{2, 2}, Migrate, ""},
		{"below oldest", Version{1, 1}, Refuse, "older"},
		{"newer, expand only", Version{4, 3}, UseNewer, ""},
		{"newer, expand only, old min reader", Version{5, 2}, UseNewer, ""},
		{"newer, contracted: the seed scenario", Version{4, 4}, Refuse, "newer"},
		{"much newer, min reader one above", Version{9, 4}, Refuse, "newer"},
		{"min reader above version", Version{2, 3}, Refuse, "damaged"},
		{"min reader above version and build", Version{3, 4}, Refuse, "newer"},
		{"version without min reader", Version{3, 0}, Refuse, "damaged"},
		{"min reader without version", Version{0, 1}, Refuse, "damaged"},
		{"negative", Version{-1, -1}, Refuse, "damaged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Check(tt.data, build3)
			if got != tt.want {
				t.Errorf("Check(%+v) = %v, want %v", tt.data, got, tt.want)
			}
			var ve *VersionError
			switch tt.wantErr {
			case "":
				if err != nil {
					t.Errorf("Check(%+v) error = %v, want nil", tt.data, err)
				}
			case "damaged":
				var de *DamagedError
				if !errors.As(err, &de) || de.Data != tt.data {
					t.Errorf("Check(%+v) error = %v, want a *DamagedError of the data", tt.data, err)
				}
			default:
				if !errors.As(err, &ve) {
					t.Fatalf("Check(%+v) error = %v, want a *VersionError", tt.data, err)
				}
				if got := map[bool]string{true: "newer", false: "older"}[ve.Newer()]; got != tt.wantErr {
					t.Errorf("VersionError.Newer() says %s, want %s", got, tt.wantErr)
				}
				if ve.Data != tt.data || ve.Current != 3 || ve.Oldest != 2 {
					t.Errorf("VersionError = %+v, want the data's and the build's versions", *ve)
				}
			}
		})
	}
}

// TestCheckThisBuild pins the seed scenario to the real versions: data written by a build one
// version ahead that raised the minimum reader past this build is refused; the same data
// with only expansions is used.
func TestCheckThisBuild(t *testing.T) {
	b := This()
	if d, err := Check(Version{Current + 1, Current + 1}, b); d != Refuse || err == nil {
		t.Errorf("Check(Current+1, min reader Current+1) = %v, %v; want refuse", d, err)
	}
	if d, err := Check(Version{Current + 1, Current}, b); d != UseNewer || err != nil {
		t.Errorf("Check(Current+1, min reader Current) = %v, %v; want use-newer", d, err)
	}
	if d, err := Check(Version{Current - 1, 1}, b); d != Migrate || err != nil {
		t.Errorf("Check(Current-1) = %v, %v; want migrate", d, err)
	}
}

func TestVersionErrorMessages(t *testing.T) {
	tests := []struct {
		err  *VersionError
		want string
	}{
		{&VersionError{Data: Version{3, 3}, Current: 2, Oldest: 1},
			"data model version 3 is newer than this build can use (this build writes version 2; " +
				"the data needs a build of version 3 or newer): deploy a build that understands version 3, " +
				"or restore a backup taken before the upgrade"},
		{&VersionError{Data: Version{5, 3}, Current: 2, Oldest: 1},
			"data model version 5 is newer than this build can use (this build writes version 2; " +
				"the data needs a build of version 3 or newer): deploy a build that understands version 3, " +
				"or restore a backup taken before the upgrade"},
		{&VersionError{Data: Version{1, 1}, Current: 4, Oldest: 2},
			"data model version 1 is older than this build can migrate (this build writes version 4 " +
				"and migrates from version 2): upgrade through a release that writes version 2 first, then run this build"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("%+v.Error() =\n  %q\nwant\n  %q", *tt.err, got, tt.want)
		}
	}
}

func TestReady(t *testing.T) {
	tests := []struct {
		data Version
		want string // "" nil, else the error's type
	}{
		{Version{3, 2}, ""},
		{Version{4, 3}, ""},
		{Version{2, 2}, "pending"},
		{Version{}, "pending"},
		{Version{4, 4}, "version"},
		{Version{1, 1}, "version"},
		{Version{2, 3}, "damaged"},
	}
	for _, tt := range tests {
		err := Ready(tt.data, build3)
		var ve *VersionError
		var pe *PendingError
		var de *DamagedError
		got := ""
		switch {
		case err == nil:
		case errors.As(err, &de):
			got = "damaged"
		case errors.As(err, &ve):
			got = "version"
		case errors.As(err, &pe):
			got = "pending"
			if !strings.Contains(err.Error(), "3") {
				t.Errorf("PendingError %q does not name this build's version", err)
			}
		default:
			got = "other"
		}
		if got != tt.want {
			t.Errorf("Ready(%+v) = %v (%s), want %s", tt.data, err, got, tt.want)
		}
	}
}

// TestRefused: every refusal of the guard is found through the context wrapped around it, as
// the store's writes return it, and nothing else is taken for one.
func TestRefused(t *testing.T) {
	for _, data := range []Version{{}, {2, 2}, {4, 4}, {1, 1}, {2, 3}} {
		refusal := Ready(data, build3)
		wrapped := fmt.Errorf("update check c1: %w", refusal)
		if got := Refused(wrapped); got != refusal {
			t.Errorf("Refused(%q) = %v, want %v", wrapped, got, refusal)
		}
	}
	for _, err := range []error{nil, errors.New("throttled"), fmt.Errorf("read META: %w", errors.New("denied"))} {
		if got := Refused(err); got != nil {
			t.Errorf("Refused(%v) = %v, want nil", err, got)
		}
	}
}

// TestReadyBeforeContract: a build runs on data that lacks only its own contract steps, which
// the deploy applies after the new code took traffic; data that lacks an expand step is pending.
func TestReadyBeforeContract(t *testing.T) {
	b := Build{Current: 4, Oldest: 1, Migrations: []Migration{
		{Version: 2, MinReader: 1, Phase: Expand, Description: "a"},
		{Version: 3, MinReader: 1, Phase: Expand, Description: "b"},
		{Version: 4, MinReader: 3, Phase: Contract, Description: "c"},
	}}
	if err := Ready(Version{3, 1}, b); err != nil {
		t.Errorf("Ready(3, min reader 1) with only the contract to 4 pending = %v, want nil", err)
	}
	var pe *PendingError
	if err := Ready(Version{2, 1}, b); !errors.As(err, &pe) {
		t.Errorf("Ready(2, min reader 1) with expand step 3 pending = %v, want a *PendingError", err)
	}
	if err := Ready(Version{4, 3}, b); err != nil {
		t.Errorf("Ready(4, min reader 3) = %v, want nil", err)
	}
}

func TestDecisionString(t *testing.T) {
	for d, want := range map[Decision]string{Refuse: "refuse", Create: "create", Use: "use",
		UseNewer: "use-newer", Migrate: "migrate", Decision(42): "Decision(42)"} {
		if got := d.String(); got != want {
			t.Errorf("Decision(%d).String() = %q, want %q", int(d), got, want)
		}
	}
}
