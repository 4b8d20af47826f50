// Package repertoire reads Repertoire's service discovery: which Phalanx
// applications run in the environment and where Gafaelfawr's API and
// Nublado's hub are. Answers are cached, and a stale answer beats none: a
// discovery outage must not stop monkeys.
package repertoire

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

const (
	// DefaultTTL is how long an answer is used before it is fetched again
	// (as in the rubin.repertoire client).
	DefaultTTL = 5 * time.Minute
	// defaultTimeout bounds requests of the default HTTP client.
	defaultTimeout = 30 * time.Second
	// maxBody bounds how much of an answer is read.
	maxBody = 8 << 20
)

// Discovery is the part of Repertoire's answer mobu uses.
type Discovery struct {
	// Applications are the Phalanx applications enabled in the environment.
	Applications []string
	// EnvironmentName is for reports; "" when Repertoire has none.
	EnvironmentName string
	// GafaelfawrURL is Gafaelfawr's v1 API base (e.g.
	// https://host/auth/api/v1); "" if absent.
	GafaelfawrURL string
	// NubladoURL is Nublado's hub (e.g. https://nb.host/nb); "" if absent.
	NubladoURL string
}

// Options configures a Client; zero values take the defaults.
type Options struct {
	HTTPClient *http.Client     // default: an http.Client with a 30 s timeout
	Logger     *slog.Logger     // default: discarded
	TTL        time.Duration    // default DefaultTTL
	Now        func() time.Time // default time.Now
}

// Client fetches and caches discovery. It is safe for concurrent use.
type Client struct {
	url  string
	http *http.Client
	log  *slog.Logger
	ttl  time.Duration
	now  func() time.Time
	// lock (a 1-slot semaphore, so waiting honours ctx) guards the cache
	// and lets one caller at a time refetch.
	lock    chan struct{}
	cached  *Discovery
	fetched time.Time
	// started counts fetches begun; cachedBy is the number of the fetch
	// that produced cached.
	started  atomic.Int64
	cachedBy int64
}

// New makes a client of the Repertoire at baseURL (REPERTOIRE_BASE_URL,
// e.g. https://host/repertoire).
func New(baseURL string, opts Options) *Client {
	c := &Client{
		url:  strings.TrimRight(baseURL, "/") + "/discovery",
		http: opts.HTTPClient, log: opts.Logger, ttl: opts.TTL, now: opts.Now,
		lock: make(chan struct{}, 1),
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: defaultTimeout}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.ttl <= 0 {
		c.ttl = DefaultTTL
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c
}

// Discover returns the environment's discovery data: the cached answer if
// it is younger than the TTL, else a fresh one. If fetching fails and an
// older answer exists, that one is returned and a warning logged.
func (c *Client) Discover(ctx context.Context) (*Discovery, error) {
	return c.discover(ctx, false)
}

// Refresh reads discovery afresh whatever the cache's age (a flock refresh
// re-reads the application list). Callers that waited while another
// caller's read, begun after their own call, completed share its answer, so
// a flock refreshing many monkeys at once costs one request. If fetching
// fails, the cached answer is returned as Discover does.
func (c *Client) Refresh(ctx context.Context) (*Discovery, error) {
	return c.discover(ctx, true)
}

func (c *Client) discover(ctx context.Context, fresh bool) (*Discovery, error) {
	asked := c.started.Load()
	select {
	case c.lock <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("discovering services: %w", context.Cause(ctx))
	}
	defer func() { <-c.lock }()
	now := c.now()
	if c.cached != nil && ((!fresh && now.Sub(c.fetched) <= c.ttl) || (fresh && c.cachedBy > asked)) {
		return c.cached.clone(), nil
	}
	n := c.started.Add(1)
	d, err := c.fetch(ctx)
	if err != nil {
		if c.cached == nil {
			return nil, fmt.Errorf("discovering services: %w", err)
		}
		c.log.WarnContext(ctx, "refreshing service discovery failed, using cached data",
			"error", err.Error(), "age", now.Sub(c.fetched).Round(time.Second).String())
		return c.cached.clone(), nil
	}
	c.cached, c.fetched, c.cachedBy = d, now, n
	return d.clone(), nil
}

// Applications reports every enabled application as true (mobu's
// payload.AppSource). The list is read afresh on each call (Refresh): it is
// asked for when a monkey starts and when its flock is refreshed, and a
// refresh must see applications enabled since.
func (c *Client) Applications(ctx context.Context) (map[string]bool, error) {
	d, err := c.Refresh(ctx)
	if err != nil {
		return nil, err
	}
	apps := make(map[string]bool, len(d.Applications))
	for _, a := range d.Applications {
		apps[a] = true
	}
	return apps, nil
}

func (d *Discovery) clone() *Discovery {
	out := *d
	out.Applications = slices.Clone(d.Applications)
	return &out
}

// fetch is GET {base}/discovery (anonymous).
func (c *Client) fetch(ctx context.Context) (*Discovery, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", c.url, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "mobu")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", c.url, unwrapURLError(err))
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d %s", c.url, resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("GET %s: reading the answer: %w", c.url, unwrapURLError(err))
	}
	d, err := parse(body)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", c.url, err)
	}
	return d, nil
}
