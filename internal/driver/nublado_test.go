package driver

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/repertoire"
	"github.com/mobu-dev/mobu/internal/testrsp"
)

func TestGafaelfawrAPI(t *testing.T) {
	for in, want := range map[string]string{
		"https://data.example.org":              "https://data.example.org/auth/api/v1",
		"https://data.example.org/":             "https://data.example.org/auth/api/v1",
		"https://data.example.org/auth/api":     "https://data.example.org/auth/api/v1",
		"https://data.example.org/auth/api/v1/": "https://data.example.org/auth/api/v1",
		"http://127.0.0.1:9/prefix/auth/api/v1": "http://127.0.0.1:9/prefix/auth/api/v1",
		"":                                      "",
	} {
		if got := gafaelfawrAPI(in); got != want {
			t.Errorf("gafaelfawrAPI(%q) = %q, want %q", in, got, want)
		}
	}
}

// newToken returns a bot token source of a platform configured by rsp.
func newToken(t *testing.T, rsp RSP, user config.User) *botToken {
	t.Helper()
	labs, err := Nublado(rsp)
	if err != nil {
		t.Fatal(err)
	}
	l, err := labs(user, []string{"exec:notebook"}, &config.LabOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return l.(*nubladoLab).token.(*botToken)
}

func TestBotTokenMintedOnceAndRevokedOnClose(t *testing.T) {
	gf := testrsp.NewGafaelfawr(t, testrsp.GafaelfawrOptions{})
	host := strings.TrimSuffix(gf.URL(), "/auth/api/v1")
	uid := 4242
	for _, revoke := range []bool{true, false} {
		tok := newToken(t, RSP{Static: config.Nublado{URL: "http://127.0.0.1:1/nb", GafaelfawrURL: host, RevokeTokens: &revoke},
			AdminToken: gf.AdminToken()}, config.User{Username: "bot-mobu-a", UIDNumber: &uid})
		ctx := context.Background()
		a, err := tok.Token(ctx)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := tok.Token(ctx)
		if a != b {
			t.Fatal("a second Token call minted a new token")
		}
		name, scopes, ok := gf.Valid(a)
		if !ok || name != "bot-mobu-a" || strings.Join(scopes, " ") != "exec:notebook" {
			t.Fatalf("minted token: valid %v user %s scopes %v", ok, name, scopes)
		}
		if err := tok.Close(); err != nil {
			t.Fatal(err)
		}
		if _, _, ok := gf.Valid(a); ok == revoke {
			t.Errorf("revokeTokens %v: token still valid = %v after Close", revoke, ok)
		}
	}
	minted := gf.Tokens()
	if len(minted) != 2 || *minted[0].UID != uid || minted[0].TokenType != "service" {
		t.Fatalf("minted %+v", minted)
	}
}

func TestURLsFromRepertoire(t *testing.T) {
	gf := testrsp.NewGafaelfawr(t, testrsp.GafaelfawrOptions{})
	rep := testrsp.NewRepertoire(t, testrsp.DiscoveryJSON{NubladoURL: "http://127.0.0.1:1/nb"})
	client := repertoire.New(rep.BaseURL(), repertoire.Options{TTL: time.Nanosecond}) // no caching here
	tok := newToken(t, RSP{Repertoire: client, AdminToken: gf.AdminToken()}, config.User{Username: "bot-mobu-a"})
	ctx := context.Background()
	if _, err := tok.Token(ctx); err == nil || !strings.Contains(err.Error(), "no Gafaelfawr URL") {
		t.Fatalf("discovery without Gafaelfawr: %v", err)
	}
	rep.Set(testrsp.DiscoveryJSON{NubladoURL: "http://127.0.0.1:1/nb", GafaelfawrURL: gf.URL()})
	if _, err := tok.Token(ctx); err != nil {
		t.Fatalf("after discovery is fixed (the cache must not keep the failure): %v", err)
	}
	if len(gf.Tokens()) != 1 {
		t.Fatal("no token minted through the discovered URL")
	}
}

func TestGafaelfawrFaults(t *testing.T) {
	gf := testrsp.NewGafaelfawr(t, testrsp.GafaelfawrOptions{})
	rsp := RSP{Static: config.Nublado{URL: "http://127.0.0.1:1/nb", GafaelfawrURL: gf.URL()}, AdminToken: gf.AdminToken()}
	tok := newToken(t, rsp, config.User{Username: "bot-mobu-a"})
	ctx := context.Background()
	gf.FailNext("/tokens", http.StatusForbidden, 1)
	_, err := tok.Token(ctx)
	if err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("403 from Gafaelfawr: %v", err)
	}
	if strings.Contains(err.Error(), gf.AdminToken()) {
		t.Fatal("the admin token leaked into an error")
	}
	gf.FailNext("/tokens", http.StatusServiceUnavailable, 4) // every retry
	if _, err := tok.Token(ctx); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("persistent 503: %v", err)
	}
	if _, err := tok.Token(ctx); err != nil {
		t.Fatalf("once Gafaelfawr is back: %v", err)
	}
	bad := newToken(t, RSP{Static: rsp.Static, AdminToken: "gt-wrong"}, config.User{Username: "bot-mobu-a"})
	if _, err := bad.Token(ctx); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("bad admin token: %v", err)
	}
}

func TestGafaelfawrTimeout(t *testing.T) {
	gf := testrsp.NewGafaelfawr(t, testrsp.GafaelfawrOptions{})
	gf.Delay(5 * time.Second)
	tok := newToken(t, RSP{Static: config.Nublado{URL: "http://127.0.0.1:1/nb", GafaelfawrURL: gf.URL()},
		AdminToken: gf.AdminToken(), Timeout: 100 * time.Millisecond}, config.User{Username: "bot-mobu-slow"})
	_, err := tok.Token(context.Background())
	if err == nil || !strings.Contains(err.Error(), "timed out after 100ms") { // gafaelfawrTimeout, not the default
		t.Fatalf("slow Gafaelfawr: %v", err)
	}
}
