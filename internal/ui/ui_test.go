package ui_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/mobu-dev/mobu/internal/api"
	"github.com/mobu-dev/mobu/internal/ui"
)

const wantCSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'"

// get serves one request and returns the recorded response and body.
func get(t *testing.T, h http.Handler, method, target string, header ...string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	resp := rec.Result()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestServesPageAndAssets(t *testing.T) {
	h := ui.Handler("/mobu")
	cases := []struct{ path, contentType, contains string }{
		{"/mobu/ui", "text/html; charset=utf-8", `src="ui/app.js"`},
		{"/mobu/ui/", "text/html; charset=utf-8", `src="./app.js"`},
		{"/mobu/ui/index.html", "text/html; charset=utf-8", `href="./style.css"`},
		{"/mobu/ui/app.js", "text/javascript; charset=utf-8", "function refresh"},
		{"/mobu/ui/style.css", "text/css; charset=utf-8", "prefers-color-scheme: dark"},
	}
	for _, c := range cases {
		resp, body := get(t, h, http.MethodGet, c.path)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", c.path, resp.StatusCode)
			continue
		}
		checkHeader(t, resp, c.path, "Content-Type", c.contentType)
		checkHeader(t, resp, c.path, "Cache-Control", "no-cache")
		checkHeader(t, resp, c.path, "Content-Security-Policy", wantCSP)
		checkHeader(t, resp, c.path, "X-Content-Type-Options", "nosniff")
		if !strings.Contains(body, c.contains) {
			t.Errorf("%s: body lacks %q", c.path, c.contains)
		}
	}
}

func checkHeader(t *testing.T, resp *http.Response, path, name, want string) {
	t.Helper()
	if got := resp.Header.Get(name); got != want {
		t.Errorf("%s: %s %q, want %q", path, name, got, want)
	}
}

func TestUnknownPaths(t *testing.T) {
	h := ui.Handler("/mobu/")
	for _, p := range []string{"/mobu/ui/nope.js", "/mobu/ui/static/app.js", "/mobu/uix", "/mobu/ui/app.js/", "/other/ui/"} {
		if resp, _ := get(t, h, http.MethodGet, p); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", p, resp.StatusCode)
		}
	}
	if resp, _ := get(t, h, http.MethodPost, "/mobu/ui/"); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: status %d, want 405", resp.StatusCode)
	}
}

func TestConditionalAndHead(t *testing.T) {
	h := ui.Handler("/x/mobu")
	resp, body := get(t, h, http.MethodHead, "/x/mobu/ui/app.js")
	if resp.StatusCode != http.StatusOK || body != "" || resp.Header.Get("Content-Length") == "" {
		t.Fatalf("HEAD: status %d, %d bytes, length %q", resp.StatusCode, len(body), resp.Header.Get("Content-Length"))
	}
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if resp, _ := get(t, h, http.MethodGet, "/x/mobu/ui/app.js", "If-None-Match", etag); resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d, want 304", resp.StatusCode)
	}
}

// TestNoExternalResources reads the files as served: no network URL, no
// inline script or style, and no HTML parsing of data in the script.
func TestNoExternalResources(t *testing.T) {
	h := ui.Handler("/mobu")
	url := regexp.MustCompile(`(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
	for _, name := range []string{"index.html", "app.js", "style.css"} {
		_, body := get(t, h, http.MethodGet, "/mobu/ui/"+name)
		for _, m := range url.FindAllString(body, -1) {
			if m != "http://www.w3.org" { // the SVG namespace, not fetched
				t.Errorf("%s refers to %s", name, m)
			}
		}
		for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "style=", "<script>", "@import"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s contains %q", name, bad)
			}
		}
	}
}

// TestPublicWithToken: the page needs no token, the data does.
func TestPublicWithToken(t *testing.T) {
	h := api.New(api.Options{Token: "s3cret"}).Handler()
	for _, p := range []string{"/mobu/ui", "/mobu/ui/", "/mobu/ui/app.js"} {
		resp, _ := get(t, h, http.MethodGet, p)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", p, resp.StatusCode)
		}
		checkHeader(t, resp, p, "Content-Security-Policy", wantCSP)
	}
	if resp, _ := get(t, h, http.MethodGet, "/mobu/ui/missing.css"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("missing asset: status %d", resp.StatusCode)
	}
	if resp, _ := get(t, h, http.MethodGet, "/mobu/summary"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("summary without a token: status %d", resp.StatusCode)
	}
}
