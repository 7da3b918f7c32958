package notify_test

import (
	"os"
	"strings"
	"testing"

	"github.com/overduehq/overdue/internal/notify"
)

// TestREADMEListsKindsAndVariables: the README's Alerts table has a row for every service kind
// and lists every OVERDUE_URL_* variable, so the documentation cannot fall behind the registry.
func TestREADMEListsKindsAndVariables(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, kind := range notify.ServiceKinds() {
		if !strings.Contains(readme, "\n| `"+kind+"` |") {
			t.Errorf("README's Alerts table has no row for %s", kind)
		}
	}
	for _, v := range notify.BaseURLVariables() {
		if !strings.Contains(readme, "| `"+v+"` |") {
			t.Errorf("README does not list %s", v)
		}
	}
}
