package httpapi

import (
	"strings"

	"github.com/overduehq/overdue/internal/check"
)

// slugify is Django's slugify, which API v1 and v2 apply to a check's name to make its slug:
// transliterate to ASCII (Unicode NFKD, dropping what is left over), lowercase, delete everything
// but letters, digits, underscores, white space and hyphens, turn runs of white space and hyphens
// into one hyphen, and strip hyphens and underscores from both ends. "Database Backup!" becomes
// "database-backup", "Café" "cafe".
//
// Without golang.org/x/text the transliteration covers the Latin blocks (Latin-1 Supplement,
// Latin Extended-A and -B, Latin Extended Additional), the Latin ligatures, full-width ASCII and
// the Unicode spaces; any other non-ASCII character is dropped, where Django would keep the
// ASCII letters of its compatibility decomposition (mathematical and circled letters, for one).
//
// The result is cut to the longest slug the API accepts: a 100-character name can decompose to
// more (ﬃ is three letters), which Healthchecks would fail to store.
func slugify(s string) string {
	var folded strings.Builder
	for _, r := range s {
		folded.WriteString(foldASCII(r))
	}
	var out []byte
	pendingDash := false
	for _, c := range []byte(strings.ToLower(folded.String())) {
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '_':
			if pendingDash {
				out = append(out, '-')
				pendingDash = false
			}
			out = append(out, c)
		case c == '-' || c == ' ' || '\t' <= c && c <= '\r' || 0x1c <= c && c <= 0x1f:
			pendingDash = true
		}
	}
	slug := strings.Trim(string(out), "-_")
	if len(slug) > check.MaxSlugLen {
		slug = strings.TrimRight(slug[:check.MaxSlugLen], "-_")
	}
	return slug
}

// foldASCII is the ASCII part of r's NFKD compatibility decomposition, for the characters
// slugify covers; "" for the others.
func foldASCII(r rune) string {
	switch {
	case r < 0x80:
		return string(r)
	case r >= 0xa0 && r <= 0x24f:
		if s, ok := foldMulti[r]; ok {
			return s
		}
		return foldByte(foldLatin[r-0xa0])
	case r >= 0x1e00 && r <= 0x1eff:
		return foldByte(foldLatinAdditional[r-0x1e00])
	case r >= 0xfb00 && r <= 0xfb06:
		return [...]string{"ff", "fi", "fl", "ffi", "ffl", "st", "st"}[r-0xfb00]
	case r >= 0xff01 && r <= 0xff5e: // full-width forms of ASCII
		return string(r - 0xfee0)
	case r >= 0x2000 && r <= 0x200a, r == 0x202f, r == 0x205f, r == 0x3000: // spaces
		return " "
	}
	return ""
}

// foldByte turns a table entry into a string; '*' marks a character with no ASCII decomposition.
func foldByte(c byte) string {
	if c == '*' {
		return ""
	}
	return string(rune(c))
}

// foldLatin holds the ASCII decomposition of U+00A0..U+024F, one byte per character, generated
// from Python's unicodedata.normalize("NFKD", ...) with non-ASCII dropped. Characters that
// decompose to more than one ASCII character are in foldMulti.
const foldLatin = "" +
	" ******* *a**** **23 *** 1o*****AAAAAA*CEEEEIIII*NOOOOO**UUUUY**" +
	"aaaaaa*ceeeeiiii*nooooo**uuuuy*yAaAaAaCcCcCcCcDd**EeEeEeEeEeGgGg" +
	"GgGgHh**IiIiIiIiI***JjKk*LlLlLlLl**NnNnNnn**OoOoOo**RrRrRrSsSsSs" +
	"SsTtTt**UuUuUuUuUuUuWwYyYZzZzZzs********************************" +
	"Oo*************Uu****************************AaIiOoUuUuUuUuUu*Aa" +
	"Aa****GgKkOoOo**j***Gg**NnAa****AaAaEeEeIiIiOoOoRrRrUuUuSsTt**Hh" +
	"******AaEeOoOoOoOoYy****************************"

// foldLatinAdditional is foldLatin for U+1E00..U+1EFF (Latin Extended Additional).
const foldLatinAdditional = "" +
	"AaBbBbBbCcDdDdDdDdDdEeEeEeEeEeFfGgHhHhHhHhHhIiIiKkKkKkLlLlLlLlMm" +
	"MmMmNnNnNnNnOoOoOoOoPpPpRrRrRrRrSsSsSsSsSsTtTtTtTtUuUuUuUuUuVvVv" +
	"WwWwWwWwWwXxXxYyZzZzZzhtwyas****AaAaAaAaAaAaAaAaAaAaAaAaEeEeEeEe" +
	"EeEeEeEeIiIiOoOoOoOoOoOoOoOoOoOoOoOoUuUuUuUuUuUuUuYyYyYyYy******"

// foldMulti are the characters of U+00A0..U+024F that decompose to several ASCII characters.
var foldMulti = map[rune]string{
	0xbc: "14", 0xbd: "12", 0xbe: "34", 0x132: "IJ", 0x133: "ij",
	0x1c4: "DZ", 0x1c5: "Dz", 0x1c6: "dz", 0x1c7: "LJ", 0x1c8: "Lj", 0x1c9: "lj",
	0x1ca: "NJ", 0x1cb: "Nj", 0x1cc: "nj", 0x1f1: "DZ", 0x1f2: "Dz", 0x1f3: "dz",
}
