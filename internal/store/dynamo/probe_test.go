package dynamo

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/store"
)

// TestProbeKeepsEmptyTableEmpty: the probe item lives in the META partition, so a probed table
// with no data still reads as empty (and one with data as having it), even when META records
// no version and the scan meets both META items first.
func TestProbeKeepsEmptyTableEmpty(t *testing.T) {
	s := newBareStore(t) // no data model yet, and no guard: what it checks is where the probe item lives
	ctx := t.Context()
	if err := s.Probe(ctx); err != nil {
		t.Fatalf("Probe() = %v", err)
	}
	if v, err := s.Version(ctx); err != nil || v != (schema.Version{}) {
		t.Fatalf("Version() after a probe = %v, %v; want empty", v, err)
	}
	// A lock-only META item (no version) and the probe item: still empty.
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table,
		Item: item{PartitionKey: str(metaPK), SortKey: str(metaSK), metaLockOwner: str("someone")}}); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Version(ctx); err != nil || v != (schema.Version{}) {
		t.Fatalf("Version() with META lock and probe = %v, %v; want empty", v, err)
	}
	p := &check.Project{ID: "p1", Name: "P", BadgeKey: "b"}
	if err := s.CreateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Version(ctx); err != nil || v != unversioned {
		t.Errorf("Version() with a project = %v, %v; want %v", v, err, unversioned)
	}
}

// TestProbeTableGone: with the table deleted, the probe fails and says so, without the table's
// name.
func TestProbeTableGone(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	if _, err := s.db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: &s.table}); err != nil {
		t.Fatal(err)
	}
	err := s.Probe(ctx)
	var he *store.HealthError
	if !errors.As(err, &he) {
		t.Fatalf("Probe() = %v (%T), want a *store.HealthError", err, err)
	}
	if !strings.HasPrefix(he.Reason, "the table does not exist") {
		t.Errorf("Reason = %q, want it to say the table does not exist", he.Reason)
	}
	if strings.Contains(he.Reason, s.table) {
		t.Errorf("Reason %q names the table", he.Reason)
	}
}
