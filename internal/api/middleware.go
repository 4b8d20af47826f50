package api

import (
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// userHeader names the user authenticated by the ingress (Gafaelfawr).
const userHeader = "X-Auth-Request-User"

// logRequests handles the request (errors included, so the final status is
// known) and logs it.
func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err)
		}
		req, status := c.Request(), c.Response().Status
		level := slog.LevelInfo
		if status >= http.StatusInternalServerError {
			level = slog.LevelError
		}
		s.log.LogAttrs(req.Context(), level, "request",
			slog.String("method", req.Method), slog.String("path", req.URL.Path),
			slog.Int("status", status), slog.Duration("duration", time.Since(start)),
			slog.String("user", req.Header.Get(userHeader)))
		return nil
	}
}

// requireToken checks "Authorization: Bearer <Token>".
func (s *Server) requireToken(next echo.HandlerFunc) echo.HandlerFunc {
	want := []byte(s.opts.Token)
	return func(c echo.Context) error {
		scheme, token, ok := strings.Cut(c.Request().Header.Get(echo.HeaderAuthorization), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return authError{"Authorization: Bearer token required"}
		}
		if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), want) != 1 {
			return authError{"Invalid token"}
		}
		return next(c)
	}
}
