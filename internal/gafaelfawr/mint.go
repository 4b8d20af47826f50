package gafaelfawr

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// tokenRequest is Gafaelfawr's AdminTokenRequest, as mobu sends it.
type tokenRequest struct {
	Username  string   `json:"username"`
	TokenType string   `json:"token_type"`
	Scopes    []string `json:"scopes"`
	Expires   string   `json:"expires"`
	Name      string   `json:"name"`
	UID       *int     `json:"uid,omitempty"`
	GID       *int     `json:"gid,omitempty"`
	Groups    []Group  `json:"groups"`
}

// userInfo is the part of Gafaelfawr's UserInfo that mobu uses.
type userInfo struct {
	Username string  `json:"username"`
	UID      *int    `json:"uid"`
	GID      *int    `json:"gid"`
	Groups   []Group `json:"groups"`
}

// Mint creates a service token for u with scopes (POST {base}/tokens with
// the admin token), then resolves its identity (GET {base}/user-info with
// the new token) and checks that it belongs to u. Transient failures are
// retried. At most MaxConcurrent Mint calls run at once; the others wait.
func (c *Client) Mint(ctx context.Context, u User, scopes []string) (string, Identity, error) {
	op := "minting a token for " + u.Username
	if err := checkBot(u.Username); err != nil {
		return "", Identity{}, fmt.Errorf("%s: %w", op, err)
	}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return "", Identity{}, fmt.Errorf("%s: waiting for a minting slot: %w", op, context.Cause(ctx))
	}
	defer func() { <-c.sem }()

	token, err := c.create(ctx, u, scopes)
	if err != nil {
		return "", Identity{}, fmt.Errorf("%s: %w", op, err)
	}
	id, err := c.identify(ctx, token, u.Username)
	if err != nil {
		return "", Identity{}, fmt.Errorf("%s: %w", op, err)
	}
	key, _ := tokenKey(token)
	c.log.DebugContext(ctx, "minted Gafaelfawr token", "user", u.Username, "key", key,
		"uid", id.UID, "gid", id.GID, "scopes", scopes)
	return token, id, nil
}

// create asks Gafaelfawr for a new service token.
func (c *Client) create(ctx context.Context, u User, scopes []string) (string, error) {
	body := tokenRequest{
		Username: u.Username, TokenType: "service", Scopes: scopes,
		Expires: c.now().Add(c.lifetime).UTC().Truncate(time.Second).Format(time.RFC3339),
		Name:    TokenName, UID: u.UID, GID: u.GID, Groups: u.Groups,
	}
	if body.GID == nil {
		body.GID = u.UID // mobu: gidnumber defaults to uidnumber
	}
	if body.Scopes == nil {
		body.Scopes = []string{}
	}
	if body.Groups == nil {
		body.Groups = []Group{}
	}
	var out struct {
		Token string `json:"token"`
	}
	cl := call{method: http.MethodPost, url: c.base + "/tokens", bearer: c.admin, body: body, out: &out}
	if err := c.do(ctx, cl); err != nil {
		return "", err
	}
	if _, ok := tokenKey(out.Token); !ok {
		return "", fmt.Errorf("%s %s: the answer has no token of the form gt-<key>.<secret>", cl.method, cl.url)
	}
	return out.Token, nil
}

// identify asks Gafaelfawr whom token belongs to and checks it is want.
func (c *Client) identify(ctx context.Context, token, want string) (Identity, error) {
	var info userInfo
	cl := call{method: http.MethodGet, url: c.base + "/user-info", bearer: token, out: &info}
	if err := c.do(ctx, cl); err != nil {
		return Identity{}, err
	}
	if info.Username != want {
		return Identity{}, fmt.Errorf("%s %s: the new token belongs to %q, not %s", cl.method, cl.url, info.Username, want)
	}
	id := Identity{Username: info.Username, Groups: info.Groups}
	if info.UID != nil {
		id.UID = *info.UID
	}
	if info.GID != nil {
		id.GID = *info.GID
	}
	if id.Groups == nil {
		id.Groups = []Group{}
	}
	return id, nil
}

// Revoke deletes token, which belongs to username, with the admin token
// (DELETE {base}/users/{username}/tokens/{key}). A token Gafaelfawr no
// longer knows (404) counts as revoked, but FastAPI's 404 for an unknown
// route ("Not Found": a wrong base URL) does not.
func (c *Client) Revoke(ctx context.Context, username, token string) error {
	op := "revoking a token for " + username
	if err := checkBot(username); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	key, ok := tokenKey(token)
	if !ok {
		return fmt.Errorf("%s: not a Gafaelfawr token (want gt-<key>.<secret>)", op)
	}
	u := c.base + "/users/" + url.PathEscape(username) + "/tokens/" + key
	err := c.do(ctx, call{method: http.MethodDelete, url: u, bearer: c.admin})
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound && apiErr.Detail != "Not Found" {
		c.log.DebugContext(ctx, "Gafaelfawr token already gone", "user", username, "key", key)
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	c.log.DebugContext(ctx, "revoked Gafaelfawr token", "user", username, "key", key)
	return nil
}
