package notify_test

import (
	"testing"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/notify"
)

// TestRuleReasons: the alert rules' reasons are said in words in the long text and the short
// text, so that "did not start", "running too long" and "finished too fast" are told apart
// from an overdue check.
func TestRuleReasons(t *testing.T) {
	tests := []struct {
		reason string
		text   string
		short  string
	}{
		{check.ReasonNoStart, "Reason: did not start: the start signal did not arrive within the start grace time.", `DOWN: "simple" did not start (Nov 24 20:10 UTC)`},
		{check.ReasonRuntime, "Reason: running too long: the run did not finish within the maximum run time.", `DOWN: "simple" is running too long (Nov 24 20:10 UTC)`},
		{check.ReasonTooFast, "Reason: finished too fast: the run took less than the minimum run time.", `DOWN: "simple" finished too fast (Nov 24 20:10 UTC)`},
	}
	for _, tt := range tests {
		a := simpleAlert()
		a.Flip.Reason = tt.reason
		contains(t, "Text("+tt.reason+")", notify.Text(a), tt.text)
		if got := notify.ShortText(a); got != tt.short {
			t.Errorf("ShortText(%s) = %q, want %q", tt.reason, got, tt.short)
		}
	}
}
