package testbrowser

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The page's text is built by its script: seeing it proves JavaScript ran.
func TestRendersScriptedPage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(`<!doctype html><body><div id="out"></div><script>
document.getElementById("out").textContent = "rendered " + (6*7);</script></body>`))
	}))
	defer srv.Close()
	b := Start(t)
	if text := b.Text(t, srv.URL, "#out"); !strings.Contains(text, "rendered 42") {
		t.Fatalf("page text %q", text)
	}
	if n := Eval[int](t, b, `document.querySelectorAll("div").length`); n != 1 {
		t.Fatalf("%d divs", n)
	}
}
