package store

import (
	"context"
	"time"
)

// IngestMinute is what ping intake did in one minute: the ping requests it answered (Pings) and
// those it answered with a server error, because it could not record them (Failed).
type IngestMinute struct {
	// Minute is the minute's start, UTC.
	Minute time.Time
	Pings  int
	Failed int
}

// IngestRetention is how long ping intake's counts are kept: a day and a little more, since the
// ping rate is compared with the same minutes a day before.
const IngestRetention = 26 * time.Hour

// IngestLog keeps ping intake's counts per minute, for the ingestion health (internal/sweep):
// every process that takes pings adds to it, the sweep and the timer function read it. On AWS it
// is in the table, so every instance of the api function adds to the same counts; `overdue
// serve`, one process, keeps it in memory. Counts are telemetry: kept IngestRetention, never
// exported, and no data-model step covers them.
type IngestLog interface {
	// AddIngest adds m's counts to those of its minute (m.Minute, truncated to the minute).
	AddIngest(ctx context.Context, m IngestMinute) error
	// IngestMinutes returns the minutes in [from, to) that have counts, oldest first.
	IngestMinutes(ctx context.Context, from, to time.Time) ([]IngestMinute, error)
}
