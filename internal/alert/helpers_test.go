package alert

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// t0 is the fake clock's start.
func t0() time.Time { return time.Date(2024, 5, 1, 14, 2, 0, 0, time.UTC) }

// fakeClock is a settable clock whose timers fire when it is advanced.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	timers  []fakeTimer
	created chan time.Duration // receives the duration of each new timer
}

type fakeTimer struct {
	at time.Time
	c  chan time.Time
}

func newFakeClock(now time.Time) *fakeClock {
	return &fakeClock{now: now, created: make(chan time.Duration, 16)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock and fires the timers that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, t := range c.timers {
		if t.at.After(c.now) {
			kept = append(kept, t)
			continue
		}
		t.c <- c.now
	}
	c.timers = kept
}

func (c *fakeClock) NewTimer(d time.Duration) Timer {
	c.mu.Lock()
	ch := make(chan time.Time, 1)
	c.timers = append(c.timers, fakeTimer{at: c.now.Add(d), c: ch})
	c.mu.Unlock()
	c.created <- d
	return Timer{C: ch, Stop: func() bool { return true }}
}

// sleeps records the waits asked of RetryPolicy.Sleep without waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return ctx.Err()
}

func (s *sleeps) Get() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// reply is one scripted answer of a capture server.
type reply struct {
	code   int
	header http.Header
	body   string
}

// capture is a webhook server that records the bodies posted to it and
// answers from a script (200 once the script is used up).
type capture struct {
	*httptest.Server
	mu      sync.Mutex
	script  []reply
	bodies  [][]byte
	arrived chan []byte     // receives every body
	gate    <-chan struct{} // if set, answers wait for it to close
}

func newCapture(t *testing.T, script ...reply) *capture {
	t.Helper()
	return newGatedCapture(t, nil, script...)
}

func newGatedCapture(t *testing.T, gate <-chan struct{}, script ...reply) *capture {
	t.Helper()
	c := &capture{script: script, arrived: make(chan []byte, 100), gate: gate}
	c.Server = httptest.NewServer(http.HandlerFunc(c.serve))
	t.Cleanup(c.Close)
	return c
}

func (c *capture) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	c.bodies = append(c.bodies, body)
	rep := reply{code: http.StatusOK, body: "ok"}
	if len(c.script) > 0 {
		rep, c.script = c.script[0], c.script[1:]
	}
	c.mu.Unlock()
	c.arrived <- body
	if c.gate != nil {
		<-c.gate
	}
	for k, v := range rep.header {
		w.Header()[k] = v
	}
	w.WriteHeader(rep.code)
	_, _ = io.WriteString(w, rep.body)
}

func (c *capture) Bodies() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([][]byte(nil), c.bodies...)
}

// URL is a Slack-like webhook URL with a secret path.
func (c *capture) URL() string { return c.Server.URL + "/services/T000/B000/SECRET" }

// testConfig is a config with a fake clock, a recorded sleep and logs
// written to log.
func testConfig(clock *fakeClock, sl *sleeps, log io.Writer, targets ...Target) Config {
	return Config{
		Targets:  targets,
		Quiet:    time.Hour,
		Logger:   slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:      clock.Now,
		NewTimer: clock.NewTimer,
		Retry: RetryPolicy{
			MaxAttempts: 3, Backoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond,
			Sleep: sl.Sleep,
		},
	}
}

// stop stops a and fails the test on error.
func stop(t *testing.T, a *Alerter) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
}

// queued takes every message waiting in a's queue (the worker not started).
func queued(a *Alerter) []Message {
	var ms []Message
	for {
		select {
		case m := <-a.queue:
			ms = append(ms, m)
		default:
			return ms
		}
	}
}

// richFailure is a failure with every field set.
func richFailure() Failure {
	return Failure{
		Flock: "tutorial", Monkey: "tutorial-01", User: "bot-mobu-tutorial01",
		Business: "NotebookRunner", Phase: "cell",
		Notebook: "tutorials/01_Intro.ipynb", CellID: "a1b2c3", CellNumber: 7,
		Code:      "x = 1\ny = 0\nprint(x / y)",
		Error:     "ZeroDivisionError: division by zero",
		ErrorType: "ZeroDivisionError",
		Traceback: "\x1b[0;31m---------\x1b[0m\n\x1b[0;31mZeroDivisionError\x1b[0m: division by zero",
		Image:     "lighthouse.ceres/sciplat-lab:w_2024_18", ImageDescription: "Weekly 2024_18",
		Node: "node-7", TraceID: "4bf92f3577b34da6a3ce929d0e0e4736",
		Started: t0().Add(-2 * time.Minute), Failed: t0().Add(-5 * time.Second),
	}
}

// decodeSlack parses a Slack body.
func decodeSlack(t *testing.T, body []byte) slackMessage {
	t.Helper()
	var m slackMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("decode Slack body %s: %v", body, err)
	}
	return m
}

// receive waits for one body, failing the test if none comes.
func receive(t *testing.T, c <-chan []byte) []byte {
	t.Helper()
	select {
	case b := <-c:
		return b
	case <-time.After(10 * time.Second):
		t.Fatal("no message arrived")
		return nil
	}
}
