package testnublado

import (
	"net"
	"net/http"
	"regexp"
	"strings"
)

var (
	userModelPath = regexp.MustCompile(`^/nb/hub/api/users/([^/]+)$`)
	serverPath    = regexp.MustCompile(`^/nb/hub/api/users/([^/]+)/server$`)
	progressPath  = regexp.MustCompile(`^/nb/hub/api/users/([^/]+)/server/progress$`)
	pendingPath   = regexp.MustCompile(`^/nb/hub/spawn-pending/([^/]+)/?$`)
	hubLabPath    = regexp.MustCompile(`^/nb/hub/user/([^/]+)(/.*)?$`)
	labPath       = regexp.MustCompile(`^/nb/user/([^/]+)(/.*)?$`)
	channelsPath  = regexp.MustCompile(`^/api/kernels/([^/]+)/channels$`)
	labHostName   = regexp.MustCompile(`^([^.]+)\.nb\.test$`)
)

// hubRoute is a hub route on a user's path.
type hubRoute struct {
	re      *regexp.Regexp
	method  string
	api     bool
	handler func(*call, string)
}

func (s *Server) hubRoutes() []hubRoute {
	return []hubRoute{
		{userModelPath, http.MethodGet, true, s.userModel},
		{serverPath, http.MethodDelete, true, s.deleteServer},
		{progressPath, http.MethodGet, true, s.progress},
		{pendingPath, http.MethodGet, false, s.spawnPending},
		{hubLabPath, http.MethodGet, false, s.hubUserLab},
	}
}

// serveHTTP authenticates the bearer token (Gafaelfawr) and routes by host:
// the hub on 127.0.0.1, labs on <user>.nb.test with Subdomains.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	user, ok := s.bearer(w, r)
	if !ok {
		return
	}
	c := &call{w: w, r: r, user: user}
	host, port, err := net.SplitHostPort(r.Host)
	switch m := labHostName.FindStringSubmatch(host); {
	case err != nil || port != s.port:
		s.notFound(c)
	case host == "localhost" || isLoopback(host):
		s.routeHub(c)
	case m != nil && s.opts.Subdomains:
		s.routeLabHost(c, m[1])
	default:
		s.notFound(c)
	}
}

func (s *Server) routeHub(c *call) {
	p := c.r.URL.Path
	if m := labPath.FindStringSubmatch(p); m != nil {
		if s.opts.Subdomains {
			s.toLabHost(c, m[1])
			return
		}
		s.routeLab(c, m[1], m[2])
		return
	}
	switch p {
	case basePath + "/hub/home":
		s.home(c)
	case basePath + "/hub/login":
		s.login(c)
	case basePath + "/hub/spawn":
		s.spawn(c)
	case basePath + "/hub/api/oauth2/authorize":
		s.authorize(c)
	default:
		s.routeHubUser(c, p)
	}
}

func (s *Server) routeHubUser(c *call, p string) {
	for _, rt := range s.hubRoutes() {
		m := rt.re.FindStringSubmatch(p)
		if m == nil {
			continue
		}
		if c.r.Method != rt.method {
			s.violate(c.r, "method not allowed")
			if rt.api {
				hubAPIError(c.w, http.StatusMethodNotAllowed, "Method Not Allowed")
			} else {
				hubPageError(c.w, http.StatusMethodNotAllowed, "Method Not Allowed")
			}
			return
		}
		rt.handler(c, m[1])
		return
	}
	s.notFound(c)
}

// toLabHost is the hub's answer to a lab URL on the hub host when labs live
// on per-user subdomains: a redirect to the lab host for GET.
func (s *Server) toLabHost(c *call, u string) {
	if c.r.Method != http.MethodGet && c.r.Method != http.MethodHead {
		s.violate(c.r, "lab request on the hub host; with per-user subdomains the lab is at %s", s.labOrigin(u))
		hubAPIError(c.w, http.StatusNotFound, "Not Found")
		return
	}
	redirect(c.w, s.labOrigin(u)+c.r.URL.RequestURI())
}

func (s *Server) routeLabHost(c *call, hostUser string) {
	m := labPath.FindStringSubmatch(c.r.URL.Path)
	if m == nil || m[1] != hostUser {
		s.notFound(c)
		return
	}
	s.routeLab(c, m[1], m[2])
}

// routeLab serves user u's lab; Gafaelfawr lets only u in.
func (s *Server) routeLab(c *call, u, rest string) {
	if u != c.user {
		s.violate(c.r, "user %s's token on user %s's lab", c.user, u)
		ingressError(c.w, http.StatusForbidden, "")
		return
	}
	m := channelsPath.FindStringSubmatch(rest)
	switch {
	case rest == "/lab" || strings.HasPrefix(rest, "/lab/"):
		s.labPage(c, u)
	case rest == "/oauth_callback":
		s.oauthCallback(c, u)
	case m != nil:
		s.kernelSocket(c, u, m[1])
	case rest == "/api" || strings.HasPrefix(rest, "/api/"):
		s.labAPI(c, u)
	default:
		s.violate(c.r, "unknown lab route")
		labAPIError(c.w, http.StatusNotFound, "Not Found")
	}
}

func (s *Server) notFound(c *call) {
	s.violate(c.r, "unknown route (host %s)", c.r.Host)
	if strings.Contains(c.r.URL.Path, "/api/") {
		hubAPIError(c.w, http.StatusNotFound, "Not Found")
		return
	}
	hubPageError(c.w, http.StatusNotFound, "Not Found")
}

// labOrigin is "" (labs on the hub host) or http://<u>.nb.test:PORT.
func (s *Server) labOrigin(u string) string {
	if !s.opts.Subdomains {
		return ""
	}
	return "http://" + u + "." + labDomain + ":" + s.port
}

// hubOrigin is "" or, with Subdomains, the hub's http://127.0.0.1:PORT (for
// redirects from a lab host back to the hub).
func (s *Server) hubOrigin() string {
	if !s.opts.Subdomains {
		return ""
	}
	return "http://" + s.addr
}

// labBase is user u's lab path, with its origin under Subdomains.
func (s *Server) labBase(u string) string {
	return s.labOrigin(u) + basePath + "/user/" + u + "/"
}
