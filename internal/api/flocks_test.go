package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/api"
	"github.com/mobu-dev/mobu/internal/flock"
)

var meta = api.Metadata{Name: "mobu", Version: "1.2.3", Description: "health checks",
	RepositoryURL: "https://example.com/repo", DocumentationURL: "https://example.com/docs"}

// fields decodes a JSON object into its raw fields.
func fields(t *testing.T, b []byte) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	decode(t, b, &m)
	return m
}

func hasFields(t *testing.T, b []byte, names ...string) {
	t.Helper()
	m := fields(t, b)
	for _, n := range names {
		if _, ok := m[n]; !ok {
			t.Errorf("no %q in %s", n, b)
		}
	}
}

// routeCase is one request of TestRoutes and a check of its body.
type routeCase struct {
	method, path string
	status       int
	check        func(*testing.T, []byte)
}

func names(want ...string) func(*testing.T, []byte) {
	return func(t *testing.T, b []byte) {
		var got []string
		decode(t, b, &got)
		if !slices.Equal(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	}
}

func empty(t *testing.T, b []byte) {
	if len(b) != 0 {
		t.Errorf("body %q, want none", b)
	}
}

func shape(keys ...string) func(*testing.T, []byte) {
	return func(t *testing.T, b []byte) { hasFields(t, b, keys...) }
}

func combinedSummary(t *testing.T, b []byte) {
	m := fields(t, b)
	var sums []flock.Summary
	decode(t, m["flocks"], &sums)
	if len(sums) != 1 || sums[0].Name != "test" || string(m["ci_manager"]) != "null" {
		t.Errorf("summary %s", b)
	}
}

// routeCases visits every route with a running flock "test", deleting it last.
func routeCases() []routeCase {
	metaKeys := shape("name", "version", "description", "repository_url", "documentation_url")
	return []routeCase{
		{"GET", "/", 200, metaKeys},
		{"GET", "/mobu/", 200, func(t *testing.T, b []byte) { metaKeys(t, fields(t, b)["metadata"]) }},
		{"GET", "/mobu/openapi.json", 200, shape("openapi", "paths", "components")},
		{"GET", "/mobu/flocks", 200, names("test")},
		{"GET", "/mobu/flocks/test", 200, shape("name", "config", "paused", "monkeys")},
		{"POST", "/mobu/flocks/test/refresh", 202, empty},
		{"GET", "/mobu/flocks/test/monkeys", 200, names("bot-mobu-test1", "bot-mobu-test2", "bot-mobu-test3")},
		{"GET", "/mobu/flocks/test/monkeys/bot-mobu-test2", 200, shape("name", "state", "user", "business")},
		{"GET", "/mobu/flocks/test/summary", 200, shape("name", "business", "start_time", "monkey_count",
			"success_count", "failure_count", "paused")},
		{"GET", "/mobu/summary", 200, combinedSummary},
		{"POST", "/mobu/flocks/test/pause", 202, empty},
		{"POST", "/mobu/flocks/test/resume", 202, empty},
		{"DELETE", "/mobu/flocks/test", 204, empty},
	}
}

func TestRoutes(t *testing.T) {
	s := newServer(t, api.Options{Metadata: meta})
	s.startFlock()
	waitFor(t, "a success", func() bool { return s.summary().SuccessCount > 0 })
	for _, tt := range routeCases() {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			r := s.mustDo(tt.method, tt.path, "", tt.status)
			if len(r.body) > 0 && r.body[0] == '{' && !bytes.Contains(r.body, []byte("\n    \"")) {
				t.Errorf("not indented by 4: %s", r.body)
			}
			tt.check(t, r.body)
		})
	}
}

func TestPutFlock(t *testing.T) {
	s := newServer(t, api.Options{})
	r := s.startFlock()
	if loc := r.header.Get("Location"); loc != s.URL+"/mobu/flocks/test" {
		t.Errorf("Location %q", loc)
	}
	if bytes.Contains(bytes.ToLower(r.body), []byte("token")) {
		t.Errorf("body mentions a token: %s", r.body)
	}
	var d struct {
		api.FlockData
		Config struct {
			Count    int `json:"count"`
			Business struct {
				Options map[string]any `json:"options"`
			} `json:"business"`
		} `json:"config"`
	}
	decode(t, r.body, &d)
	var got []string
	for _, m := range d.Monkeys {
		got = append(got, m.Name)
	}
	if d.Name != "test" || d.Config.Count != 3 || d.Config.Business.Options["idle_time"] != 0.05 || d.Paused ||
		!slices.Equal(got, []string{"bot-mobu-test1", "bot-mobu-test2", "bot-mobu-test3"}) {
		t.Errorf("flock data %s", r.body)
	}

	req, _ := http.NewRequest(http.MethodPut, s.URL+"/mobu/flocks", strings.NewReader(specJSON))
	req.Header.Set("X-Forwarded-Proto", "https")
	if r := s.send(req); r.header.Get("Location") != "https://"+s.Listener.Addr().String()+"/mobu/flocks/test" {
		t.Errorf("status %d, Location %q behind a proxy", r.status, r.header.Get("Location"))
	}
}

func TestMonkeyData(t *testing.T) {
	s := newServer(t, api.Options{})
	s.startFlock()
	monkey := func() (flock.MonkeyData, []byte) {
		r := s.mustDo(http.MethodGet, "/mobu/flocks/test/monkeys/bot-mobu-test1", "", http.StatusOK)
		var d flock.MonkeyData
		decode(t, r.body, &d)
		return d, r.body
	}
	waitFor(t, "a success", func() bool { d, _ := monkey(); return d.Business.SuccessCount > 0 })
	first, _ := monkey()
	waitFor(t, "more successes", func() bool { d, _ := monkey(); return d.Business.SuccessCount > first.Business.SuccessCount })
	d, raw := monkey()
	if d.Name != "bot-mobu-test1" || d.User.Username != d.Name || d.Business.Name != "EmptyLoop" ||
		(d.State != flock.StateIdle && d.State != flock.StateRunning) {
		t.Errorf("monkey data %s", raw)
	}
	if bytes.Contains(bytes.ToLower(raw), []byte("token")) {
		t.Errorf("monkey data mentions a token: %s", raw)
	}
}

func TestReplaceFlock(t *testing.T) {
	s := newServer(t, api.Options{})
	s.startFlock()
	waitFor(t, "30 successes", func() bool { return s.summary().SuccessCount >= 30 })
	before := s.summary()
	var d api.FlockData
	decode(t, s.startFlock().body, &d)
	for _, m := range d.Monkeys {
		if m.Business.SuccessCount > 2 {
			t.Errorf("monkey %s kept its count %d", m.Name, m.Business.SuccessCount)
		}
	}
	if after := s.summary(); !after.StartTime.After(*before.StartTime) || after.SuccessCount >= before.SuccessCount {
		t.Errorf("not restarted: before %+v, after %+v", before, after)
	}
	if names := s.mustDo(http.MethodGet, "/mobu/flocks", "", 200).body; !bytes.Equal(bytes.TrimSpace(names), []byte("[\n    \"test\"\n]")) {
		t.Errorf("flocks %s", names)
	}
}

func TestDeleteFlock(t *testing.T) {
	s := newServer(t, api.Options{})
	s.startFlock()
	s.mustDo(http.MethodDelete, "/mobu/flocks/test", "", http.StatusNoContent)
	s.mustDo(http.MethodGet, "/mobu/flocks/test", "", http.StatusNotFound)
	s.mustDo(http.MethodDelete, "/mobu/flocks/test", "", http.StatusNotFound)
	if r := s.mustDo(http.MethodGet, "/mobu/summary", "", 200); !bytes.Contains(r.body, []byte(`"flocks": []`)) {
		t.Errorf("summary after delete: %s", r.body)
	}
}

func TestPauseResume(t *testing.T) {
	s := newServer(t, api.Options{})
	s.startFlock()
	waitFor(t, "a success", func() bool { return s.summary().SuccessCount > 0 })
	s.mustDo(http.MethodPost, "/mobu/flocks/test/pause", "", http.StatusAccepted)
	last := s.summary()
	waitFor(t, "the count to settle", func() bool {
		time.Sleep(200 * time.Millisecond)
		now := s.summary()
		settled := now.SuccessCount == last.SuccessCount
		last = now
		return settled
	})
	var d api.FlockData
	decode(t, s.mustDo(http.MethodGet, "/mobu/flocks/test", "", 200).body, &d)
	if !last.Paused || !d.Paused {
		t.Errorf("paused: summary %v, flock %v", last.Paused, d.Paused)
	}
	s.mustDo(http.MethodPost, "/mobu/flocks/test/resume", "", http.StatusAccepted)
	waitFor(t, "the count to grow", func() bool { return s.summary().SuccessCount > last.SuccessCount })
	if s.summary().Paused {
		t.Error("still paused after resume")
	}
}

func TestRun(t *testing.T) {
	s := newServer(t, api.Options{})
	r := s.mustDo(http.MethodPost, "/mobu/run",
		`{"user":{"username":"bot-mobu-solo"},"scopes":[],"business":{"type":"EmptyLoop"}}`, http.StatusOK)
	var res flock.SolitaryResult
	decode(t, r.body, &res)
	if !res.Success || !strings.Contains(res.Log, "empty loop iteration") || res.Error != "" {
		t.Errorf("result %s", r.body)
	}
	r = s.mustDo(http.MethodPost, "/mobu/run", `{"user":{"username":"nobody"},"scopes":[],"business":{"type":"EmptyLoop"}}`,
		http.StatusUnprocessableEntity)
	if !bytes.Contains(r.body, []byte(`"username"`)) {
		t.Errorf("422 body %s", r.body)
	}
}

func TestFailuresAndTimings(t *testing.T) {
	s := newServer(t, api.Options{})
	s.mustDo(http.MethodPut, "/mobu/flocks", `{"name":"bad","count":1,"users":[{"username":"bot-mobu-fail"}],"scopes":[],`+
		`"business":{"type":"EmptyLoop","restart":true,"options":{"idle_time":0.01,"error_idle_time":0.01}}}`, http.StatusCreated)
	var got []flock.FailureRecord
	waitFor(t, "two failures", func() bool {
		r := s.mustDo(http.MethodGet, "/mobu/flocks/bad/failures?limit=2", "", http.StatusOK)
		decode(t, r.body, &got)
		return len(got) == 2
	})
	if got[0].Monkey != "bot-mobu-fail" || got[0].Business != "EmptyLoop" || !strings.Contains(got[0].Error, "failed on purpose") ||
		got[0].ErrorType != "error" || got[0].Time.Before(got[1].Time) {
		t.Errorf("failures %+v (want newest first)", got)
	}
	for _, q := range []string{"limit=0", "limit=51", "limit=x"} {
		s.mustDo(http.MethodGet, "/mobu/flocks/bad/failures?"+q, "", http.StatusUnprocessableEntity)
	}
	s.mustDo(http.MethodGet, "/mobu/flocks/nope/failures", "", http.StatusNotFound)
	s.startFlock()
	if r := s.mustDo(http.MethodGet, "/mobu/flocks/test/failures", "", http.StatusOK); strings.TrimSpace(string(r.body)) != "[]" {
		t.Errorf("no failures: %s, want []", r.body)
	}
	if r := s.mustDo(http.MethodGet, "/mobu/flocks/test/timings?recent=5", "", http.StatusOK); strings.TrimSpace(string(r.body)) != "[]" {
		t.Errorf("EmptyLoop timings: %s, want []", r.body)
	}
	s.mustDo(http.MethodGet, "/mobu/flocks/test/timings?recent=500", "", http.StatusUnprocessableEntity)
}

// TestPutAfterShutdown: once the manager stopped its flocks (shutdown), a
// PUT is refused with 503 and starts nothing.
func TestPutAfterShutdown(t *testing.T) {
	s := newServer(t, api.Options{})
	s.mgr.StopAll()
	r := s.mustDo(http.MethodPut, "/mobu/flocks", specJSON, http.StatusServiceUnavailable)
	sameJSON(t, r.body, shuttingDown)
	sameJSON(t, s.mustDo(http.MethodGet, "/mobu/flocks", "", http.StatusOK).body, `[]`)
}

const shuttingDown = `{"detail":[{"msg":"mobu is shutting down: no new flocks or runs","type":"shutting_down"}]}`

// TestRunAfterShutdown: a solitary run is refused with the same 503 once
// shutdown has begun.
func TestRunAfterShutdown(t *testing.T) {
	s := newServer(t, api.Options{})
	s.mgr.StopAll()
	r := s.mustDo(http.MethodPost, "/mobu/run",
		`{"user":{"username":"bot-mobu-solo"},"scopes":[],"business":{"type":"EmptyLoop"}}`, http.StatusServiceUnavailable)
	sameJSON(t, r.body, shuttingDown)
}
