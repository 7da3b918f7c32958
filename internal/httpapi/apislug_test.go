package httpapi

import (
	"strings"
	"testing"

	"github.com/overduehq/overdue/internal/check"
)

func TestSlugify(t *testing.T) {
	// Expected values are Django's slugify (django.utils.text) on the same input.
	tests := []struct{ in, want string }{
		{"Foo", "foo"},
		{"Database Backup!", "database-backup"},
		{"", ""},
		{"  -- leading and trailing --  ", "leading-and-trailing"},
		{"_under_score_", "under_score"},
		{"a_-b", "a_-b"},
		{"a - b", "a-b"},
		{"a\tb\nc", "a-b-c"},
		{"Café Crème brûlée", "cafe-creme-brulee"},
		{"Ærøskøbing", "rskbing"}, // Æ and ø have no decomposition: dropped
		{"Łódź", "odz"},
		{"Tiếng Việt", "tieng-viet"},
		{"ﬁle ｆｕｌｌ", "file-full"},
		{"a\u00a0b\u3000c", "a-b-c"},
		{"½ price", "12-price"},
		{"日本語", ""},
		{"emoji 😀 here", "emoji-here"},
		{"dots.and,commas", "dotsandcommas"},
		{strings.Repeat("ﬃ", 100), strings.Repeat("ffi", 100)[:check.MaxSlugLen]},
		{strings.Repeat("a", 99) + " b", strings.Repeat("a", 99)},
	}
	for _, tt := range tests {
		if got := slugify(tt.in); got != tt.want {
			t.Errorf("slugify(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFoldTables(t *testing.T) {
	if len(foldLatin) != 0x250-0xa0 {
		t.Errorf("foldLatin has %d entries, want %d", len(foldLatin), 0x250-0xa0)
	}
	if len(foldLatinAdditional) != 0x100 {
		t.Errorf("foldLatinAdditional has %d entries, want 256", len(foldLatinAdditional))
	}
	for r, want := range map[rune]string{'À': "A", 'é': "e", 'ſ': "s", 'Ĳ': "IJ", 'ǅ': "Dz", 'ẞ': "", 'ỹ': "y", 'ß': ""} {
		if got := foldASCII(r); got != want {
			t.Errorf("foldASCII(%q) = %q, want %q", r, got, want)
		}
	}
}
