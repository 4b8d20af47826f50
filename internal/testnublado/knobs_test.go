package testnublado

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mobu-dev/mobu/internal/testhub"
)

// testHubKnobs checks the knobs that need no running lab, each on its own
// fake and user.
func testHubKnobs(t *testing.T, hub *testhub.Hub) {
	t.Run("SpawnFails", func(t *testing.T) {
		t.Parallel()
		spawnFailsKnob(t, hub)
	})
	redirectKnob(t, hub, "RedirectOffsite", Options{RedirectOffsite: true}, "unexpected redirect to http://evil.test/")
	redirectKnob(t, hub, "RedirectLoop", Options{RedirectLoop: true}, "redirect loop at")
	t.Run("NoXSRF", func(t *testing.T) {
		t.Parallel()
		noXSRFKnob(t, hub)
	})
	t.Run("DialContext", func(t *testing.T) {
		t.Parallel()
		srv := New(t, hub, Options{Valid: validTokens()})
		if _, err := srv.DialContext(t.Context(), "tcp", "evil.test:80"); err == nil {
			t.Error("DialContext reached evil.test")
		}
		conn, err := srv.DialContext(t.Context(), "tcp", net.JoinHostPort("anyone.nb.test", "1"))
		if err != nil {
			t.Fatalf("DialContext(*.nb.test): %v", err)
		}
		conn.Close()
	})
}

// spawnFailsKnob: the spawn is accepted, its progress ends failed.
func spawnFailsKnob(t *testing.T, hub *testhub.Hub) {
	const user = "bot-spawnfails"
	srv := New(t, hub, Options{Valid: validTokens(user), SpawnFails: true})
	b := newBot(t, srv, user, "gt-"+user)
	if err := b.loginHub(); err != nil {
		t.Fatal(err)
	}
	if status, body, err := b.spawn(url.Values{"image_class": {"latest-weekly"}, "size": {"Fine"}}); err != nil || status != http.StatusOK {
		t.Fatalf("spawn: %d %v %s", status, err, body)
	}
	ev := b.progress()
	if msg, _ := ev["message"].(string); ev["failed"] != true || ev["progress"] != 100.0 || !strings.HasPrefix(msg, "Spawn failed") {
		t.Errorf("last progress event %v, want progress 100, failed, Spawn failed: …", ev)
	}
	b.waitStopped()
	if v, f := srv.Violations(), srv.SpawnForms(); len(v) != 0 || len(f) != 1 {
		t.Errorf("violations %q, forms %v", v, f)
	}
}

// noXSRFKnob: without _xsrf cookies a good client cannot spawn (403).
func noXSRFKnob(t *testing.T, hub *testhub.Hub) {
	const user = "bot-noxsrf"
	srv := New(t, hub, Options{Valid: validTokens(user), NoXSRF: true})
	b := newBot(t, srv, user, "gt-"+user)
	if err := b.loginHub(); err != nil {
		t.Fatal(err)
	}
	if b.hubXSRF != "" {
		t.Errorf("NoXSRF: the hub set _xsrf %q", b.hubXSRF)
	}
	status, body, err := b.spawn(url.Values{"image_tag": {"w_2026_47"}, "size": {"Small"}})
	if err != nil || status != http.StatusForbidden || !strings.Contains(string(body), "argument missing from POST") {
		t.Errorf("NoXSRF spawn: %d %v %s", status, err, body)
	}
}

// redirectKnob checks that a good client refuses hub/home's bad redirect
// (and breaks no rule on the way).
func redirectKnob(t *testing.T, hub *testhub.Hub, name string, opts Options, wantErr string) {
	t.Run(name, func(t *testing.T) {
		t.Parallel()
		user := "bot-" + strings.ToLower(name)
		opts.Valid = validTokens(user)
		srv := New(t, hub, opts)
		b := newBot(t, srv, user, "gt-"+user)
		if err := b.loginHub(); err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("%s: hub login error %v, want %q", name, err, wantErr)
		}
		if v := srv.Violations(); len(v) != 0 {
			t.Errorf("%s: violations %q", name, v)
		}
	})
}
