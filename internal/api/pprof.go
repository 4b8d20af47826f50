package api

import (
	"crypto/subtle"
	"net/http"
	"net/http/pprof"
	"strings"

	"github.com/labstack/echo/v4"
)

// pprofRoutes are Go's profiling endpoints at the unprefixed /debug/pprof,
// present only when a secret is configured and answering 403 to requests
// without "Authorization: Bearer <secret>".
func (s *Server) pprofRoutes() []route {
	if s.opts.PprofToken == "" {
		return nil
	}
	h := func(fn http.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			got, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.opts.PprofToken)) != 1 {
				return echo.NewHTTPError(http.StatusForbidden, "profiling needs the pprof token (MOBU_PPROF_TOKEN)")
			}
			fn(c.Response(), c.Request())
			return nil
		}
	}
	var rs []route
	for path, fn := range map[string]http.HandlerFunc{
		"/debug/pprof/": pprof.Index, "/debug/pprof/*": pprof.Index, "/debug/pprof/cmdline": pprof.Cmdline,
		"/debug/pprof/profile": pprof.Profile, "/debug/pprof/symbol": pprof.Symbol, "/debug/pprof/trace": pprof.Trace,
	} {
		rs = append(rs, route{method: http.MethodGet, path: path, handler: h(fn), public: true, unprefixed: true})
	}
	return rs
}
