package store

// Canary names the ingestion canary (internal/sweep): the check that Overdue pings through its
// own public ping endpoint, and the project that holds it. The IDs are random, made once per
// install and kept in its data (data model 17), so that every process of the install (`overdue
// serve`, or the sweep and timer functions) finds the same canary without holding the server
// secret, and nobody outside can guess the canary's ping URL to keep it alive.
type Canary struct {
	CheckID   string
	ProjectID string
}
