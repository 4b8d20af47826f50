package testnublado

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/testhub"
)

const (
	imageSpec   = "lighthouse.ceres/library/sketchbook:w_2026_47"
	stopTimeout = 90 * time.Second
)

// validTokens is a Gafaelfawr fake's Valid: "gt-<user>" for the given users.
func validTokens(users ...string) func(string) (string, bool) {
	return func(token string) (string, bool) {
		u, ok := strings.CutPrefix(token, "gt-")
		return u, ok && slices.Contains(users, u)
	}
}

// TestNublado starts one real local JupyterHub (through testhub.Lazy; it
// fails, never skips, when the hub cannot start) and drives fakes in front of
// it with a hand-written browser-like client.
func TestNublado(t *testing.T) {
	lazy := &testhub.Lazy{}
	t.Cleanup(lazy.Stop)
	began := time.Now()
	hub := lazy.Get(t)
	t.Logf("hub up after %s", time.Since(began).Round(time.Millisecond))
	t.Run("Flow", func(t *testing.T) {
		t.Parallel()
		testFlow(t, lazy, hub, false, "bot-flow-a", "bot-flow-b")
	})
	t.Run("FlowSubdomains", func(t *testing.T) {
		t.Parallel()
		testFlow(t, lazy, hub, true, "bot-subdomain")
	})
	t.Run("RulesAndLabKnobs", func(t *testing.T) {
		t.Parallel()
		testRules(t, lazy, hub)
	})
	t.Run("HubKnobs", func(t *testing.T) {
		t.Parallel()
		testHubKnobs(t, hub)
	})
}

// spawnLab logs b in, spawns a lab with form and waits for the ready event.
func spawnLab(t *testing.T, lazy *testhub.Lazy, b *bot, form url.Values) {
	t.Helper()
	if err := b.loginHub(); err != nil {
		t.Fatalf("hub login: %v\nviolations: %q", err, b.srv.Violations())
	}
	release := lazy.SpawnSlot()
	defer release()
	began := time.Now()
	if status, body, err := b.spawn(form); err != nil || status != http.StatusOK {
		t.Fatalf("spawn: status %d, %v: %s\nviolations: %q", status, err, body, b.srv.Violations())
	}
	ev := b.progress()
	if ev["ready"] != true {
		t.Fatalf("progress ended with %v, want ready", ev)
	}
	want := basePath + "/user/" + b.user + "/"
	if b.srv.opts.Subdomains {
		want = "http://" + b.user + "." + labDomain + ":" + b.srv.port + want
	}
	if ev["url"] != want {
		t.Errorf("ready event url %v, want %s", ev["url"], want)
	}
	t.Logf("%s: spawn to ready in %s", b.user, time.Since(began).Round(time.Millisecond))
}

// deleteLab deletes the lab like stop_lab (cookies, XSRF, Referer).
func (b *bot) deleteLab() int {
	b.t.Helper()
	route := "hub/api/users/" + b.user + "/server"
	status, body, err := b.do(http.MethodDelete, route, b.headers(route, "same-origin", true), "")
	if err != nil || (status != http.StatusAccepted && status != http.StatusNoContent) {
		b.t.Fatalf("delete lab: status %d, %v: %s", status, err, body)
	}
	return status
}

// waitStopped polls the user model (like is_lab_stopped) until servers == {}
// and returns how long it took, or fails after stopTimeout.
func (b *bot) waitStopped() time.Duration {
	b.t.Helper()
	began := time.Now()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		model := b.api(http.StatusOK, http.MethodGet, "hub/api/users/"+b.user, nil)
		if servers, ok := model["servers"].(map[string]any); ok && len(servers) == 0 {
			return time.Since(began)
		}
		if time.Since(began) > stopTimeout {
			b.t.Fatalf("servers of %s still %v after %s", b.user, model["servers"], stopTimeout)
		}
		<-tick.C
	}
}

// testFlow drives the whole good-client flow for users at once on one fake
// and asserts they broke no rule.
func testFlow(t *testing.T, lazy *testhub.Lazy, hub *testhub.Hub, subdomains bool, users ...string) {
	srv := New(t, hub, Options{Valid: validTokens(users...), Subdomains: subdomains})
	form := url.Values{"image_tag": {"w_2026_47"}, "size": {"Small"}, "enable_debug": {"true"}}
	t.Run("users", func(t *testing.T) {
		for _, user := range users {
			t.Run(user, func(t *testing.T) {
				t.Parallel()
				flowUser(t, lazy, newBot(t, srv, user, "gt-"+user), form)
			})
		}
	})
	if v := srv.Violations(); len(v) != 0 {
		t.Errorf("a good client broke rules:\n%s", strings.Join(v, "\n"))
	}
	forms := srv.SpawnForms()
	if len(forms) != len(users) {
		t.Fatalf("SpawnForms() = %v, want %d forms", forms, len(users))
	}
	for _, f := range forms {
		if f.Encode() != form.Encode() {
			t.Errorf("spawn form %v, want %v", f, form)
		}
	}
}

// flowUser: login, spawn, lab login, console session, v1 socket, cells,
// delete, wait for servers == {}.
func flowUser(t *testing.T, lazy *testhub.Lazy, b *bot, form url.Values) {
	spawnLab(t, lazy, b, form)
	began := time.Now()
	b.loginLab()
	t.Logf("%s: lab login in %s (lab base %s)", b.user, time.Since(began).Round(time.Millisecond), b.labBase)
	if b.srv.opts.Subdomains {
		checkSubdomainCookies(t, b)
	}
	ws, sessionID := b.openKernel()
	out, err := execute(ws, sessionID, `import os; print(os.environ["JUPYTER_IMAGE_SPEC"])`)
	if err != nil || out != imageSpec+"\n" {
		t.Fatalf("image cell printed %q (%v), want %q", out, err, imageSpec+"\n")
	}
	code := `import os; print(os.environ["IMAGE_DESCRIPTION"], os.environ["KUBERNETES_NODE_NAME"], os.environ["DEBUG"], sep="|")`
	if out, err := execute(ws, sessionID, code); err != nil || out != "Weekly 2026_47|localhub-node|TRUE\n" {
		t.Errorf("environment cell printed %q (%v)", out, err)
	}
	b.closeKernel(t, ws, sessionID)
	status := b.deleteLab()
	t.Logf("%s: delete answered %d, servers == {} after %s", b.user, status, b.waitStopped().Round(time.Millisecond))
}

// checkSubdomainCookies asserts the lab cookies live on the lab's own host.
func checkSubdomainCookies(t *testing.T, b *bot) {
	t.Helper()
	wantBase := fmt.Sprintf("http://%s.%s:%s%s", b.user, labDomain, b.srv.port, basePath)
	if b.labBase != wantBase {
		t.Fatalf("lab base %s, want %s", b.labBase, wantBase)
	}
	has := func(base, name string) bool {
		u, _ := url.Parse(base + "/user/" + b.user + "/api/")
		return slices.ContainsFunc(b.jar.Cookies(u), func(c *http.Cookie) bool { return c.Name == name })
	}
	if !has(b.labBase, labCookiePrefix+b.user) || !has(b.labBase, xsrfCookie) {
		t.Errorf("lab cookies missing on %s: %v", b.labBase, b.jar.Cookies(mustURL(b.labBase+"/user/"+b.user+"/")))
	}
	if has(b.hubBase, labCookiePrefix+b.user) {
		t.Errorf("lab cookie set for the hub host %s", b.hubBase)
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
