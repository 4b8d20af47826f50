package testnublado

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/mobu-dev/mobu/internal/testhub"
)

// caught runs f, which must get status want and break exactly one rule whose
// message contains substr.
func caught(t *testing.T, srv *Server, name string, want int, substr string, f func() (int, []byte)) {
	t.Helper()
	before := len(srv.Violations())
	status, body := f()
	if status != want {
		t.Errorf("%s: status %d, want %d; body: %s", name, status, want, body)
	}
	v := srv.Violations()[before:]
	if len(v) != 1 || !strings.Contains(v[0], substr) {
		t.Errorf("%s: violations %q, want one containing %q", name, v, substr)
	}
}

// call sends one request (following redirects) and returns status and body.
func (b *bot) call(method, route string, h http.Header, body string) (int, []byte) {
	b.t.Helper()
	status, data, err := b.do(method, route, h, body)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, route, err)
	}
	return status, data
}

// testRules spawns one lab and breaks each rule against it, then uses the
// running lab for the TextFrame and HangDelete knobs.
func testRules(t *testing.T, lazy *testhub.Lazy, hub *testhub.Hub) {
	const user, other = "bot-rules", "bot-other"
	valid := validTokens(user, other)
	srv := New(t, hub, Options{Valid: valid})
	b := newBot(t, srv, user, "gt-"+user)
	spawnLab(t, lazy, b, url.Values{"image_class": {"recommended"}, "size": {"Large"}})
	b.loginLab()
	if v := srv.Violations(); len(v) != 0 {
		t.Fatalf("violations before breaking rules: %q", v)
	}
	hubRules(t, srv, b, newBot(t, srv, other, "gt-"+other))
	labRules(t, srv, b)
	textFrameKnob(t, hub, valid, user)
	hangDeleteKnob(t, hub, valid, b)
}

func hubRules(t *testing.T, srv *Server, b, intruder *bot) {
	home := "hub/home"
	model := "hub/api/users/" + b.user
	caught(t, srv, "no bearer", http.StatusUnauthorized, "no Authorization: Bearer", func() (int, []byte) {
		h := b.headers(home, "navigate", false)
		h.Del("Authorization")
		return b.call(http.MethodGet, home, h, "")
	})
	caught(t, srv, "unknown token", http.StatusUnauthorized, "invalid bearer token", func() (int, []byte) {
		h := b.headers(home, "navigate", false)
		h.Set("Authorization", "Bearer gt-nobody")
		return b.call(http.MethodGet, home, h, "")
	})
	if err := intruder.loginHub(); err != nil {
		t.Fatal(err)
	}
	caught(t, srv, "wrong user (hub)", http.StatusForbidden, "may not act on user", func() (int, []byte) {
		return intruder.call(http.MethodGet, model, intruder.headers(model, "same-origin", true), "")
	})
	caught(t, srv, "no Referer", http.StatusForbidden, "no referer", func() (int, []byte) {
		return b.call(http.MethodGet, model, b.headers(model, "same-origin", false), "")
	})
	caught(t, srv, "wrong Sec-Fetch-Mode", http.StatusOK, "Sec-Fetch-Mode \"cors\"", func() (int, []byte) {
		return b.call(http.MethodGet, home, b.headers(home, "cors", false), "")
	})
	spawnRules(t, srv, b)
}

func spawnRules(t *testing.T, srv *Server, b *bot) {
	postSpawn := func(form url.Values) (int, []byte) {
		h := b.headers("hub/spawn", "same-origin", false)
		h.Set("Content-Type", "application/x-www-form-urlencoded")
		return b.call(http.MethodPost, "hub/spawn", h, form.Encode())
	}
	b.noXSRF = true
	caught(t, srv, "spawn POST without XSRF", http.StatusForbidden, "'_xsrf' argument missing from POST", func() (int, []byte) {
		return postSpawn(url.Values{"image_class": {"recommended"}, "size": {"Large"}})
	})
	b.noXSRF = false
	caught(t, srv, "two images", http.StatusBadRequest, "Image specified multiple ways (image_class, image_tag)",
		func() (int, []byte) {
			return postSpawn(url.Values{"image_class": {"recommended"}, "image_tag": {"w_2026_47"}, "size": {"Large"}})
		})
	caught(t, srv, "no size", http.StatusBadRequest, "Field required: size", func() (int, []byte) {
		return postSpawn(url.Values{"image_tag": {"w_2026_47"}})
	})
	before := len(srv.Violations())
	if status, body := postSpawn(url.Values{"image_class": {"recommended"}, "size": {"Large"}}); status != http.StatusBadRequest ||
		!strings.Contains(string(body), "is already running") || len(srv.Violations()) != before {
		t.Errorf("second spawn: %d %s, want 400 ... is already running", status, body)
	}
	if n := len(srv.SpawnForms()); n != 1 {
		t.Errorf("%d spawn forms recorded, want only the accepted one", n)
	}
}

func labRules(t *testing.T, srv *Server, b *bot) {
	sessions := "user/" + b.user + "/api/sessions"
	caught(t, srv, "wrong user (lab)", http.StatusForbidden, "lab", func() (int, []byte) {
		route := "user/bot-other/api/sessions"
		return b.call(http.MethodGet, route, b.headers(route, "same-origin", false), "")
	})
	console := `{"kernel": {"name": "python3"}, "name": "(no notebook)", "path": "rules-console", "type": "console"}`
	b.noXSRF = true
	caught(t, srv, "lab POST without XSRF", http.StatusForbidden, "'_xsrf' argument missing from POST", func() (int, []byte) {
		return b.call(http.MethodPost, sessions, b.headers(sessions, "same-origin", false), console)
	})
	b.noXSRF = false
	var nb map[string]any
	caught(t, srv, "notebook session", http.StatusCreated, `session type "notebook"`, func() (int, []byte) {
		nb = b.api(http.StatusCreated, http.MethodPost, sessions, map[string]any{
			"kernel": map[string]any{"name": "python3"}, "name": "x.ipynb", "path": "x.ipynb", "type": "notebook"})
		return http.StatusCreated, nil
	})
	b.api(http.StatusNoContent, http.MethodDelete, sessions+"/"+nb["id"].(string), nil)
	ws, sessionID := b.openKernel()
	kernelID := b.api(http.StatusOK, http.MethodGet, sessions+"/"+sessionID, nil)["kernel"].(map[string]any)["id"].(string)
	caught(t, srv, "socket without v1", http.StatusBadRequest, "subprotocol", func() (int, []byte) {
		_, resp, err := b.dialKernel(kernelID)
		if err == nil || resp == nil {
			t.Fatalf("socket without subprotocol opened (err %v)", err)
		}
		return resp.StatusCode, nil
	})
	textFromClient(t, srv, ws)
	b.api(http.StatusNoContent, http.MethodDelete, sessions+"/"+sessionID, nil)
}

// textFromClient: a text frame on v1 drops the connection (1006).
func textFromClient(t *testing.T, srv *Server, ws *websocket.Conn) {
	before := len(srv.Violations())
	if err := ws.WriteMessage(websocket.TextMessage, []byte(`{"channel": "shell"}`)); err != nil {
		t.Fatal(err)
	}
	ws.SetReadDeadline(time.Now().Add(cellTimeout))
	var err error
	for err == nil { // messages already in flight may come first
		_, _, err = ws.ReadMessage()
	}
	if ce := (*websocket.CloseError)(nil); !errors.As(err, &ce) || ce.Code != websocket.CloseAbnormalClosure {
		t.Errorf("after a text frame: read %v, want the connection dropped (1006)", err)
	}
	if v := srv.Violations()[before:]; len(v) != 1 || !strings.Contains(v[0], "text frame") {
		t.Errorf("text frame from the client: violations %q", v)
	}
}

// textFrameKnob logs into the running lab through a TextFrame fake: the
// first cell sees a text frame on the v1 socket.
func textFrameKnob(t *testing.T, hub *testhub.Hub, valid func(string) (string, bool), user string) {
	srv := New(t, hub, Options{Valid: valid, TextFrame: true})
	b := newBot(t, srv, user, "gt-"+user)
	if err := b.loginHub(); err != nil {
		t.Fatal(err)
	}
	b.loginLab()
	ws, sessionID := b.openKernel()
	if _, err := execute(ws, sessionID, "1+1"); err == nil || !strings.Contains(err.Error(), "text frame") {
		t.Errorf("TextFrame: cell error %v, want a text-frame protocol error", err)
	}
	b.closeKernel(t, ws, sessionID)
	if v := srv.Violations(); len(v) != 0 {
		t.Errorf("TextFrame: violations %q", v)
	}
}

// hangDeleteKnob deletes the lab through a HangDelete fake: the lab keeps
// running and stays listed as stopping until HangDeletes(false), after which
// a delete stops it.
func hangDeleteKnob(t *testing.T, hub *testhub.Hub, valid func(string) (string, bool), good *bot) {
	srv := New(t, hub, Options{Valid: valid, HangDelete: true})
	b := newBot(t, srv, good.user, good.token)
	if err := b.loginHub(); err != nil {
		t.Fatal(err)
	}
	if status := b.deleteLab(); status != http.StatusAccepted {
		t.Errorf("HangDelete: delete answered %d, want 202", status)
	}
	servers, _ := b.api(http.StatusOK, http.MethodGet, "hub/api/users/"+b.user, nil)["servers"].(map[string]any)
	if s, _ := servers[""].(map[string]any); s == nil || s["pending"] != "stop" {
		t.Errorf("HangDelete: servers %v, want the server pending stop", servers)
	}
	srv.HangDeletes(false)
	if status := b.deleteLab(); status >= 300 {
		t.Errorf("delete after HangDeletes(false) answered %d", status)
	}
	good.waitStopped() // the real hub has stopped it
	if v := srv.Violations(); len(v) != 0 {
		t.Errorf("HangDelete: violations %q", v)
	}
}
