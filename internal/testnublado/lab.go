package testnublado

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
)

// labCookiePath is where user u's lab cookies live.
func labCookiePath(u string) string { return basePath + "/user/" + u + "/" }

// labPage is GET user/<u>/lab: with the lab cookie the JupyterLab page,
// without it the start of the OAuth login through the hub; a lab that is not
// running sends the browser to the hub's "not running" page.
func (s *Server) labPage(c *call, u string) {
	if c.r.Method != http.MethodGet {
		s.violate(c.r, "method not allowed")
		labAPIError(c.w, http.StatusMethodNotAllowed, "Method Not Allowed")
		return
	}
	s.wantMode(c, "navigate")
	if !s.labReady(c.r.Context(), u) {
		redirect(c.w, s.hubOrigin()+basePath+"/hub/user/"+u+"/lab")
		return
	}
	if l, ok := s.labLogin(c.r, u); ok {
		s.setXSRF(c, l, labCookiePath(u))
		page(c.w, "JupyterLab", `<div id="main">JupyterLab</div>`)
		return
	}
	state := s.store.issue(s.store.states, grant{user: u, next: c.r.URL.RequestURI()})
	http.SetCookie(c.w, &http.Cookie{Name: labCookiePrefix + u + stateSuffix, Value: state,
		Path: labCookiePath(u), HttpOnly: true, SameSite: http.SameSiteLaxMode})
	q := fmt.Sprintf("client_id=%s&redirect_uri=%s&response_type=code&state=%s",
		labCookiePrefix+u, url.QueryEscape(s.callbackURI(u)), state)
	redirect(c.w, s.hubOrigin()+basePath+"/hub/api/oauth2/authorize?"+q)
}

// oauthCallback is GET user/<u>/oauth_callback: it checks the state against
// the state cookie and the code, then sets the lab cookie and the lab _xsrf
// cookie and returns to the page that started the login.
func (s *Server) oauthCallback(c *call, u string) {
	s.wantMode(c, "navigate")
	q := c.r.URL.Query()
	fail := func(status int, msg string) {
		s.violate(c.r, "%s", msg)
		hubPageError(c.w, status, msg)
	}
	ck, err := c.r.Cookie(labCookiePrefix + u + stateSuffix)
	if err != nil || ck.Value != q.Get("state") {
		fail(http.StatusForbidden, "oauth state does not match. Try logging in again.")
		return
	}
	st, ok := s.store.take(s.store.states, q.Get("state"))
	code, codeOK := s.store.take(s.store.codes, q.Get("code"))
	switch {
	case !ok || st.user != u:
		fail(http.StatusForbidden, "oauth state does not match. Try logging in again.")
	case q.Get("code") == "":
		fail(http.StatusBadRequest, "oauth callback made without a code")
	case !codeOK || code.user != u || code.next != s.callbackURI(u):
		fail(http.StatusForbidden, "oauth code is invalid or was already used")
	default:
		cookie, l := s.store.newLogin(s.store.lab, u)
		http.SetCookie(c.w, &http.Cookie{Name: labCookiePrefix + u, Value: cookie, Path: labCookiePath(u),
			HttpOnly: true, SameSite: http.SameSiteLaxMode})
		http.SetCookie(c.w, &http.Cookie{Name: ck.Name, Path: labCookiePath(u), MaxAge: -1})
		s.setXSRF(c, l, labCookiePath(u))
		redirect(c.w, st.next)
	}
}

// labAPI is user/<u>/api/...: with the lab cookie (and X-XSRFToken where
// JupyterHub needs it) it is proxied to the real single-user server with
// the hub's service token.
func (s *Server) labAPI(c *call, u string) {
	s.wantMode(c, "same-origin")
	if !s.labSession(c, u, false) {
		return
	}
	if c.r.Method == http.MethodPost && strings.TrimSuffix(c.r.URL.Path, "/") == labCookiePath(u)+"api/sessions" {
		s.checkSession(c)
	}
	s.labProxy().ServeHTTP(c.w, c.r)
}

// checkSession records a violation for a session that is not a console
// (notebook sessions confuse jupyter-server-documents); the body is kept.
func (s *Server) checkSession(c *call) {
	body, err := io.ReadAll(io.LimitReader(c.r.Body, maxFormBytes))
	c.r.Body.Close()
	c.r.Body = io.NopCloser(bytes.NewReader(body))
	c.r.ContentLength = int64(len(body))
	if err != nil {
		return
	}
	var sess struct {
		Type   string `json:"type"`
		Path   string `json:"path"`
		Kernel struct {
			Name string `json:"name"`
			ID   string `json:"id"`
		} `json:"kernel"`
	}
	if json.Unmarshal(body, &sess) != nil {
		return // the server answers 400
	}
	if sess.Type != "console" {
		s.violate(c.r, "session type %q, want console (Nublado clients use console sessions: "+
			"notebook sessions confuse jupyter-server-documents)", sess.Type)
	}
	if sess.Path == "" || (sess.Kernel.Name == "" && sess.Kernel.ID == "") {
		s.violate(c.r, "session without path or kernel name")
	}
}

// labProxy forwards lab API calls to the real single-user server.
func (s *Server) labProxy() *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Transport: s.backend.Transport,
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(s.hubURL)
			pr.Out.URL.Path = strings.TrimPrefix(pr.In.URL.Path, basePath)
			pr.Out.URL.RawPath = ""
			for _, h := range []string{"Authorization", "Cookie", "X-Xsrftoken", "X-Csrftoken", "Referer", "Origin", "Sec-Fetch-Mode"} {
				pr.Out.Header.Del(h)
			}
			pr.Out.Header.Set("Authorization", "token "+s.hub.Token)
		},
		ModifyResponse: func(resp *http.Response) error {
			resp.Header.Del("Set-Cookie")
			if loc := resp.Header.Get("Location"); strings.HasPrefix(loc, "/user/") {
				resp.Header.Set("Location", basePath+loc)
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			labAPIError(w, http.StatusBadGateway, "testnublado: lab proxy: "+err.Error())
		},
	}
}
