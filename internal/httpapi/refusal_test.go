package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/store"
)

// refusingStore is a store whose writes meet data this build must not write, as a store's
// write guard answers them: the refusal wrapped in the write's context.
type refusingStore struct {
	store.Store
	refusal error
}

func (s refusingStore) UpdateCheck(_ context.Context, id string, _ func(*check.Check) (store.Change, error)) (*check.Check, error) {
	return nil, fmt.Errorf("update check %s: %w", id, s.refusal)
}

func (s refusingStore) CreateCheck(_ context.Context, c *check.Check) error {
	return fmt.Errorf("create check %s: %w", c.ID, s.refusal)
}

// TestRefusedWrites: a write the store refuses for the data model answers 503 with the
// refusal's own message, which names the data's minimum reader and this build's version, on
// the ping API (plain text) and the management API (JSON).
func TestRefusedWrites(t *testing.T) {
	for _, refusal := range []error{
		&schema.VersionError{Data: schema.Version{Version: 5, MinReader: 4}, Current: 3, Oldest: 1},
		&schema.PendingError{Data: schema.Version{}, Current: 3},
	} {
		t.Run(fmt.Sprintf("%T", refusal), func(t *testing.T) {
			f := newAPIFixture(t, func(c *Config) { c.Store = refusingStore{c.Store, refusal} })
			c := f.addCheck("backup")

			rec := f.do("GET", "/ping/"+c.ID, "")
			wantResponse(t, rec, http.StatusServiceUnavailable, refusal.Error())

			rec = f.do("POST", "/api/v3/checks/", `{"name": "new"}`, "X-Api-Key", keyA)
			if rec.Code != http.StatusServiceUnavailable {
				t.Fatalf("POST /api/v3/checks/ = %d %s, want 503", rec.Code, rec.Body)
			}
			var body struct{ Error string }
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error != refusal.Error() {
				t.Errorf("POST /api/v3/checks/ body = %s, want {\"error\": %q}", rec.Body, refusal.Error())
			}
		})
	}
}
