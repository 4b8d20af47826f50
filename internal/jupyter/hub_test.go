package jupyter

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeHub scripts the JupyterHub REST API for one user.
type fakeHub struct {
	mu        sync.Mutex
	t         *testing.T
	calls     []string
	startResp []int    // statuses answered to successive spawn POSTs (then 202)
	pending   []string // successive "pending" values of the server model; "gone" = no server
	progress  string   // raw SSE body
	deletes   []int    // statuses answered to successive DELETEs (then 202)
	// retryAfter is the Retry-After header sent with a 429 ("0" if empty).
	retryAfter string
	posts      []time.Time // when each spawn POST arrived
}

func (f *fakeHub) record(r *http.Request) {
	f.mu.Lock()
	f.calls = append(f.calls, r.Method+" "+r.URL.Path)
	f.mu.Unlock()
	if got := r.Header.Get("Authorization"); got != "token admin" {
		f.t.Errorf("%s %s: Authorization %q", r.Method, r.URL.Path, got)
	}
}

func (f *fakeHub) pop(list *[]int, def int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(*list) == 0 {
		return def
	}
	v := (*list)[0]
	*list = (*list)[1:]
	return v
}

func (f *fakeHub) handler(base string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+base, func(w http.ResponseWriter, r *http.Request) {
		f.record(r)
		f.mu.Lock()
		f.posts = append(f.posts, time.Now())
		f.mu.Unlock()
		switch code := f.pop(&f.startResp, 202); code {
		case 429:
			w.Header().Set("Retry-After", cmp.Or(f.retryAfter, "0"))
			w.WriteHeader(429)
		case 400:
			w.WriteHeader(400)
			fmt.Fprint(w, `{"status": 400, "message": "bot's server is pending stop"}`)
		default:
			w.WriteHeader(code)
		}
	})
	mux.HandleFunc("GET "+base+"/progress", func(w http.ResponseWriter, r *http.Request) {
		f.record(r)
		if r.Header.Get("Accept") != "text/event-stream" {
			f.t.Errorf("progress Accept %q", r.Header.Get("Accept"))
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, f.progress)
	})
	mux.HandleFunc("DELETE "+base, func(w http.ResponseWriter, r *http.Request) {
		f.record(r)
		if code := f.pop(&f.deletes, 202); code == 400 {
			w.WriteHeader(400)
			fmt.Fprint(w, `{"status": 400, "message": "bot is pending spawn, please wait"}`)
		} else {
			w.WriteHeader(code)
		}
	})
	mux.HandleFunc("GET /hub/api/users/bot", func(w http.ResponseWriter, r *http.Request) {
		f.record(r)
		f.mu.Lock()
		state := "gone"
		if len(f.pending) > 0 {
			state, f.pending = f.pending[0], f.pending[1:]
		}
		f.mu.Unlock()
		name := strings.TrimPrefix(base, "/hub/api/users/bot/servers/")
		if name == base {
			name = ""
		}
		switch state {
		case "gone":
			fmt.Fprint(w, `{"name": "bot", "servers": {}}`)
		case "none":
			fmt.Fprintf(w, `{"name": "bot", "servers": {%q: {"ready": true, "pending": null, "url": "/user/bot/"}}}`, name)
		default:
			fmt.Fprintf(w, `{"name": "bot", "servers": {%q: {"ready": false, "pending": %q}}}`, name, state)
		}
	})
	return mux
}

func newFakeHubUser(t *testing.T, f *fakeHub, server string) *User {
	f.t = t
	base := "/hub/api/users/bot/server"
	if server != "" {
		base = "/hub/api/users/bot/servers/" + server
	}
	srv := httptest.NewServer(f.handler(base))
	t.Cleanup(srv.Close)
	h, err := NewHub(HubConfig{URL: srv.URL + "/", Token: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	return h.User("bot", UserOptions{ServerName: server})
}

const readySSE = "\n\ndata: {\"progress\": 0, \"message\": \"Server requested\"}\n\n" +
	"data: not json\n\n" +
	"\n" +
	"data: {\"progress\": 50,\ndata:  \"message\": \"Spawning\"}\n\n" +
	"data: {\"progress\": 100, \"ready\": true, \"message\": \"ready\", \"url\": \"/user/bot/\"}\n\n"

func TestSpawnHTTPCases(t *testing.T) {
	tests := []struct {
		name     string
		server   string
		start    []int
		pending  []string
		progress string
		err      string
		calls    string
		percents string
	}{
		{name: "429 honoured then ready", start: []int{429, 202}, progress: readySSE, percents: "0,50,100",
			calls: "POST /hub/api/users/bot/server|POST /hub/api/users/bot/server|GET /hub/api/users/bot/server/progress"},
		{name: "pending stop waited out", start: []int{400, 202}, pending: []string{"stop", "gone"}, progress: readySSE,
			percents: "0,50,100",
			calls:    "POST /hub/api/users/bot/server|GET /hub/api/users/bot|GET /hub/api/users/bot|POST /hub/api/users/bot/server|GET /hub/api/users/bot/server/progress"},
		{name: "named server", server: "lab2", progress: readySSE, percents: "0,50,100",
			calls: "POST /hub/api/users/bot/servers/lab2|GET /hub/api/users/bot/servers/lab2/progress"},
		{name: "failed", progress: "data: {\"progress\": 100, \"failed\": true, \"message\": \"Spawn failed: no image\"}\n\n",
			err: "lab spawn failed: Spawn failed: no image", percents: "100"},
		{name: "stream ends early", progress: "data: {\"progress\": 50, \"message\": \"Pulling\"}\n\n",
			err: `lab spawn failed: progress stream ended before the lab was ready (last 50%: "Pulling")`, percents: "50"},
		{name: "server error", start: []int{500}, err: "starting lab of bot: POST /hub/api/users/bot/server: 500 Internal Server Error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeHub{startResp: tt.start, pending: tt.pending, progress: tt.progress}
			u := newFakeHubUser(t, f, tt.server)
			var percents []string
			u.opts.OnProgress = func(p Progress) { percents = append(percents, fmt.Sprint(p.Percent)) }
			u.token = tokenModel{Token: "user-token", ID: "a1"}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := u.Spawn(ctx)
			if tt.err == "" && err != nil || tt.err != "" && (err == nil || err.Error() != tt.err) {
				t.Fatalf("Spawn() = %v, want %q", err, tt.err)
			}
			if tt.err == "" && (u.lab == nil || !strings.HasSuffix(u.lab.rest.base, "/user/bot")) {
				t.Fatalf("lab base not set from the ready event: %+v", u.lab)
			}
			if got := strings.Join(percents, ","); got != tt.percents {
				t.Errorf("progress %q, want %q", got, tt.percents)
			}
			if got := strings.Join(f.calls, "|"); tt.calls != "" && got != tt.calls {
				t.Errorf("calls\n %s\nwant\n %s", got, tt.calls)
			}
		})
	}
}

func TestDeleteLabWaitsForPendingSpawnAndStop(t *testing.T) {
	f := &fakeHub{deletes: []int{400, 202}, pending: []string{"spawn", "none", "stop", "stop", "gone"}}
	u := newFakeHubUser(t, f, "")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := u.DeleteLab(ctx); err != nil {
		t.Fatal(err)
	}
	want := "DELETE /hub/api/users/bot/server|GET /hub/api/users/bot|GET /hub/api/users/bot|" +
		"DELETE /hub/api/users/bot/server|GET /hub/api/users/bot|GET /hub/api/users/bot|GET /hub/api/users/bot"
	if got := strings.Join(f.calls, "|"); got != want {
		t.Fatalf("calls\n %s\nwant\n %s", got, want)
	}
}

func TestDeleteLabTimeout(t *testing.T) {
	f := &fakeHub{pending: []string{"stop", "stop", "stop", "stop", "stop", "stop", "stop", "stop"}}
	u := newFakeHubUser(t, f, "")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err := u.DeleteLab(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "lab still pending stop") {
		t.Fatalf("err = %v", err)
	}
}

func TestSpawnNeedsLogin(t *testing.T) {
	u := newFakeHubUser(t, &fakeHub{}, "")
	if err := u.Spawn(context.Background()); err == nil || !strings.Contains(err.Error(), "not logged in") {
		t.Fatalf("err = %v", err)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		header string
		want   time.Duration
		ok     bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{" 45 ", 45 * time.Second, true},
		{"-3", 0, false},
		{"soon", 0, false},
		{"Sat, 21 Nov 2026 12:01:30 GMT", 90 * time.Second, true},
		{"Sat, 21 Nov 2026 11:59:00 GMT", 0, true}, // already past: retry now
		{"Saturday, 21-Nov-26 12:00:10 GMT", 10 * time.Second, true},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.header, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.header, got, ok, tt.want, tt.ok)
		}
	}
}

// TestSpawnWaitsOutRetryAfter checks that a 429's Retry-After is waited out
// before the spawn is asked for again (a lower bound, so not timing-fragile).
func TestSpawnWaitsOutRetryAfter(t *testing.T) {
	f := &fakeHub{startResp: []int{429, 202}, progress: readySSE, retryAfter: "1"}
	u := newFakeHubUser(t, f, "")
	u.token = tokenModel{Token: "user-token", ID: "a1"}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := u.Spawn(ctx); err != nil {
		t.Fatalf("Spawn() = %v", err)
	}
	if len(f.posts) != 2 {
		t.Fatalf("%d spawn POSTs, want 2", len(f.posts))
	}
	if gap := f.posts[1].Sub(f.posts[0]); gap < time.Second {
		t.Errorf("spawn retried %v after a 429 with Retry-After: 1", gap)
	}
}
