package check

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// Limits of a check's text fields, in characters (Healthchecks' Check model and API schema).
const (
	MaxNameLen = 100
	MaxSlugLen = 100
	// MaxTagsLen is the width of Healthchecks' tags column. Healthchecks does not validate it in
	// its API and fails with a database error instead.
	MaxTagsLen = 500
	// MaxProjectName is the longest project name (Healthchecks' Project.name).
	MaxProjectName = 200
	// MaxKeywordLen is the longest keyword list (start_kw, success_kw, failure_kw), in
	// characters: Healthchecks' API schema.
	MaxKeywordLen = 200
)

// FieldError is a check field that cannot be stored. Its message is the field's name followed by
// the reason, in Healthchecks' API wording where Healthchecks has one ("name is too long",
// "slug does not match pattern"), so the API can put it after "json validation error: ".
type FieldError struct {
	Field  string // name, slug, tags or desc
	Reason string // follows the field's name: "is too long"
	// Hint says what would be accepted ("at most 100 characters"), for callers that can say more
	// than Healthchecks' wording; empty when the reason says it already.
	Hint string
}

// Error is the field's name and the reason: "name is too long".
func (e *FieldError) Error() string { return e.Field + " " + e.Reason }

// Advice is Error followed by the hint, when there is one: "name is too long (at most 100
// characters)".
func (e *FieldError) Advice() string {
	if e.Hint == "" {
		return e.Error()
	}
	return e.Error() + " (" + e.Hint + ")"
}

// ValidateName accepts a check name of at most MaxNameLen characters without control
// characters: a name is one line of text, and is shown in terminals, e-mail subjects and
// dashboards, where a NUL or an escape sequence would do harm.
func ValidateName(name string) error {
	if err := maxLen("name", name, MaxNameLen); err != nil {
		return err
	}
	return noControl("name", name, false)
}

// ValidateChannelName accepts a channel name of at most MaxChannelName characters without
// control characters, for the same reasons as a check's name: it is shown in listings and alerts.
func ValidateChannelName(name string) error {
	if err := maxLen("name", name, MaxChannelName); err != nil {
		return err
	}
	return noControl("name", name, false)
}

// ValidateProjectName accepts a project name of at most MaxProjectName characters without
// control characters.
func ValidateProjectName(name string) error {
	if err := maxLen("name", name, MaxProjectName); err != nil {
		return err
	}
	return noControl("name", name, false)
}

// ValidateSlug accepts a slug of lowercase letters, digits, hyphens and underscores, at most
// MaxSlugLen characters; the empty slug (no slug URL) included.
func ValidateSlug(slug string) error {
	if err := maxLen("slug", slug, MaxSlugLen); err != nil {
		return err
	}
	for i := 0; i < len(slug); i++ {
		if c := slug[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return &FieldError{"slug", "does not match pattern", "lowercase letters, digits, - and _ only"}
		}
	}
	return nil
}

// ValidateTags accepts space-separated tags of at most MaxTagsLen characters in all, without
// control characters: tags are split on spaces only, so a tab or a newline would end up inside a
// tag, and in the badge URLs made from it.
func ValidateTags(tags string) error {
	if err := maxLen("tags", tags, MaxTagsLen); err != nil {
		return err
	}
	return noControl("tags", tags, false)
}

// ValidateDesc accepts a description of any length without control characters other than tab,
// line feed and carriage return. A description is free text, often several lines pasted from a
// runbook (browsers send line breaks in a textarea as CR LF), so those three are text; NUL and
// the other control characters are not, and are refused as in a name.
func ValidateDesc(desc string) error {
	return noControl("desc", desc, true)
}

// ValidateText checks the text fields of c (name, slug, tags, description) by the rules above,
// in that order, and returns the first problem. Every path that creates a check from outside
// input runs it, or the field functions it calls.
func (c *Check) ValidateText() error {
	for _, err := range []error{ValidateName(c.Name), ValidateSlug(c.Slug), ValidateTags(c.Tags), ValidateDesc(c.Desc)} {
		if err != nil {
			return err
		}
	}
	return nil
}

// maxLen refuses s when it has more than n characters (Healthchecks counts characters, not bytes).
func maxLen(field, s string, n int) error {
	if utf8.RuneCountInString(s) > n {
		return &FieldError{field, "is too long", fmt.Sprintf("at most %d characters", n)}
	}
	return nil
}

// noControl refuses s when it holds a control character (Unicode category Cc: U+0000–U+001F,
// U+007F–U+009F), other than tab, line feed and carriage return when lines is set. Healthchecks
// has no wording for this, so the reason says what to do too, and names the character and where
// it is: it is invisible in most places it could be seen.
func noControl(field, s string, lines bool) error {
	fix := "remove it"
	if lines {
		fix = "only tab and line breaks are allowed"
	}
	pos := 0
	for _, r := range s {
		pos++
		if unicode.IsControl(r) && !(lines && (r == '\t' || r == '\n' || r == '\r')) {
			return &FieldError{Field: field,
				Reason: fmt.Sprintf("contains a control character (U+%04X at character %d); %s", r, pos, fix)}
		}
	}
	return nil
}
