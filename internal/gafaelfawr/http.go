package gafaelfawr

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// APIError is an answer from Gafaelfawr with an unexpected status.
type APIError struct {
	Method string
	URL    string
	Status int
	// Detail is Gafaelfawr's error message ("detail"), with secrets
	// redacted; "" when the answer had none.
	Detail string
}

// Error gives "METHOD URL: 422 Unprocessable Entity: detail".
func (e *APIError) Error() string {
	s := fmt.Sprintf("%s %s: %d %s", e.Method, e.URL, e.Status, http.StatusText(e.Status))
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// timeoutError is a request that used up its Timeout.
type timeoutError struct{ d time.Duration }

func (e timeoutError) Error() string { return "timed out after " + e.d.String() }
func (e timeoutError) Unwrap() error { return context.DeadlineExceeded }

// call is one Gafaelfawr API request.
type call struct {
	method, url string
	bearer      string // secret: only ever put in the header
	body        any    // JSON request body, nil for none
	out         any    // decodes a 2xx answer, nil to ignore it
}

// do runs cl, retrying 5xx answers and connection errors with backoff.
func (c *Client) do(ctx context.Context, cl call) error {
	for attempt := 1; ; attempt++ {
		retry, err := c.once(ctx, cl)
		if err == nil {
			return nil
		}
		if !retry || attempt == attempts {
			if attempt > 1 {
				err = fmt.Errorf("%w (after %d attempts)", err, attempt)
			}
			return err
		}
		wait := firstBackoff << (attempt - 1)
		c.log.WarnContext(ctx, "Gafaelfawr request failed, retrying", "method", cl.method,
			"url", cl.url, "attempt", attempt, "retry_in", wait, "error", err.Error())
		if serr := c.sleep(ctx, wait); serr != nil {
			return fmt.Errorf("%w (gave up retrying: %w)", err, serr)
		}
	}
}

// once sends cl once; retry tells whether a failure is transient.
func (c *Client) once(ctx context.Context, cl call) (retry bool, err error) {
	rctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := c.newRequest(rctx, cl)
	if err != nil {
		return false, fmt.Errorf("%s %s: %w", cl.method, cl.url, err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return c.transportError(ctx, rctx, cl, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return c.transportError(ctx, rctx, cl, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		detail := c.redact(detailText(body))
		return resp.StatusCode >= 500, &APIError{Method: cl.method, URL: cl.url, Status: resp.StatusCode, Detail: detail}
	}
	if cl.out != nil {
		if err := json.Unmarshal(body, cl.out); err != nil {
			return false, fmt.Errorf("%s %s: decoding the answer: %w", cl.method, cl.url, err)
		}
	}
	return false, nil
}

func (c *Client) newRequest(ctx context.Context, cl call) (*http.Request, error) {
	var body io.Reader
	if cl.body != nil {
		data, err := json.Marshal(cl.body)
		if err != nil {
			return nil, fmt.Errorf("encoding the request: %w", err)
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, cl.url, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+cl.bearer)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "mobu")
	if cl.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// transportError words a failure to get an answer; only connection
// failures are transient (a timeout has used its budget already).
func (c *Client) transportError(parent, rctx context.Context, cl call, err error) (bool, error) {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	switch {
	case parent.Err() != nil:
		return false, fmt.Errorf("%s %s: %w", cl.method, cl.url, context.Cause(parent))
	case rctx.Err() != nil:
		return false, fmt.Errorf("%s %s: %w", cl.method, cl.url, timeoutError{c.timeout})
	case ue != nil && ue.Timeout():
		return false, fmt.Errorf("%s %s: %w", cl.method, cl.url, err)
	}
	return true, fmt.Errorf("%s %s: %w", cl.method, cl.url, err)
}

// redact removes the admin token and anything token-shaped from s.
func (c *Client) redact(s string) string {
	s = tokenRE.ReplaceAllString(s, "gt-<redacted>")
	if c.admin != "" {
		s = strings.ReplaceAll(s, c.admin, "<redacted>")
	}
	return s
}

// detailText extracts FastAPI's {"detail": "…"} or {"detail": [{"loc": …,
// "msg": …}]}; for other bodies, the first line of plain text.
func detailText(body []byte) string {
	var e struct {
		Detail json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(body, &e) == nil && len(e.Detail) > 0 {
		var s string
		if json.Unmarshal(e.Detail, &s) == nil {
			return s
		}
		var items []struct {
			Loc []any  `json:"loc"`
			Msg string `json:"msg"`
		}
		if json.Unmarshal(e.Detail, &items) == nil {
			parts := make([]string, 0, len(items))
			for _, it := range items {
				parts = append(parts, locPrefix(it.Loc)+it.Msg)
			}
			return strings.Join(parts, "; ")
		}
	}
	text := strings.TrimSpace(string(body))
	if text == "" || strings.HasPrefix(text, "<") {
		return ""
	}
	text, _, _ = strings.Cut(text, "\n")
	if r := []rune(text); len(r) > 200 {
		text = string(r[:200]) + "…"
	}
	return text
}

// locPrefix renders a FastAPI error location, e.g. ["body", "scopes"] as
// "scopes: ".
func locPrefix(loc []any) string {
	if len(loc) > 0 && loc[0] == "body" {
		loc = loc[1:]
	}
	if len(loc) == 0 {
		return ""
	}
	parts := make([]string, len(loc))
	for i, l := range loc {
		parts[i] = fmt.Sprint(l)
	}
	return strings.Join(parts, ".") + ": "
}
