package driver

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/gafaelfawr"
	"github.com/mobu-dev/mobu/internal/notebook"
	"github.com/mobu-dev/mobu/internal/testhub"
	"github.com/mobu-dev/mobu/internal/testnublado"
	"github.com/mobu-dev/mobu/internal/testrsp"
)

var testHub testhub.Lazy

func TestMain(m *testing.M) { os.Exit(testHub.Run(m)) }

// runLab takes a lab through one cycle: login, spawn, one cell, delete.
func runLab(ctx context.Context, t *testing.T, l notebook.Lab) error {
	t.Helper()
	if err := l.Login(ctx); err != nil {
		return err
	}
	release := testHub.SpawnSlot()
	err := l.Spawn(ctx)
	release()
	if err == nil {
		var s notebook.Session
		if s, err = l.OpenSession(ctx, "check.ipynb"); err == nil {
			var ex *notebook.Execution
			ex, err = s.Execute(ctx, "print(6*7)", notebook.ExecOptions{})
			if err == nil && (ex.Status != "ok" || strings.TrimSpace(ex.Output) != "42") {
				t.Errorf("execution %+v", ex)
			}
			s.Close(ctx)
		}
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if derr := l.DeleteLab(cctx); derr != nil && err == nil {
		err = derr
	}
	return err
}

// A token revoked behind mobu's back fails that login (401) and is minted
// anew at the next one; Close revokes the new token.
func TestNubladoRemintsRevokedToken(t *testing.T) {
	gf := testrsp.NewGafaelfawr(t, testrsp.GafaelfawrOptions{})
	nb := testnublado.New(t, testHub.Get(t), testnublado.Options{Valid: func(tok string) (string, bool) {
		u, _, ok := gf.Valid(tok)
		return u, ok
	}})
	labs, err := Nublado(RSP{Static: config.Nublado{URL: nb.URL(), GafaelfawrURL: gf.URL()}, AdminToken: gf.AdminToken()})
	if err != nil {
		t.Fatal(err)
	}
	l, err := labs(config.User{Username: "bot-mobu-remint"}, []string{"exec:notebook"}, &config.LabOptions{
		Image: config.Image{Class: "recommended", Size: "Large"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := runLab(ctx, t, l); err != nil {
		t.Fatalf("first cycle (LSST kernel by default): %v", err)
	}
	first := gf.Tokens()[0].Token
	admin, _ := gafaelfawr.New(gafaelfawr.Config{BaseURL: gf.URL(), AdminToken: gf.AdminToken()})
	if err := admin.Revoke(ctx, "bot-mobu-remint", first); err != nil {
		t.Fatal(err)
	}
	if err := l.Login(ctx); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("login with a revoked token: %v", err)
	}
	if err := runLab(ctx, t, l); err != nil {
		t.Fatalf("the cycle after a refused token: %v", err)
	}
	toks := gf.Tokens()
	if len(toks) != 2 || toks[1].Revoked {
		t.Fatalf("tokens %+v, want a second, live one", toks)
	}
	if err := l.(interface{ Close() error }).Close(); err != nil {
		t.Fatal(err)
	}
	if !gf.Tokens()[1].Revoked {
		t.Error("Close did not revoke the token")
	}
}

// Fixed tokens from a file need no Gafaelfawr at all. The lab's options
// reach the lab: spawn_settle_time is waited.
func TestNubladoFixedTokens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.yaml")
	os.WriteFile(path, []byte("bot-mobu-fixed: tok-bot-mobu-fixed\n"), 0o600)
	tokens, err := LoadTokens(path)
	if err != nil {
		t.Fatal(err)
	}
	nb := testnublado.New(t, testHub.Get(t), testnublado.Options{Valid: func(tok string) (string, bool) {
		return strings.CutPrefix(tok, "tok-")
	}})
	labs, err := Nublado(RSP{Static: config.Nublado{URL: nb.URL()}, Tokens: tokens})
	if err != nil {
		t.Fatal(err)
	}
	// spawn_settle_time (not the default 10 s) is waited after the spawn POST.
	const settle = 1500 * time.Millisecond
	opts := &config.LabOptions{Image: config.Image{Class: "recommended", Size: "Large"}, SpawnSettleTime: config.Duration(settle)}
	if _, err := labs(config.User{Username: "bot-mobu-other"}, nil, opts); err == nil ||
		!strings.Contains(err.Error(), "no token for bot-mobu-other") {
		t.Fatalf("user without a token: %v", err)
	}
	l, err := labs(config.User{Username: "bot-mobu-fixed"}, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := runLab(ctx, t, l); err != nil {
		t.Fatal(err)
	}
	if d, ok := nb.SettleWait("bot-mobu-fixed"); !ok || d < settle {
		t.Errorf("progress asked for %s after the spawn POST (%v), want at least spawn_settle_time %s", d, ok, settle)
	}
	if v := nb.Violations(); len(v) != 0 {
		t.Errorf("violations %q", v)
	}
}

func TestLoadTokensErrors(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{"list.yaml": "- a\n- b\n", "empty-token.json": `{"bot-mobu-a": ""}`} {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(body), 0o600)
		if _, err := LoadTokens(path); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: %v, want an error naming the file", name, err)
		}
	}
	if _, err := LoadTokens(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing file loaded")
	}
}
