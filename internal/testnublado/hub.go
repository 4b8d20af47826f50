package testnublado

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
)

// pageMethod answers 405 unless the request is a GET.
func (s *Server) pageMethod(c *call) bool {
	if c.r.Method == http.MethodGet {
		return true
	}
	s.violate(c.r, "method not allowed")
	hubPageError(c.w, http.StatusMethodNotAllowed, "Method Not Allowed")
	return false
}

// home is GET hub/home: the page a bot loads to log in (via hub/login).
func (s *Server) home(c *call) {
	if !s.pageMethod(c) {
		return
	}
	s.wantMode(c, "navigate")
	switch {
	case s.opts.RedirectOffsite:
		redirect(c.w, "http://evil.test/")
		return
	case s.opts.RedirectLoop:
		redirect(c.w, basePath+"/hub/home")
		return
	}
	l, ok := s.pageSession(c)
	if !ok {
		return
	}
	s.setXSRF(c, l, hubCookiePath)
	page(c.w, "JupyterHub", fmt.Sprintf(`<div id="home"><a id="start" href="%s">Start My Server</a></div>`,
		html.EscapeString(s.labBase(c.user))))
}

// login is GET hub/login: Nublado's Gafaelfawr authenticator logs the token's
// user in at once, sets the hub login and _xsrf cookies and goes to next.
func (s *Server) login(c *call) {
	if !s.pageMethod(c) {
		return
	}
	s.wantMode(c, "navigate")
	if err := s.ensureHubUser(c.r.Context(), c.user); err != nil {
		hubPageError(c.w, http.StatusInternalServerError, err.Error())
		return
	}
	cookie, l := s.store.newLogin(s.store.hub, c.user)
	http.SetCookie(c.w, &http.Cookie{Name: hubCookie, Value: cookie, Path: hubCookiePath,
		HttpOnly: true, SameSite: http.SameSiteLaxMode})
	s.setXSRF(c, l, hubCookiePath)
	next := c.r.URL.Query().Get("next")
	if !strings.HasPrefix(next, basePath+"/") || strings.HasPrefix(next, "//") {
		next = basePath + "/hub/home" // JupyterHub ignores offsite next URLs
	}
	redirect(c.w, next)
}

func (s *Server) spawn(c *call) {
	switch c.r.Method {
	case http.MethodGet:
		s.spawnPage(c)
	case http.MethodPost:
		s.spawnPost(c)
	default:
		s.violate(c.r, "method not allowed")
		hubPageError(c.w, http.StatusMethodNotAllowed, "Method Not Allowed")
	}
}

// spawnPage is GET hub/spawn: Nublado's options form.
func (s *Server) spawnPage(c *call) {
	s.wantMode(c, "navigate")
	l, ok := s.pageSession(c)
	if !ok {
		return
	}
	s.setXSRF(c, l, hubCookiePath)
	xsrf := l.xsrf
	if s.opts.NoXSRF {
		xsrf = ""
	}
	page(c.w, "JupyterHub", spawnFormHTML(xsrf))
}

// spawnPending is GET hub/spawn-pending/<user>, where the spawn POST leads.
func (s *Server) spawnPending(c *call, u string) {
	s.wantMode(c, "navigate", "same-origin")
	if u != c.user {
		s.violate(c.r, "user %s's token on user %s's page", c.user, u)
		hubPageError(c.w, http.StatusForbidden, fmt.Sprintf("User %s is not allowed to view %s's server", c.user, u))
		return
	}
	if _, ok := s.pageSession(c); !ok {
		return
	}
	page(c.w, "JupyterHub", fmt.Sprintf(`<div id="progress-message">Your server is starting up.</div>
<script>var progress_url = "%s/hub/api/users/%s/server/progress";</script>`, basePath, html.EscapeString(u)))
}

// authorize is GET hub/api/oauth2/authorize, the hub side of the lab's OAuth
// login: with the hub cookie it redirects to the lab's oauth_callback.
func (s *Server) authorize(c *call) {
	if !s.pageMethod(c) {
		return
	}
	s.wantMode(c, "navigate")
	if _, ok := s.pageSession(c); !ok {
		return
	}
	q := c.r.URL.Query()
	u, _ := strings.CutPrefix(q.Get("client_id"), labCookiePrefix)
	redirectURI := q.Get("redirect_uri")
	bad := func(status int, msg string) {
		s.violate(c.r, "%s", msg)
		hubPageError(c.w, status, msg)
	}
	switch {
	case u != c.user:
		bad(http.StatusForbidden, fmt.Sprintf("user %s is not allowed to access client %q", c.user, q.Get("client_id")))
	case q.Get("response_type") != "code":
		bad(http.StatusBadRequest, "unsupported_response_type")
	case redirectURI != s.callbackURI(u):
		bad(http.StatusBadRequest, "Mismatching redirect URI.")
	default:
		code := s.store.issue(s.store.codes, grant{user: u, next: redirectURI})
		redirect(c.w, redirectURI+"?"+url.Values{"code": {code}, "state": {q.Get("state")}}.Encode())
	}
}

// callbackURI is the OAuth redirect_uri registered for user u's lab
// (absolute on a per-user host with Subdomains, like JupyterHub's).
func (s *Server) callbackURI(u string) string {
	return s.labBase(u) + "oauth_callback"
}

// hubUserLab is GET hub/user/<u>/...: where the proxy sends a lab URL whose
// server is not running (JupyterHub 3 answers 503 with a spawn link).
func (s *Server) hubUserLab(c *call, u string) {
	s.wantMode(c, "navigate")
	if u != c.user {
		s.violate(c.r, "user %s's token on user %s's page", c.user, u)
		hubPageError(c.w, http.StatusForbidden, "Forbidden")
		return
	}
	if _, ok := s.pageSession(c); !ok {
		return
	}
	if s.labReady(c.r.Context(), u) {
		redirect(c.w, s.labBase(u)+"lab")
		return
	}
	hubPageError(c.w, http.StatusServiceUnavailable,
		fmt.Sprintf("Your server is not running. Would you like to start it? (%s/hub/spawn)", basePath))
}
