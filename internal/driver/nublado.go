package driver

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/flock"
	"github.com/mobu-dev/mobu/internal/gafaelfawr"
	"github.com/mobu-dev/mobu/internal/jupyter"
	"github.com/mobu-dev/mobu/internal/notebook"
	"github.com/mobu-dev/mobu/internal/repertoire"
	"gopkg.in/yaml.v3"
)

// RSP configures the Rubin Science Platform driver.
type RSP struct {
	Static     config.Nublado     // URLs given in the config; empty ones come from Repertoire
	Repertoire *repertoire.Client // nil: static URLs only
	AdminToken string             // gafaelfawrToken
	// Tokens are fixed bot tokens by username (nublado.tokensFile); nil:
	// tokens are minted with AdminToken.
	Tokens    map[string]string
	Timeout   time.Duration     // gafaelfawrTimeout; 0: the client's default
	Transport http.RoundTripper // shared by the hub and Gafaelfawr clients; default jupyter.NewTransport
	Logger    *slog.Logger
}

// platform resolves the hub and Gafaelfawr URLs once (from the config or
// Repertoire) and holds the clients every bot shares.
type platform struct {
	cfg RSP
	mu  sync.Mutex
	hub *jupyter.Nublado
	gf  *gafaelfawr.Client
}

// Nublado returns the lab factory of the Rubin driver. URLs are resolved on
// the first login, so a Repertoire outage at startup only delays monkeys
// (they retry with backoff) instead of failing the service.
func Nublado(cfg RSP) (flock.LabFactory, error) {
	if cfg.AdminToken == "" && cfg.Tokens == nil {
		return nil, errors.New("the Nublado driver needs the Gafaelfawr admin token (MOBU_GAFAELFAWR_TOKEN) or a tokens file")
	}
	if cfg.Repertoire == nil && (cfg.Static.URL == "" || (cfg.Static.GafaelfawrURL == "" && cfg.Tokens == nil)) {
		return nil, errors.New("the Nublado driver needs REPERTOIRE_BASE_URL, or nublado.url and nublado.gafaelfawrUrl")
	}
	if cfg.Transport == nil {
		cfg.Transport = jupyter.NewTransport()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	p := &platform{cfg: cfg}
	return func(u config.User, scopes []string, o *config.LabOptions) (notebook.Lab, error) {
		var tok tokenSource = &botToken{p: p, user: gafaelfawrUser(u), scopes: scopes, revoke: cfg.Static.Revokes(),
			log: cfg.Logger.With("user", u.Username)}
		if cfg.Tokens != nil {
			fixed, ok := cfg.Tokens[u.Username]
			if !ok {
				return nil, fmt.Errorf("no token for %s in nublado.tokensFile", u.Username)
			}
			tok = fixedToken(fixed)
		}
		opts := jupyter.NubladoOptions{
			Image:       jupyter.Image{Class: o.Image.Class, Tag: o.Image.Tag, Reference: o.Image.Reference, Size: o.Image.Size, Debug: o.Image.Debug},
			SpawnSettle: o.SpawnSettleTime.D(), KernelName: o.KernelName, Kernel: kernelOptions(o),
		}
		return &nubladoLab{p: p, name: u.Username, token: tok, opts: opts}, nil
	}, nil
}

// clients returns the shared clients, resolving URLs on first success.
func (p *platform) clients(ctx context.Context) (*jupyter.Nublado, *gafaelfawr.Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.hub != nil {
		return p.hub, p.gf, nil
	}
	minting := p.cfg.Tokens == nil
	hubURL, gfURL := p.cfg.Static.URL, gafaelfawrAPI(p.cfg.Static.GafaelfawrURL)
	if hubURL == "" || (gfURL == "" && minting) {
		d, err := p.cfg.Repertoire.Discover(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("discovering the Nublado and Gafaelfawr URLs: %w", err)
		}
		hubURL, gfURL = cmp.Or(hubURL, d.NubladoURL), cmp.Or(gfURL, d.GafaelfawrURL)
		if hubURL == "" || (gfURL == "" && minting) {
			return nil, nil, errors.New("Repertoire's discovery lists no Nublado or no Gafaelfawr URL; set nublado.url and nublado.gafaelfawrUrl")
		}
	}
	hub, err := jupyter.NewNublado(jupyter.NubladoConfig{URL: hubURL, Transport: p.cfg.Transport, Logger: p.cfg.Logger})
	if err != nil {
		return nil, nil, err
	}
	var gf *gafaelfawr.Client
	if minting {
		gf, err = gafaelfawr.New(gafaelfawr.Config{BaseURL: gfURL, AdminToken: p.cfg.AdminToken, Timeout: p.cfg.Timeout,
			Lifetime: p.cfg.Static.TokenLifetime.D(), HTTPClient: &http.Client{Transport: p.cfg.Transport}, Logger: p.cfg.Logger})
		if err != nil {
			return nil, nil, err
		}
	}
	p.cfg.Logger.Info("Rubin Science Platform driver ready", "nublado", hubURL, "gafaelfawr", gfURL)
	p.hub, p.gf = hub, gf
	return hub, gf, nil
}

// LoadTokens reads a tokens file: a JSON or YAML mapping of bot username to
// token.
func LoadTokens(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the bot tokens file: %w", err)
	}
	var m map[string]string
	if err := yaml.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("bot tokens file %s: want a mapping of username to token: %w", path, err)
	}
	if m == nil {
		m = map[string]string{}
	}
	for u, tok := range m {
		if tok == "" {
			return nil, fmt.Errorf("bot tokens file %s: empty token for %s", path, u)
		}
	}
	return m, nil
}

// gafaelfawrAPI accepts Gafaelfawr's host URL (https://host), its API
// (https://host/auth/api) or the v1 API base, and returns the v1 API base.
func gafaelfawrAPI(raw string) string {
	raw = strings.TrimRight(raw, "/")
	u, err := url.Parse(raw)
	switch {
	case raw == "" || err != nil:
		return raw
	case u.Path == "":
		return raw + "/auth/api/v1"
	case strings.HasSuffix(u.Path, "/auth/api"):
		return raw + "/v1"
	}
	return raw
}

func gafaelfawrUser(u config.User) gafaelfawr.User {
	g := gafaelfawr.User{Username: u.Username, UID: u.UIDNumber, GID: u.GIDNumber}
	for _, gr := range u.Groups {
		g.Groups = append(g.Groups, gafaelfawr.Group{Name: gr.Name, ID: gr.ID})
	}
	return g
}
