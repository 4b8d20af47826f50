// Package ui serves mobu's live status page at {prefix}/ui: one HTML page
// with its stylesheet and script, embedded in the binary. The files hold no
// data: the script reads the REST API from the browser (the summary, each
// flock's monkeys, failures and timings) and redraws every five seconds.
package ui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// static holds the page: index.html, style.css and app.js.
//
//go:embed static/*
var static embed.FS

// Policy is the Content-Security-Policy of every file: the page runs only
// its own script and stylesheet and talks only to its own origin.
const Policy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'"

// contentTypes are fixed here rather than taken from the system's MIME
// table, which may differ between hosts.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
}

// file is one embedded file, ready to serve.
type file struct {
	name        string
	contentType string
	etag        string
	body        []byte
}

// handler serves the page under base ({prefix}/ui).
type handler struct {
	base  string
	files map[string]*file // by name, index.html included
	bare  *file            // index.html for base without its trailing slash
}

// Handler serves the status page for an API under prefix ("/mobu"):
// index.html at {prefix}/ui, {prefix}/ui/ and {prefix}/ui/index.html, and
// the other files at {prefix}/ui/{name}. Anything else is 404.
func Handler(prefix string) http.Handler {
	h := &handler{base: strings.TrimRight(prefix, "/") + "/ui", files: map[string]*file{}}
	entries, err := fs.ReadDir(static, "static")
	if err != nil {
		panic("ui: reading the embedded files: " + err.Error()) // cannot happen: embedded at build time
	}
	for _, e := range entries {
		body, err := static.ReadFile("static/" + e.Name())
		if err != nil {
			panic("ui: reading the embedded files: " + err.Error())
		}
		h.files[e.Name()] = newFile(e.Name(), body)
	}
	// At {prefix}/ui the browser resolves "./app.js" against {prefix}/, so
	// the page's relative links need the last segment in front of them.
	index := h.files["index.html"].body
	h.bare = newFile("index.html", bytes.ReplaceAll(index, []byte(`="./`), []byte(`="`+path.Base(h.base)+`/`)))
	return h
}

func newFile(name string, body []byte) *file {
	sum := sha256.Sum256(body)
	ct, ok := contentTypes[path.Ext(name)]
	if !ok {
		ct = "application/octet-stream"
	}
	return &file{name: name, contentType: ct, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, body: body}
}

// lookup maps a request path to its file, or nil.
func (h *handler) lookup(p string) *file {
	rest, ok := strings.CutPrefix(p, h.base)
	switch {
	case !ok:
		return nil
	case rest == "":
		return h.bare
	case rest == "/":
		return h.files["index.html"]
	}
	name, ok := strings.CutPrefix(rest, "/")
	if !ok || strings.Contains(name, "/") {
		return nil
	}
	return h.files[name]
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	f := h.lookup(r.URL.Path)
	if f == nil {
		http.NotFound(w, r)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", f.contentType)
	hd.Set("Cache-Control", "no-cache")
	hd.Set("Content-Security-Policy", Policy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("ETag", f.etag)
	// ServeContent answers If-None-Match with 304 and HEAD without a body.
	http.ServeContent(w, r, f.name, time.Time{}, bytes.NewReader(f.body))
}
