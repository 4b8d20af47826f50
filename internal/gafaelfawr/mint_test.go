package gafaelfawr

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/testrsp"
)

func TestMintSendsWhatGafaelfawrExpects(t *testing.T) {
	h := newHarness(t, testrsp.GafaelfawrOptions{KnownScopes: []string{"exec:notebook", "read:image"}}, nil)
	now := time.Now().Truncate(time.Second)
	h.c.now = func() time.Time { return now }
	u := User{Username: "bot-mobu-user1", UID: intp(4001), Groups: []Group{{Name: "g_mobu", ID: 4100}}}

	token, id, err := h.c.Mint(t.Context(), u, []string{"exec:notebook", "read:image"})
	if err != nil {
		t.Fatalf("Mint: %v", err)
	}
	if _, ok := tokenKey(token); !ok {
		t.Errorf("token %q is not gt-<key>.<secret>", token)
	}
	checkMintRecord(t, h.g, token, u, now)
	want := Identity{Username: u.Username, UID: 4001, GID: 4001, Groups: []Group{{Name: "g_mobu", ID: 4100}}}
	if !reflect.DeepEqual(id, want) {
		t.Errorf("identity = %+v, want %+v", id, want)
	}
	if name, scopes, ok := h.g.Valid(token); !ok || name != u.Username || len(scopes) != 2 {
		t.Errorf("Valid = %q %v %v", name, scopes, ok)
	}
}

// checkMintRecord checks what the fake recorded for the one token minted.
func checkMintRecord(t *testing.T, g *testrsp.Gafaelfawr, token string, u User, now time.Time) {
	t.Helper()
	toks := g.Tokens()
	if len(toks) != 1 {
		t.Fatalf("fake minted %d tokens, want 1", len(toks))
	}
	m := toks[0]
	if m.Token != token || m.Username != u.Username || m.TokenType != "service" || m.Name != "Mobu Test User" {
		t.Errorf("record = %+v", m)
	}
	if !slices.Equal(m.Scopes, []string{"exec:notebook", "read:image"}) {
		t.Errorf("scopes = %v", m.Scopes)
	}
	if want := now.Add(365 * 24 * time.Hour).UTC(); !m.Expires.Equal(want) {
		t.Errorf("expires = %v, want %v", m.Expires, want)
	}
	if m.UID == nil || *m.UID != 4001 || m.GID == nil || *m.GID != 4001 {
		t.Errorf("uid/gid = %v/%v, want 4001/4001 (gid defaults to uid)", m.UID, m.GID)
	}
	if !reflect.DeepEqual(m.Groups, []testrsp.Group{{Name: "g_mobu", ID: 4100}}) {
		t.Errorf("groups = %v", m.Groups)
	}
	keys := slices.Sorted(maps.Keys(m.Body))
	if want := []string{"expires", "gid", "groups", "name", "scopes", "token_type", "uid", "username"}; !slices.Equal(keys, want) {
		t.Errorf("body fields = %v, want %v", keys, want)
	}
	if got := m.Body["expires"]; got != now.Add(365*24*time.Hour).UTC().Format(time.RFC3339) {
		t.Errorf("expires sent as %v, want RFC 3339 UTC", got)
	}
}

func TestMintLetsGafaelfawrAssignIDs(t *testing.T) {
	h := newHarness(t, testrsp.GafaelfawrOptions{}, nil)
	_, id1, err := h.c.Mint(t.Context(), bot("bot-mobu-a"), []string{"exec:notebook"})
	if err != nil {
		t.Fatalf("Mint: %v", err)
	}
	_, id2, err := h.c.Mint(t.Context(), bot("bot-mobu-b"), nil)
	if err != nil {
		t.Fatalf("Mint: %v", err)
	}
	if id1.UID != 100000 || id1.GID != 100000 || id2.UID != 100001 || len(id1.Groups) != 0 {
		t.Errorf("identities = %+v, %+v; want Firestore-style 100000, 100001", id1, id2)
	}
	body := h.g.Tokens()[1].Body
	if _, ok := body["uid"]; ok {
		t.Errorf("uid sent without one configured: %v", body)
	}
	if s, ok := body["scopes"].([]any); !ok || len(s) != 0 {
		t.Errorf("nil scopes sent as %v, want []", body["scopes"])
	}
}

func TestMintUsernameMismatch(t *testing.T) {
	base := startCanned(t, map[string]cannedAnswer{
		"/tokens":    {201, `{"token": "gt-AAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB"}`},
		"/user-info": {200, `{"username": "bot-mobu-other", "uid": 5}`},
	})
	c, err := New(Config{BaseURL: base, AdminToken: "admin-secret"})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Mint(t.Context(), bot("bot-mobu-x"), nil)
	want := "minting a token for bot-mobu-x: GET " + base + `/user-info: the new token belongs to "bot-mobu-other", not bot-mobu-x`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
	assertNoSecrets(t, "error", err.Error(), "admin-secret", "BBBBBBBBBBBBBBBBBBBBBB")
}

func TestMintClientErrorCarriesDetail(t *testing.T) {
	h := newHarness(t, testrsp.GafaelfawrOptions{KnownScopes: []string{"exec:notebook"}}, nil)
	_, _, err := h.c.Mint(t.Context(), bot("bot-mobu-x"), []string{"exec:admin"})
	want := "minting a token for bot-mobu-x: POST " + h.g.URL() +
		"/tokens: 422 Unprocessable Entity: scopes: Unknown scopes requested"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 422 {
		t.Errorf("err is not an *APIError with status 422: %#v", err)
	}
	if s := h.slept(); len(s) != 0 {
		t.Errorf("a 4xx was retried: %v", s)
	}
	// Gafaelfawr's own username rule, past mobu's prefix check.
	_, _, err = h.c.Mint(t.Context(), bot("bot-mobu--x"), []string{"exec:notebook"})
	if err == nil || !strings.Contains(err.Error(), "422 Unprocessable Entity: username: String should match pattern") {
		t.Errorf("err = %v", err)
	}
}

func TestMintBadAdminToken(t *testing.T) {
	h := newHarness(t, testrsp.GafaelfawrOptions{}, func(c *Config) { c.AdminToken = "gt-CCCCCCCCCCCCCCCCCCCCCC.DDDDDDDDDDDDDDDDDDDDDD" })
	_, _, err := h.c.Mint(t.Context(), bot("bot-mobu-x"), nil)
	if err == nil || !strings.HasSuffix(err.Error(), "/tokens: 401 Unauthorized: Token is not valid") {
		t.Fatalf("err = %v", err)
	}
	assertNoSecrets(t, "error", err.Error(), "DDDDDDDDDDDDDDDDDDDDDD")
}

func TestMintRetriesTransientFailures(t *testing.T) {
	h := newHarness(t, testrsp.GafaelfawrOptions{}, nil)
	h.g.FailNext("/tokens", 0, 1) // connection closed without an answer
	h.g.FailNext("/tokens", http.StatusServiceUnavailable, 1)
	h.g.FailNext("/user-info", http.StatusBadGateway, 1)
	_, id, err := h.c.Mint(t.Context(), bot("bot-mobu-x"), nil)
	if err != nil {
		t.Fatalf("Mint: %v", err)
	}
	if id.Username != "bot-mobu-x" || len(h.g.Tokens()) != 1 {
		t.Errorf("identity %+v, %d tokens", id, len(h.g.Tokens()))
	}
	want := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, 250 * time.Millisecond}
	if s := h.slept(); !slices.Equal(s, want) {
		t.Errorf("backoff = %v, want %v", s, want)
	}
	if !strings.Contains(h.log.String(), "retrying") {
		t.Errorf("retries not logged:\n%s", h.log)
	}
}

func TestMintGivesUpAfterRetries(t *testing.T) {
	h := newHarness(t, testrsp.GafaelfawrOptions{}, nil)
	h.g.FailNext("/tokens", http.StatusInternalServerError, 100)
	_, _, err := h.c.Mint(t.Context(), bot("bot-mobu-x"), nil)
	want := "minting a token for bot-mobu-x: POST " + h.g.URL() +
		"/tokens: 500 Internal Server Error: injected failure (after 4 attempts)"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
	if s := h.slept(); len(s) != 3 {
		t.Errorf("slept %v, want 3 backoffs", s)
	}
}

func TestMintTimeout(t *testing.T) {
	h := newHarness(t, testrsp.GafaelfawrOptions{}, func(c *Config) { c.Timeout = 50 * time.Millisecond })
	h.g.Delay(time.Minute)
	_, _, err := h.c.Mint(t.Context(), bot("bot-mobu-x"), nil)
	want := "minting a token for bot-mobu-x: POST " + h.g.URL() + "/tokens: timed out after 50ms"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err does not wrap context.DeadlineExceeded")
	}
}

func TestMintRefusesNonBots(t *testing.T) {
	h := newHarness(t, testrsp.GafaelfawrOptions{}, nil)
	for _, name := range []string{"alice", "bot-other", ""} {
		_, _, err := h.c.Mint(t.Context(), bot(name), nil)
		if !errors.Is(err, ErrNotBot) || !strings.HasPrefix(err.Error(), "minting a token for "+name+": ") {
			t.Errorf("Mint(%q) err = %v", name, err)
		}
	}
	if n := h.g.MaxConcurrentSeen(); n != 0 {
		t.Errorf("Gafaelfawr was called (%d requests in flight)", n)
	}
}

func TestMintConcurrencyCap(t *testing.T) {
	h := newHarness(t, testrsp.GafaelfawrOptions{}, nil)
	h.g.Delay(20 * time.Millisecond)
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := range 50 {
		wg.Go(func() {
			_, _, err := h.c.Mint(t.Context(), bot("bot-mobu-"+string(rune('a'+i%26))+"x"), nil)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Mint: %v", err)
		}
	}
	if n := h.g.MaxConcurrentSeen(); n > DefaultMaxConcurrent || n < 2 {
		t.Errorf("max concurrent requests = %d, want 2..%d", n, DefaultMaxConcurrent)
	}
	if n := len(h.g.Tokens()); n != 50 {
		t.Errorf("minted %d tokens, want 50", n)
	}
}

func TestMintWaitsForSlotWithContext(t *testing.T) {
	h := newHarness(t, testrsp.GafaelfawrOptions{}, func(c *Config) { c.MaxConcurrent = 1 })
	h.c.sem <- struct{}{} // another Mint holds the only slot
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, _, err := h.c.Mint(ctx, bot("bot-mobu-x"), nil)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "waiting for a minting slot") {
		t.Errorf("err = %v", err)
	}
}
