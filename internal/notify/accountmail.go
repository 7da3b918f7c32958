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
// and an HTML part of its paragraphs in which a line that is exactly link (when not "") is a
// link. No other line becomes one, whatever it looks like: the text may carry what someone
// typed (an inviter's name), and a mail from our sender must not turn that into a link. Each
// call is its own delivery, with a fresh delivery ID.
func SendText(ctx context.Context, t Transport, to, subject, text, link string) error {
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return err
	}
	ch := &check.Channel{Kind: check.ChannelEmail, Value: to}
	return t.Send(ctx, ch, &Message{Subject: subject, Text: text, HTML: textHTML(text, link)}, "mail-"+hex.EncodeToString(id))
}

// textHTML renders plain text as HTML paragraphs, escaped, with each line that is link made a
// link.
func textHTML(text, link string) string {
	var b strings.Builder
	for _, para := range strings.Split(strings.TrimSpace(text), "\n\n") {
		b.WriteString("<p>")
		for i, line := range strings.Split(para, "\n") {
			if i > 0 {
				b.WriteString("<br>")
			}
			esc := html.EscapeString(line)
			if link != "" && line == link && (strings.HasPrefix(line, "https://") || strings.HasPrefix(line, "http://")) {
				esc = `<a href="` + esc + `">` + esc + `</a>`
			}
			b.WriteString(esc)
		}
		b.WriteString("</p>\n")
	}
	return b.String()
}
