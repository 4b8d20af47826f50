// Package testgithub is a fake of the parts of GitHub's REST API that mobu's
// GitHub Apps use, for tests: installation tokens (JWT-authenticated), check
// runs, pull request files, and the listings behind mobu's startup sweep
// (installations, their repositories, open pull requests, a commit's check
// runs). It listens on 127.0.0.1, serves the API
// under /api/v3/ like GitHub Enterprise Server, behaves like the documented
// API (status codes, validation, pagination, limits), records what it was
// sent, and can inject faults. It also signs and builds webhook payloads.
package testgithub

import (
	"crypto/rsa"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	// apiPrefix is where the API is served, as on GitHub Enterprise.
	apiPrefix       = "/api/v3"
	defaultTokenTTL = time.Hour
	docsURL         = "https://docs.github.com/rest"
)

// Options configures a Server.
type Options struct {
	// AppID is the app whose JWTs are accepted (the "iss" claim).
	AppID int64
	// PublicKey verifies the app's JWTs; if nil it is derived from
	// PrivateKey. One of them is required.
	PublicKey  *rsa.PublicKey
	PrivateKey *rsa.PrivateKey
	// TokenTTL is how long installation tokens live (default 1 h, like
	// GitHub). ghinstallation renews a token a minute before it expires,
	// so a TTL under a minute makes every call fetch a new token.
	TokenTTL time.Duration
}

// Request is one request the server received.
type Request struct {
	Method string
	Path   string // relative to the API root, e.g. /repos/o/r/check-runs
	Query  string
	Header http.Header
	Status int // the status answered; 0 for a closed connection
}

// Server is a fake GitHub REST API. It is safe for concurrent use.
type Server struct {
	srv      *httptest.Server
	appID    int64
	pub      *rsa.PublicKey
	tokenTTL time.Duration

	reqMu    sync.Mutex // guards requests; handlers record while holding mu
	requests []Request

	mu        sync.Mutex
	faults    []*fault
	tokens    map[string]*token
	issued    []string
	checkRuns map[int64]*CheckRun
	nextRunID int64
	prFiles   map[string][]File

	installations []Installation
	pulls         map[string][]pull // by "owner/repo", in the order set
}

type fault struct {
	method, prefix string
	status         int
	headers        map[string]string
	left           int
}

// NewServer starts a fake GitHub on 127.0.0.1; t.Cleanup closes it.
func NewServer(t testing.TB, opts Options) *Server {
	t.Helper()
	pub := opts.PublicKey
	if pub == nil && opts.PrivateKey != nil {
		pub = &opts.PrivateKey.PublicKey
	}
	if pub == nil || opts.AppID <= 0 {
		t.Fatalf("testgithub: Options need an AppID and a PublicKey or PrivateKey")
	}
	s := &Server{
		appID: opts.AppID, pub: pub, tokenTTL: opts.TokenTTL,
		tokens: make(map[string]*token), checkRuns: make(map[int64]*CheckRun),
		nextRunID: 1000, prFiles: make(map[string][]File), pulls: make(map[string][]pull),
	}
	if s.tokenTTL == 0 {
		s.tokenTTL = defaultTokenTTL
	}
	s.srv = httptest.NewUnstartedServer(s.handler())
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testgithub: listening on 127.0.0.1: %v", err)
	}
	s.srv.Listener = l
	s.srv.Start()
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the API root with a trailing slash (http://127.0.0.1:port/api/v3/),
// usable as an APIURL.
func (s *Server) URL() string { return s.srv.URL + apiPrefix + "/" }

// Requests returns every request received so far, in order.
func (s *Server) Requests() []Request {
	s.reqMu.Lock()
	defer s.reqMu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		r.Header = r.Header.Clone()
		out[i] = r
	}
	return out
}

// FailNext makes the next n requests whose method is method ("" for any)
// and whose API-relative path starts with pathPrefix (e.g. "/repos/o/r/pulls")
// fail with status, the given headers and a GitHub-style JSON body (status
// 0 closes the connection without an answer). Faults apply in the order
// they were added, before authentication.
func (s *Server) FailNext(method, pathPrefix string, status int, headers map[string]string, n int) {
	h := make(map[string]string, len(headers))
	for k, v := range headers {
		h[k] = v
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &fault{method: method, prefix: pathPrefix, status: status, headers: h, left: n})
}

func (s *Server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /app/installations/{id}/access_tokens", s.createToken)
	mux.HandleFunc("POST /repos/{owner}/{repo}/check-runs", s.authed(s.createCheckRun))
	mux.HandleFunc("PATCH /repos/{owner}/{repo}/check-runs/{id}", s.authed(s.updateCheckRun))
	mux.HandleFunc("GET /repos/{owner}/{repo}/check-runs/{id}", s.authed(s.getCheckRun))
	mux.HandleFunc("GET /repos/{owner}/{repo}/pulls/{number}/files", s.authed(s.listFiles))
	mux.HandleFunc("GET /app/installations", s.appAuthed(s.listInstallations))
	mux.HandleFunc("GET /installation/repositories", s.authed(s.listInstallationRepos))
	mux.HandleFunc("GET /repos/{owner}/{repo}/pulls", s.authed(s.listPulls))
	mux.HandleFunc("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", s.authed(s.listCheckRunsForRef))
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "Not Found")
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path, ok := strings.CutPrefix(r.URL.Path, apiPrefix)
		if !ok || path == "" {
			path = "/"
		}
		// The request is recorded when its status is written, before the
		// body: a client may act on a response before the handler returns.
		rec := &statusWriter{ResponseWriter: w, record: func(status int) { s.record(r, path, status) }}
		defer rec.flush()
		if s.fault(rec, r.Method, path) {
			return
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = path
		r2.URL.RawPath = ""
		mux.ServeHTTP(rec, r2)
	})
}

func (s *Server) record(r *http.Request, path string, status int) {
	s.reqMu.Lock()
	defer s.reqMu.Unlock()
	s.requests = append(s.requests, Request{
		Method: r.Method, Path: path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Status: status,
	})
}

// fault answers with the first matching injected fault, if any.
func (s *Server) fault(w *statusWriter, method, path string) bool {
	s.mu.Lock()
	var f *fault
	for _, c := range s.faults {
		if c.left > 0 && (c.method == "" || c.method == method) && strings.HasPrefix(path, c.prefix) {
			c.left--
			f = c
			break
		}
	}
	s.mu.Unlock()
	if f == nil {
		return false
	}
	if f.status == 0 {
		w.WriteStatus(0)
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
		return true
	}
	for k, v := range f.headers {
		w.Header().Set(k, v)
	}
	writeJSON(w, f.status, errorBody(f.status, f.headers))
	return true
}

// errorBody is what GitHub says for a status: a primary rate limit when
// X-RateLimit-Remaining is 0, a secondary one for 429 or a 403 with
// Retry-After, otherwise the status's usual message.
func errorBody(status int, headers map[string]string) map[string]string {
	h := http.Header{}
	for k, v := range headers {
		h.Set(k, v)
	}
	limited := status == http.StatusForbidden || status == http.StatusTooManyRequests
	switch {
	case limited && h.Get("X-RateLimit-Remaining") == "0":
		return map[string]string{"message": "API rate limit exceeded for installation.",
			"documentation_url": docsURL + "/overview/rate-limits-for-the-rest-api#about-primary-rate-limits"}
	case status == http.StatusTooManyRequests || (limited && h.Get("Retry-After") != ""):
		return map[string]string{"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
			"documentation_url": docsURL + "/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}
	case status == http.StatusForbidden:
		return map[string]string{"message": "Resource not accessible by integration", "documentation_url": docsURL}
	}
	return map[string]string{"message": http.StatusText(status), "documentation_url": docsURL}
}

// statusWriter records its request once, with the status, as soon as the
// status is known.
type statusWriter struct {
	http.ResponseWriter
	record func(status int)
	done   bool
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// WriteStatus records status without sending it (0: connection closed).
func (w *statusWriter) WriteStatus(code int) {
	if !w.done {
		w.done = true
		w.record(code)
	}
}

func (w *statusWriter) WriteHeader(code int) {
	w.WriteStatus(code)
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.WriteStatus(http.StatusOK)
	return w.ResponseWriter.Write(b)
}

// flush records a handler that wrote nothing (an implicit 200).
func (w *statusWriter) flush() { w.WriteStatus(http.StatusOK) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	// GitHub reports the primary rate limit on every response.
	for k, v := range map[string]string{
		"X-RateLimit-Limit":     "5000",
		"X-RateLimit-Remaining": "4999",
		"X-RateLimit-Reset":     strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10),
		"X-RateLimit-Resource":  "core",
	} {
		if w.Header().Get(k) == "" {
			w.Header().Set(k, v)
		}
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]string{"message": message, "documentation_url": docsURL})
}
