package events_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/events"
)

// hangSink's first Write hangs until release is closed, then fails if
// failFirst; every other Write delivers at once.
type hangSink struct {
	mu        sync.Mutex
	calls     int
	got       []events.Event
	entered   chan struct{}
	release   chan struct{}
	failFirst bool
}

func (s *hangSink) Write(ctx context.Context, batch []events.Event) error {
	s.mu.Lock()
	s.calls++
	first := s.calls == 1
	s.mu.Unlock()
	if first {
		close(s.entered)
		select {
		case <-s.release:
		case <-ctx.Done():
			return ctx.Err()
		}
		if s.failFirst {
			return errors.New("broker answered at last: request timed out")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, batch...)
	return nil
}

func (s *hangSink) Close() error { return nil }

// eventually polls the queue's stats until cond holds, for at most 10 s.
func eventually(t *testing.T, q *events.Queue, what string, cond func(events.Stats) bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(q.Stats()); {
		if time.Now().After(deadline) {
			t.Fatalf("%s: stats %+v", what, q.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// While a Write hangs, the queue passes its high-water mark and the writer
// moves the queued events to the spool: ten times the queue's size is
// published and nothing is lost; every event arrives once, in order, whether
// the hung Write then succeeds or fails.
func TestHungWriteSpoolsTheQueue(t *testing.T) {
	const size, total = 20, 200 // high-water mark: 10
	for _, failFirst := range []bool{false, true} {
		name := map[bool]string{false: "hung write succeeds", true: "hung write fails"}[failFirst]
		t.Run(name, func(t *testing.T) {
			sink := &hangSink{entered: make(chan struct{}), release: make(chan struct{}), failFirst: failFirst}
			q := events.NewQueue(sink, events.QueueOptions{Size: size, BatchSize: 8, After: newClock(false).After})
			q.Publish(ev("bot-00", 0))
			<-sink.entered
			for i := 1; i < total; i++ {
				q.Publish(ev("bot-00", i))
				if i%9 == 0 { // below high-water mark + 9 < size: room for the next 9
					eventually(t, q, "the queue was not moved to the spool while the write hung",
						func(s events.Stats) bool { return s.Queued < size/2 })
				}
			}
			if s := q.Stats(); s.Dropped != 0 || s.Written != 0 || s.Spilled == 0 {
				t.Fatalf("during the hung write: %+v, want nothing dropped, events spilled", s)
			}
			close(sink.release)
			if err := q.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			if n := checkOrder(t, sink.got)["bot-00"]; n != total {
				t.Errorf("%d events delivered, want each of %d once", n, total)
			}
			s := q.Stats()
			if s.Written != total || s.Dropped != 0 {
				t.Errorf("stats %+v, want %d written, none dropped", s, total)
			}
			checkBalance(t, s)
		})
	}
}
