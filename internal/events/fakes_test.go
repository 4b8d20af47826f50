package events_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/events"
)

// scriptSink records delivered events; script decides each call's result
// (nil: deliver all; *RejectedError: deliver the others; other: nothing).
type scriptSink struct {
	mu     sync.Mutex
	calls  int
	got    []events.Event
	script func(call int, batch []events.Event) error
	closed bool
}

func (s *scriptSink) Write(ctx context.Context, batch []events.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if err := ctx.Err(); err != nil {
		return err
	}
	var err error
	if s.script != nil {
		err = s.script(s.calls, batch)
	}
	rej, _ := errors.AsType[*events.RejectedError](err)
	if err != nil && rej == nil {
		return err
	}
	for i, e := range batch {
		if rej == nil || rej.Rejected[i] == nil {
			s.got = append(s.got, e)
		}
	}
	return err
}

func (s *scriptSink) Close() error { s.closed = true; return nil }

// failFirst fails the first n calls.
func failFirst(n int) func(int, []events.Event) error {
	return func(call int, _ []events.Event) error {
		if call <= n {
			return fmt.Errorf("broker down (call %d)", call)
		}
		return nil
	}
}

func failAlways(int, []events.Event) error { return errors.New("broker down") }

// clock is an injected After: it records delays and fires at once, or only
// when the test calls fire if manual.
type clock struct {
	manual    bool
	mu        sync.Mutex
	delays    []time.Duration
	scheduled chan time.Duration
	fires     chan time.Time
}

func newClock(manual bool) *clock {
	return &clock{manual: manual, scheduled: make(chan time.Duration, 10000), fires: make(chan time.Time)}
}

func (c *clock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	c.delays = append(c.delays, d)
	c.mu.Unlock()
	c.scheduled <- d
	if c.manual {
		return c.fires
	}
	ch := make(chan time.Time, 1)
	ch <- time.Time{}
	return ch
}

// fire lets the writer's pending retry go (it blocks until the writer takes it).
func (c *clock) fire() { c.fires <- time.Time{} }

var t0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

// ev is an event whose id orders it within its user's events.
func ev(user string, seq int) *events.EmptyLoop {
	e := &events.EmptyLoop{Base: events.NewBase(t0, "f", "EmptyLoop", user), Success: true}
	e.ID = fmt.Sprintf("%s/%06d", user, seq)
	return e
}

// spooledLine is the spool line of a published event of user.
func spooledLine(user string) []byte {
	e := ev(user, 0)
	e.Application = "mobu"
	line, _ := events.MarshalLine(e)
	return line
}

func seqOf(t *testing.T, e events.Event) (string, int) {
	t.Helper()
	user, num, _ := strings.Cut(e.Common().ID, "/")
	n, err := strconv.Atoi(num)
	if err != nil {
		t.Fatalf("bad test event id %q", e.Common().ID)
	}
	return user, n
}

// checkBalance asserts the counters add up once the queue is idle.
func checkBalance(t *testing.T, s events.Stats) {
	t.Helper()
	if in, out := s.Published+s.Resumed, s.Written+s.Rejected+s.Dropped+s.Pending+s.Queued+s.InFlight; in != out {
		t.Errorf("published+resumed = %d, but written+rejected+dropped+pending+queued+in_flight = %d: %+v", in, out, s)
	}
}

// logBuffer is a slog destination tests can read after Close.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(b, nil)) }
