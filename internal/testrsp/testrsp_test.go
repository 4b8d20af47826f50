package testrsp

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// send makes a request and decodes the JSON answer (nil for none).
func send(t *testing.T, method, url, token, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(data) > 0 {
		if err := json.Unmarshal(data, &out); err != nil {
			t.Fatalf("%s %s: answer %q is not a JSON object", method, url, data)
		}
	}
	return resp.StatusCode, out
}

func mintBody(username string, expires time.Time, extra string) string {
	return `{"username": "` + username + `", "token_type": "service", "scopes": ["exec:notebook"],` +
		` "expires": "` + expires.UTC().Format(time.RFC3339) + `", "name": "Mobu Test User"` + extra + `}`
}

func TestGafaelfawrMintAndUserInfo(t *testing.T) {
	g := NewGafaelfawr(t, GafaelfawrOptions{KnownScopes: []string{"exec:notebook"}})
	exp := time.Now().Add(time.Hour)
	status, out := send(t, "POST", g.URL()+"/tokens", g.AdminToken(), mintBody("bot-mobu-a", exp, `, "gid": 7`))
	token, _ := out["token"].(string)
	if status != 201 || len(token) != 3+22+1+22 || !strings.HasPrefix(token, "gt-") {
		t.Fatalf("mint: %d %v", status, out)
	}
	status, out = send(t, "GET", g.URL()+"/user-info", token, "")
	if status != 200 || out["username"] != "bot-mobu-a" || out["uid"] != 100000.0 || out["gid"] != 7.0 ||
		out["name"] != "Mobu Test User" {
		t.Errorf("user-info: %d %v", status, out)
	}
	if groups, ok := out["groups"].([]any); !ok || len(groups) != 0 {
		t.Errorf("groups = %v, want []", out["groups"])
	}
	if status, _ := send(t, "GET", g.URL()+"/user-info", "gt-AAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB", ""); status != 401 {
		t.Errorf("unknown token: %d, want 401", status)
	}
	// A bot token is not an admin token.
	if status, out := send(t, "POST", g.URL()+"/tokens", token, mintBody("bot-mobu-b", exp, "")); status != 403 {
		t.Errorf("non-admin mint: %d %v, want 403", status, out)
	}
	if status, _ := send(t, "POST", g.URL()+"/tokens", "", mintBody("bot-mobu-b", exp, "")); status != 401 {
		t.Errorf("anonymous mint: %d, want 401", status)
	}
}

func TestGafaelfawrValidates(t *testing.T) {
	g := NewGafaelfawr(t, GafaelfawrOptions{KnownScopes: []string{"exec:notebook"}})
	exp := time.Now().Add(time.Hour)
	for _, tc := range []struct {
		body   string
		status int
		msg    string
	}{
		{mintBody("bot-mobu-", exp, ""), 422, "String should match pattern"},
		{mintBody("alice", exp, ""), 403, "must start with"},
		{mintBody("bot-mobu-a", time.Now().Add(time.Minute), ""), 422, "at least five minutes"},
		{mintBody("bot-mobu-a", exp, `, "uid": 0`), 422, "greater than or equal to 1"},
		{mintBody("bot-mobu-a", exp, `, "groups": [{"name": "", "id": 1}]`), 422, "String should match pattern"},
		{strings.Replace(mintBody("bot-mobu-a", exp, ""), "exec:notebook", "exec:admin", 1), 422, "Unknown scopes requested"},
		{strings.Replace(mintBody("bot-mobu-a", exp, ""), `"service"`, `"session"`, 1), 422, "service or user"},
		{`{"token_type": "service"}`, 422, "Field required"},
		{`not json`, 422, "JSON decode error"},
	} {
		status, out := send(t, "POST", g.URL()+"/tokens", g.AdminToken(), tc.body)
		text, _ := json.Marshal(out["detail"])
		if status != tc.status || !strings.Contains(string(text), tc.msg) {
			t.Errorf("%s: %d %s, want %d %q", tc.body, status, text, tc.status, tc.msg)
		}
	}
	if n := len(g.Tokens()); n != 0 {
		t.Errorf("%d tokens minted from invalid requests", n)
	}
}

func TestGafaelfawrExpiryAndRevoke(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	g := NewGafaelfawr(t, GafaelfawrOptions{Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }})
	_, out := send(t, "POST", g.URL()+"/tokens", g.AdminToken(), mintBody("bot-mobu-a", now.Add(time.Hour), ""))
	token := out["token"].(string)
	key := token[3:25]
	if status, _ := send(t, "DELETE", g.URL()+"/users/bot-mobu-b/tokens/"+key, g.AdminToken(), ""); status != 404 {
		t.Errorf("delete under another user: %d, want 404", status)
	}
	if status, _ := send(t, "DELETE", g.URL()+"/users/bot-mobu-a/tokens/"+key, g.AdminToken(), ""); status != 204 {
		t.Errorf("delete: %d, want 204", status)
	}
	if _, _, ok := g.Valid(token); ok {
		t.Errorf("revoked token still valid")
	}
	if status, _ := send(t, "GET", g.URL()+"/user-info", token, ""); status != 401 {
		t.Errorf("revoked token: %d, want 401", status)
	}
	_, out = send(t, "POST", g.URL()+"/tokens", g.AdminToken(), mintBody("bot-mobu-a", now.Add(time.Hour), ""))
	token2 := out["token"].(string)
	mu.Lock()
	now = now.Add(2 * time.Hour)
	mu.Unlock()
	if _, _, ok := g.Valid(token2); ok {
		t.Errorf("expired token still valid")
	}
}

func TestGafaelfawrFaultsAndConcurrency(t *testing.T) {
	g := NewGafaelfawr(t, GafaelfawrOptions{})
	g.FailNext("/user-info", 503, 1)
	if status, out := send(t, "GET", g.URL()+"/user-info", g.AdminToken(), ""); status != 503 || out["detail"] == nil {
		t.Errorf("fault: %d %v", status, out)
	}
	if status, _ := send(t, "GET", g.URL()+"/user-info", g.AdminToken(), ""); status != 200 {
		t.Errorf("after fault: %d", status)
	}
	g.Delay(20 * time.Millisecond)
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			req, _ := http.NewRequestWithContext(t.Context(), "GET", g.URL()+"/user-info", nil)
			req.Header.Set("Authorization", "Bearer "+g.AdminToken())
			if resp, err := http.DefaultClient.Do(req); err != nil {
				t.Errorf("user-info: %v", err)
			} else {
				_ = resp.Body.Close()
			}
		})
	}
	wg.Wait()
	if n := g.MaxConcurrentSeen(); n < 2 || n > 5 {
		t.Errorf("MaxConcurrentSeen = %d, want 2..5", n)
	}
}

func TestRepertoireShape(t *testing.T) {
	rp := NewRepertoire(t, DiscoveryJSON{Applications: []string{"nublado"},
		GafaelfawrURL: "https://h/auth/api/v1", NubladoURL: "https://nb.h/nb"})
	status, out := send(t, "GET", rp.BaseURL()+"/discovery", "", "")
	if status != 200 || out["environment_name"] != nil {
		t.Fatalf("discovery: %d %v", status, out)
	}
	services := out["services"].(map[string]any)
	gf := services["internal"].(map[string]any)["gafaelfawr"].(map[string]any)
	v1 := gf["versions"].(map[string]any)["v1"].(map[string]any)
	if gf["url"] != "https://h/auth/api" || v1["url"] != "https://h/auth/api/v1" {
		t.Errorf("gafaelfawr = %v", gf)
	}
	if nb := services["ui"].(map[string]any)["nublado"].(map[string]any); nb["url"] != "https://nb.h/nb" {
		t.Errorf("nublado = %v", nb)
	}
	if _, ok := out["datasets"].(map[string]any)["dp1"]; !ok {
		t.Errorf("no dataset: %v", out["datasets"])
	}
	rp.Down(true)
	if status, _ := http.Get(rp.BaseURL() + "/discovery"); status == nil || status.StatusCode != 503 {
		t.Errorf("Down: %v", status)
	} else {
		_ = status.Body.Close()
	}
	if n := rp.Requests(); n != 2 {
		t.Errorf("Requests = %d, want 2", n)
	}
}
