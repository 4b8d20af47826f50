package jupyter

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/testhub"
)

// The integration tests share one real JupyterHub per test binary.
var testHub testhub.Lazy

func TestMain(m *testing.M) { os.Exit(testHub.Run(m)) }

func newTestHub(t *testing.T, token string) *Hub {
	t.Helper()
	th := testHub.Get(t)
	if token == "" {
		token = th.Token
	}
	h, err := NewHub(HubConfig{URL: th.URL, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// labUser logs a fresh user in and spawns its lab; cleanup deletes it.
func labUser(t *testing.T, name string, opts UserOptions) *User {
	t.Helper()
	h := newTestHub(t, "")
	u := h.User(name, opts)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := u.Login(ctx); err != nil {
		t.Fatal(err)
	}
	release := testHub.SpawnSlot()
	err := u.Spawn(ctx)
	release()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := u.DeleteLab(ctx); err != nil {
			t.Errorf("deleting lab: %v", err)
		}
		u.Logout(ctx)
	})
	if err != nil {
		t.Fatalf("spawn: %v\nhub log:\n%s", err, testHub.Get(t).LogTail(30))
	}
	return u
}

func mustOpenSession(t *testing.T, u *User) *Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := u.OpenSession(ctx, "mobu-test/"+t.Name()+".ipynb")
	if err != nil {
		t.Fatalf("open session: %v\nhub log:\n%s", err, testHub.Get(t).LogTail(30))
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	return s
}

func mustExec(t *testing.T, s *Session, code string, timeout time.Duration) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := s.Execute(ctx, code, ExecOptions{Timeout: timeout})
	if err != nil {
		t.Fatalf("execute %q: %v", code, err)
	}
	return res
}

// TestRealKernelProtocols runs the same cells over every framing the servers
// offer: jupyter_server with v1 and with legacy JSON, notebook 6.4 (legacy only).
func TestRealKernelProtocols(t *testing.T) {
	cases := []struct {
		user  string
		proto Protocol
		want  Protocol
	}{
		{"bot-mobu-v1", ProtocolAuto, ProtocolV1},
		{"bot-mobu-forcedlegacy", ProtocolLegacy, ProtocolLegacy},
		{"bot-mobu-legacy", ProtocolAuto, ProtocolLegacy},
	}
	for _, tc := range cases {
		t.Run(tc.user, func(t *testing.T) {
			t.Parallel()
			u := labUser(t, tc.user, UserOptions{Kernel: KernelOptions{Protocol: tc.proto}})
			s := mustOpenSession(t, u)
			if got := s.Protocol(); got != tc.want {
				t.Fatalf("protocol %q, want %q", got, tc.want)
			}
			res := mustExec(t, s, "x = 41\nprint('héllo wörld ✓', x + 1)", 0)
			if res.Status != "ok" || res.Output != "héllo wörld ✓ 42\n" {
				t.Fatalf("print: %+v", res)
			}
			res = mustExec(t, s, "import time; time.sleep(0.5)", 0)
			if !res.HasKernelDuration || res.KernelDuration < 450*time.Millisecond || res.KernelDuration > 550*time.Millisecond {
				t.Fatalf("kernel duration of sleep(0.5) = %v (has %v), want 0.5 s ± 50 ms", res.KernelDuration, res.HasKernelDuration)
			}
			if res.Duration < res.KernelDuration {
				t.Fatalf("client round trip %v shorter than kernel time %v", res.Duration, res.KernelDuration)
			}
			res = mustExec(t, s, "def f():\n    raise ValueError('bad value')\nf()", 0)
			if res.Status != "error" || res.EName != "ValueError" || res.EValue != "bad value" ||
				!strings.Contains(strings.Join(res.Traceback, "\n"), "raise ValueError('bad value')") {
				t.Fatalf("error: %+v", res)
			}
			for _, line := range res.Traceback {
				if strings.Contains(line, "\x1b") {
					t.Fatalf("traceback keeps ANSI escapes: %q", line)
				}
			}
		})
	}
}

// TestLabRunningNamedServer: LabRunning reads the hub's user model with the
// admin token and reports the configured server only: a running named
// server, not the idle default one; an unknown user has none.
func TestLabRunningNamedServer(t *testing.T) {
	named := labUser(t, "bot-mobu-probe", UserOptions{ServerName: "probe"})
	h := newTestHub(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, tc := range []struct {
		name string
		u    *User
		want bool
	}{
		{"named server", named, true},
		{"default server", h.User("bot-mobu-probe", UserOptions{}), false},
		{"unknown user", h.User("bot-mobu-nobody", UserOptions{}), false},
	} {
		if got, err := tc.u.LabRunning(ctx); err != nil || got != tc.want {
			t.Errorf("%s: LabRunning = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
}
