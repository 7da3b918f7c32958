package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/overduehq/overdue/internal/people"
)

//go:embed templates/*.html static/style.css static/*.js
var files embed.FS

// pageNames are the templates under templates/, each rendered inside layout.html.
var pageNames = []string{"message", "login", "home", "sessions", "reset", "setpassword", "invite", "first",
	"checks", "details", "ping", "channels", "settings", "profile", "status", "statussettings",
	"secondstep", "twofactor", "totp", "recoverycodes", "confirm"}

// scriptNames are the dashboard's scripts under static/, served like the stylesheet under
// hashed names; they only add to pages that work without them.
var scriptNames = []string{"live.js", "copy.js", "preview.js", "times.js", "webauthn.js"}

// asset is a static file under its hashed name.
type asset struct {
	name string // e.g. live.<hash>.js
	body []byte
	typ  string
}

// loadAssets parses each page with the layout, and names the stylesheet by its content's hash
// so that it can be cached for a year and still change with a release.
func (s *Server) loadAssets() error {
	css, err := files.ReadFile("static/style.css")
	if err != nil {
		return err
	}
	sum := sha256.Sum256(css)
	s.css, s.cssName = css, "style."+hex.EncodeToString(sum[:6])+".css"
	s.scripts = map[string]asset{}
	s.scriptPath = map[string]string{}
	for _, name := range scriptNames {
		body, err := files.ReadFile("static/" + name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		hashed := strings.TrimSuffix(name, ".js") + "." + hex.EncodeToString(sum[:6]) + ".js"
		s.scripts[hashed] = asset{name: hashed, body: body, typ: "text/javascript; charset=utf-8"}
		s.scriptPath[name] = StaticPrefix + hashed
	}
	funcs := template.FuncMap{
		"stylesheet": func() string { return StaticPrefix + s.cssName },
		"roleWord":   func(r people.Role) string { return strings.ToLower(roleName(r)) },
		"script":     func(name string) string { return s.scriptPath[name] },
		"field": func(p *page, id, label, typ, value, autocomplete string) fieldView {
			return fieldView{ID: id, Label: label, Type: typ, Value: value, Autocomplete: autocomplete, Error: p.ErrorFor(id)}
		},
		"fieldHint": func(p *page, id, label, typ, value, autocomplete, hint string) fieldView {
			return fieldView{ID: id, Label: label, Type: typ, Value: value, Autocomplete: autocomplete, Hint: hint, Error: p.ErrorFor(id)}
		},
	}
	s.pages = map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/field.html", "templates/icons.html", "templates/"+name+".html")
		if err != nil {
			return fmt.Errorf("web: parse template %s: %w", name, err)
		}
		s.pages[name] = t
	}
	return nil
}

// handleStatic serves GET /static/{name}: the stylesheet and the scripts under their hashed
// names, cached for a year (a new release has new names). Any other name is 404.
func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) {
	if a, ok := s.scripts[r.PathValue("name")]; ok {
		w.Header().Set("Content-Type", a.typ)
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		w.Header().Set("Content-Length", strconv.Itoa(len(a.body)))
		_, _ = w.Write(a.body)
		return
	}
	if r.PathValue("name") != s.cssName {
		s.handleNotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("Content-Length", strconv.Itoa(len(s.css)))
	_, _ = w.Write(s.css)
}

// page is what the layout shows around a page's own data.
type page struct {
	Title  string
	Viewer *viewer
	// Errors summarise what was wrong with a form, at the top, each linking to its field.
	Errors []fieldError
	// Message, Link and LinkText are the body of the message page.
	Message  string
	Link     string
	LinkText string
	// Data is the page's own view struct.
	Data any
	// Wide lets a page use the window's width (the dashboard's tables).
	Wide bool
	// Cache, when set, is the page's Cache-Control: for a page that is the same for every
	// reader (the public status page). Unset, pages are never stored.
	Cache string
}

// fieldView is one input with its label above, its hint, and its error next to it (GOV.UK's
// question pattern).
type fieldView struct {
	ID, Label, Type, Value, Autocomplete, Hint, Error string
}

// fieldError is one thing wrong with a form: the field's id and what to do.
type fieldError struct {
	Field string
	Text  string
}

// ErrorFor returns the error text of a field, "" when it has none: the templates show it next
// to the field.
func (p *page) ErrorFor(field string) string {
	for _, e := range p.Errors {
		if e.Field == field {
			return e.Text
		}
	}
	return ""
}

// execute runs the page's template into a buffer, and answers a 500 and false when it fails.
// The page is copied out of the buffer at its exact size: the status page cache keeps it.
func (s *Server) execute(w http.ResponseWriter, r *http.Request, name string, p *page) ([]byte, bool) {
	var body []byte
	ok := s.executeInto(w, r, name, p, func(b []byte) { body = bytes.Clone(b) })
	return body, ok
}

// executeInto runs the page's template into a pooled buffer and hands the page to use, which
// must not keep it; on failure it answers a 500 and returns false.
func (s *Server) executeInto(w http.ResponseWriter, r *http.Request, name string, p *page, use func([]byte)) bool {
	buf := renderBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledRender {
			buf.Reset()
			renderBuffers.Put(buf)
		}
	}()
	if err := s.pages[name].Execute(buf, p); err != nil {
		s.log.ErrorContext(r.Context(), "render page", "page", name, "error", err.Error())
		http.Error(w, "The page could not be shown. Try again in a moment.", http.StatusInternalServerError)
		return false
	}
	use(buf.Bytes())
	return true
}

// renderBuffers holds the buffers pages are executed into. A checks page of 1,000 checks is about
// 3 MB, and a new buffer growing to it by doubling copied and cleared twice that: a quarter of
// the page's CPU in a profile. A pooled buffer has the room already.
var renderBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledRender is the largest buffer kept for the next render; a bigger one is left to the
// collector so that one huge page does not stay in memory.
const maxPooledRender = 16 << 20

// render executes the page into a buffer first, so that a template error becomes a clean 500
// and never half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	s.executeInto(w, r, name, p, func(body []byte) { s.write(w, status, body, p.Cache) })
}

// write sends a rendered page with its headers; cache is the page's Cache-Control when it may
// be stored ("" for none).
func (s *Server) write(w http.ResponseWriter, status int, body []byte, cache string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// Pages show who is signed in and carry one-time tokens: never stored by a cache.
	h.Set("Cache-Control", "no-store")
	if cache != "" && status == http.StatusOK && h.Get("Set-Cookie") == "" {
		// A shared cache must never keep an answer that sets someone's cookie.
		h.Set("Cache-Control", cache)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
