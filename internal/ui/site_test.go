package ui_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/api"
	"github.com/mobu-dev/mobu/internal/flock"
	"github.com/mobu-dev/mobu/internal/testbrowser"
)

// Flocks of the fake runner: alpha passes (2 × maxRuns successes), beta has
// one passing and one failing monkey (maxRuns successes, maxFailures
// failures: 75.0%).
const (
	alphaJSON = `{"name":"alpha","count":2,"user_spec":{"username_prefix":"bot-mobu-alpha"},` +
		`"business":{"type":"EmptyLoop","restart":true,"options":{"idle_time":0.02,"error_idle_time":1}}}`
	betaJSON = `{"name":"beta","count":2,"users":[{"username":"bot-mobu-beta"},{"username":"bot-mobu-fail"}],` +
		`"business":{"type":"EmptyLoop","restart":true,"options":{"idle_time":0.02,"error_idle_time":1}}}`
	gammaJSON = `{"name":"gamma","count":1,"users":[{"username":"bot-mobu-gamma"}],` +
		`"business":{"type":"EmptyLoop","options":{"idle_time":0.02}}}`
)

// site is the API with the status page over a real flock manager.
type site struct {
	*httptest.Server
	t     *testing.T
	mgr   *flock.Manager
	token string
}

func newSite(t *testing.T, token string) *site {
	t.Helper()
	mgr := newManager()
	srv := httptest.NewServer(api.New(api.Options{Manager: mgr, Token: token}).Handler())
	t.Cleanup(func() {
		srv.Close()
		mgr.StopAll()
	})
	return &site{Server: srv, t: t, mgr: mgr, token: token}
}

// start starts a flock through the manager, as autostart does.
func (s *site) start(spec string) {
	s.t.Helper()
	cfg, problems := config.ParseFlockJSON([]byte(spec))
	if err := problems.Err(); err != nil {
		s.t.Fatalf("flock spec: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := s.mgr.Start(ctx, cfg); err != nil {
		s.t.Fatalf("starting flock %s: %v", cfg.Name, err)
	}
}

// call sends an API request with the token and decodes a JSON answer into
// out (if not nil); it returns the status.
func (s *site) call(method, path string, out any) int {
	s.t.Helper()
	req, err := http.NewRequest(method, s.URL+path, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, out); err != nil {
			s.t.Fatalf("%s %s: decoding %s: %v", method, path, body, err)
		}
	}
	return resp.StatusCode
}

// settled reports whether every monkey of the flock holds its last
// notebook (see fakeRunner.hold): from then on its data no longer change.
func (s *site) settled(name string, successes, failures int64) bool {
	var sum flock.Summary
	if s.call(http.MethodGet, "/mobu/flocks/"+name+"/summary", &sum) != http.StatusOK ||
		sum.SuccessCount != successes || sum.FailureCount != failures {
		return false
	}
	var data api.FlockData
	s.call(http.MethodGet, "/mobu/flocks/"+name, &data)
	for _, m := range data.Monkeys {
		if m.State != flock.StateRunning || m.Business.RunningCell == nil {
			return false
		}
	}
	return len(data.Monkeys) > 0
}

// waitFor polls cond every 20 ms, failing after 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitJS polls a JavaScript condition in the page, failing after 20 s.
func waitJS(t *testing.T, b *testbrowser.Browser, what, expr string) {
	t.Helper()
	waitFor(t, what, func() bool { return testbrowser.Eval[bool](t, b, expr) })
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// text is the rendered text of the first element matching selector, or ""
// when there is none.
func text(t *testing.T, b *testbrowser.Browser, selector string) string {
	t.Helper()
	return testbrowser.Eval[string](t, b, `(document.querySelector(`+jsString(selector)+`) || {innerText: ""}).innerText`)
}

// count is the number of elements matching selector.
func count(t *testing.T, b *testbrowser.Browser, selector string) int {
	t.Helper()
	return testbrowser.Eval[int](t, b, `document.querySelectorAll(`+jsString(selector)+`).length`)
}
