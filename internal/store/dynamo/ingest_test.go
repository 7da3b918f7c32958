package dynamo

import (
	"testing"

	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/storetest"
)

// TestIngestLog runs the IngestLog conformance suite on the table's counts.
func TestIngestLog(t *testing.T) {
	storetest.IngestLog(t, func(t *testing.T) store.IngestLog { return newStore(t).IngestLog() })
}
