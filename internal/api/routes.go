package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/mobu-dev/mobu/internal/ui"
)

// route is one endpoint. Paths are relative to the prefix unless unprefixed;
// public routes skip the bearer-token check.
type route struct {
	method     string
	path       string
	handler    echo.HandlerFunc
	public     bool
	unprefixed bool
}

// routes lists every endpoint; the OpenAPI document must describe exactly
// these (see openapi_test.go).
func (s *Server) routes() []route {
	// The status page's files hold no data (its script calls the API with
	// the token), so they are public.
	page := echo.WrapHandler(ui.Handler(s.opts.Prefix))
	rs := []route{
		{method: http.MethodGet, path: "/", handler: s.getRoot, public: true, unprefixed: true},
		{method: http.MethodGet, path: "/", handler: s.getIndex, public: true},
		{method: http.MethodGet, path: "/openapi.json", handler: s.getOpenAPI, public: true},
		{method: http.MethodGet, path: "/flocks", handler: s.listFlocks},
		{method: http.MethodPut, path: "/flocks", handler: s.putFlock},
		{method: http.MethodGet, path: "/flocks/:flock", handler: s.getFlock},
		{method: http.MethodDelete, path: "/flocks/:flock", handler: s.deleteFlock},
		{method: http.MethodPost, path: "/flocks/:flock/refresh", handler: s.refreshFlock},
		{method: http.MethodPost, path: "/flocks/:flock/pause", handler: s.pauseFlock},
		{method: http.MethodPost, path: "/flocks/:flock/resume", handler: s.resumeFlock},
		{method: http.MethodGet, path: "/flocks/:flock/summary", handler: s.flockSummary},
		{method: http.MethodGet, path: "/flocks/:flock/failures", handler: s.flockFailures},
		{method: http.MethodGet, path: "/flocks/:flock/timings", handler: s.flockTimings},
		{method: http.MethodGet, path: "/flocks/:flock/monkeys", handler: s.listMonkeys},
		{method: http.MethodGet, path: "/flocks/:flock/monkeys/:monkey", handler: s.getMonkey},
		{method: http.MethodGet, path: "/flocks/:flock/monkeys/:monkey/log", handler: s.monkeyLog},
		{method: http.MethodGet, path: "/summary", handler: s.summary},
		{method: http.MethodPost, path: "/run", handler: s.run},
		{method: http.MethodGet, path: "/metrics", handler: s.metrics, public: true, unprefixed: true},
		{method: http.MethodGet, path: "/ui", handler: page, public: true},
		{method: http.MethodGet, path: "/ui/", handler: page, public: true},
		{method: http.MethodGet, path: "/ui/*", handler: page, public: true},
	}
	// The webhooks authenticate with their HMAC signature, not the API token.
	if w := s.opts.RefreshWebhook; w != nil {
		rs = append(rs, route{method: http.MethodPost, path: "/github/refresh/webhook", handler: s.webhook(w), public: true})
	}
	if w := s.opts.CIWebhook; w != nil {
		rs = append(rs, route{method: http.MethodPost, path: "/github/ci/webhook", handler: s.webhook(w), public: true})
	}
	return append(rs, s.pprofRoutes()...)
}

// metrics serves the injected Prometheus handler, or 404 without one.
func (s *Server) metrics(c echo.Context) error {
	if s.opts.Metrics == nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	s.opts.Metrics.ServeHTTP(c.Response(), c.Request())
	return nil
}

// register adds the routes to echo, with the token check where needed.
func (s *Server) register() {
	for _, r := range s.routes() {
		path := r.path
		if !r.unprefixed {
			path = s.opts.Prefix + path
		}
		var mw []echo.MiddlewareFunc
		if !r.public && s.opts.Token != "" {
			mw = append(mw, s.requireToken)
		}
		s.e.Add(r.method, path, r.handler, mw...)
	}
}
