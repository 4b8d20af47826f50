package testgit

import (
	"crypto/subtle"
	"net"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// ServeOptions tunes Serve.
type ServeOptions struct {
	// Username and Password, when either is set, make the server require HTTP
	// basic auth with exactly these credentials (401 with WWW-Authenticate
	// otherwise).
	Username string
	Password string
	// Wrap, if set, wraps the git handler (after the auth check and request
	// counting), e.g. to delay or fail requests.
	Wrap func(http.Handler) http.Handler
}

// Server serves repositories over git's smart HTTP protocol on 127.0.0.1.
//
// It runs `git http-backend` (through net/http/cgi) with GIT_PROJECT_ROOT set
// to a temporary directory holding one symlink per repository,
// <root>/<name>.git -> the Repo's working directory. http-backend resolves
// <name>.git to <name>.git/.git, i.e. it serves the non-bare repository
// itself, so every commit, branch or tag made on the Repo is visible to the
// next request: there is no mirror to sync.
type Server struct {
	srv      *httptest.Server
	requests atomic.Int64
}

// Serve starts a server for repos, each at /<name>.git. It is closed by
// t.Cleanup, or earlier by Close.
func Serve(t testing.TB, repos map[string]*Repo, opts ServeOptions) *Server {
	t.Helper()
	gitPath := requireGit(t)
	root := t.TempDir()
	for name, r := range repos {
		if err := os.Symlink(r.Dir(), filepath.Join(root, name+".git")); err != nil {
			t.Fatalf("testgit: linking repository %s: %v", name, err)
		}
	}
	s := &Server{}
	var h http.Handler = &cgi.Handler{
		Path: gitPath,
		Args: []string{"http-backend"},
		Dir:  root,
		Env: []string{
			"GIT_PROJECT_ROOT=" + root,
			"GIT_HTTP_EXPORT_ALL=1",
			"GIT_CONFIG_NOSYSTEM=1",
			"GIT_CONFIG_GLOBAL=" + os.DevNull,
		},
	}
	if opts.Wrap != nil {
		h = opts.Wrap(h)
	}
	s.srv = httptest.NewUnstartedServer(s.handler(h, opts))
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testgit: listening on 127.0.0.1: %v", err)
	}
	s.srv.Listener = l
	s.srv.Start()
	t.Cleanup(s.Close)
	return s
}

// handler counts requests and checks credentials before calling next.
func (s *Server) handler(next http.Handler, opts ServeOptions) http.Handler {
	auth := opts.Username != "" || opts.Password != ""
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		if auth {
			user, pass, ok := r.BasicAuth()
			if !ok || !equal(user, opts.Username) || !equal(pass, opts.Password) {
				w.Header().Set("WWW-Authenticate", `Basic realm="testgit"`)
				http.Error(w, "authentication required", http.StatusUnauthorized)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// URL is the clone URL of repository name: http://127.0.0.1:PORT/<name>.git.
func (s *Server) URL(name string) string {
	return s.srv.URL + "/" + strings.TrimSuffix(name, ".git") + ".git"
}

// Requests is the number of HTTP requests received so far (including refused
// ones).
func (s *Server) Requests() int { return int(s.requests.Load()) }

// Close stops the server, waiting for requests in progress; later requests
// fail with "connection refused". It may be called more than once.
func (s *Server) Close() { s.srv.Close() }
