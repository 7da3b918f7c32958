package httpapi

import (
	"context"
	"testing"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// sizeStore counts the pings loaded one by one and, when unknown is set, lists pings without
// their body sizes, as the DynamoDB store lists pings a build before data model version 2 wrote.
type sizeStore struct {
	store.Store
	unknown bool
	loads   int
}

func (s *sizeStore) Pings(ctx context.Context, checkID string, limit int) ([]*check.Ping, error) {
	ps, err := s.Store.Pings(ctx, checkID, limit)
	if s.unknown {
		for _, p := range ps {
			p.BodySize = check.BodySizeUnknown
		}
	}
	return ps, err
}

func (s *sizeStore) Ping(ctx context.Context, checkID string, n int) (*check.Ping, error) {
	s.loads++
	return s.Store.Ping(ctx, checkID, n)
}

// TestPingListBodySizes: the pings list gives body_url to exactly the pings with a body, from
// the sizes the store lists, loading no ping again; only pings whose size the store does not
// know are loaded to find out.
func TestPingListBodySizes(t *testing.T) {
	for _, unknown := range []bool{false, true} {
		sz := &sizeStore{unknown: unknown}
		f := newAPIFixture(t, func(c *Config) { sz.Store, c.Store = c.Store, sz })
		c := f.addCheckIn(f.project, "c")
		f.do("POST", "/ping/"+c.ID, "job output")
		f.do("POST", "/ping/"+c.ID, "")
		f.do("GET", "/ping/"+c.ID+"/log", "")
		sz.loads = 0
		m := decode(t, f.api("GET", "/api/v3/checks/"+c.ID+"/pings/", "", keyA))
		var withBody []float64
		for _, p := range m["pings"].([]any) {
			if p := p.(map[string]any); p["body_url"] != nil {
				withBody = append(withBody, p["n"].(float64))
			}
		}
		if len(withBody) != 1 || withBody[0] != 1 {
			t.Errorf("sizes unknown %v: pings with a body_url = %v, want [1]", unknown, withBody)
		}
		wantLoads := 0
		if unknown {
			wantLoads = 3
		}
		if sz.loads != wantLoads {
			t.Errorf("sizes unknown %v: %d pings loaded again, want %d", unknown, sz.loads, wantLoads)
		}
	}
}
