package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"html"
	"strings"

	"github.com/overduehq/overdue/internal/check"
)

// SendText sends one plain message that is not about a check (the account mail of sign-in:
// reset and invitation links) through an email transport (SMTP or SES): the text as written,
// and an HTML part of its paragraphs with http(s) lines as links. Each call is its own
// delivery, with a fresh delivery ID.
func SendText(ctx context.Context, t Transport, to, subject, text string) error {
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return err
	}
	ch := &check.Channel{Kind: check.ChannelEmail, Value: to}
	return t.Send(ctx, ch, &Message{Subject: subject, Text: text, HTML: textHTML(text)}, "mail-"+hex.EncodeToString(id))
}

// textHTML renders plain text as HTML paragraphs, escaped, with each line that is a URL made
// a link.
func textHTML(text string) string {
	var b strings.Builder
	for _, para := range strings.Split(strings.TrimSpace(text), "\n\n") {
		b.WriteString("<p>")
		for i, line := range strings.Split(para, "\n") {
			if i > 0 {
				b.WriteString("<br>")
			}
			esc := html.EscapeString(line)
			if strings.HasPrefix(line, "https://") || strings.HasPrefix(line, "http://") {
				esc = `<a href="` + esc + `">` + esc + `</a>`
			}
			b.WriteString(esc)
		}
		b.WriteString("</p>\n")
	}
	return b.String()
}
