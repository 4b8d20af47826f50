package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mobu-dev/mobu/internal/flock"
)

// monkey finds the monkey named in the path.
func (s *Server) monkey(c echo.Context) (*flock.Flock, *flock.Monkey, error) {
	f, err := s.opts.Manager.Get(c.Param("flock"))
	if err != nil {
		return nil, nil, err
	}
	m, ok := f.Monkey(c.Param("monkey"))
	if !ok {
		return nil, nil, fmt.Errorf("%w: %s", flock.ErrMonkeyNotFound, c.Param("monkey"))
	}
	return f, m, nil
}

func (s *Server) listMonkeys(c echo.Context) error {
	f, err := s.opts.Manager.Get(c.Param("flock"))
	if err != nil {
		return err
	}
	names := []string{}
	for _, m := range f.Monkeys() {
		names = append(names, m.Name())
	}
	slices.Sort(names)
	return writeJSON(c, http.StatusOK, names)
}

func (s *Server) getMonkey(c echo.Context) error {
	_, m, err := s.monkey(c)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, m.Data())
}

// monkeyLog sends the monkey's retained log as a file download; with
// ?follow=true it keeps streaming new lines until the client goes away, the
// monkey is gone (its log closed) or the server shuts down (EndStreams).
func (s *Server) monkeyLog(c echo.Context) error {
	f, m, err := s.monkey(c)
	if err != nil {
		return err
	}
	follow := false
	if v := c.QueryParam("follow"); v != "" {
		if follow, err = strconv.ParseBool(v); err != nil {
			return queryError{name: "follow", msg: "Input should be a valid boolean"}
		}
	}
	stamp := time.Now().UTC().Format("2006-01-02T15:04:05Z")
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/plain; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s-%s-%s"`, f.Name(), m.Name(), stamp))
	h.Set("X-Content-Type-Options", "nosniff")
	c.Response().WriteHeader(http.StatusOK)
	// Sending the headers at once makes the body chunked (net/http would
	// otherwise add a Content-Length to a short log) and lets a follower see
	// the response before the first new line.
	rc := http.NewResponseController(c.Response().Writer)
	flush := func() { _ = rc.Flush() }
	flush()
	if !follow {
		_, err = m.Log().WriteTo(c.Response())
		return err
	}
	ctx, cancel := context.WithCancel(c.Request().Context())
	defer cancel()
	defer context.AfterFunc(s.streams, cancel)()
	return m.Log().Follow(ctx, c.Response(), flush)
}
