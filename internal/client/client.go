// Package client talks to a running mobu service's REST API (what the
// `mobu flock` commands use).
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Client calls one mobu service. Base is the API root including the path
// prefix, e.g. http://127.0.0.1:8080/mobu.
type Client struct {
	base  string
	token string
	http  *http.Client
}

// New returns a client; token (optional) is sent as a bearer token.
func New(base, token string) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("mobu url %q: must be an absolute http(s) URL such as http://127.0.0.1:8080/mobu", base)
	}
	return &Client{base: u.String(), token: token, http: &http.Client{}}, nil
}

// APIError is a non-2xx answer, with the service's messages.
type APIError struct {
	Method, Path string
	Status       int
	Messages     []string
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, http.StatusText(e.Status))
	if len(e.Messages) > 0 {
		msg += ": " + strings.Join(e.Messages, "; ")
	}
	return msg
}

// do sends a request; out (if non-nil) receives the JSON answer.
func (c *Client) do(ctx context.Context, method, path string, body []byte, out any) error {
	resp, err := c.send(ctx, method, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decoding answer: %w", method, path, err)
	}
	return nil
}

func (c *Client) send(ctx context.Context, method, path string, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		return nil, apiError(req, resp)
	}
	return resp, nil
}

// apiError reads mobu's error shapes: {"detail": "text"} or
// {"detail": [{"loc": [...], "msg": "..."}]}.
func apiError(req *http.Request, resp *http.Response) error {
	e := &APIError{Method: req.Method, Path: req.URL.Path, Status: resp.StatusCode}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var body struct {
		Detail json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(raw, &body) != nil {
		return e
	}
	var text string
	var items []struct {
		Loc []any  `json:"loc"`
		Msg string `json:"msg"`
	}
	switch {
	case json.Unmarshal(body.Detail, &text) == nil:
		e.Messages = []string{text}
	case json.Unmarshal(body.Detail, &items) == nil:
		for _, it := range items {
			e.Messages = append(e.Messages, locString(it.Loc)+it.Msg)
		}
	}
	return e
}

func locString(loc []any) string {
	var parts []string
	for _, l := range loc {
		if s, ok := l.(string); ok && (s == "body" || s == "path") {
			continue
		}
		parts = append(parts, fmt.Sprint(l))
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, ".") + ": "
}
