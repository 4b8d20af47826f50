// Package testrsp fakes the Rubin Science Platform services mobu talks to
// besides Nublado, for tests: Gafaelfawr's token API and Repertoire's service
// discovery. The fakes listen on 127.0.0.1, answer like the real services
// (routes, status codes, FastAPI error bodies, token format), record what
// they were sent and can inject faults.
package testrsp

import (
	"crypto/rand"
	"encoding/base64"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	// gafaelfawrPrefix is where the fake serves Gafaelfawr's API.
	gafaelfawrPrefix = "/auth/api/v1"
	// firstBotUID is Gafaelfawr's UID_BOT_MIN: Firestore assigns bot users
	// UIDs from here.
	firstBotUID = 100000
	// adminUsername is the user the admin token belongs to.
	adminUsername = "mobu"
)

// GafaelfawrOptions configures a fake Gafaelfawr.
type GafaelfawrOptions struct {
	// AdminToken is the token with the admin:token scope; "" makes a random
	// one (see Gafaelfawr.AdminToken).
	AdminToken string
	// KnownScopes are the scopes Gafaelfawr is configured with; tokens may
	// only carry these. Nil accepts any syntactically valid scope.
	KnownScopes []string
	// Now is the fake's clock (default time.Now); it decides expiry.
	Now func() time.Time
}

// Group is a group membership as Gafaelfawr stores it.
type Group struct {
	Name string `json:"name"`
	ID   int    `json:"id"`
}

// MintedToken is one token the fake minted, with what the request asked for.
type MintedToken struct {
	Token     string
	Key       string
	Username  string
	TokenType string
	Scopes    []string
	Expires   time.Time // zero: never expires
	Name      string
	UID, GID  *int    // as requested; nil when the request had none
	Groups    []Group // as requested; nil when the request had none
	Created   time.Time
	Revoked   bool
	// Body is the request body as decoded JSON, to check its exact fields.
	Body map[string]any
}

// Gafaelfawr is a fake of Gafaelfawr's token API. It is safe for concurrent
// use.
type Gafaelfawr struct {
	srv   *httptest.Server
	admin string
	known map[string]bool
	now   func() time.Time

	mu          sync.Mutex
	tokens      []*MintedToken
	byKey       map[string]*MintedToken
	uids        map[string]int // Firestore-like UID assignments
	nextUID     int
	faults      []*fault
	delay       time.Duration
	inflight    int
	maxInflight int
}

type fault struct {
	path   string
	status int
	left   int
}

// NewGafaelfawr starts a fake Gafaelfawr on 127.0.0.1; t.Cleanup stops it.
func NewGafaelfawr(t testing.TB, opts GafaelfawrOptions) *Gafaelfawr {
	t.Helper()
	g := &Gafaelfawr{
		admin: opts.AdminToken, now: opts.Now,
		byKey: make(map[string]*MintedToken), uids: make(map[string]int),
		nextUID: firstBotUID,
	}
	if g.admin == "" {
		g.admin = newToken()
	}
	if g.now == nil {
		g.now = time.Now
	}
	if opts.KnownScopes != nil {
		g.known = make(map[string]bool, len(opts.KnownScopes))
		for _, s := range opts.KnownScopes {
			g.known[s] = true
		}
	}
	g.srv = startServer(t, g.handler())
	return g
}

// startServer serves h on 127.0.0.1 until the test ends.
func startServer(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testrsp: listening on 127.0.0.1: %v", err)
	}
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// URL is the API base, http://127.0.0.1:PORT/auth/api/v1 (no trailing
// slash), as Repertoire announces it.
func (g *Gafaelfawr) URL() string { return g.srv.URL + gafaelfawrPrefix }

// AdminToken is the token accepted for admin routes.
func (g *Gafaelfawr) AdminToken() string { return g.admin }

// Tokens returns every token minted so far, in order.
func (g *Gafaelfawr) Tokens() []MintedToken {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]MintedToken, len(g.tokens))
	for i, m := range g.tokens {
		out[i] = *m
		out[i].Scopes = slices.Clone(m.Scopes)
		out[i].Groups = slices.Clone(m.Groups)
	}
	return out
}

// Valid reports whether token is a live token the fake minted (not revoked,
// not expired) and for whom; the admin token is valid too.
func (g *Gafaelfawr) Valid(token string) (username string, scopes []string, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if token == g.admin {
		return adminUsername, []string{"admin:token"}, true
	}
	m := g.liveLocked(token)
	if m == nil {
		return "", nil, false
	}
	return m.Username, slices.Clone(m.Scopes), true
}

// FailNext makes the next n requests whose path, relative to URL() (e.g.
// "/tokens", "/user-info", "/users/"), starts with path fail with status and
// a FastAPI-style body; status 0 closes the connection without an answer.
// Faults apply before authentication, in the order they were added.
func (g *Gafaelfawr) FailNext(path string, status int, n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.faults = append(g.faults, &fault{path: path, status: status, left: n})
}

// Delay makes every later request wait d before it is answered (or until the
// client gives up); 0 removes the delay.
func (g *Gafaelfawr) Delay(d time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.delay = d
}

// MaxConcurrentSeen is the largest number of requests that were in progress
// at once.
func (g *Gafaelfawr) MaxConcurrentSeen() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.maxInflight
}

// liveLocked finds the record of an unrevoked, unexpired token; g.mu held.
func (g *Gafaelfawr) liveLocked(token string) *MintedToken {
	key, _, ok := splitToken(token)
	if !ok {
		return nil
	}
	m := g.byKey[key]
	if m == nil || m.Token != token || m.Revoked {
		return nil
	}
	if !m.Expires.IsZero() && !g.now().Before(m.Expires) {
		return nil
	}
	return m
}

// newToken makes a token in Gafaelfawr's format, gt-<key>.<secret>, each
// part 128 random bits in unpadded URL-safe base64 (22 characters).
func newToken() string {
	return "gt-" + random128() + "." + random128()
}

func random128() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// splitToken parses gt-<key>.<secret> like Gafaelfawr's Token.from_str.
func splitToken(token string) (key, secret string, ok bool) {
	rest, found := strings.CutPrefix(token, "gt-")
	if !found {
		return "", "", false
	}
	key, secret, found = strings.Cut(rest, ".")
	if !found || len(key) != 22 || len(secret) != 22 {
		return "", "", false
	}
	return key, secret, true
}
