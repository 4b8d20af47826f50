package events_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/events"
)

// blockingSink blocks every Write until release is closed, then records.
type blockingSink struct {
	mu      sync.Mutex
	got     []events.Event
	entered chan struct{}
	release chan struct{}
	fail    bool
	closed  bool
}

func newBlockingSink() *blockingSink {
	return &blockingSink{entered: make(chan struct{}, 100), release: make(chan struct{})}
}

func (s *blockingSink) Write(ctx context.Context, b []events.Event) error {
	s.entered <- struct{}{}
	select {
	case <-s.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return errors.New("boom")
	}
	s.got = append(s.got, b...)
	return nil
}

func (s *blockingSink) Close() error { s.closed = true; return nil }

func loop(user string) *events.EmptyLoop {
	return &events.EmptyLoop{Base: events.NewBase(time.Now(), "f", "EmptyLoop", user), Success: true}
}

func TestQueueStampsKeepsOrderAndDropsAfterClose(t *testing.T) {
	sink := &scriptSink{}
	q := events.NewQueue(sink, events.QueueOptions{Size: 10, BatchSize: 1})
	for _, user := range []string{"a", "b", "c"} {
		q.Publish(loop(user))
	}
	if err := q.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(sink.got) != 3 || !sink.closed {
		t.Fatalf("sink got %d events (closed %v), stats %+v", len(sink.got), sink.closed, q.Stats())
	}
	users := ""
	for i, e := range sink.got {
		users += e.Common().Username
		if b := e.Common(); b.ID == "" || b.Application != "mobu" {
			t.Errorf("event %d not stamped: %+v", i, b)
		}
	}
	if users != "abc" {
		t.Errorf("delivered users %q, want in publish order", users)
	}
	q.Publish(loop("late"))
	if s := q.Stats(); s.Published != 4 || s.Dropped != 1 || s.Written != 3 {
		t.Fatalf("after close stats = %+v, want the late event dropped", s)
	}
	checkBalance(t, q.Stats())
}

func TestQueueInvalidAndFailed(t *testing.T) {
	sink := &scriptSink{script: failFirst(1)}
	clk := newClock(false)
	q := events.NewQueue(sink, events.QueueOptions{Application: "x", After: clk.After})
	q.Publish(&events.EmptyLoop{Base: events.NewBase(time.Now(), "", "EmptyLoop", "")})
	q.Publish(loop("a"))
	if err := q.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := q.Stats()
	want := events.Stats{Published: 1, Written: 1, Failed: 1, Retries: 1, Spilled: 1, Invalid: 1}
	if s != want {
		t.Fatalf("stats = %+v, want %+v", s, want)
	}
	if len(sink.got) != 1 || sink.got[0].Common().Application != "x" || !sink.closed {
		t.Fatalf("sink got %v (closed %v)", sink.got, sink.closed)
	}
}

func TestQueueCloseDeadline(t *testing.T) {
	sink := newBlockingSink()
	q := events.NewQueue(sink, events.QueueOptions{})
	q.Publish(loop("a"))
	<-sink.entered
	q.Publish(loop("b"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := q.Close(ctx)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "2 events not delivered") {
		t.Fatalf("Close with stuck sink = %v, want context.Canceled and 2 events not delivered", err)
	}
	if s := q.Stats(); s.Dropped != 2 || s.Pending != 0 || !sink.closed {
		t.Fatalf("stats = %+v (sink closed %v), want the 2 events dropped with the temporary spool", s, sink.closed)
	}
	checkBalance(t, q.Stats())
}
