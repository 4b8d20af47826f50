package gafaelfawr

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/testrsp"
)

// TestSecretsNeverInErrorsOrLogs drives every failure path and checks that
// neither the admin token nor a minted token (nor its secret) shows up.
func TestSecretsNeverInErrorsOrLogs(t *testing.T) {
	h := newHarness(t, testrsp.GafaelfawrOptions{KnownScopes: []string{"exec:notebook"}}, func(c *Config) {
		c.Timeout = 100 * time.Millisecond
	})
	token, _, err := h.c.Mint(t.Context(), bot("bot-mobu-x"), []string{"exec:notebook"})
	if err != nil {
		t.Fatalf("Mint: %v", err)
	}
	texts := failEverything(t, h, token)
	secrets := []string{h.g.AdminToken(), token, token[len(token)-22:]}
	for _, m := range h.g.Tokens() {
		secrets = append(secrets, m.Token, m.Token[len(m.Token)-22:])
	}
	for _, text := range texts {
		assertNoSecrets(t, "error", text, secrets...)
	}
	assertNoSecrets(t, "log", h.log.String(), secrets...)
}

// TestEchoedSecretsAreRedacted covers a server that echoes credentials in
// its error detail.
func TestEchoedSecretsAreRedacted(t *testing.T) {
	admin := "gt-GGGGGGGGGGGGGGGGGGGGGG.HHHHHHHHHHHHHHHHHHHHHH"
	other := "plain-admin-secret"
	base := startCanned(t, map[string]cannedAnswer{
		"/tokens": {422, `{"detail": [{"loc": ["body", "username"], "msg": "bad ` + admin + ` ` + other + `"}]}`},
	})
	for _, tok := range []string{admin, other} {
		c, err := New(Config{BaseURL: base, AdminToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = c.Mint(t.Context(), bot("bot-mobu-x"), nil)
		if err == nil || !strings.Contains(err.Error(), "username: bad ") {
			t.Fatalf("err = %v", err)
		}
		assertNoSecrets(t, "error", err.Error(), tok, "HHHHHHHHHHHHHHHHHHHHHH")
	}
}

// failEverything provokes each failure path and returns the error texts.
func failEverything(t *testing.T, h *harness, token string) []string {
	t.Helper()
	var texts []string
	record := func(err error) {
		if err == nil {
			t.Errorf("expected an error")
			return
		}
		texts = append(texts, err.Error())
	}
	mint := func(scopes ...string) error {
		_, _, err := h.c.Mint(t.Context(), bot("bot-mobu-x"), scopes)
		return err
	}
	record(mint("exec:admin"))
	h.g.FailNext("/tokens", http.StatusInternalServerError, 4)
	record(mint())
	h.g.FailNext("/user-info", http.StatusUnauthorized, 1)
	record(mint())
	h.g.FailNext("/user-info", 0, 8) // net/http replays a GET once itself
	record(mint())
	h.g.FailNext("/users/", http.StatusForbidden, 1)
	record(h.c.Revoke(t.Context(), "bot-mobu-x", token))
	record(h.c.Revoke(t.Context(), "bot-mobu-x", token+"x"))
	h.g.Delay(time.Minute)
	record(mint())
	record(h.c.Revoke(t.Context(), "bot-mobu-x", token))
	h.g.Delay(0)

	return texts
}
