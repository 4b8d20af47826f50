package jupyter

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/testnublado"
)

// staticToken is a TokenSource with a fixed token.
type staticToken string

func (s staticToken) Token(context.Context) (string, error) { return string(s), nil }

// validToken accepts "tok-<user>" for <user>, as the fake Gafaelfawr would.
func validToken(tok string) (string, bool) { return strings.CutPrefix(tok, "tok-") }

// newNubladoFake starts a Nublado fake over the shared hub and a driver
// whose connections reach it (per-user lab hosts included).
func newNubladoFake(t testing.TB, opts testnublado.Options) (*testnublado.Server, *Nublado) {
	t.Helper()
	opts.Valid = validToken
	srv := testnublado.New(t, testHub.Get(t), opts)
	tr := NewTransport()
	tr.DialContext = srv.DialContext
	d := newDialer()
	d.NetDialContext = srv.DialContext
	n, err := NewNublado(NubladoConfig{URL: srv.URL(), Transport: tr, Dialer: d})
	if err != nil {
		t.Fatal(err)
	}
	return srv, n
}

func nubladoUser(n *Nublado, name string, opts NubladoOptions) *NubladoUser {
	if opts.Image.Class == "" {
		opts.Image = Image{Class: "latest-weekly", Size: "Large"}
	}
	return n.User(name, staticToken("tok-"+name), opts)
}

// spawnNublado logs in and spawns within a spawn slot.
func spawnNublado(ctx context.Context, t *testing.T, u *NubladoUser) error {
	t.Helper()
	if err := u.Login(ctx); err != nil {
		return err
	}
	release := testHub.SpawnSlot()
	defer release()
	return u.Spawn(ctx)
}

func TestNubladoDriver(t *testing.T) {
	for _, sub := range []bool{false, true} {
		t.Run(map[bool]string{false: "one host", true: "per-user lab hosts"}[sub], func(t *testing.T) {
			t.Parallel()
			srv, n := newNubladoFake(t, testnublado.Options{Subdomains: sub})
			name := "bot-mobu-nb" + map[bool]string{false: "a", true: "b"}[sub]
			var mu sync.Mutex
			var progress []Progress
			u := nubladoUser(n, name, NubladoOptions{Image: Image{Class: "by-tag", Tag: "w_2026_40", Size: "Small", Debug: true},
				OnProgress: func(p Progress) { mu.Lock(); progress = append(progress, p); mu.Unlock() }})
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			if err := spawnNublado(ctx, t, u); err != nil {
				t.Fatalf("spawn: %v\nviolations: %q", err, srv.Violations())
			}
			s, err := u.OpenSession(ctx, "notebooks/check.ipynb")
			if err != nil {
				t.Fatalf("session: %v\nviolations: %q", err, srv.Violations())
			}
			if s.Protocol() != ProtocolV1 {
				t.Errorf("protocol %s, want v1", s.Protocol())
			}
			r, err := s.Execute(ctx, `import os; print(os.environ["JUPYTER_IMAGE_SPEC"], os.environ["KUBERNETES_NODE_NAME"])`, ExecOptions{})
			if err != nil || r.Status != "ok" || !strings.Contains(r.Output, ":w_2026_40 localhub-node") {
				t.Fatalf("execute: %v %+v", err, r)
			}
			if err := s.Close(ctx); err != nil {
				t.Fatal(err)
			}
			if err := u.DeleteLab(ctx); err != nil {
				t.Fatalf("delete: %v", err)
			}
			if err := u.Logout(ctx); err != nil {
				t.Fatal(err)
			}
			if v := srv.Violations(); len(v) != 0 {
				t.Errorf("the driver broke Nublado's rules: %q", v)
			}
			forms := srv.SpawnForms()
			want := url.Values{"image_tag": {"w_2026_40"}, "size": {"Small"}, "enable_debug": {"true"}}
			if len(forms) != 1 || forms[0].Encode() != want.Encode() {
				t.Errorf("spawn forms %v, want [%v]", forms, want)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(progress) == 0 || !progress[len(progress)-1].Ready {
				t.Errorf("progress events %+v, want some ending ready", progress)
			}
		})
	}
}

func TestImageForm(t *testing.T) {
	tests := []struct {
		img  Image
		want string
	}{
		{Image{Class: "recommended", Size: "Large"}, "image_class=recommended&size=Large"},
		{Image{Class: "latest-daily", Size: "Tiny", Debug: true}, "enable_debug=true&image_class=latest-daily&size=Tiny"},
		{Image{Class: "by-tag", Tag: "r30_0_10", Size: "Medium"}, "image_tag=r30_0_10&size=Medium"},
		{Image{Class: "by-reference", Reference: "reg/lab:w_1@sha256:ab", Size: "Huge"},
			"image_list=reg%2Flab%3Aw_1%40sha256%3Aab&size=Huge"},
	}
	for _, tt := range tests {
		if got := tt.img.form().Encode(); got != tt.want {
			t.Errorf("%+v: form %s, want %s", tt.img, got, tt.want)
		}
	}
}

func TestNubladoFaults(t *testing.T) {
	tests := []struct {
		name  string
		opts  testnublado.Options
		stage string // where it must fail: login, spawn, execute
		want  string
	}{
		{"redirect offsite", testnublado.Options{RedirectOffsite: true}, "login", "redirected outside the hub and lab to http://evil.test/"},
		{"redirect loop", testnublado.Options{RedirectLoop: true}, "login", "redirect loop at"},
		{"no _xsrf cookie", testnublado.Options{NoXSRF: true}, "login", "JupyterHub set no _xsrf cookie"},
		{"no lab _xsrf cookie", testnublado.Options{NoLabXSRF: true}, "spawn", "JupyterLab set no _xsrf cookie"},
		{"spawn failed", testnublado.Options{SpawnFails: true}, "spawn", "lab spawn failed"},
		{"text frame on v1", testnublado.Options{TextFrame: true}, "execute", "text frame on a v1 connection"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, n := newNubladoFake(t, tt.opts)
			u := nubladoUser(n, "bot-mobu-fault"+string(rune('a'+i)), NubladoOptions{KernelName: "python3"})
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			t.Cleanup(func() { u.DeleteLab(context.Background()) })
			err := u.Login(ctx)
			stage := "login"
			if err == nil {
				stage = "spawn"
				release := testHub.SpawnSlot()
				err = u.Spawn(ctx)
				release()
			}
			if err == nil {
				stage = "execute"
				err = executeOnce(ctx, u)
			}
			if stage != tt.stage || err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("failed at %s with %v; want a failure at %s containing %q", stage, err, tt.stage, tt.want)
			}
			if tt.stage == "login" && !errors.Is(err, ErrRedirect) && !strings.Contains(tt.name, "_xsrf") {
				t.Errorf("a refused redirect is not ErrRedirect: %v", err)
			}
		})
	}
}

// executeOnce opens a session and runs two cells in it (so a bad frame after
// the first reply is seen).
func executeOnce(ctx context.Context, u *NubladoUser) error {
	s, err := u.OpenSession(ctx, "x.ipynb")
	if err != nil {
		return err
	}
	defer s.Close(ctx)
	for range 2 {
		if _, err := s.Execute(ctx, "1+1", ExecOptions{}); err != nil {
			return err
		}
	}
	return nil
}

// A delete that never completes times out with a clear error; the lab is
// left running, and the next startup's delete removes it.
func TestNubladoHungDelete(t *testing.T) {
	t.Parallel()
	srv, n := newNubladoFake(t, testnublado.Options{HangDelete: true})
	u := nubladoUser(n, "bot-mobu-hang", NubladoOptions{KernelName: "python3"})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := spawnNublado(ctx, t, u); err != nil {
		t.Fatal(err)
	}
	dctx, dcancel := context.WithTimeout(ctx, 2*time.Second)
	err := u.DeleteLab(dctx)
	dcancel()
	if err == nil || !strings.Contains(err.Error(), "lab still running") || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("hung delete: %v", err)
	}
	srv.HangDeletes(false)
	next := nubladoUser(n, "bot-mobu-hang", NubladoOptions{KernelName: "python3"})
	if err := next.Login(ctx); err != nil {
		t.Fatal(err)
	}
	if err := next.DeleteLab(ctx); err != nil {
		t.Fatalf("the next startup's delete: %v", err)
	}
	if stopped, err := next.labStopped(ctx); err != nil || !stopped {
		t.Fatalf("lab stopped %v, %v", stopped, err)
	}
	if v := srv.Violations(); len(v) != 0 {
		t.Errorf("violations: %q", v)
	}
}
