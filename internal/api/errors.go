package api

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/flock"
)

// safirError is one entry of Safir's error body
// {"detail": [{"loc": [...], "msg": "...", "type": "..."}]}.
type safirError struct {
	Loc  []any  `json:"loc,omitempty"`
	Msg  string `json:"msg"`
	Type string `json:"type"`
}

// validationError is one entry of FastAPI's 422 body.
type validationError struct {
	Type  string `json:"type"`
	Loc   []any  `json:"loc"`
	Msg   string `json:"msg"`
	Input any    `json:"input"` // always null: we do not echo input back
}

// detail is the body of every error response.
type detail struct {
	Detail any `json:"detail"`
}

// jsonError is a request body that is not JSON.
type jsonError struct{ err error }

func (e jsonError) Error() string { return "JSON decode error: " + e.err.Error() }

// queryError is a query parameter of the wrong type.
type queryError struct{ name, msg string }

func (e queryError) Error() string { return "query parameter " + e.name + ": " + e.msg }

// authError is a missing or wrong bearer token.
type authError struct{ msg string }

func (e authError) Error() string { return e.msg }

// errorResponse maps an error to its status and body. It is the only place
// where errors become HTTP statuses.
func (s *Server) errorResponse(c echo.Context, err error) (int, detail) {
	var (
		problems config.Problems
		badJSON  jsonError
		query    queryError
		auth     authError
		httpErr  *echo.HTTPError
	)
	switch {
	case errors.Is(err, flock.ErrFlockNotFound):
		return http.StatusNotFound, domainError("flock", "Flock "+c.Param("flock")+" not found", "flock_not_found")
	case errors.Is(err, flock.ErrMonkeyNotFound):
		return http.StatusNotFound, domainError("monkey", "Monkey "+c.Param("monkey")+" not found", "monkey_not_found")
	case errors.Is(err, flock.ErrShuttingDown):
		return http.StatusServiceUnavailable, detail{[]safirError{{Msg: "mobu is shutting down: no new flocks or runs",
			Type: "shutting_down"}}}
	case errors.As(err, &problems):
		return http.StatusUnprocessableEntity, problemsDetail(problems)
	case errors.Is(err, flock.ErrUnsupported):
		return http.StatusUnprocessableEntity, detail{[]validationError{{Type: "value_error",
			Loc: []any{"body", "business", "type"}, Msg: err.Error()}}}
	case errors.As(err, &badJSON):
		return http.StatusUnprocessableEntity, detail{[]validationError{{Type: "json_invalid",
			Loc: []any{"body"}, Msg: badJSON.Error()}}}
	case errors.As(err, &query):
		return http.StatusUnprocessableEntity, detail{[]validationError{{Type: "value_error",
			Loc: []any{"query", query.name}, Msg: query.msg}}}
	case errors.As(err, &auth):
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="mobu"`)
		return http.StatusUnauthorized, detail{[]safirError{{Msg: auth.msg, Type: "invalid_token"}}}
	case errors.As(err, &httpErr) && httpErr.Code < http.StatusInternalServerError:
		return httpErr.Code, detail{http.StatusText(httpErr.Code)}
	}
	s.log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "error", err)
	return http.StatusInternalServerError, detail{http.StatusText(http.StatusInternalServerError)}
}

func domainError(param, msg, typ string) detail {
	return detail{[]safirError{{Loc: []any{"path", param}, Msg: msg, Type: typ}}}
}

// problemsDetail renders configuration problems in FastAPI's form, one
// entry per problem, located under "body".
func problemsDetail(ps config.Problems) detail {
	out := make([]validationError, len(ps))
	for i, p := range ps {
		out[i] = validationError{Type: "value_error", Loc: append([]any{"body"}, p.Loc...), Msg: p.Msg}
	}
	return detail{out}
}

// handleError is echo's HTTPErrorHandler.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		if !errors.Is(err, c.Request().Context().Err()) {
			s.log.Warn("error after the response started", "path", c.Request().URL.Path, "error", err)
		}
		return
	}
	status, body := s.errorResponse(c, err)
	if c.Request().Method == http.MethodHead {
		err = c.NoContent(status)
	} else {
		err = writeJSON(c, status, body)
	}
	if err != nil {
		s.log.Warn("writing error response", "error", err)
	}
}
