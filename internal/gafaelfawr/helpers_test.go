package gafaelfawr

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/testlog"
	"github.com/mobu-dev/mobu/internal/testrsp"
)

// harness is a Client wired to a fake Gafaelfawr, recording its backoff
// sleeps (which return at once) and its log.
type harness struct {
	c   *Client
	g   *testrsp.Gafaelfawr
	log *testlog.Buffer

	mu     sync.Mutex
	sleeps []time.Duration
}

func newHarness(t *testing.T, opts testrsp.GafaelfawrOptions, mod func(*Config)) *harness {
	t.Helper()
	h := &harness{g: testrsp.NewGafaelfawr(t, opts), log: &testlog.Buffer{}}
	cfg := Config{
		BaseURL: h.g.URL(), AdminToken: h.g.AdminToken(),
		Logger: slog.New(slog.NewTextHandler(h.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	c.sleep = func(ctx context.Context, d time.Duration) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.sleeps = append(h.sleeps, d)
		return ctx.Err()
	}
	h.c = c
	return h
}

func (h *harness) slept() []time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]time.Duration(nil), h.sleeps...)
}

func intp(n int) *int { return &n }

// bot is a user without preset IDs.
func bot(name string) User { return User{Username: name} }

// startCanned serves fixed answers: path (relative to /auth/api/v1) →
// status and body; it stands in for a misbehaving Gafaelfawr.
func startCanned(t *testing.T, answers map[string]cannedAnswer) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := answers[strings.TrimPrefix(r.URL.Path, "/auth/api/v1")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		_, _ = w.Write([]byte(a.body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/auth/api/v1"
}

type cannedAnswer struct {
	status int
	body   string
}

// assertNoSecrets fails if text contains any of secrets.
func assertNoSecrets(t *testing.T, what, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("%s leaks a secret: %s", what, text)
		}
	}
}
