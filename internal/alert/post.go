package alert

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mobu-dev/mobu/internal/ctxtime"
)

// RetryPolicy says how failed deliveries are retried: network errors and
// any answer but 2xx, 4xx included (a Slack answering 4xx may recover).
// Zero values take the package defaults.
type RetryPolicy struct {
	// MaxAttempts bounds the attempts per message and target.
	MaxAttempts int
	// Backoff is the first wait; it doubles up to MaxBackoff.
	Backoff    time.Duration
	MaxBackoff time.Duration
	// MaxRetryAfter caps the wait a 429's Retry-After asks for.
	MaxRetryAfter time.Duration
	// Sleep waits d or until ctx ends (a ctx-aware timer); tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultMaxAttempts
	}
	if p.Backoff <= 0 {
		p.Backoff = DefaultBackoff
	}
	if p.MaxBackoff <= 0 {
		p.MaxBackoff = DefaultMaxBackoff
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if p.Sleep == nil {
		p.Sleep = ctxtime.Sleep
	}
	return p
}

// backoff is the wait before attempt+1.
func (p RetryPolicy) backoff(attempt int) time.Duration {
	d := p.Backoff
	for i := 1; i < attempt && d < p.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, p.MaxBackoff)
}

// Poster delivers JSON bodies for targets, retrying failed deliveries.
type Poster interface {
	// PostJSON posts body (JSON) to url. Errors never contain url.
	PostJSON(ctx context.Context, url string, body []byte) error
}

// StatusError is an answer other than 2xx: the last one when retries ran
// out.
type StatusError struct {
	Code int
	// Body is the start of the answer's body, with the URL redacted.
	Body string
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("unexpected status %d %s", e.Code, http.StatusText(e.Code))
	if e.Body != "" {
		s += ": " + e.Body
	}
	return s
}

// RedactURL keeps only the scheme and host of a secret URL:
// "https://hooks.slack.com/…".
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "<invalid url>"
	}
	return u.Scheme + "://" + u.Host + "/…"
}

// httpPoster is the Poster of an Alerter.
type httpPoster struct {
	client *http.Client
	retry  RetryPolicy
	log    *slog.Logger
}

func newHTTPPoster(c *http.Client, p RetryPolicy, log *slog.Logger) *httpPoster {
	return &httpPoster{client: c, retry: p, log: log}
}

// PostJSON implements Poster.
func (p *httpPoster) PostJSON(ctx context.Context, rawURL string, body []byte) error {
	for attempt := 1; ; attempt++ {
		wait, err := p.once(ctx, rawURL, body)
		if err == nil {
			return nil
		}
		if wait < 0 || attempt >= p.retry.MaxAttempts {
			if attempt > 1 {
				err = fmt.Errorf("%w (after %d attempts)", err, attempt)
			}
			return err
		}
		if wait == 0 {
			wait = p.retry.backoff(attempt)
		}
		p.log.WarnContext(ctx, "alert delivery failed, retrying", "target", RedactURL(rawURL),
			"attempt", attempt, "retry_in", wait.String(), "error", err.Error())
		if serr := p.retry.Sleep(ctx, wait); serr != nil {
			return fmt.Errorf("%w (gave up retrying: %w)", err, serr)
		}
	}
}

// once posts body once. wait is <0 when the error is permanent (a bad URL,
// ctx ended), 0 for the usual backoff and >0 for a wait the server asked
// for (429 Retry-After).
func (p *httpPoster) once(ctx context.Context, rawURL string, body []byte) (wait time.Duration, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return -1, fmt.Errorf("post to %s: %w", RedactURL(rawURL), unwrapURLError(err))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return -1, fmt.Errorf("post to %s: %w", RedactURL(rawURL), ctx.Err())
		}
		return 0, fmt.Errorf("post to %s: %w", RedactURL(rawURL), unwrapURLError(err))
	}
	defer drainClose(resp.Body)
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return 0, nil
	case code == http.StatusTooManyRequests:
		return p.retryAfter(resp.Header.Get("Retry-After")), statusError(resp, rawURL)
	default: // 5xx and other 4xx alike: bounded backoff
		return 0, statusError(resp, rawURL)
	}
}

// retryAfter parses a Retry-After in seconds, capped; 0 when absent or not
// a number of seconds.
func (p *httpPoster) retryAfter(h string) time.Duration {
	secs, err := strconv.Atoi(strings.TrimSpace(h))
	if err != nil || secs <= 0 {
		return 0
	}
	return min(time.Duration(secs)*time.Second, p.retry.MaxRetryAfter)
}

// bodyExcerpt bounds how much of an error answer ends up in logs.
const bodyExcerpt = 256

func statusError(resp *http.Response, rawURL string) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, bodyExcerpt))
	s := strings.TrimSpace(strings.ToValidUTF8(string(b), "\uFFFD"))
	if rawURL != "" {
		s = strings.ReplaceAll(s, rawURL, RedactURL(rawURL))
	}
	return &StatusError{Code: resp.StatusCode, Body: s}
}

// drainClose reads a little of what is left so the connection is reused.
func drainClose(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	_ = body.Close()
}

// unwrapURLError drops the *url.Error wrapper, whose message holds the URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
