package jupyter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// HubConfig configures a Hub client.
type HubConfig struct {
	URL        string       // hub root, e.g. http://127.0.0.1:8000 or https://host/nb
	Token      string       // admin (service) token
	HTTPClient *http.Client // shared by every user; default: NewTransport, no timeout
	Dialer     *websocket.Dialer
	Logger     *slog.Logger
}

// Hub is a JupyterHub REST client holding an admin token. It is safe for
// concurrent use and shares one connection pool between all users.
type Hub struct {
	api    requester // {hub}/hub/api
	origin string    // scheme://host of the hub, for server URLs
	dialer *websocket.Dialer
	log    *slog.Logger
}

// NewHub validates the configuration and returns a client.
func NewHub(cfg HubConfig) (*Hub, error) {
	u, err := url.Parse(strings.TrimRight(cfg.URL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("hub url %q: must be an absolute http(s) URL", cfg.URL)
	}
	if cfg.Token == "" {
		return nil, errors.New("hub token is empty")
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Transport: NewTransport()}
	}
	if cfg.Dialer == nil {
		cfg.Dialer = newDialer()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Hub{
		api:    requester{client: cfg.HTTPClient, base: u.String() + "/hub/api", auth: tokenAuth(cfg.Token)},
		origin: u.Scheme + "://" + u.Host,
		dialer: cfg.Dialer,
		log:    cfg.Logger,
	}, nil
}

// newDialer is the default kernel websocket dialer: small per-connection
// read buffers and pooled write buffers, since with 10,000 monkeys connected
// 64 KiB each would cost 640 MB.
func newDialer() *websocket.Dialer {
	return &websocket.Dialer{Proxy: http.ProxyFromEnvironment, ReadBufferSize: 4 << 10,
		WriteBufferSize: 4 << 10, WriteBufferPool: &sync.Pool{}}
}

// serverModel is the part of JupyterHub's server model mobu reads.
type serverModel struct {
	Name    string  `json:"name"`
	Ready   bool    `json:"ready"`
	Pending *string `json:"pending"`
	URL     string  `json:"url"`
}

type userModel struct {
	Name    string                 `json:"name"`
	Servers map[string]serverModel `json:"servers"`
}

// ensureUser creates the user; an existing user (409) is fine.
func (h *Hub) ensureUser(ctx context.Context, name string) error {
	_, err := h.api.do(ctx, http.MethodPost, "/users/"+url.PathEscape(name), nil, nil)
	if statusOf(err) == http.StatusConflict {
		return nil
	}
	if err != nil {
		return fmt.Errorf("creating user %s: %w", name, err)
	}
	return nil
}

type tokenModel struct {
	ID    string `json:"id"`
	Token string `json:"token"`
}

// createToken issues an API token for the user.
func (h *Hub) createToken(ctx context.Context, name string, lifetime time.Duration) (tokenModel, error) {
	body := map[string]any{"note": "mobu"}
	if lifetime > 0 {
		body["expires_in"] = int(lifetime.Seconds())
	}
	var t tokenModel
	_, err := h.api.do(ctx, http.MethodPost, "/users/"+url.PathEscape(name)+"/tokens", body, &t)
	if err == nil && t.Token == "" {
		err = errors.New("hub answered without a token")
	}
	if err != nil {
		return t, fmt.Errorf("creating token for %s: %w", name, err)
	}
	return t, nil
}

// revokeToken deletes a token; a token already gone is fine.
func (h *Hub) revokeToken(ctx context.Context, name, id string) error {
	path := "/users/" + url.PathEscape(name) + "/tokens/" + url.PathEscape(id)
	if _, err := h.api.do(ctx, http.MethodDelete, path, nil, nil); err != nil && statusOf(err) != http.StatusNotFound {
		return fmt.Errorf("revoking token of %s: %w", name, err)
	}
	return nil
}

// server returns the user's named server model, or nil if it is not running.
func (h *Hub) server(ctx context.Context, user, server string) (*serverModel, error) {
	var u userModel
	if _, err := h.api.do(ctx, http.MethodGet, "/users/"+url.PathEscape(user), nil, &u); err != nil {
		if statusOf(err) == http.StatusNotFound {
			return nil, nil
		}
		return nil, fmt.Errorf("reading user %s: %w", user, err)
	}
	if u.Servers == nil {
		return nil, fmt.Errorf("reading user %s: no servers in the user model (the token needs read:servers)", user)
	}
	if s, ok := u.Servers[server]; ok {
		return &s, nil
	}
	return nil, nil
}

// serverPath is the hub API path of a user's default or named server.
func serverPath(user, server string) string {
	p := "/users/" + url.PathEscape(user)
	if server == "" {
		return p + "/server"
	}
	return p + "/servers/" + url.PathEscape(server)
}
