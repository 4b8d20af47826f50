package github

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Retry policy. Retries live in retryTransport, the RoundTripper directly
// over the shared http.Transport and under ghinstallation, so installation
// token requests (which ghinstallation sends through that transport, not
// through go-github) are retried like API calls.
const (
	// backoffBase is the first wait after a 5xx or a connection error; it
	// doubles with each attempt.
	backoffBase = time.Second
	// secondaryBase is the first wait after a secondary rate limit that
	// says nothing about when to retry ("wait at least one minute", GitHub
	// docs); it doubles with each attempt.
	secondaryBase = time.Minute
	// maxWait caps any single wait. A longer wait, or one that would end
	// after the request's context deadline, is not started: the error
	// response is returned instead.
	maxWait = 15 * time.Minute

	acceptJSON     = "application/vnd.github+json"
	acceptV3       = "application/vnd.github.v3+json" // what go-github and ghinstallation send
	apiVersion     = "2022-11-28"
	apiVersionHead = "X-GitHub-Api-Version"
)

// retryTransport retries requests that failed transiently and sets the
// Accept and X-GitHub-Api-Version headers on every request:
//   - connection errors and 5xx: exponential backoff from backoffBase (a
//     5xx's Retry-After, when given, is used instead);
//   - 403/429 rate limits: Retry-After seconds, or X-RateLimit-Reset when
//     X-RateLimit-Remaining is 0 (measured from the response's Date, i.e.
//     GitHub's clock), or for a bare secondary limit secondaryBase doubling;
//   - anything else, including other 4xx, is returned as is.
//
// Request bodies are buffered when they cannot be re-read, so every
// attempt sends the whole body.
type retryTransport struct {
	next       http.RoundTripper
	sleep      func(ctx context.Context, d time.Duration) error
	now        func() time.Time
	maxRetries int
	log        *slog.Logger
}

// RoundTrip implements http.RoundTripper.
func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	r, err := prepare(req)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		if attempt > 0 && r.GetBody != nil {
			if r.Body, err = r.GetBody(); err != nil {
				return nil, fmt.Errorf("replaying request body: %w", err)
			}
		}
		resp, err := t.next.RoundTrip(r)
		wait, why := t.retryAfter(ctx, resp, err, attempt)
		if why == "" || attempt >= t.maxRetries || !t.fits(ctx, wait) {
			return resp, err
		}
		if resp != nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
			resp.Body.Close()
		}
		t.log.WarnContext(ctx, "github: retrying request", "method", r.Method, "path", r.URL.Path,
			"reason", why, "wait", wait, "attempt", attempt+1, "max_retries", t.maxRetries)
		if err := t.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// fits reports whether waiting d stays within maxWait and ctx's deadline.
func (t *retryTransport) fits(ctx context.Context, d time.Duration) bool {
	if d > maxWait {
		return false
	}
	deadline, ok := ctx.Deadline()
	return !ok || t.now().Add(d).Before(deadline)
}

// prepare clones req, sets GitHub's headers and makes its body replayable.
func prepare(req *http.Request) (*http.Request, error) {
	r := req.Clone(req.Context())
	if accepts := r.Header.Values("Accept"); len(accepts) == 0 || allDefaultMedia(accepts) {
		r.Header.Set("Accept", acceptJSON)
	}
	if r.Header.Get(apiVersionHead) == "" {
		r.Header.Set(apiVersionHead, apiVersion)
	}
	if r.Body == nil || r.Body == http.NoBody || r.GetBody != nil {
		return r, nil
	}
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("reading request body: %w", err)
	}
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	r.Body, _ = r.GetBody()
	return r, nil
}

// allDefaultMedia reports whether every Accept value is GitHub's generic
// JSON media type (ghinstallation adds a second copy to JWT requests) or a
// graduated API preview (go-github still sends antiope-preview for checks);
// specific media types such as raw or diff are left alone.
func allDefaultMedia(values []string) bool {
	for _, v := range values {
		preview := strings.HasPrefix(v, "application/vnd.github.") && strings.HasSuffix(v, "-preview+json")
		if v != acceptV3 && v != acceptJSON && !preview {
			return false
		}
	}
	return true
}

// retryAfter classifies one attempt's outcome: why is "" when it must not
// be retried, otherwise the reason, and wait how long to wait first.
func (t *retryTransport) retryAfter(ctx context.Context, resp *http.Response, err error, attempt int) (time.Duration, string) {
	if err != nil {
		if ctx.Err() != nil || !retryableError(err) {
			return 0, ""
		}
		return backoff(backoffBase, attempt), "connection error: " + err.Error()
	}
	code := resp.StatusCode
	switch {
	case code >= 500:
		if d, ok := retryAfterHeader(resp); ok {
			return d, resp.Status
		}
		return backoff(backoffBase, attempt), resp.Status
	case code == http.StatusForbidden || code == http.StatusTooManyRequests:
		return t.rateLimitWait(resp, attempt)
	}
	return 0, ""
}

// rateLimitWait follows GitHub's documented order: Retry-After, then an
// exhausted primary limit's reset time, then (for a secondary limit without
// either) at least a minute, growing exponentially.
func (t *retryTransport) rateLimitWait(resp *http.Response, attempt int) (time.Duration, string) {
	if d, ok := retryAfterHeader(resp); ok {
		return d, resp.Status + " secondary rate limit (retry-after)"
	}
	if resp.Header.Get("X-RateLimit-Remaining") == "0" {
		if reset, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			return max(time.Unix(reset, 0).Sub(t.serverNow(resp)), 0), resp.Status + " primary rate limit"
		}
	}
	if resp.StatusCode == http.StatusTooManyRequests || mentionsRateLimit(resp) {
		return backoff(secondaryBase, attempt), resp.Status + " secondary rate limit"
	}
	return 0, ""
}

// serverNow is the response's Date (GitHub's clock, against which
// X-RateLimit-Reset is meant), or the local clock without one.
func (t *retryTransport) serverNow(resp *http.Response) time.Time {
	if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		return d
	}
	return t.now()
}

// retryAfterHeader parses a Retry-After given in seconds.
func retryAfterHeader(resp *http.Response) (time.Duration, bool) {
	s, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After")))
	if err != nil || s < 0 {
		return 0, false
	}
	return time.Duration(s) * time.Second, true
}

// mentionsRateLimit peeks at a 403's body for GitHub's rate-limit wording
// (secondary limits sometimes come without headers) and puts it back.
func mentionsRateLimit(resp *http.Response) bool {
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return err == nil && bytes.Contains(bytes.ToLower(body), []byte("rate limit"))
}

// backoff is base·2^attempt, capped at maxWait·2 so it cannot overflow (a
// result above maxWait ends the retries).
func backoff(base time.Duration, attempt int) time.Duration {
	d := base
	for range attempt {
		if d > maxWait {
			break
		}
		d *= 2
	}
	return d
}

// retryableError reports whether a transport error may be transient;
// certificate problems are not.
func retryableError(err error) bool {
	var (
		verify  *tls.CertificateVerificationError
		unknown x509.UnknownAuthorityError
		host    x509.HostnameError
	)
	return !errors.As(err, &verify) && !errors.As(err, &unknown) && !errors.As(err, &host)
}
