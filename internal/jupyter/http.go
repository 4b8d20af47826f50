package jupyter

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ErrUnreachable wraps failures to connect to the hub or lab at all.
var ErrUnreachable = errors.New("unreachable")

// HTTPError is a non-2xx answer from the hub or a lab.
type HTTPError struct {
	Method     string
	Path       string
	Status     int
	Message    string        // the server's message, if it sent one
	RetryAfter time.Duration // from a Retry-After header, if any
	// HasRetryAfter tells a Retry-After of 0 from none.
	HasRetryAfter bool
}

func (e *HTTPError) Error() string {
	msg := fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, http.StatusText(e.Status))
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden {
		msg += " (is the token valid and does it have the needed scopes?)"
	}
	return msg
}

// NewTransport returns an HTTP transport suited to many concurrent users of
// the same hub: one shared connection pool, generous idle connections.
func NewTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 0
	t.MaxIdleConnsPerHost = 1024
	t.IdleConnTimeout = 90 * time.Second
	return t
}

// requester sends authenticated JSON requests to one base URL.
type requester struct {
	client *http.Client
	base   string              // scheme://host[/prefix], no trailing slash
	auth   func(*http.Request) // adds credentials (and browser headers for Nublado)
}

// tokenAuth authenticates with a JupyterHub API token.
func tokenAuth(token string) func(*http.Request) {
	return func(req *http.Request) { req.Header.Set("Authorization", "token "+token) }
}

// do sends an authenticated request and decodes a JSON answer
// into out (if non-nil). Non-2xx answers become *HTTPError.
func (r *requester) do(ctx context.Context, method, path string, body, out any) (int, error) {
	resp, err := r.send(ctx, method, path, body, "application/json")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode != http.StatusNoContent {
		if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: decoding answer: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

// send issues the request and turns non-2xx answers into *HTTPError; the
// caller closes the body of a successful response.
func (r *requester) send(ctx context.Context, method, path string, body any, accept string) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("%s %s: encoding body: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.base+path, rd)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	path = req.URL.Path // report the full path from here on
	r.auth(req)
	req.Header.Set("Accept", accept)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := r.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s %s: %w", method, path, ctx.Err())
		}
		return nil, fmt.Errorf("%s %s: %w: %w", method, path, ErrUnreachable, unwrapNet(err))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer resp.Body.Close()
		return nil, newHTTPError(req, resp)
	}
	return resp, nil
}

// parseRetryAfter reads a Retry-After header in either of its forms (RFC 9110
// §10.2.3): delay seconds or an HTTP date, taken relative to now. A date in
// the past means no wait; anything unreadable counts as no header.
func parseRetryAfter(s string, now time.Time) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(s); err == nil {
		if secs < 0 {
			return 0, false
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(s); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

func newHTTPError(req *http.Request, resp *http.Response) *HTTPError {
	e := &HTTPError{Method: req.Method, Path: req.URL.Path, Status: resp.StatusCode}
	e.RetryAfter, e.HasRetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	var j struct {
		Message string `json:"message"`
		Reason  string `json:"reason"`
	}
	switch {
	case json.Unmarshal(raw, &j) == nil && j.Message != "":
		e.Message = j.Message
	case j.Reason != "":
		e.Message = j.Reason
	case len(raw) > 0 && !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("<")):
		e.Message = strings.TrimSpace(string(raw))
		if len(e.Message) > 300 {
			e.Message = e.Message[:300] + "…"
		}
	}
	return e
}

// unwrapNet keeps the informative part of a transport error.
func unwrapNet(err error) error {
	var op *net.OpError
	if errors.As(err, &op) {
		return op
	}
	return err
}

// statusOf returns the HTTP status of an *HTTPError in err's chain, or 0.
func statusOf(err error) int {
	var he *HTTPError
	if errors.As(err, &he) {
		return he.Status
	}
	return 0
}
