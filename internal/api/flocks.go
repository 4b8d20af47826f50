package api

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/flock"
)

// FlockData is a flock as the API shows it (mobu's FlockData).
type FlockData struct {
	Name    string             `json:"name"`
	Config  *config.Flock      `json:"config"`
	Paused  bool               `json:"paused"`
	Monkeys []flock.MonkeyData `json:"monkeys"`
}

// CombinedSummary is the body of GET {prefix}/summary. CIManager is null
// when the CI app is not configured.
type CombinedSummary struct {
	Flocks    []flock.Summary `json:"flocks"`
	CIManager any             `json:"ci_manager"`
	// Events holds event delivery counts (published, written, retries,
	// spilled, dropped, rejected, pending, …) when publishing is wired.
	Events any `json:"events,omitempty"`
}

func flockData(f *flock.Flock) FlockData {
	d := FlockData{Name: f.Name(), Config: f.Config(), Paused: f.Paused(), Monkeys: []flock.MonkeyData{}}
	for _, m := range f.Monkeys() {
		d.Monkeys = append(d.Monkeys, m.Data())
	}
	return d
}

func (s *Server) getRoot(c echo.Context) error {
	return writeJSON(c, http.StatusOK, s.opts.Metadata)
}

func (s *Server) getIndex(c echo.Context) error {
	return writeJSON(c, http.StatusOK, map[string]Metadata{"metadata": s.opts.Metadata})
}

func (s *Server) listFlocks(c echo.Context) error {
	return writeJSON(c, http.StatusOK, s.opts.Manager.Names())
}

// putFlock starts (or replaces) a flock; it returns once its monkeys started.
func (s *Server) putFlock(c echo.Context) error {
	body, err := readJSON(c)
	if err != nil {
		return err
	}
	cfg, problems := config.ParseFlockJSON(body)
	if err := problems.Err(); err != nil {
		return err
	}
	s.log.Info("starting flock", "flock", cfg.Name, "user", c.Request().Header.Get(userHeader))
	f, err := s.opts.Manager.Start(c.Request().Context(), cfg)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, s.flockURL(c.Request(), f.Name()))
	return writeJSON(c, http.StatusCreated, flockData(f))
}

// flockURL is the absolute URL of GET {prefix}/flocks/{name} as the client
// reached us (the scheme from X-Forwarded-Proto behind a proxy).
func (s *Server) flockURL(r *http.Request, name string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get(echo.HeaderXForwardedProto); p != "" {
		scheme = strings.TrimSpace(strings.Split(p, ",")[0])
	}
	u := url.URL{Scheme: scheme, Host: r.Host, Path: s.opts.Prefix + "/flocks/" + name}
	return u.String()
}

func (s *Server) getFlock(c echo.Context) error {
	f, err := s.opts.Manager.Get(c.Param("flock"))
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, flockData(f))
}

func (s *Server) deleteFlock(c echo.Context) error {
	if err := s.opts.Manager.Delete(c.Param("flock")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// withFlock runs act on the named flock and answers 202.
func (s *Server) withFlock(c echo.Context, act func(*flock.Flock)) error {
	f, err := s.opts.Manager.Get(c.Param("flock"))
	if err != nil {
		return err
	}
	act(f)
	return accepted(c)
}

func (s *Server) refreshFlock(c echo.Context) error { return s.withFlock(c, (*flock.Flock).Refresh) }
func (s *Server) pauseFlock(c echo.Context) error   { return s.withFlock(c, (*flock.Flock).Pause) }
func (s *Server) resumeFlock(c echo.Context) error  { return s.withFlock(c, (*flock.Flock).Resume) }

func (s *Server) flockSummary(c echo.Context) error {
	f, err := s.opts.Manager.Get(c.Param("flock"))
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, f.Summary(time.Now()))
}

// flockFailures is GET {p}/flocks/{flock}/failures?limit=N (ours).
func (s *Server) flockFailures(c echo.Context) error {
	f, err := s.opts.Manager.Get(c.Param("flock"))
	if err != nil {
		return err
	}
	n, err := queryInt(c, "limit", 20, 1, 50)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, f.Failures(n))
}

// flockTimings is GET {p}/flocks/{flock}/timings?recent=N (ours).
func (s *Server) flockTimings(c echo.Context) error {
	f, err := s.opts.Manager.Get(c.Param("flock"))
	if err != nil {
		return err
	}
	n, err := queryInt(c, "recent", 30, 0, 200)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, f.Timings(time.Now(), n))
}

// queryInt reads an optional integer query parameter within [lo, hi].
func queryInt(c echo.Context, name string, def, lo, hi int) (int, error) {
	raw := c.QueryParam(name)
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		return 0, echo.NewHTTPError(http.StatusUnprocessableEntity,
			fmt.Sprintf("query parameter %s must be an integer from %d to %d (got %q)", name, lo, hi, raw))
	}
	return n, nil
}

func (s *Server) summary(c echo.Context) error {
	sum := CombinedSummary{Flocks: s.opts.Manager.Summaries()}
	if s.opts.Events != nil {
		sum.Events = s.opts.Events()
	}
	if s.opts.CI != nil {
		sum.CIManager = s.opts.CI()
	}
	if sum.Flocks == nil {
		sum.Flocks = []flock.Summary{}
	}
	return writeJSON(c, http.StatusOK, sum)
}

// run runs one solitary monkey once and reports the outcome (200 whether it
// passed or not; 503 once shutdown has begun).
func (s *Server) run(c echo.Context) error {
	body, err := readJSON(c)
	if err != nil {
		return err
	}
	sol, problems := config.ParseSolitaryJSON(body)
	if err := problems.Err(); err != nil {
		return err
	}
	s.log.Info("running solitary monkey", "monkey", sol.User.Username, "business", sol.Business.Type,
		"user", c.Request().Header.Get(userHeader))
	res, err := s.opts.Manager.RunSolitary(c.Request().Context(), sol)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, res)
}
