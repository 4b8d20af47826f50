package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/api"
	"github.com/mobu-dev/mobu/internal/events"
	"github.com/mobu-dev/mobu/internal/flock"
	"github.com/mobu-dev/mobu/internal/monkeylog"
)

const specJSON = `{"name":"test","count":3,"user_spec":{"username_prefix":"bot-mobu-test"},"scopes":[],` +
	`"business":{"type":"EmptyLoop","options":{"idle_time":0.05}}}`

// recorder is an events.Publisher that keeps what it gets.
type recorder struct {
	mu     sync.Mutex
	events []events.Event
}

func (r *recorder) Publish(e events.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// loggingLoop is EmptyLoop plus one numbered log line per execution, so the
// log routes have something to show (EmptyLoop itself logs nothing). Users
// named bot-mobu-fail… fail every execution.
type loggingLoop struct {
	flock.Business
	log  *slog.Logger
	n    atomic.Int64
	fail bool
}

func (l *loggingLoop) Execute(ctx context.Context) error {
	n := l.n.Add(1)
	l.log.Info("empty loop iteration", "n", n)
	if l.fail {
		return fmt.Errorf("iteration %d failed on purpose", n)
	}
	return l.Business.Execute(ctx)
}

func newLoggingLoop(env flock.Env) (flock.Business, error) {
	b, err := flock.NewEmptyLoop(env)
	if err != nil {
		return nil, err
	}
	return &loggingLoop{Business: b, log: env.Logger, fail: strings.HasPrefix(env.User.Username, "bot-mobu-fail")}, nil
}

// testServer runs the API over a real flock manager.
type testServer struct {
	*httptest.Server
	t      *testing.T
	events *recorder
	token  string
	mgr    *flock.Manager
}

func newServer(t *testing.T, opts api.Options) *testServer {
	t.Helper()
	rec := &recorder{}
	mgr := flock.NewManager(flock.Options{
		Registry:   flock.Registry{"EmptyLoop": newLoggingLoop},
		Publisher:  rec,
		Logger:     slog.New(slog.DiscardHandler),
		MonkeyLogs: monkeylog.Options{},
		Grace:      2 * time.Second,
	})
	opts.Manager = mgr
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	srv := httptest.NewServer(api.New(opts).Handler())
	t.Cleanup(func() {
		srv.Close()
		mgr.StopAll()
	})
	return &testServer{Server: srv, t: t, events: rec, token: opts.Token, mgr: mgr}
}

// response is a finished HTTP exchange.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request (body "" for none) and reads the whole response.
func (s *testServer) do(method, path, body string) response {
	s.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL+path, r)
	if err != nil {
		s.t.Fatal(err)
	}
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	return s.send(req)
}

func (s *testServer) send(req *http.Request) response {
	s.t.Helper()
	resp, err := s.Client().Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// mustDo is do, failing unless the status is want.
func (s *testServer) mustDo(method, path, body string, want int) response {
	s.t.Helper()
	r := s.do(method, path, body)
	if r.status != want {
		s.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, r.status, want, r.body)
	}
	return r
}

// startFlock puts the spec flock.
func (s *testServer) startFlock() response {
	s.t.Helper()
	return s.mustDo(http.MethodPut, "/mobu/flocks", specJSON, http.StatusCreated)
}

func (s *testServer) summary() flock.Summary {
	s.t.Helper()
	var sum flock.Summary
	decode(s.t, s.mustDo(http.MethodGet, "/mobu/flocks/test/summary", "", http.StatusOK).body, &sum)
	return sum
}

// waitFor polls cond every 20 ms until it holds, failing after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func decode(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
}
