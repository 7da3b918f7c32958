package notify_test

import (
	"testing"

	"github.com/overduehq/overdue/internal/notify"
)

func TestValueHint(t *testing.T) {
	for _, tc := range []struct{ kind, value, want string }{
		{"email", "ops@example.org", "ops@example.org"},
		{"sms", "+14155550100", "+14155550100"},
		{"group", "e0000000-0000-4000-8000-000000000001", "e0000000-0000-4000-8000-000000000001"},
		{"pd", `{"service_key": "0123456789abcdef0123456789abc1f2"}`, "…c1f2"},
		{"slack", "https://hooks.slack.com/services/T0/B0/XXXXXXXXa1b2", "…a1b2"},
		{"webhook", "https://example.org/hook?token=s3cr3tvalue9z", "…ue9z"},
		{"telegram", "123", "…"},
	} {
		if got := notify.ValueHint(tc.kind, tc.value); got != tc.want {
			t.Errorf("ValueHint(%s, %s) = %q, want %q", tc.kind, tc.value, got, tc.want)
		}
	}
}
