// Package gafaelfawr mints and revokes Gafaelfawr service tokens for mobu's
// bot users. On the Rubin Science Platform such a token is a bot's only
// credential: mobu creates it with its admin token (POST /tokens), then asks
// Gafaelfawr who the token belongs to (GET /user-info).
//
// Secrets (the admin token and every minted token) never appear in logs or
// in error texts.
package gafaelfawr

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/mobu-dev/mobu/internal/ctxtime"
)

const (
	// DefaultTimeout bounds each HTTP request (mobu's gafaelfawrTimeout).
	DefaultTimeout = 30 * time.Second
	// DefaultLifetime is how long minted tokens live.
	DefaultLifetime = 365 * 24 * time.Hour
	// DefaultMaxConcurrent is how many Mint calls may run at once.
	DefaultMaxConcurrent = 10
	// TokenName is the full name stored with every minted token.
	TokenName = "Mobu Test User"
	// BotPrefix starts every username mobu may mint or revoke tokens for.
	BotPrefix = "bot-mobu"

	// attempts is how often a transient failure is tried in all.
	attempts = 4
	// firstBackoff is the wait before the first retry; it doubles after.
	firstBackoff = 250 * time.Millisecond
	// maxBody bounds how much of a response is read.
	maxBody = 1 << 20
)

// tokenRE is Gafaelfawr's token format, gt-<key>.<secret> (128 bits each in
// unpadded URL-safe base64); it also finds tokens to redact in error texts.
var tokenRE = regexp.MustCompile(`gt-([A-Za-z0-9_-]{22})\.[A-Za-z0-9_-]{22}`)

// Config configures a Client.
type Config struct {
	// BaseURL is Gafaelfawr's API base, e.g. https://host/auth/api/v1.
	BaseURL string
	// AdminToken has the admin:token scope (mobu's gafaelfawrToken).
	AdminToken string
	// Timeout bounds each request (default DefaultTimeout).
	Timeout time.Duration
	// Lifetime is the minted tokens' expiry (default DefaultLifetime).
	Lifetime time.Duration
	// HTTPClient sends the requests (default: a new http.Client).
	HTTPClient *http.Client
	// Logger gets retries and minted token keys (default: discarded).
	Logger *slog.Logger
	// MaxConcurrent caps concurrent Mint calls on this Client (default
	// DefaultMaxConcurrent). Share one Client per process.
	MaxConcurrent int
}

// User is a bot user to mint a token for, from mobu's flock config.
type User struct {
	Username string
	// UID and GID override Gafaelfawr's own sources; nil leaves the choice
	// to Gafaelfawr (Firestore). A nil GID with a UID sends the UID as GID.
	UID, GID *int
	Groups   []Group
}

// Group is a group membership.
type Group struct {
	Name string `json:"name"`
	ID   int    `json:"id"`
}

// Identity is who Gafaelfawr says a token belongs to (GET /user-info). UID
// and GID are 0 when Gafaelfawr has none.
type Identity struct {
	Username string
	UID, GID int
	Groups   []Group
}

// ErrNotBot is returned (wrapped), before any request, for a username that
// does not start with BotPrefix.
const ErrNotBot = constError(`username does not start with "` + BotPrefix + `"`)

// constError is an error that can be a constant.
type constError string

func (e constError) Error() string { return string(e) }

// Client talks to Gafaelfawr's token API. It is safe for concurrent use.
type Client struct {
	base     string
	admin    string
	timeout  time.Duration
	lifetime time.Duration
	http     *http.Client
	log      *slog.Logger
	sem      chan struct{}
	now      func() time.Time
	sleep    func(context.Context, time.Duration) error
}

// New checks cfg and makes a Client.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("gafaelfawr: base URL %q is not an http(s) URL", cfg.BaseURL)
	}
	if cfg.AdminToken == "" {
		return nil, errors.New("gafaelfawr: no admin token")
	}
	if cfg.Timeout < 0 || cfg.Lifetime < 0 || cfg.MaxConcurrent < 0 {
		return nil, errors.New("gafaelfawr: negative timeout, lifetime or concurrency")
	}
	c := &Client{
		base: strings.TrimRight(cfg.BaseURL, "/"), admin: cfg.AdminToken,
		timeout: cmp.Or(cfg.Timeout, DefaultTimeout), lifetime: cmp.Or(cfg.Lifetime, DefaultLifetime),
		http: cfg.HTTPClient, log: cfg.Logger,
		sem: make(chan struct{}, cmp.Or(cfg.MaxConcurrent, DefaultMaxConcurrent)),
		now: time.Now, sleep: ctxtime.Sleep,
	}
	if c.http == nil {
		c.http = &http.Client{}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// checkBot refuses usernames mobu must not touch.
func checkBot(username string) error {
	if !strings.HasPrefix(username, BotPrefix) {
		return ErrNotBot
	}
	return nil
}

// tokenKey returns the key part of gt-<key>.<secret>.
func tokenKey(token string) (string, bool) {
	m := tokenRE.FindStringSubmatch(token)
	if m == nil || m[0] != token {
		return "", false
	}
	return m[1], true
}
