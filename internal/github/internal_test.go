package github

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestTruncateMiddle(t *testing.T) {
	for _, tc := range []struct {
		in    string
		limit int
	}{
		{strings.Repeat("a", 100), 100},
		{strings.Repeat("a", 101), 100},
		{strings.Repeat("é", 1000), 101},
		{strings.Repeat("😀", 1000), 99},
		{"ab\xffcd" + strings.Repeat("€", 50), 60},
		{strings.Repeat("x", 70000), MaxOutputChars},
	} {
		got := truncateMiddle(tc.in, tc.limit)
		if len(got) > tc.limit || !utf8.ValidString(got) {
			t.Errorf("truncateMiddle(%d bytes, %d) = %d bytes, valid %v", len(tc.in), tc.limit, len(got), utf8.ValidString(got))
		}
		if len(tc.in) <= tc.limit && utf8.ValidString(tc.in) && got != tc.in {
			t.Errorf("a fitting string was changed")
		}
		if len(tc.in) > tc.limit && !strings.Contains(got, "characters truncated") {
			t.Errorf("no marker in %q", got)
		}
	}
	got := truncateMiddle(strings.Repeat("a", 50)+strings.Repeat("b", 50), 60)
	if !strings.HasPrefix(got, "a") || !strings.HasSuffix(got, "b") {
		t.Errorf("head or tail lost: %q", got)
	}
}

func TestTruncateEnd(t *testing.T) {
	if got := truncateEnd("short", 255); got != "short" {
		t.Errorf("got %q", got)
	}
	got := truncateEnd(strings.Repeat("é", 200), 255)
	if len(got) > 255 || !utf8.ValidString(got) || !strings.HasSuffix(got, "…") {
		t.Errorf("got %d bytes %q", len(got), got)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// A 403 without rate-limit headers whose message names a rate limit (a
// secondary limit GitHub sent bare) is retried after at least a minute; a
// 403 about permissions is not, and keeps its body for go-github.
func TestForbiddenBodySniffed(t *testing.T) {
	bodies := []string{
		`{"message":"You have exceeded a secondary rate limit and have been temporarily blocked."}`,
		`{"message":"Resource not accessible by integration"}`,
	}
	calls := 0
	next := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		b := bodies[min(calls, 1)]
		calls++
		return &http.Response{StatusCode: 403, Status: "403 Forbidden", Header: http.Header{},
			Body: io.NopCloser(strings.NewReader(b)), Request: r}, nil
	})
	var slept []time.Duration
	rt := &retryTransport{next: next, now: time.Now, maxRetries: 5, log: slog.New(slog.DiscardHandler),
		sleep: func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }}
	req, _ := http.NewRequest("GET", "http://127.0.0.1/x", nil)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if calls != 2 || len(slept) != 1 || slept[0] != time.Minute || string(body) != bodies[1] {
		t.Errorf("calls %d, slept %v, body %s", calls, slept, body)
	}
}
