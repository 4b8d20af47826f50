package testhub

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

const (
	startTimeout = 90 * time.Second
	spawnTimeout = 60 * time.Second
)

// hubClient is a minimal REST client for the tests.
type hubClient struct {
	t    *testing.T
	hub  *Hub
	http *http.Client
}

// do sends a request with the service token (unless anonymous) and returns the
// status and body.
func (c *hubClient) do(method, path string, anonymous bool) (int, []byte) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.hub.URL+path, nil)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	if !anonymous {
		req.Header.Set("Authorization", "token "+c.hub.Token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v\nhub log:\n%s", method, path, err, c.hub.LogTail(30))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return resp.StatusCode, body
}

// expect sends a request and fails the test unless the status is one of want.
func (c *hubClient) expect(method, path string, want ...int) []byte {
	c.t.Helper()
	status, body := c.do(method, path, false)
	for _, w := range want {
		if status == w {
			return body
		}
	}
	c.t.Fatalf("%s %s: status %d, want %v; body: %s\nhub log:\n%s",
		method, path, status, want, body, c.hub.LogTail(30))
	return nil
}

// waitReady polls the user model until the default server is ready.
func (c *hubClient) waitReady(user string) {
	c.t.Helper()
	deadline := time.Now().Add(spawnTimeout)
	var last string
	for time.Now().Before(deadline) {
		body := c.expect(http.MethodGet, "/hub/api/users/"+user, http.StatusOK)
		var model struct {
			Servers map[string]struct {
				Ready   bool    `json:"ready"`
				Pending *string `json:"pending"`
			} `json:"servers"`
		}
		if err := json.Unmarshal(body, &model); err != nil {
			c.t.Fatalf("user model for %s: %v: %s", user, err, body)
		}
		if s, ok := model.Servers[""]; ok && s.Ready {
			return
		}
		last = string(body)
		time.Sleep(250 * time.Millisecond)
	}
	c.t.Fatalf("server of %s not ready after %s; last user model: %s\nhub log:\n%s",
		user, spawnTimeout, last, c.hub.LogTail(40))
}

// serverVersion returns the "version" of GET /user/{user}/api.
func (c *hubClient) serverVersion(user string) string {
	c.t.Helper()
	body := c.expect(http.MethodGet, "/user/"+user+"/api", http.StatusOK)
	var v struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		c.t.Fatalf("GET /user/%s/api: %v: %s", user, err, body)
	}
	return v.Version
}

// lastProgressEvent reads the spawn progress stream to its end and returns the
// last event.
func (c *hubClient) lastProgressEvent(user string) map[string]any {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), spawnTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		c.hub.URL+"/hub/api/users/"+user+"/server/progress", nil)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "token "+c.hub.Token)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("progress of %s: %v", user, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		c.t.Fatalf("progress of %s: status %d: %s", user, resp.StatusCode, body)
	}
	var last map[string]any
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data:")
		if !ok {
			continue
		}
		var ev map[string]any
		if err := json.Unmarshal([]byte(strings.TrimSpace(data)), &ev); err == nil {
			last = ev
		}
	}
	if err := sc.Err(); err != nil {
		c.t.Fatalf("progress of %s: %v (last event %v)", user, err, last)
	}
	return last
}

func TestLocalHub(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a local JupyterHub; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	began := time.Now()
	hub, err := Start(ctx, Options{})
	if err != nil {
		t.Fatalf("cannot start local JupyterHub: %v", err)
	}
	t.Cleanup(func() {
		if err := hub.Stop(); err != nil {
			t.Errorf("stopping hub: %v", err)
		}
	})
	t.Logf("hub %s up after %s (dir %s)", hub.URL, time.Since(began).Round(time.Millisecond), hub.Dir)
	c := &hubClient{t: t, hub: hub, http: &http.Client{Timeout: 30 * time.Second}}

	// Hub API: open root, token-protected users list.
	c.expect(http.MethodGet, "/hub/api/", http.StatusOK)
	c.expect(http.MethodGet, "/hub/api/users", http.StatusOK)
	if status, body := c.do(http.MethodGet, "/hub/api/users", true); status != http.StatusForbidden && status != http.StatusUnauthorized {
		t.Fatalf("GET /hub/api/users without token: status %d, want 403 or 401; body: %s", status, body)
	}

	// Spawn a jupyter_server user and a classic-notebook user side by side.
	const smoke, legacy = "bot-mobu-smoke", "bot-mobu-legacy"
	spawnStart := time.Now()
	for _, user := range []string{smoke, legacy} {
		c.expect(http.MethodPost, "/hub/api/users/"+user, http.StatusCreated)
		c.expect(http.MethodPost, "/hub/api/users/"+user+"/server", http.StatusCreated, http.StatusAccepted)
	}
	for _, user := range []string{smoke, legacy} {
		c.waitReady(user)
		t.Logf("%s ready after %s", user, time.Since(spawnStart).Round(time.Millisecond))
	}

	specs := c.expect(http.MethodGet, "/user/"+smoke+"/api/kernelspecs", http.StatusOK)
	var ks struct {
		Kernelspecs map[string]any `json:"kernelspecs"`
	}
	if err := json.Unmarshal(specs, &ks); err != nil {
		t.Fatalf("kernelspecs: %v: %s", err, specs)
	}
	if _, ok := ks.Kernelspecs["python3"]; !ok {
		t.Fatalf("kernelspecs of %s lack python3: %s", smoke, specs)
	}
	if v := c.serverVersion(smoke); !strings.HasPrefix(v, "1.") {
		t.Errorf("%s runs server version %q, want jupyter_server 1.x", smoke, v)
	}
	if v := c.serverVersion(legacy); !strings.HasPrefix(v, "6.") {
		t.Errorf("%s runs server version %q, want classic notebook 6.x", legacy, v)
	}

	// A failing spawn is reported on the progress stream.
	const failing = "bot-mobu-failspawn"
	c.expect(http.MethodPost, "/hub/api/users/"+failing, http.StatusCreated)
	c.expect(http.MethodPost, "/hub/api/users/"+failing+"/server", http.StatusAccepted)
	if ev := c.lastProgressEvent(failing); ev["failed"] != true {
		t.Errorf("progress of %s ended with %v, want failed: true", failing, ev)
	}

	for _, user := range []string{smoke, legacy} {
		c.expect(http.MethodDelete, "/hub/api/users/"+user+"/server", http.StatusNoContent, http.StatusAccepted)
	}

	// Stop: the hub port must be closed afterwards.
	u, err := url.Parse(hub.URL)
	if err != nil {
		t.Fatal(err)
	}
	stopStart := time.Now()
	if err := hub.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	t.Logf("hub stopped in %s", time.Since(stopStart).Round(time.Millisecond))
	if conn, err := net.DialTimeout("tcp", u.Host, 2*time.Second); err == nil {
		conn.Close()
		t.Fatalf("hub port %s still accepts connections after Stop", u.Host)
	}
}
