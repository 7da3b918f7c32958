package httpapi

import (
	"fmt"
	"net/http"

	"github.com/overduehq/overdue/internal/store"
)

// deliveryJSON is a delivery record as the API shows it: which alert went where, and why it
// did not arrive.
type deliveryJSON struct {
	ID        string  `json:"id"`
	Check     string  `json:"check"`
	Channel   string  `json:"channel"`
	Kind      string  `json:"kind"`
	Status    string  `json:"status"`
	Flip      string  `json:"flip"` // the status the check flipped to: up or down
	FlipTime  isoTime `json:"flip_time"`
	Attempts  int     `json:"attempts"`
	LastError string  `json:"last_error"`
	Updated   isoTime `json:"updated"`
}

// parkedLimit is how many parked deliveries one listing shows, newest first.
const parkedLimit = 100

// handleListParked serves GET /api/v3/deliveries/parked/ (read-write key only), an Overdue
// extension: alerts that kept failing and were set aside, newest first, with their last error,
// so an operator can see what did not arrive and fix the channel.
func (s *Server) handleListParked(w http.ResponseWriter, r *http.Request, v int) {
	ctx := r.Context()
	p, _, err := s.authenticate(ctx, r, nil, readWrite)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	if s.deliveries == nil {
		s.writeAPIError(w, r, &clientError{http.StatusServiceUnavailable, "delivery records are not available on this server"})
		return
	}
	parked, err := s.deliveries.Parked(ctx, p.ID, parkedLimit)
	if err != nil {
		s.writeAPIError(w, r, fmt.Errorf("list parked deliveries of project %s: %w", p.ID, err), "project", p.ID)
		return
	}
	out := struct {
		Deliveries []deliveryJSON `json:"deliveries"`
	}{Deliveries: make([]deliveryJSON, 0, len(parked))}
	for _, d := range parked {
		out.Deliveries = append(out.Deliveries, renderDelivery(d))
	}
	writeJSON(w, http.StatusOK, out)
}

func renderDelivery(d *store.Delivery) deliveryJSON {
	return deliveryJSON{
		ID: d.ID, Check: d.Flip.CheckID, Channel: d.ChannelID, Kind: d.Kind, Status: string(d.Status),
		Flip: string(d.Flip.NewStatus), FlipTime: isoTime(d.Flip.Created), Attempts: d.Attempts,
		LastError: d.LastError, Updated: isoTime(d.Updated),
	}
}
