package notify_test

import (
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"

	"github.com/overduehq/overdue/internal/notify"
)

func TestSendTextThroughSMTP(t *testing.T) {
	srv := startSMTP(t, "")
	// The first line is what an inviter could have typed as a name: only the link given
	// becomes a link.
	text := "https://evil.example/login invites you\nhttps://evil.example/login\n\nOpen this link <soon>:\n\nhttps://od.example.org/accounts/set-password/tok/\n\nIt works once."
	if err := notify.SendText(t.Context(), newSMTP(t, srv.port()), "bob@example.org", "Set your Overdue password", text,
		"https://od.example.org/accounts/set-password/tok/"); err != nil {
		t.Fatalf("SendText = %v", err)
	}
	mails := srv.sent()
	if len(mails) != 1 || mails[0].to != "bob@example.org" {
		t.Fatalf("sent %+v, want one mail to bob@example.org", mails)
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(mails[0].data)))
	if err != nil {
		t.Fatal(err)
	}
	if got := msg.Header.Get("Subject"); got != "Set your Overdue password" {
		t.Errorf("Subject = %q", got)
	}
	_, params, _ := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var parts []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		parts = append(parts, string(b))
	}
	if len(parts) != 2 || parts[0] != text {
		t.Fatalf("parts = %q, want the text as written, then HTML", parts)
	}
	for _, want := range []string{`<a href="https://od.example.org/accounts/set-password/tok/">`, "&lt;soon&gt;", "<p>It works once.</p>"} {
		if !strings.Contains(parts[1], want) {
			t.Errorf("HTML part lacks %s:\n%s", want, parts[1])
		}
	}
	if strings.Contains(parts[1], `href="https://evil.example`) || strings.Count(parts[1], "<a ") != 1 {
		t.Errorf("HTML part links more than the given link:\n%s", parts[1])
	}
}
