package gafaelfawr

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/testrsp"
)

func TestRevoke(t *testing.T) {
	h := newHarness(t, testrsp.GafaelfawrOptions{}, nil)
	token, _, err := h.c.Mint(t.Context(), bot("bot-mobu-x"), nil)
	if err != nil {
		t.Fatalf("Mint: %v", err)
	}
	if err := h.c.Revoke(t.Context(), "bot-mobu-x", token); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	if _, _, ok := h.g.Valid(token); ok || !h.g.Tokens()[0].Revoked {
		t.Errorf("token still valid after Revoke")
	}
	// Gafaelfawr answers 404 now: already gone is fine.
	if err := h.c.Revoke(t.Context(), "bot-mobu-x", token); err != nil {
		t.Errorf("second Revoke: %v", err)
	}
	unknown := "gt-EEEEEEEEEEEEEEEEEEEEEE.FFFFFFFFFFFFFFFFFFFFFF"
	if err := h.c.Revoke(t.Context(), "bot-mobu-x", unknown); err != nil {
		t.Errorf("Revoke of an unknown key: %v", err)
	}
}

func TestRevokeRefusesBadInput(t *testing.T) {
	h := newHarness(t, testrsp.GafaelfawrOptions{}, nil)
	secret := "not-a-token-but-secret"
	err := h.c.Revoke(t.Context(), "bot-mobu-x", secret)
	want := "revoking a token for bot-mobu-x: not a Gafaelfawr token (want gt-<key>.<secret>)"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
	short := "gt-abc.def"
	if err := h.c.Revoke(t.Context(), "bot-mobu-x", short); err == nil || strings.Contains(err.Error(), short) {
		t.Errorf("err = %v", err)
	}
	if err := h.c.Revoke(t.Context(), "alice", "gt-EEEEEEEEEEEEEEEEEEEEEE.FFFFFFFFFFFFFFFFFFFFFF"); !errors.Is(err, ErrNotBot) {
		t.Errorf("err = %v, want ErrNotBot", err)
	}
	if n := h.g.MaxConcurrentSeen(); n != 0 {
		t.Errorf("Gafaelfawr was called")
	}
}

func TestRevokeErrors(t *testing.T) {
	h := newHarness(t, testrsp.GafaelfawrOptions{}, nil)
	token, _, err := h.c.Mint(t.Context(), bot("bot-mobu-x"), nil)
	if err != nil {
		t.Fatalf("Mint: %v", err)
	}
	key, _ := tokenKey(token)
	h.g.FailNext("/users/", http.StatusBadGateway, 100)
	err = h.c.Revoke(t.Context(), "bot-mobu-x", token)
	want := "revoking a token for bot-mobu-x: DELETE " + h.g.URL() + "/users/bot-mobu-x/tokens/" + key +
		": 502 Bad Gateway: injected failure (after 4 attempts)"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
	// A wrong base URL gets FastAPI's route 404, which is not "gone".
	c, err := New(Config{BaseURL: strings.TrimSuffix(h.g.URL(), "/v1") + "/v2", AdminToken: h.g.AdminToken()})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Revoke(t.Context(), "bot-mobu-x", token); err == nil || !strings.Contains(err.Error(), "404 Not Found: Not Found") {
		t.Errorf("err = %v", err)
	}
}

func TestNewChecksConfig(t *testing.T) {
	for _, cfg := range []Config{
		{BaseURL: "", AdminToken: "sekrit-admin"},
		{BaseURL: "host/auth/api/v1", AdminToken: "sekrit-admin"},
		{BaseURL: "https://host/auth/api/v1"},
		{BaseURL: "https://host/auth/api/v1", AdminToken: "sekrit-admin", Timeout: -time.Second},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		} else {
			assertNoSecrets(t, "error", err.Error(), "sekrit-admin")
		}
	}
	c, err := New(Config{BaseURL: "https://host/auth/api/v1/", AdminToken: "sekrit-admin"})
	if err != nil {
		t.Fatal(err)
	}
	if c.base != "https://host/auth/api/v1" || c.timeout != DefaultTimeout || c.lifetime != DefaultLifetime || cap(c.sem) != 10 {
		t.Errorf("defaults: %+v", c)
	}
}
