package testnublado

import (
	"cmp"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
)

const (
	hubCookie       = "jupyterhub-hub-login"
	hubCookiePath   = basePath + "/hub/"
	xsrfCookie      = "_xsrf"
	labCookiePrefix = "jupyterhub-user-" // + username; also the OAuth client id
	stateSuffix     = "-oauth-state"     // lab cookie name + this: the OAuth state cookie
)

// login is a hub or lab session: the user and its XSRF token.
type login struct {
	user string
	xsrf string
}

// grant is an OAuth state (next = where to go after the callback) or an
// authorization code (next = the redirect_uri it was issued for).
type grant struct {
	user string
	next string
}

// store holds the sessions, OAuth states and codes the fake handed out.
type store struct {
	mu     sync.Mutex
	hub    map[string]login // hub login cookie value → session
	lab    map[string]login // lab cookie value → session
	states map[string]grant
	codes  map[string]grant
}

func newStore() *store {
	return &store{hub: map[string]login{}, lab: map[string]login{},
		states: map[string]grant{}, codes: map[string]grant{}}
}

// newLogin creates a session for user in m and returns its cookie value.
func (st *store) newLogin(m map[string]login, user string) (string, login) {
	l := login{user: user, xsrf: rand.Text()}
	cookie := rand.Text()
	st.mu.Lock()
	m[cookie] = l
	st.mu.Unlock()
	return cookie, l
}

func (st *store) lookup(m map[string]login, cookie string) (login, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	l, ok := m[cookie]
	return l, ok
}

// issue stores a single-use grant and returns its key.
func (st *store) issue(m map[string]grant, g grant) string {
	key := rand.Text()
	st.mu.Lock()
	m[key] = g
	st.mu.Unlock()
	return key
}

// take removes and returns a grant.
func (st *store) take(m map[string]grant, key string) (grant, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	g, ok := m[key]
	delete(m, key)
	return g, ok
}

// call is one request and the user its bearer token belongs to.
type call struct {
	w    http.ResponseWriter
	r    *http.Request
	user string
}

// bearer returns the user of the request's "Authorization: Bearer" token
// (Gafaelfawr); it answers 401 itself when there is none or it is invalid.
func (s *Server) bearer(w http.ResponseWriter, r *http.Request) (string, bool) {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "bearer") || strings.TrimSpace(token) == "" {
		s.violate(r, "no Authorization: Bearer header (Gafaelfawr needs the token on every request)")
		ingressError(w, http.StatusUnauthorized, `Bearer realm="`+s.addr+`"`)
		return "", false
	}
	user, ok := s.opts.Valid(strings.TrimSpace(token))
	if !ok {
		s.violate(r, "invalid bearer token")
		ingressError(w, http.StatusUnauthorized,
			`Bearer realm="`+s.addr+`", error="invalid_token", error_description="Invalid token"`)
		return "", false
	}
	return user, true
}

// wantMode records a violation unless Sec-Fetch-Mode is one of modes.
func (s *Server) wantMode(c *call, modes ...string) {
	got := c.r.Header.Get("Sec-Fetch-Mode")
	if got == "" {
		s.violate(c.r, "no Sec-Fetch-Mode header (want %s)", strings.Join(modes, " or "))
	} else if !slices.Contains(modes, got) {
		s.violate(c.r, "Sec-Fetch-Mode %q, want %s", got, strings.Join(modes, " or "))
	}
}

// needsXSRF mirrors JupyterHub's _needs_check_xsrf for a cookie-authenticated
// request: page loads (navigate GET) and websocket/no-cors fetches are exempt.
func needsXSRF(r *http.Request) bool {
	switch mode := r.Header.Get("Sec-Fetch-Mode"); mode {
	case "websocket", "no-cors":
		return false
	case "navigate", "":
		return r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions
	}
	return true
}

// xsrfProblem mirrors JupyterHub's check_xsrf_cookie: the token (form field,
// ?_xsrf, X-XSRFToken or X-CSRFToken) must equal the session's, which the
// request's _xsrf cookie must carry too. It returns "" when all is well.
func xsrfProblem(r *http.Request, formToken, want string) string {
	token := cmp.Or(formToken, r.URL.Query().Get("_xsrf"),
		r.Header.Get("X-XSRFToken"), r.Header.Get("X-CSRFToken"))
	if token == "" {
		return fmt.Sprintf("'_xsrf' argument missing from %s", r.Method)
	}
	if token != want || !hasCookie(r, xsrfCookie, want) {
		return fmt.Sprintf("XSRF cookie does not match %s argument", r.Method)
	}
	return ""
}

func hasCookie(r *http.Request, name, value string) bool {
	for _, c := range r.Cookies() {
		if c.Name == name && c.Value == value {
			return true
		}
	}
	return false
}

// hubSession returns the session of the request's hub login cookie if it is
// the token user's.
func (s *Server) hubSession(c *call) (login, bool) {
	ck, err := c.r.Cookie(hubCookie)
	if err != nil {
		return login{}, false
	}
	l, ok := s.store.lookup(s.store.hub, ck.Value)
	return l, ok && l.user == c.user
}

// pageSession authenticates a hub page by its login cookie (and XSRF where
// the fetch mode needs it). Without one it redirects to the login page, as
// tornado's @authenticated does for GET.
func (s *Server) pageSession(c *call) (login, bool) {
	l, ok := s.hubSession(c)
	if ok && needsXSRF(c.r) {
		if p := xsrfProblem(c.r, "", l.xsrf); p != "" {
			s.violate(c.r, "%s (JupyterHub ignores the login cookie)", p)
			ok = false
		}
	}
	if !ok {
		redirect(c.w, basePath+"/hub/login?next="+url.QueryEscape(c.r.URL.RequestURI()))
	}
	return l, ok
}

// hubAPIAuth checks a cookie-authenticated hub API call on user u's path:
// the path's user, the Referer (JupyterHub 3), the login cookie and XSRF.
// It answers the request and returns false when one fails.
func (s *Server) hubAPIAuth(c *call, u string) bool {
	s.wantMode(c, "same-origin")
	fail := func(format string, args ...any) bool {
		msg := fmt.Sprintf(format, args...)
		s.violate(c.r, "%s", msg)
		hubAPIError(c.w, http.StatusForbidden, msg)
		return false
	}
	if u != c.user {
		return fail("Action is not authorized with current scopes; user %s may not act on user %s", c.user, u)
	}
	if p := s.refererProblem(c.r); p != "" {
		return fail("%s", p)
	}
	l, ok := s.hubSession(c)
	if !ok {
		return fail("Missing or invalid credentials (no hub login cookie: GET hub/home first)")
	}
	if needsXSRF(c.r) {
		if p := xsrfProblem(c.r, "", l.xsrf); p != "" {
			return fail("%s", p)
		}
	}
	return true
}

// refererProblem mirrors JupyterHub 3's APIHandler.check_referer: the
// Referer must be on this host under the hub's base URL.
func (s *Server) refererProblem(r *http.Request) string {
	ref := r.Header.Get("Referer")
	if ref == "" {
		return "Blocking API request with no referer"
	}
	u, err := url.Parse(ref)
	if err != nil || u.Host != r.Host || !strings.HasPrefix(u.Path, hubCookiePath) {
		return fmt.Sprintf("Blocking Cross Origin API request. Referer: %s, Host: %s", ref, "http://"+r.Host+hubCookiePath)
	}
	return ""
}

// labSession checks user u's lab cookie and, where the fetch mode needs it
// (or always), XSRF. It answers with jupyter_server's 403 and returns false
// when one fails.
func (s *Server) labSession(c *call, u string, alwaysXSRF bool) bool {
	l, ok := s.labLogin(c.r, u)
	if !ok {
		s.violate(c.r, "no lab cookie %s%s (GET user/%s/lab first)", labCookiePrefix, u, u)
		labAPIError(c.w, http.StatusForbidden, "Forbidden")
		return false
	}
	if alwaysXSRF || needsXSRF(c.r) {
		if p := xsrfProblem(c.r, "", l.xsrf); p != "" {
			s.violate(c.r, "%s", p)
			labAPIError(c.w, http.StatusForbidden, p)
			return false
		}
	}
	return true
}

func (s *Server) labLogin(r *http.Request, u string) (login, bool) {
	ck, err := r.Cookie(labCookiePrefix + u)
	if err != nil {
		return login{}, false
	}
	l, ok := s.store.lookup(s.store.lab, ck.Value)
	return l, ok && l.user == u
}

// setXSRF sets the session's _xsrf cookie on path unless NoXSRF (or
// NoLabXSRF on a lab path), the request already carries it, or it is not a
// page load (JupyterHub 4.1 sets it on navigate requests only).
func (s *Server) setXSRF(c *call, l login, path string) {
	mode := c.r.Header.Get("Sec-Fetch-Mode")
	if s.opts.NoXSRF || (s.opts.NoLabXSRF && path != hubCookiePath) || hasCookie(c.r, xsrfCookie, l.xsrf) || (mode != "" && mode != "navigate") {
		return
	}
	http.SetCookie(c.w, &http.Cookie{Name: xsrfCookie, Value: l.xsrf, Path: path, SameSite: http.SameSiteLaxMode})
}
