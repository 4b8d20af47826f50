package testrsp

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// detail is one entry of a FastAPI/Safir error body {"detail": [...]}.
type detail struct {
	Type string `json:"type"`
	Loc  []any  `json:"loc,omitempty"`
	Msg  string `json:"msg"`
}

func (g *Gafaelfawr) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+gafaelfawrPrefix+"/tokens", g.createToken)
	mux.HandleFunc("GET "+gafaelfawrPrefix+"/user-info", g.userInfo)
	mux.HandleFunc("DELETE "+gafaelfawrPrefix+"/users/{username}/tokens/{key}", g.deleteToken)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"detail": "Not Found"})
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		done := g.enter()
		defer done()
		// Read the body now: only then does net/http notice a client that
		// goes away, so a delayed request ends when its client gives up.
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if !g.wait(r) {
			return
		}
		if g.injectFault(w, r) {
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// enter counts a request in progress and returns the function that ends it.
func (g *Gafaelfawr) enter() func() {
	g.mu.Lock()
	g.inflight++
	g.maxInflight = max(g.maxInflight, g.inflight)
	g.mu.Unlock()
	return func() {
		g.mu.Lock()
		g.inflight--
		g.mu.Unlock()
	}
}

// wait applies the configured delay; false when the client went away.
func (g *Gafaelfawr) wait(r *http.Request) bool {
	g.mu.Lock()
	d := g.delay
	g.mu.Unlock()
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// injectFault answers with the first matching fault, if any.
func (g *Gafaelfawr) injectFault(w http.ResponseWriter, r *http.Request) bool {
	rel := strings.TrimPrefix(r.URL.Path, gafaelfawrPrefix)
	g.mu.Lock()
	var status int
	found := false
	for _, f := range g.faults {
		if f.left > 0 && strings.HasPrefix(rel, f.path) {
			f.left--
			status, found = f.status, true
			break
		}
	}
	g.mu.Unlock()
	if !found {
		return false
	}
	if status == 0 {
		closeConn(w)
		return true
	}
	writeDetail(w, status, detail{Type: "fake_failure", Msg: "injected failure"})
	return true
}

// closeConn drops the connection without an answer.
func closeConn(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// caller is who a request authenticates as.
type caller struct {
	admin    bool
	username string
	token    string
}

// authenticate checks the bearer token like Gafaelfawr: 401 when it is
// missing or not a live token. It writes the error and returns false.
func (g *Gafaelfawr) authenticate(w http.ResponseWriter, r *http.Request) (caller, bool) {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "bearer") || token == "" {
		unauthorized(w, "Authentication required")
		return caller{}, false
	}
	if token == g.admin {
		return caller{admin: true, username: adminUsername, token: token}, true
	}
	g.mu.Lock()
	m := g.liveLocked(token)
	var c caller
	if m != nil {
		c = caller{admin: slices.Contains(m.Scopes, "admin:token"), username: m.Username, token: token}
	}
	g.mu.Unlock()
	if m == nil {
		unauthorized(w, "Token is not valid")
		return caller{}, false
	}
	return c, true
}

func unauthorized(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="127.0.0.1", error="invalid_token"`)
	writeDetail(w, http.StatusUnauthorized, detail{Type: "invalid_token", Msg: msg})
}

func forbidden(w http.ResponseWriter, msg string) {
	writeDetail(w, http.StatusForbidden, detail{Type: "permission_denied", Msg: msg})
}

func writeDetail(w http.ResponseWriter, status int, d ...detail) {
	writeJSON(w, status, map[string]any{"detail": d})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache, no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
