// Package github is mobu's client for its GitHub Apps: it authenticates as
// an app (a JWT signed with the app's private key) and as an installation
// (short-lived installation tokens), creates and updates check runs, lists
// the files of a pull request, lists what the CI app's startup sweep reads
// (installations, their repositories, open pull requests, a commit's check
// runs), and verifies and decodes webhook deliveries.
//
// Authentication is go-github over ghinstallation: one AppsTransport signs
// the JWTs (used for installation tokens and GET /app/installations) and one ghinstallation.Transport per installation id caches that
// installation's token until a minute before it expires. Both sit on one
// retrying RoundTripper (see transport.go) over one shared http.Transport, so
// token requests and API calls get the same retry and rate-limit handling.
//
// The package is a leaf: it imports nothing from mobu's internal packages.
package github

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	gh "github.com/google/go-github/v88/github"
	"github.com/mobu-dev/mobu/internal/ctxtime"
)

const (
	// DefaultAPIURL is GitHub.com's REST API root.
	DefaultAPIURL     = "https://api.github.com/"
	defaultMaxRetries = 5
	userAgent         = "mobu"
	// responseHeaderTimeout bounds a single attempt waiting for GitHub;
	// GitHub itself gives up on requests after 10 s.
	responseHeaderTimeout = 60 * time.Second
)

// AppConfig configures an App.
type AppConfig struct {
	// AppID is the GitHub App's numeric id (the JWT issuer).
	AppID int64
	// PrivateKey is the app's private key, PEM encoded, PKCS#1 or PKCS#8.
	PrivateKey []byte
	// APIURL is the REST API root: default https://api.github.com/ ; for
	// GitHub Enterprise Server https://host/api/v3/ .
	APIURL string
	// Logger receives retry and warning messages (default: discarded).
	Logger *slog.Logger
	// Sleep waits d or until ctx ends (default: a timer); tests inject it.
	Sleep func(ctx context.Context, d time.Duration) error
	// MaxRetries is how many times one request is retried (default 5; a
	// negative value disables retries).
	MaxRetries int
}

// Repo names a repository and the app installation that can access it.
type Repo struct {
	InstallationID int64
	Owner, Name    string
}

// App is a GitHub App client. It is safe for concurrent use.
type App struct {
	apiURL string
	appID  int64
	log    *slog.Logger
	now    func() time.Time
	apps   *ghinstallation.AppsTransport
	asApp  *gh.Client // authenticated with the app's JWT (GET /app/...)

	mu       sync.Mutex
	installs map[int64]*gh.Client
}

// NewApp validates cfg and returns an App. No request is made.
func NewApp(cfg AppConfig) (*App, error) {
	if cfg.AppID <= 0 {
		return nil, fmt.Errorf("app id must be positive, got %d", cfg.AppID)
	}
	key, err := parsePrivateKey(cfg.PrivateKey)
	if err != nil {
		return nil, err
	}
	apiURL, err := normalizeAPIURL(cfg.APIURL)
	if err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sleep := cfg.Sleep
	if sleep == nil {
		sleep = ctxtime.Sleep
	}
	retries := cfg.MaxRetries
	switch {
	case retries == 0:
		retries = defaultMaxRetries
	case retries < 0:
		retries = 0
	}
	rt := &retryTransport{next: newHTTPTransport(), sleep: sleep, now: time.Now, maxRetries: retries, log: log}
	apps := ghinstallation.NewAppsTransportFromPrivateKey(rt, cfg.AppID, key)
	apps.BaseURL = apiURL
	a := &App{
		apiURL:   apiURL,
		appID:    cfg.AppID,
		log:      log,
		now:      time.Now,
		apps:     apps,
		installs: make(map[int64]*gh.Client),
	}
	appOnly := *apps // see client: each user of the AppsTransport gets its own copy
	if a.asApp, err = newClient(&appOnly, apiURL); err != nil {
		return nil, fmt.Errorf("app client: %w", err)
	}
	return a, nil
}

// ID is the app's id, as configured.
func (a *App) ID() int64 { return a.appID }

// newClient is a go-github client over rt at the API root.
func newClient(rt http.RoundTripper, apiURL string) (*gh.Client, error) {
	return gh.NewClient(
		gh.WithTransport(rt),
		gh.WithURLs(&apiURL, &apiURL),
		gh.WithUserAgent(userAgent),
		// Rate limits are waited out by retryTransport; go-github's own
		// bookkeeping would otherwise fail later calls without trying.
		gh.WithDisableRateLimitCheck(),
	)
}

// newHTTPTransport is the one connection pool under every request: a copy
// of net/http's default (proxy from the environment, HTTP/2, dial and TLS
// timeouts) with a bound on waiting for response headers.
func newHTTPTransport() *http.Transport {
	var t *http.Transport
	if dt, ok := http.DefaultTransport.(*http.Transport); ok {
		t = dt.Clone()
	} else {
		t = &http.Transport{Proxy: http.ProxyFromEnvironment, ForceAttemptHTTP2: true}
	}
	t.ResponseHeaderTimeout = responseHeaderTimeout
	return t
}

// parsePrivateKey accepts a PKCS#1 or PKCS#8 PEM RSA private key. Its
// errors never include the key material or the parser's detail.
func parsePrivateKey(pemBytes []byte) (*rsa.PrivateKey, error) {
	errNotRSA := errors.New("private key: not a PEM RSA key")
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errNotRSA
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, errNotRSA
	}
	rsaKey, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("private key: not a PEM RSA key (PKCS#8 %T)", k)
	}
	return rsaKey, nil
}

// normalizeAPIURL defaults and checks the API root and gives it a trailing
// slash, which go-github requires.
func normalizeAPIURL(raw string) (string, error) {
	if raw == "" {
		return DefaultAPIURL, nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("api url %q: want http(s)://host[/path/]", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("api url %q: must not carry credentials, a query or a fragment", u.Redacted())
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u.String(), nil
}

// client returns the cached go-github client of an installation, creating
// it on first use.
func (a *App) client(id int64) (*gh.Client, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if c, ok := a.installs[id]; ok {
		return c, nil
	}
	// ghinstallation's token refresh writes BaseURL and Client on its
	// AppsTransport, so installations refreshing concurrently through one
	// shared value race. Each gets a shallow copy: same signer, same
	// retrying transport, its own fields.
	apps := *a.apps
	itr := ghinstallation.NewFromAppsTransport(&apps, id)
	itr.BaseURL = a.apiURL
	c, err := newClient(itr, a.apiURL)
	if err != nil {
		return nil, fmt.Errorf("installation %d: client: %w", id, err)
	}
	a.installs[id] = c
	return c, nil
}

// forget drops an installation's client (and so its cached token) if it is
// still c.
func (a *App) forget(id int64, c *gh.Client) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.installs[id] == c {
		delete(a.installs, id)
	}
}

// call runs fn with the installation's client. A 401 from the API (a token
// revoked or expired early on GitHub's side) drops the cached token and
// tries once more with a fresh one. Errors are normalised by apiError.
func (a *App) call(ctx context.Context, r Repo, op string, fn func(*gh.Client) (*gh.Response, error)) error {
	if err := r.validate(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return a.callInstallation(ctx, r.InstallationID, op, fn)
}

// callInstallation is call for an installation-wide request.
func (a *App) callInstallation(ctx context.Context, id int64, op string, fn func(*gh.Client) (*gh.Response, error)) error {
	if id <= 0 {
		return fmt.Errorf("%s: installation id must be positive, got %d", op, id)
	}
	for attempt := 0; ; attempt++ {
		c, err := a.client(id)
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		resp, err := fn(c)
		if err == nil {
			return nil
		}
		if attempt == 0 && ctx.Err() == nil && resp != nil && resp.StatusCode == http.StatusUnauthorized {
			a.log.WarnContext(ctx, "github: unauthorized, renewing installation token",
				"op", op, "installation", id)
			a.forget(id, c)
			continue
		}
		return apiError(op, resp, err)
	}
}

func (r Repo) validate() error {
	if r.InstallationID <= 0 {
		return fmt.Errorf("installation id must be positive, got %d", r.InstallationID)
	}
	if r.Owner == "" || r.Name == "" {
		return errors.New("repository owner and name are required")
	}
	return nil
}

// repoPath is "repos/{owner}/{name}", relative to the API root, with both
// parts escaped.
func (r Repo) repoPath() string {
	return "repos/" + url.PathEscape(r.Owner) + "/" + url.PathEscape(r.Name)
}
