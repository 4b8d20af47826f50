package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/mobu-dev/mobu/internal/api"
)

func TestMetricsRoute(t *testing.T) {
	plain := newServer(t, api.Options{})
	plain.mustDo(http.MethodGet, "/metrics", "", http.StatusNotFound)
	if r := plain.mustDo(http.MethodGet, "/mobu/summary", "", http.StatusOK); strings.Contains(string(r.body), `"events"`) {
		t.Fatalf("summary shows events without a source: %s", r.body)
	}

	handler := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		w.Write([]byte("mobu_events_published_total 7\n"))
	})
	s := newServer(t, api.Options{Token: "secret", Metrics: handler,
		Events: func() any { return map[string]int{"published": 7, "dropped": 0} }})
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/metrics", nil) // public: no token
	r := s.send(req)
	if r.status != http.StatusOK || !strings.Contains(string(r.body), "mobu_events_published_total 7") {
		t.Fatalf("/metrics: %d %s", r.status, r.body)
	}
	var sum struct {
		Events map[string]int `json:"events"`
	}
	decode(t, s.mustDo(http.MethodGet, "/mobu/summary", "", http.StatusOK).body, &sum)
	if sum.Events["published"] != 7 {
		t.Fatalf("summary events %v", sum.Events)
	}
}

func TestPprof(t *testing.T) {
	off := newServer(t, api.Options{})
	off.mustDo(http.MethodGet, "/debug/pprof/", "", http.StatusNotFound)

	s := newServer(t, api.Options{PprofToken: "prof-secret", Token: "api-secret"})
	s.token = ""
	s.mustDo(http.MethodGet, "/debug/pprof/", "", http.StatusForbidden)
	s.mustDo(http.MethodGet, "/debug/pprof/heap", "", http.StatusForbidden)
	s.token = "api-secret" // the API token is not the pprof secret
	s.mustDo(http.MethodGet, "/debug/pprof/goroutine", "", http.StatusForbidden)
	s.token = "prof-secret"
	if r := s.mustDo(http.MethodGet, "/debug/pprof/", "", http.StatusOK); !strings.Contains(string(r.body), "goroutine") {
		t.Errorf("pprof index: %.200s", r.body)
	}
	if r := s.mustDo(http.MethodGet, "/debug/pprof/goroutine?debug=1", "", http.StatusOK); !strings.Contains(string(r.body), "goroutine profile") {
		t.Errorf("goroutine profile: %.200s", r.body)
	}
	s.mustDo(http.MethodGet, "/debug/pprof/cmdline", "", http.StatusOK)
	s.mustDo(http.MethodGet, "/mobu/flocks", "", http.StatusUnauthorized) // and the pprof secret is not the API token
}
