package github_test

import (
	"context"
	"crypto/rsa"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/github"
	"github.com/mobu-dev/mobu/internal/testgithub"
	"github.com/mobu-dev/mobu/internal/testlog"
)

const testAppID = 4242

// fixture is an App talking to a fake GitHub, with a recorded Sleep and a
// captured log.
type fixture struct {
	srv    *testgithub.Server
	app    *github.App
	key    *rsa.PrivateKey
	pem    []byte
	repo   github.Repo
	sleeps *sleeps
	logs   *testlog.Buffer
}

type fixtureOpts struct {
	tokenTTL   time.Duration
	pkcs8      bool
	maxRetries int
}

func newFixture(t *testing.T, o fixtureOpts) *fixture {
	t.Helper()
	key := testgithub.GenerateKey(t)
	pem := testgithub.PKCS1PEM(key)
	if o.pkcs8 {
		pem = testgithub.PKCS8PEM(t, key)
	}
	f := &fixture{
		srv:    testgithub.NewServer(t, testgithub.Options{AppID: testAppID, PublicKey: &key.PublicKey, TokenTTL: o.tokenTTL}),
		key:    key,
		pem:    pem,
		repo:   github.Repo{InstallationID: 77, Owner: "lsst-sqre", Name: "notebooks"},
		sleeps: &sleeps{},
		logs:   &testlog.Buffer{},
	}
	app, err := github.NewApp(github.AppConfig{
		AppID: testAppID, PrivateKey: pem, APIURL: f.srv.URL(),
		Logger:     slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Sleep:      f.sleeps.sleep,
		MaxRetries: o.maxRetries,
	})
	if err != nil {
		t.Fatalf("NewApp: %v", err)
	}
	f.app = app
	t.Cleanup(func() { f.assertNoSecrets(t, f.logs.String(), "log") })
	return f
}

// assertNoSecrets fails if text holds an installation token or any line of
// the private key's PEM body.
func (f *fixture) assertNoSecrets(t *testing.T, text, what string) {
	t.Helper()
	for _, tok := range f.srv.IssuedTokens() {
		if strings.Contains(text, tok) {
			t.Errorf("%s contains an installation token", what)
		}
	}
	for _, line := range strings.Split(string(f.pem), "\n") {
		if len(line) > 16 && !strings.HasPrefix(line, "-----") && strings.Contains(text, line) {
			t.Errorf("%s contains private key material", what)
		}
	}
}

// requests counts the fake's requests whose path starts with prefix.
func (f *fixture) requests(prefix string) int {
	n := 0
	for _, r := range f.srv.Requests() {
		if strings.HasPrefix(r.Path, prefix) {
			n++
		}
	}
	return n
}

func (f *fixture) tokenRequests() int { return f.requests("/app/installations/") }

// sleeps records the durations the App asked to wait, without waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
	// hook, if set, runs on each call and its error is returned.
	hook func(ctx context.Context) error
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	hook := s.hook
	s.mu.Unlock()
	if hook != nil {
		return hook(ctx)
	}
	return ctx.Err()
}

func (s *sleeps) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}
