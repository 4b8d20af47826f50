// Package testnublado is a test fake of Rubin's Nublado as a bot sees it: a
// JupyterHub behind Gafaelfawr that must be driven like a browser. It sits in
// front of the real local JupyterHub of internal/testhub, so labs are real
// jupyter_server 1.23 processes and kernels really execute code, and it
// enforces what the production stack enforces:
//
//   - Gafaelfawr: "Authorization: Bearer <token>" on every request (401), and a
//     user's paths only for that user's token (403);
//   - JupyterHub 4.1+: a hub login cookie from GET hub/login, per-path _xsrf
//     cookies for hub and lab echoed as X-XSRFToken, Referer on hub API calls,
//     the spawn form (hub/spawn) instead of the REST spawn, OAuth redirects
//     into the lab (optionally on a per-user subdomain);
//   - jupyter-server-documents: lab sessions of type console and kernel
//     websockets speaking only v1.kernel.websocket.jupyter.org.
//
// Every broken rule is answered like the real servers do (status codes and
// JupyterHub/Tornado/nginx bodies) and recorded: Violations lists them, so a
// test can assert a client behaved. Options inject faults (failed spawns,
// offsite or looping redirects, missing XSRF cookies, hanging deletes, text
// frames on a v1 socket). It listens on 127.0.0.1 only and is safe for
// concurrent users.
package testnublado

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/mobu-dev/mobu/internal/testhub"
)

const (
	// basePath is where Nublado lives on its host (Repertoire's
	// services.ui.nublado.url ends with it).
	basePath = "/nb"
	// labDomain is the parent domain of per-user lab hosts (Subdomains).
	labDomain = "nb.test"
	// v1Protocol is the only kernel websocket protocol Nublado labs speak.
	v1Protocol = "v1.kernel.websocket.jupyter.org"
	// cleanupTimeout bounds the best-effort stop of spawned labs at cleanup.
	cleanupTimeout = 30 * time.Second
)

// Options configures a Server.
type Options struct {
	// Valid reports the user a bearer token belongs to (the Gafaelfawr
	// fake's Valid); required.
	Valid func(token string) (username string, ok bool)
	// Subdomains puts labs on per-user hosts: <user>.nb.test:<port>. Clients
	// must dial every such host to 127.0.0.1 (see DialContext).
	Subdomains bool
	// SpawnFails makes the spawn's progress stream end with failed: true
	// (the real hub is not asked to start anything).
	SpawnFails bool
	// RedirectOffsite makes hub/home redirect to http://evil.test/.
	RedirectOffsite bool
	// RedirectLoop makes hub/home redirect to itself forever.
	RedirectLoop bool
	// NoXSRF never sets the _xsrf cookies (hub or lab).
	NoXSRF bool
	// NoLabXSRF never sets the lab's _xsrf cookie; the hub's is set as usual.
	NoLabXSRF bool
	// HangDelete answers DELETE of the lab with 202 but the user model keeps
	// listing the server (for delete timeouts).
	HangDelete bool
	// TextFrame makes the kernel socket send one text frame (a protocol
	// violation on v1) after the first message it forwards to the client.
	TextFrame bool
}

// Server is a fake Nublado. It is safe for concurrent use.
type Server struct {
	opts    Options
	hub     *testhub.Hub
	hubURL  *url.URL
	srv     *httptest.Server
	addr    string // 127.0.0.1:port
	port    string
	ctx     context.Context
	cancel  context.CancelFunc
	backend *http.Client
	dialer  *websocket.Dialer
	store   *store

	mu         sync.Mutex
	forms      []url.Values
	violations []string
	spawned    map[string]bool          // users whose labs this fake started
	failed     map[string]bool          // users whose spawn failed (SpawnFails)
	posted     map[string]time.Time     // when each user's last spawn POST was accepted
	settled    map[string]time.Duration // from that POST to the first progress request after it
	hanging    map[string][]byte        // HangDelete: server entry (JSON) kept after delete
	sockets    map[*websocket.Conn]bool // open kernel sockets (both legs)
	closed     bool
	pipes      sync.WaitGroup
}

// New starts a fake Nublado in front of hub on 127.0.0.1; t.Cleanup stops it
// (and asks the hub to stop the labs it spawned).
func New(t testing.TB, hub *testhub.Hub, opts Options) *Server {
	t.Helper()
	if opts.Valid == nil || hub == nil {
		t.Fatalf("testnublado: New needs a hub and Options.Valid")
	}
	hubURL, err := url.Parse(hub.URL)
	if err != nil {
		t.Fatalf("testnublado: hub URL %q: %v", hub.URL, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		opts: opts, hub: hub, hubURL: hubURL, ctx: ctx, cancel: cancel,
		backend: &http.Client{Transport: &http.Transport{}, CheckRedirect: noRedirects},
		dialer:  &websocket.Dialer{HandshakeTimeout: 3 * time.Minute, Subprotocols: []string{v1Protocol}},
		store:   newStore(),
		spawned: map[string]bool{}, failed: map[string]bool{},
		posted: map[string]time.Time{}, settled: map[string]time.Duration{},
		hanging: map[string][]byte{}, sockets: map[*websocket.Conn]bool{},
	}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		cancel()
		t.Fatalf("testnublado: listening on 127.0.0.1: %v", err)
	}
	s.srv.Listener = l
	s.srv.Config.BaseContext = func(net.Listener) context.Context { return ctx }
	s.srv.Start()
	s.addr = l.Addr().String()
	_, s.port, _ = net.SplitHostPort(s.addr)
	t.Cleanup(s.close)
	return s
}

func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// URL is the hub base URL, http://127.0.0.1:PORT/nb (no trailing slash): what
// Repertoire reports as services.ui.nublado.url.
func (s *Server) URL() string { return "http://" + s.addr + basePath }

// DialContext dials like net.Dialer but maps every *.nb.test host (the
// per-user lab hosts of Subdomains) to the server. It refuses hosts other than
// loopback addresses and localhost, so nothing leaves the machine.
func (s *Server) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("testnublado: dial %s: %w", addr, err)
	}
	var d net.Dialer
	switch {
	case host == labDomain || strings.HasSuffix(host, "."+labDomain):
		return d.DialContext(ctx, network, s.addr)
	case host == "localhost" || isLoopback(host):
		return d.DialContext(ctx, network, addr)
	}
	return nil, &net.OpError{Op: "dial", Net: network,
		Err: fmt.Errorf("testnublado: refusing to dial %s (only 127.0.0.1 and *.%s)", addr, labDomain)}
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// SpawnForms returns every accepted POST hub/spawn form, in order.
func (s *Server) SpawnForms() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]url.Values, len(s.forms))
	for i, f := range s.forms {
		out[i] = cloneValues(f)
	}
	return out
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// SettleWait is how long user's client waited between its last accepted
// spawn POST and its first progress request after it (spawn_settle_time);
// false if it has not asked for progress since.
func (s *Server) SettleWait(user string) (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.settled[user]
	return d, ok
}

// Violations returns every rule a client broke so far, in order, as
// "METHOD /path: what was wrong". A well-behaved client leaves it empty.
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.violations)
}

// violate records a broken rule for r.
func (s *Server) violate(r *http.Request, format string, args ...any) {
	s.record(r.Method+" "+r.URL.Path, fmt.Sprintf(format, args...))
}

// record records a broken rule at where ("METHOD /path").
func (s *Server) record(where, msg string) {
	s.mu.Lock()
	s.violations = append(s.violations, where+": "+msg)
	s.mu.Unlock()
}

// close stops the server: cancels streams and proxied requests, closes open
// kernel sockets, and asks the hub to stop the labs this fake spawned.
func (s *Server) close() {
	s.cancel()
	s.srv.Close()
	s.mu.Lock()
	s.closed = true
	for c := range s.sockets {
		c.Close()
	}
	users := make([]string, 0, len(s.spawned))
	for u := range s.spawned {
		users = append(users, u)
	}
	s.mu.Unlock()
	s.pipes.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	for _, u := range users {
		if resp, err := s.hubDo(ctx, http.MethodDelete, "/hub/api/users/"+u+"/server", nil); err == nil {
			resp.Body.Close()
		}
	}
	s.backend.CloseIdleConnections()
}
