package lambdaenv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/schema"
)

// TestRefusedLineShape pins the Embedded Metric Format line the stack's alarm depends on: the
// namespace, metric name, unit and dimension CloudWatch reads from "_aws", the dimension's and
// the metric's values as top-level members, and the refusal's message (both versions) beside them.
func TestRefusedLineShape(t *testing.T) {
	var out bytes.Buffer
	now := time.Date(2026, 3, 2, 9, 14, 3, 500_000_000, time.UTC)
	r := &Refusals{W: &out, Function: "Overdue-dev-ApiFunction-AbC123", Now: func() time.Time { return now }}
	refusal := &schema.VersionError{Data: schema.Version{Version: 4, MinReader: 4}, Current: 3, Oldest: 1}
	r.Refused(refusal)

	var got map[string]any
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("line %q is not one JSON object: %v", out.String(), err)
	}
	if bytes.Count(out.Bytes(), []byte("\n")) != 1 || !bytes.HasSuffix(out.Bytes(), []byte("\n")) {
		t.Errorf("output %q is not exactly one line", out.String())
	}
	want := map[string]any{
		"_aws": map[string]any{
			"Timestamp": float64(now.UnixMilli()),
			"CloudWatchMetrics": []any{map[string]any{
				"Namespace":  "Overdue",
				"Dimensions": []any{[]any{"Function"}},
				"Metrics":    []any{map[string]any{"Name": "DataModelRefused", "Unit": "Count"}},
			}},
		},
		"Function":         "Overdue-dev-ApiFunction-AbC123",
		"DataModelRefused": float64(1),
		"message":          refusal.Error(),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("EMF line (-want +got):\n%s", diff)
	}
}

// TestRefuse: only refusals are counted, wrapped or not; other failures pass through uncounted.
func TestRefuse(t *testing.T) {
	var out bytes.Buffer
	r := &Refusals{W: &out, Function: "f", Now: time.Now}
	log := slog.New(slog.DiscardHandler)
	refusal := &schema.PendingError{Current: 3}
	for _, tt := range []struct {
		err   error
		lines int
	}{
		{nil, 0},
		{errors.New("throttled"), 0},
		{fmt.Errorf("sweep: %w", refusal), 1},
		{refusal, 1},
	} {
		out.Reset()
		if got := Refuse(t.Context(), tt.err, log, r); got != tt.err {
			t.Errorf("Refuse(%v) = %v, want the error itself", tt.err, got)
		}
		if n := bytes.Count(out.Bytes(), []byte("\n")); n != tt.lines {
			t.Errorf("Refuse(%v) wrote %d metric lines, want %d", tt.err, n, tt.lines)
		}
	}
	if err := Refuse(t.Context(), refusal, log, nil); err != refusal {
		t.Errorf("Refuse with no metric = %v", err)
	}
}
