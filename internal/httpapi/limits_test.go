package httpapi

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/overduehq/overdue/internal/check"
)

// The input limits, over a real TCP connection: bodies of unknown length (Transfer-Encoding:
// chunked) are judged like declared ones, and every path that creates or changes a check applies
// the domain's rules for names, slugs, tags and descriptions.

// liveServer serves the fixture's handler on a loopback port, recording the transfer encoding of
// every request it gets so a test can prove its body really went chunked.
type liveServer struct {
	*httptest.Server
	mu        sync.Mutex
	encodings [][]string
}

func (f *fixture) serve() *liveServer {
	f.t.Helper()
	ls := &liveServer{}
	ls.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ls.mu.Lock()
		ls.encodings = append(ls.encodings, r.TransferEncoding)
		ls.mu.Unlock()
		f.srv.ServeHTTP(w, r)
	}))
	f.t.Cleanup(ls.Close)
	return ls
}

// lastEncoding is the transfer encoding of the last request served.
func (ls *liveServer) lastEncoding() []string {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if len(ls.encodings) == 0 {
		return nil
	}
	return ls.encodings[len(ls.encodings)-1]
}

// send makes one request with a body of n bytes of 'b'; chunked hides the length from the client,
// which then sends the body chunked. It returns the status, the body and the content type.
func (ls *liveServer) send(t *testing.T, method, path string, n int, chunked bool, headers ...string) (int, string, string) {
	t.Helper()
	var body io.Reader = bytes.NewReader(bytes.Repeat([]byte("b"), n))
	if chunked {
		body = struct{ io.Reader }{body} // no Len method: length unknown
	}
	req, err := http.NewRequest(method, ls.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := ls.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read response: %v", method, path, err)
	}
	wantChunked := []string(nil)
	if chunked {
		wantChunked = []string{"chunked"}
	}
	if enc := ls.lastEncoding(); !slices.Equal(enc, wantChunked) {
		t.Fatalf("%s %s: server saw Transfer-Encoding %q, want %q", method, path, enc, wantChunked)
	}
	return resp.StatusCode, string(got), resp.Header.Get("Content-Type")
}

// TestPingChunkedBodyOverCap is issue 11's case: a 3 MiB chunked ping body answered 200. It is
// now refused like one with a Content-Length, on every ping URL form, and nothing is recorded:
// no ping, no auto-provisioned check.
func TestPingChunkedBodyOverCap(t *testing.T) {
	f := newFixture(t)
	c := f.addCheck("simple")
	ls := f.serve()
	const big = 3 << 20
	for _, path := range []string{
		"/ping/" + c.ID,
		"/ping/" + c.ID + "/fail",
		"/ping/" + c.ID + "/start?rid=" + uuidOf(1),
		"/ping/" + testPingKey + "/simple",
		"/ping/" + testPingKey + "/simple/log",
		"/ping/" + testPingKey + "/brand-new?create=1",
	} {
		for _, chunked := range []bool{false, true} {
			status, body, ctype := ls.send(t, "POST", path, big, chunked)
			if status != 400 || body != "request body too large" || ctype != htmlType {
				t.Errorf("POST %s (chunked %v) = %d %q %s, want 400 \"request body too large\" %s",
					path, chunked, status, body, ctype, htmlType)
			}
		}
	}
	if n := len(f.pings(c.ID)); n != 0 {
		t.Errorf("%d pings recorded, want none", n)
	}
	if got := f.check(c.ID); got.NPings != 0 || !got.LastPing.IsZero() {
		t.Errorf("check changed: n_pings %d, last_ping %v", got.NPings, got.LastPing)
	}
	if cs := f.checksBySlug("brand-new"); len(cs) != 0 {
		t.Errorf("?create=1 with an oversized body created %d checks", len(cs))
	}

	// At the cap, chunked is accepted and stored up to the ping body limit, like a declared length.
	status, body, _ := ls.send(t, "POST", "/ping/"+c.ID, MaxRequestBody, true)
	if status != 200 || body != "OK" {
		t.Fatalf("chunked body at the cap = %d %q, want 200 OK", status, body)
	}
	if got := len(f.onlyPing(c.ID).Body); got != DefaultPingBodyLimit {
		t.Errorf("stored %d bytes, want %d", got, DefaultPingBodyLimit)
	}
}

// TestPingRawChunked writes the chunked framing by hand, as curl -H 'Transfer-Encoding: chunked'
// does, to rule out anything the Go client might do: one byte over the cap is refused, the cap
// itself is not.
func TestPingRawChunked(t *testing.T) {
	f := newFixture(t)
	c := f.addCheck("simple")
	ls := f.serve()
	for _, tt := range []struct {
		size   int
		status int
		body   string
	}{
		{MaxRequestBody + 1, 400, "request body too large"},
		{MaxRequestBody, 200, "OK"},
	} {
		conn, err := net.Dial("tcp", ls.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		w := bufio.NewWriter(conn)
		fmt.Fprintf(w, "POST /ping/%s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n", c.ID)
		chunk := bytes.Repeat([]byte("c"), 64<<10)
		for left := tt.size; left > 0; left -= len(chunk) {
			part := chunk[:min(len(chunk), left)]
			fmt.Fprintf(w, "%x\r\n%s\r\n", len(part), part)
		}
		fmt.Fprint(w, "0\r\n\r\n")
		if err := w.Flush(); err != nil {
			t.Fatalf("write request: %v", err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("read response: %v", err)
		}
		got, _ := io.ReadAll(resp.Body)
		conn.Close()
		if resp.StatusCode != tt.status || string(got) != tt.body {
			t.Errorf("chunked body of %d bytes = %d %q, want %d %q", tt.size, resp.StatusCode, got, tt.status, tt.body)
		}
	}
	if n := len(f.pings(c.ID)); n != 1 {
		t.Errorf("%d pings recorded, want 1 (the body at the cap)", n)
	}
}

// TestPingKeepAliveBodies: pings with declared bodies, read whole, truncated at the stored limit,
// or empty, are answered one after another on one connection, and store what they should.
func TestPingKeepAliveBodies(t *testing.T) {
	f := newFixture(t)
	c := f.addCheck("simple")
	ls := f.serve()
	conn, err := net.Dial("tcp", ls.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	long := strings.Repeat("L", DefaultPingBodyLimit+5000)
	bodies := []string{"hello", long, "", "world"}
	for i, body := range bodies {
		if _, err := fmt.Fprintf(conn, "POST /ping/%s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", c.ID, len(body), body); err != nil {
			t.Fatalf("ping %d: write: %v", i, err)
		}
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatalf("ping %d: read response: %v", i, err)
		}
		got, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || string(got) != "OK" || resp.Close {
			t.Errorf("ping %d = %d %q (close %v), want 200 OK on a kept connection", i, resp.StatusCode, got, resp.Close)
		}
	}
	pings := f.pings(c.ID)
	slices.SortFunc(pings, func(a, b *check.Ping) int { return a.N - b.N })
	want := []string{"hello", long[:DefaultPingBodyLimit], "", "world"}
	if len(pings) != len(want) {
		t.Fatalf("%d pings stored, want %d", len(pings), len(want))
	}
	for i, p := range pings {
		if string(p.Body) != want[i] {
			t.Errorf("ping %d stored a body of %d bytes, want %d", i, len(p.Body), len(want[i]))
		}
	}
}

// TestAPIChunkedBodyOverCap: the management API's cap holds for chunked bodies too, on every
// endpoint that reads a body, and nothing is created or changed.
func TestAPIChunkedBodyOverCap(t *testing.T) {
	f := newAPIFixture(t)
	c := f.addCheckIn(f.project, "c")
	ls := f.serve()
	for _, path := range []string{
		"/api/v1/checks/", "/api/v3/checks/",
		"/api/v3/checks/" + c.ID,
		"/api/v3/checks/" + c.ID + "/pause",
		"/api/v3/checks/" + c.ID + "/resume",
		"/api/v3/channels/",
	} {
		for _, chunked := range []bool{false, true} {
			status, body, _ := ls.send(t, "POST", path, MaxAPIBody+1, chunked, "X-Api-Key", keyA)
			want := `{"error": "request body too large: send at most 65536 bytes"}`
			if status != 413 || body != want {
				t.Errorf("POST %s (chunked %v) = %d %s, want 413 %s", path, chunked, status, body, want)
			}
		}
	}
	if n := f.checkCount(f.project); n != 1 {
		t.Errorf("project has %d checks, want the 1 it had", n)
	}
	if got := f.check(c.ID); got.Status != c.Status {
		t.Errorf("check status = %s, want %s unchanged", got.Status, c.Status)
	}
}

// TestAutoProvisionRules: ?create=1 applies the API's slug and name rules, length included.
func TestAutoProvisionRules(t *testing.T) {
	f := newFixture(t)
	ls := f.serve()
	for _, tt := range []struct {
		slug   string
		status int
		body   string
	}{
		{strings.Repeat("s", 101), 400, "slug is too long (at most 100 characters)"},
		{strings.Repeat("x", 1_000_000), 400, "slug is too long (at most 100 characters)"},
		{strings.Repeat("k", 100), 201, "Created"},
	} {
		status, body, _ := ls.send(t, "GET", "/ping/"+testPingKey+"/"+tt.slug+"?create=1", 0, false)
		if status != tt.status || body != tt.body {
			t.Errorf("?create=1 with a %d-character slug = %d %q, want %d %q", len(tt.slug), status, body, tt.status, tt.body)
		}
	}
	cs, err := f.store.Checks(t.Context(), f.project.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].Slug != strings.Repeat("k", 100) || cs[0].Name != cs[0].Slug {
		t.Errorf("checks after the pings: %d, want only the 100-character one", len(cs))
	}
	// Without ?create=1 a long slug is simply not found: the rules are for what is created.
	if status, body, _ := ls.send(t, "GET", "/ping/"+testPingKey+"/"+strings.Repeat("s", 101), 0, false); status != 404 || body != "not found" {
		t.Errorf("long slug without create = %d %q, want 404 not found", status, body)
	}
}

// TestControlCharactersEveryVersion: names, tags and descriptions with control characters are
// refused by create and update in v1, v2 and v3, and nothing changes.
func TestControlCharactersEveryVersion(t *testing.T) {
	f := newAPIFixture(t)
	c := f.addCheckIn(f.project, "c")
	ls := f.serve()
	post := func(path, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", ls.URL+path, strings.NewReader(body))
		req.Header.Set("X-Api-Key", keyA)
		resp, err := ls.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for v := 1; v <= 3; v++ {
		for _, tt := range []struct{ body, msg string }{
			{`{"name": "a\u0000b"}`, "name contains a control character (U+0000 at character 2); remove it"},
			{`{"tags": "x\ny"}`, "tags contains a control character (U+000A at character 2); remove it"},
			{`{"desc": "\u001b[31m"}`, "desc contains a control character (U+001B at character 1); only tab and line breaks are allowed"},
		} {
			want := `{"error": "json validation error: ` + tt.msg + `"}`
			for _, path := range []string{fmt.Sprintf("/api/v%d/checks/", v), fmt.Sprintf("/api/v%d/checks/%s", v, c.ID)} {
				if status, body := post(path, tt.body); status != 400 || body != want {
					t.Errorf("POST %s %s = %d %s, want 400 %s", path, tt.body, status, body, want)
				}
			}
		}
	}
	if n := f.checkCount(f.project); n != 1 {
		t.Errorf("project has %d checks, want 1", n)
	}
	if got := f.check(c.ID); got.Name != c.Name || got.Tags != c.Tags || got.Desc != c.Desc {
		t.Errorf("check changed: %q %q %q", got.Name, got.Tags, got.Desc)
	}
	// A description keeps its line breaks and tabs.
	status, body := post("/api/v3/checks/"+c.ID, `{"desc": "line one\r\n\tline two"}`)
	if status != 200 || !strings.Contains(body, `"desc": "line one\r\n\tline two"`) {
		t.Errorf("multi-line description = %d %s, want 200 with it kept", status, body)
	}
}
