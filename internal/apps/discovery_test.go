package apps

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// discoveryServer answers GET /PATH with the response configured for PATH
// ("STATUS BODY"), requiring Accept: application/json.
func discoveryServer(t *testing.T, responses map[string]string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.Header.Get("Accept") != "application/json" {
			http.Error(w, "want GET with Accept: application/json", http.StatusNotAcceptable)
			return
		}
		resp, ok := responses[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		status, body, _ := strings.Cut(resp, " ")
		w.Header().Set("Content-Type", "application/json")
		if status == "500" {
			w.WriteHeader(http.StatusInternalServerError)
		}
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestDiscovery(t *testing.T) {
	srv := discoveryServer(t, map[string]string{
		"/strings":  `200 {"applications": ["argocd", "mobu", "nublado"], "datasets": {"dp1": {}}, "services": {"ui": {}}}`,
		"/objects":  `200 {"applications": [{"name": "tap", "url": "https://x/api/tap"}, {"name": "portal"}]}`,
		"/mixed":    `200 {"applications": ["mobu", {"name": "tap"}, "mobu"]}`,
		"/empty":    `200 {"applications": []}`,
		"/500":      `500 {"detail": [{"msg": "internal error"}]}`,
		"/500bare":  `500 `,
		"/badjson":  `200 {"applications": [`,
		"/array":    `200 ["mobu"]`,
		"/null":     `200 null`,
		"/nokey":    `200 {"datasets": {}}`,
		"/nulllist": `200 {"applications": null}`,
		"/string":   `200 {"applications": "mobu"}`,
		"/number":   `200 {"applications": ["mobu", 3]}`,
		"/noname":   `200 {"applications": [{"url": "https://x"}]}`,
		"/numname":  `200 {"applications": [{"name": 7}]}`,
		"/blank":    `200 {"applications": ["mobu", " "]}`,
	})
	u := srv.URL
	tests := []struct {
		path string
		want map[string]bool
		err  string
	}{
		{"/strings", map[string]bool{"argocd": true, "mobu": true, "nublado": true}, ""},
		{"/objects", map[string]bool{"tap": true, "portal": true}, ""},
		{"/mixed", map[string]bool{"mobu": true, "tap": true}, ""},
		{"/empty", map[string]bool{}, ""},
		{"/500", nil, "discover applications from " + u + `/500: status 500 Internal Server Error: {"detail": [{"msg": "internal error"}]}`},
		{"/500bare", nil, "discover applications from " + u + "/500bare: status 500 Internal Server Error"},
		{"/missing", nil, "discover applications from " + u + "/missing: status 404 Not Found: 404 page not found"},
		{"/badjson", nil, "discover applications from " + u + "/badjson: invalid JSON: unexpected end of JSON input"},
		{"/array", nil, "discover applications from " + u + "/array: invalid JSON: json: cannot unmarshal array into Go value of type map[string]json.RawMessage"},
		{"/null", nil, "discover applications from " + u + "/null: invalid JSON: not a JSON object"},
		{"/nokey", nil, "discover applications from " + u + `/nokey: no "applications" key in the response`},
		{"/nulllist", nil, "discover applications from " + u + "/nulllist: applications: must be a list (got null)"},
		{"/string", nil, "discover applications from " + u + `/string: applications: must be a list (got "mobu")`},
		{"/number", nil, "discover applications from " + u + "/number: applications[1]: must be a name or an object with a string name (got 3)"},
		{"/noname", nil, "discover applications from " + u + `/noname: applications[0]: must be a name or an object with a string name (got {"url": "https://x"})`},
		{"/numname", nil, "discover applications from " + u + `/numname: applications[0]: must be a name or an object with a string name (got {"name": 7})`},
		{"/blank", nil, "discover applications from " + u + "/blank: applications[1]: empty application name"},
	}
	for _, tt := range tests {
		t.Run(strings.TrimPrefix(tt.path, "/"), func(t *testing.T) {
			got, err := Discovery{URL: u + tt.path, Client: srv.Client()}.Applications(t.Context())
			checkResult(t, got, err, tt.want, tt.err)
		})
	}
}

func TestDiscoveryDefaultClient(t *testing.T) {
	srv := discoveryServer(t, map[string]string{"/discovery": `200 {"applications": ["mobu"]}`})
	got, err := Discovery{URL: srv.URL + "/discovery"}.Applications(t.Context())
	checkResult(t, got, err, map[string]bool{"mobu": true}, "")
}

func TestDiscoveryBadURL(t *testing.T) {
	tests := []struct{ url, want string }{
		{"", "discover applications: no URL given"},
		{"://x", `discover applications from ://x: build request: parse "://x": missing protocol scheme`},
		{"ftp://example.org/discovery", `discover applications from ftp://example.org/discovery: unsupported protocol scheme "ftp"`},
	}
	for _, tt := range tests {
		got, err := Discovery{URL: tt.url}.Applications(t.Context())
		checkResult(t, got, err, nil, tt.want)
	}
}

func TestDiscoveryNeverCaches(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			_, _ = w.Write([]byte(`{"applications": ["mobu"]}`))
			return
		}
		_, _ = w.Write([]byte(`{"applications": ["mobu", "tap"]}`))
	}))
	t.Cleanup(srv.Close)
	d := Discovery{URL: srv.URL, Client: srv.Client()}
	first, err := d.Applications(t.Context())
	checkResult(t, first, err, map[string]bool{"mobu": true}, "")
	second, err := d.Applications(t.Context())
	checkResult(t, second, err, map[string]bool{"mobu": true, "tap": true}, "")
	if n := calls.Load(); n != 2 {
		t.Errorf("server saw %d requests, want 2", n)
	}
}

func TestDiscoveryCanceled(t *testing.T) {
	arrived := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-r.Context().Done() // hold the request until the client gives up
	}))
	t.Cleanup(srv.Close)
	d := Discovery{URL: srv.URL + "/discovery", Client: srv.Client()}

	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-arrived
		cancel()
	}()
	got, err := d.Applications(ctx)
	checkResult(t, got, err, nil, "discover applications from "+srv.URL+"/discovery: context canceled")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("%v does not wrap context.Canceled", err)
	}
}

func TestDiscoveryTooLarge(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"applications": ["mobu"]}` + strings.Repeat(" ", maxDiscoveryBody)))
	}))
	t.Cleanup(srv.Close)
	got, err := Discovery{URL: srv.URL, Client: srv.Client()}.Applications(t.Context())
	checkResult(t, got, err, nil, "discover applications from "+srv.URL+": response larger than 8388608 bytes")
}
