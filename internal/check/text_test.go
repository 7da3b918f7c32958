package check

import (
	"strings"
	"testing"
)

func TestValidateText(t *testing.T) {
	tests := []struct {
		name string
		fn   func(string) error
		in   string
		want string // Advice of the error; "" for none
	}{
		{"name ok", ValidateName, "Backups — nightly ✓", ""},
		{"channel name at limit", ValidateChannelName, strings.Repeat("c", MaxChannelName), ""},
		{"channel name too long", ValidateChannelName, strings.Repeat("c", MaxChannelName+1), "name is too long (at most 100 characters)"},
		{"channel name ESC", ValidateChannelName, "ops\x1b", "name contains a control character (U+001B at character 4); remove it"},
		{"project name at limit", ValidateProjectName, strings.Repeat("p", MaxProjectName), ""},
		{"project name too long", ValidateProjectName, strings.Repeat("p", MaxProjectName+1), "name is too long (at most 200 characters)"},
		{"project name newline", ValidateProjectName, "a\nb", "name contains a control character (U+000A at character 2); remove it"},
		{"name at limit", ValidateName, strings.Repeat("é", MaxNameLen), ""},
		{"name too long", ValidateName, strings.Repeat("é", MaxNameLen+1), "name is too long (at most 100 characters)"},
		{"name NUL", ValidateName, "ab\x00c", "name contains a control character (U+0000 at character 3); remove it"},
		{"name tab", ValidateName, "a\tb", "name contains a control character (U+0009 at character 2); remove it"},
		{"name newline", ValidateName, "a\n", "name contains a control character (U+000A at character 2); remove it"},
		{"name DEL", ValidateName, "\x7f", "name contains a control character (U+007F at character 1); remove it"},
		{"name C1", ValidateName, "é\u0085", "name contains a control character (U+0085 at character 2); remove it"},
		{"slug ok", ValidateSlug, "db-backup_2", ""},
		{"slug empty", ValidateSlug, "", ""},
		{"slug at limit", ValidateSlug, strings.Repeat("a", MaxSlugLen), ""},
		{"slug too long", ValidateSlug, strings.Repeat("a", MaxSlugLen+1), "slug is too long (at most 100 characters)"},
		{"slug upper", ValidateSlug, "Backup", "slug does not match pattern (lowercase letters, digits, - and _ only)"},
		{"slug NUL", ValidateSlug, "a\x00", "slug does not match pattern (lowercase letters, digits, - and _ only)"},
		{"tags ok", ValidateTags, "prod db", ""},
		{"tags too long", ValidateTags, strings.Repeat("t ", 251), "tags is too long (at most 500 characters)"},
		{"tags tab", ValidateTags, "prod\tdb", "tags contains a control character (U+0009 at character 5); remove it"},
		{"desc lines", ValidateDesc, "Runs nightly.\r\n\tSee the runbook.\n", ""},
		{"desc long", ValidateDesc, strings.Repeat("x", 10000), ""},
		{"desc NUL", ValidateDesc, "a\x00", "desc contains a control character (U+0000 at character 2); only tab and line breaks are allowed"},
		{"desc escape", ValidateDesc, "\x1b[31mred", "desc contains a control character (U+001B at character 1); only tab and line breaks are allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.fn(tt.in)
			got := ""
			if err != nil {
				fe, ok := err.(*FieldError)
				if !ok {
					t.Fatalf("error %v is a %T, want *FieldError", err, err)
				}
				got = fe.Advice()
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCheckValidateText(t *testing.T) {
	c := New("id", "p", t0)
	c.Name, c.Slug, c.Tags, c.Desc = "ok", "ok", "a b", "line\nline"
	if err := c.ValidateText(); err != nil {
		t.Fatalf("ValidateText() = %v, want nil", err)
	}
	// The first problem in field order is reported.
	c.Slug, c.Desc = strings.Repeat("s", MaxSlugLen+1), "\x00"
	if err := c.ValidateText(); err == nil || err.Error() != "slug is too long" {
		t.Errorf("ValidateText() = %v, want slug is too long", err)
	}
	c.Slug = ""
	if err := c.ValidateText(); err == nil || !strings.HasPrefix(err.Error(), "desc contains a control character") {
		t.Errorf("ValidateText() = %v, want desc contains a control character", err)
	}
}
