package httpapi

import (
	"context"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/sqlite"
)

func TestListParkedDeliveries(t *testing.T) {
	var deliveries store.Deliveries
	f := newAPIFixture(t, func(c *Config) {
		ds := c.Store.(*sqlite.Store).Deliveries()
		deliveries = ds
		c.Deliveries = ds
	})
	ctx := context.Background()
	flip := check.Flip{ID: "7", CheckID: "c1", Created: t0, OldStatus: check.StatusUp, NewStatus: check.StatusDown, Reason: check.ReasonTimeout}
	park := func(projectID, channelID string) {
		d := &store.Delivery{
			ID: store.DeliveryID(flip.CheckID, flip.ID, channelID), Flip: flip, ChannelID: channelID,
			ProjectID: projectID, Kind: check.ChannelWebhook, Status: store.DeliveryPending, Attempts: 1,
			NextAttempt: t0.Add(2 * time.Minute), Created: t0, Updated: t0,
		}
		if claimed, _, err := deliveries.Claim(ctx, d); err != nil || !claimed {
			t.Fatalf("Claim = %v, %v", claimed, err)
		}
		d.Status, d.Attempts, d.LastError, d.NextAttempt, d.Updated = store.DeliveryParked, 5, "503 Service Unavailable", time.Time{}, t0.Add(time.Hour)
		if err := deliveries.Update(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	park(f.project.ID, "ch-a")
	park(f.b.ID, "ch-b")

	rec := f.api("GET", "/api/v3/deliveries/parked/", "", keyA)
	got := decode(t, rec)
	list, _ := got["deliveries"].([]any)
	if rec.Code != 200 || len(list) != 1 {
		t.Fatalf("= %d %s, want 200 and project A's one parked delivery", rec.Code, rec.Body)
	}
	d := list[0].(map[string]any)
	if d["channel"] != "ch-a" || d["status"] != "parked" || d["last_error"] != "503 Service Unavailable" ||
		d["attempts"] != float64(5) || d["flip"] != "down" || d["check"] != "c1" || d["updated"] != "2026-11-24T21:18:26+00:00" {
		t.Errorf("parked delivery = %v", d)
	}
	if rec := f.api("GET", "/api/v3/deliveries/parked/", "", keyARO); rec.Code != 401 {
		t.Errorf("read-only key: %d, want 401", rec.Code)
	}
	if rec := f.api("POST", "/api/v3/deliveries/parked/", "", keyA); rec.Code != 405 {
		t.Errorf("POST: %d, want 405", rec.Code)
	}

	// A server without delivery records says so.
	plain := newAPIFixture(t)
	if rec := plain.api("GET", "/api/v3/deliveries/parked/", "", keyA); rec.Code != 503 {
		t.Errorf("without deliveries: %d %s, want 503", rec.Code, rec.Body)
	}
}
