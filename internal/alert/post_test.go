package alert

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/testlog"
)

// runOne starts an alerter on target, reports one failure, and stops it
// once the delivery is over.
func runOne(t *testing.T, target Target, sl *sleeps, log io.Writer) *Alerter {
	t.Helper()
	a := New(testConfig(newFakeClock(t0()), sl, log, target))
	a.Start(context.Background())
	a.Failed(richFailure())
	stop(t, a)
	return a
}

func TestSlackDelivered(t *testing.T) {
	srv := newCapture(t)
	a := runOne(t, Slack(srv.URL()), &sleeps{}, io.Discard)
	if s := a.Stats(); s.Sent != 1 || s.Failed != 0 {
		t.Errorf("Stats = %+v", s)
	}
	msg := decodeSlack(t, receive(t, srv.arrived))
	if msg.Blocks[0].Text.Text != "❌ mobu: tutorial failed" {
		t.Errorf("header = %q", msg.Blocks[0].Text.Text)
	}
}

func TestConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	var log testlog.Buffer
	sl := &sleeps{}
	a := runOne(t, Slack("http://"+addr+"/services/T000/B000/SECRET"), sl, &log)
	if s := a.Stats(); s.Sent != 0 || s.Failed != 1 {
		t.Errorf("Stats = %+v, want 1 failed", s)
	}
	if got, want := sl.Get(), []time.Duration{time.Millisecond, 2 * time.Millisecond}; !slices.Equal(got, want) {
		t.Errorf("backoff waits = %v, want %v", got, want)
	}
	logs := log.String()
	if strings.Contains(logs, "SECRET") || strings.Contains(logs, "/services") {
		t.Errorf("webhook URL leaked into logs:\n%s", logs)
	}
	if strings.Count(logs, "alert not delivered") != 1 || !strings.Contains(logs, "after 3 attempts") {
		t.Errorf("logs:\n%s", logs)
	}
}

func TestRetry5xxThenOK(t *testing.T) {
	srv := newCapture(t, reply{code: 500, body: "oops"}, reply{code: 503})
	sl := &sleeps{}
	a := runOne(t, Slack(srv.URL()), sl, io.Discard)
	if s := a.Stats(); s.Sent != 1 || s.Failed != 0 {
		t.Errorf("Stats = %+v, want 1 sent", s)
	}
	if n := len(srv.Bodies()); n != 3 {
		t.Errorf("server got %d posts, want 3", n)
	}
	if got, want := sl.Get(), []time.Duration{time.Millisecond, 2 * time.Millisecond}; !slices.Equal(got, want) {
		t.Errorf("waits = %v, want %v", got, want)
	}
}

func TestRetryAfter(t *testing.T) {
	srv := newCapture(t, reply{code: 429, header: http.Header{"Retry-After": {"1"}}, body: "rate_limited"})
	sl := &sleeps{}
	a := runOne(t, Slack(srv.URL()), sl, io.Discard)
	if s := a.Stats(); s.Sent != 1 {
		t.Errorf("Stats = %+v, want 1 sent", s)
	}
	if got := sl.Get(); !slices.Equal(got, []time.Duration{time.Second}) {
		t.Errorf("waits = %v, want [1s] from Retry-After", got)
	}
}

func TestRetryAfterCapped(t *testing.T) {
	srv := newCapture(t, reply{code: 429, header: http.Header{"Retry-After": {"86400"}}})
	sl := &sleeps{}
	runOne(t, Slack(srv.URL()), sl, io.Discard)
	if got := sl.Get(); !slices.Equal(got, []time.Duration{DefaultMaxRetryAfter}) {
		t.Errorf("waits = %v, want [%v]", got, DefaultMaxRetryAfter)
	}
}

// A Slack answering 4xx (a revoked hook, an outage on its side) is retried
// like a 5xx, each attempt logged, and given up after the bound with one
// error.
func TestClientErrorsRetried(t *testing.T) {
	for _, code := range []int{400, 403, 404} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			bad := reply{code: code, body: "no_service " + strings.Repeat("x", 1000)}
			srv := newCapture(t, bad, bad, bad)
			var log testlog.Buffer
			sl := &sleeps{}
			a := runOne(t, Slack(srv.URL()), sl, &log)
			if s := a.Stats(); s.Sent != 0 || s.Failed != 1 {
				t.Errorf("Stats = %+v, want 1 failed", s)
			}
			if got, want := sl.Get(), []time.Duration{time.Millisecond, 2 * time.Millisecond}; len(srv.Bodies()) != 3 || !slices.Equal(got, want) {
				t.Errorf("%d posts and waits %v, want 3 posts and waits %v", len(srv.Bodies()), got, want)
			}
			logs := log.String()
			if strings.Count(logs, "level=WARN msg=\"alert delivery failed, retrying\"") != 2 ||
				strings.Count(logs, "level=ERROR msg=\"alert not delivered\"") != 1 || !strings.Contains(logs, "after 3 attempts") ||
				!strings.Contains(logs, "no_service") || !strings.Contains(logs, http.StatusText(code)) ||
				strings.Contains(logs, strings.Repeat("x", 300)) {
				t.Errorf("logs:\n%s", logs)
			}
			if strings.Contains(logs, "SECRET") {
				t.Errorf("webhook URL leaked into logs:\n%s", logs)
			}
		})
	}
}

func TestClientErrorThenOK(t *testing.T) {
	srv := newCapture(t, reply{code: 404, body: "no_team"})
	a := runOne(t, Slack(srv.URL()), &sleeps{}, io.Discard)
	if s := a.Stats(); s.Sent != 1 || s.Failed != 0 || len(srv.Bodies()) != 2 {
		t.Errorf("Stats = %+v after %d posts, want sent on the second", s, len(srv.Bodies()))
	}
}

func TestErrorsRedactURL(t *testing.T) {
	p := newHTTPPoster(http.DefaultClient, RetryPolicy{MaxAttempts: 1}.withDefaults(), slog.New(slog.DiscardHandler))
	for _, raw := range []string{"http://host\x7f/SECRET", "ftp://example.invalid/SECRET", "http://[::1/SECRET"} {
		err := p.PostJSON(context.Background(), raw, []byte("{}"))
		if err == nil || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("PostJSON(%q) = %v", raw, err)
		}
	}
	if s := Slack("https://hooks.slack.com/services/T/B/SECRET").String(); s != "slack https://hooks.slack.com/…" {
		t.Errorf("String() = %q", s)
	}
	if s := RedactURL("https://user:pw@example.com:8443/hook?token=SECRET"); s != "https://example.com:8443/…" {
		t.Errorf("RedactURL = %q", s)
	}
}

func TestStopAbandonsWhenContextEnds(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	srv := newGatedCapture(t, release)
	a := New(testConfig(newFakeClock(t0()), &sleeps{}, io.Discard, Slack(srv.URL())))
	a.Start(context.Background())
	a.Failed(richFailure())
	receive(t, srv.arrived)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := a.Stop(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Stop = %v, want context.Canceled", err)
	}
	if s := a.Stats(); s.Failed != 1 {
		t.Errorf("Stats = %+v, want the abandoned delivery failed", s)
	}
	a.Failed(Failure{Flock: "late"}) // after Stop: dropped, no panic
	if s := a.Stats(); s.Dropped != 1 {
		t.Errorf("Stats = %+v, want 1 dropped", s)
	}
}

func TestPanickingTarget(t *testing.T) {
	srv := newCapture(t)
	a := New(testConfig(newFakeClock(t0()), &sleeps{}, io.Discard, panicTarget{}, Slack(srv.URL())))
	a.Start(context.Background())
	a.Failed(richFailure())
	stop(t, a)
	if s := a.Stats(); s.Sent != 1 || s.Failed != 1 {
		t.Errorf("Stats = %+v, want 1 sent, 1 failed", s)
	}
}

type panicTarget struct{}

func (panicTarget) String() string                              { return "panic" }
func (panicTarget) Send(context.Context, Poster, Message) error { panic("boom") }

func TestBackoffCapped(t *testing.T) {
	p := RetryPolicy{Backoff: time.Second, MaxBackoff: 5 * time.Second}.withDefaults()
	var got []time.Duration
	for attempt := 1; attempt <= 5; attempt++ {
		got = append(got, p.backoff(attempt))
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}
	if !slices.Equal(got, want) {
		t.Errorf("backoff = %v, want %v", got, want)
	}
}
