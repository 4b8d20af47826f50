package events_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/events"
)

// publishAll publishes perUser events for each of users users, one goroutine
// per user, each in order.
func publishAll(q *events.Queue, users, perUser int) {
	var wg sync.WaitGroup
	for u := range users {
		wg.Go(func() {
			for i := range perUser {
				q.Publish(ev(fmt.Sprintf("bot-%02d", u), i))
			}
		})
	}
	wg.Wait()
}

// checkOrder asserts each user's events arrived in order, and returns how
// many arrived per user.
func checkOrder(t *testing.T, got []events.Event) map[string]int {
	t.Helper()
	last, n := map[string]int{}, map[string]int{}
	for _, e := range got {
		user, seq := seqOf(t, e)
		if prev, ok := last[user]; ok && seq <= prev {
			t.Fatalf("%s: event %d after %d", user, seq, prev)
		}
		last[user] = seq
		n[user]++
	}
	return n
}

func TestOutageLosesNothingAndKeepsOrder(t *testing.T) {
	sec := time.Second
	tests := []struct {
		name       string
		failCalls  int
		wantDelays []time.Duration
	}{
		{"no outage", 0, nil},
		{"one failure", 1, []time.Duration{sec}},
		{"backoff capped", 8, []time.Duration{sec, 2 * sec, 4 * sec, 8 * sec, 16 * sec, 30 * sec, 30 * sec, 30 * sec}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := &scriptSink{script: failFirst(tt.failCalls)}
			clk := newClock(false)
			q := events.NewQueue(sink, events.QueueOptions{Size: 4000, BatchSize: 16, After: clk.After})
			publishAll(q, 10, 300)
			if err := q.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			for user, n := range checkOrder(t, sink.got) {
				if n != 300 {
					t.Errorf("%s: %d events delivered, want 300", user, n)
				}
			}
			s := q.Stats()
			if len(sink.got) != 3000 || s.Written != 3000 || s.Dropped != 0 || s.Retries != uint64(tt.failCalls) {
				t.Errorf("delivered %d, stats %+v; want 3000 written, %d retries", len(sink.got), s, tt.failCalls)
			}
			if tt.failCalls > 0 && (s.Spilled == 0 || s.Failed == 0) {
				t.Errorf("stats %+v: nothing spilled or failed", s)
			}
			if fmt.Sprint(clk.delays) != fmt.Sprint(tt.wantDelays) {
				t.Errorf("retry delays %v, want %v", clk.delays, tt.wantDelays)
			}
			checkBalance(t, s)
		})
	}
}

func TestOutageBeyondSpoolDropsOldest(t *testing.T) {
	line := spooledLine("bot-00")
	sink := &scriptSink{script: failAlways}
	clk := newClock(true)
	capacity := 40
	q := events.NewQueue(sink, events.QueueOptions{Size: 1000, BatchSize: 10, After: clk.After,
		SpoolMaxBytes: int64(capacity * len(line))})
	for i := range 300 {
		q.Publish(ev("bot-00", i))
	}
	<-clk.scheduled
	closed := make(chan error)
	go func() { closed <- q.Close(context.Background()) }()
	sink.mu.Lock()
	sink.script = nil // the broker is back
	sink.mu.Unlock()
	clk.fire()
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	checkOrder(t, sink.got)
	s := q.Stats()
	if s.Dropped+uint64(len(sink.got)) != 300 || s.Written != uint64(len(sink.got)) || s.Dropped < 300-10-uint64(capacity) {
		t.Fatalf("delivered %d, stats %+v: want every lost event counted as dropped", len(sink.got), s)
	}
	tail := sink.got[len(sink.got)-(capacity-capacity/8):] // the spool evicts segments of capacity/8 lines
	for i, e := range tail {
		if _, seq := seqOf(t, e); seq != 300-len(tail)+i {
			t.Fatalf("newest events: got %d at %d, want %d: the oldest must go first", seq, i, 300-len(tail)+i)
		}
	}
	checkBalance(t, s)
}

func TestRejectedEventsCountedOthersDelivered(t *testing.T) {
	sink := &scriptSink{script: func(call int, batch []events.Event) error {
		rej := map[int]error{}
		for i, e := range batch {
			if _, seq := seqOf(t, e); seq%10 == 3 {
				rej[i] = fmt.Errorf("message of %d bytes too large", 1000+seq/10%2)
			}
		}
		if call == 1 {
			return errors.New("broker down") // the spool drain rejects too
		}
		if len(rej) == 0 {
			return nil
		}
		return &events.RejectedError{Rejected: rej}
	}}
	logs := &logBuffer{}
	q := events.NewQueue(sink, events.QueueOptions{BatchSize: 7, After: newClock(false).After, Logger: logs.logger()})
	for i := range 100 {
		q.Publish(ev("bot-00", i))
	}
	if err := q.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := q.Stats()
	if s.Rejected != 10 || s.Written != 90 || len(sink.got) != 90 {
		t.Fatalf("stats %+v, %d delivered: want 10 rejected, 90 written", s, len(sink.got))
	}
	checkOrder(t, sink.got)
	checkBalance(t, s)
	if n := strings.Count(logs.String(), "event rejected by the sink"); n != 2 {
		t.Errorf("%d rejection logs, want one per distinct reason (2):\n%s", n, logs)
	}
	if !strings.Contains(logs.String(), "event=empty_loop") {
		t.Errorf("rejection logs do not name the event:\n%s", logs)
	}
}

func TestRejectedErrorMessage(t *testing.T) {
	err := &events.RejectedError{Rejected: map[int]error{4: errors.New("b"), 2: errors.New("a")}}
	if got, want := err.Error(), "2 events rejected (first at batch index 2: a)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestCloseDrainsSpoolOrReportsLeft(t *testing.T) {
	tests := []struct {
		name     string
		script   func(int, []events.Event) error
		spoolDir bool
		cancel   bool
		want     string // "" for success
		pending  uint64
	}{
		{"drained in time", failFirst(5), false, false, "", 0},
		{"deadline, temporary spool", failAlways, false, true, "50 events not delivered (dropped", 0},
		{"deadline, spool dir", failAlways, true, true, "50 events not delivered (kept in", 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := events.QueueOptions{BatchSize: 8, After: newClock(tt.cancel).After} // manual: never retries
			if tt.spoolDir {
				opts.SpoolDir = t.TempDir()
			}
			sink := &scriptSink{script: tt.script}
			q := events.NewQueue(sink, opts)
			for i := range 50 {
				q.Publish(ev("bot-00", i))
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			if tt.cancel {
				cancel()
			}
			defer cancel()
			err := q.Close(ctx)
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("Close = %v, want %q", err, tt.want)
			}
			if s := q.Stats(); s.Pending != tt.pending || s.Queued+s.InFlight != 0 {
				t.Errorf("stats %+v, want %d pending", s, tt.pending)
			}
			checkBalance(t, q.Stats())
		})
	}
}

func TestPublishNeverBlocksWhileSinkFails(t *testing.T) {
	const goroutines, each = 10000, 5
	sink := &scriptSink{script: failAlways}
	q := events.NewQueue(sink, events.QueueOptions{After: newClock(false).After})
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := range goroutines {
		wg.Go(func() {
			<-start
			for i := range each {
				q.Publish(ev(fmt.Sprintf("bot-%05d", g), i))
			}
		})
	}
	published := make(chan struct{})
	go func() { wg.Wait(); close(published) }()
	close(start)
	select {
	case <-published:
	case <-time.After(20 * time.Second):
		t.Fatal("publishing 50,000 events did not finish within 20s: Publish blocks")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	q.Close(ctx)
	s := q.Stats()
	if s.Published != goroutines*each || s.Written != 0 || s.Dropped != goroutines*each {
		t.Errorf("stats %+v: want all %d published and, with the temporary spool gone, dropped", s, goroutines*each)
	}
	checkBalance(t, s)
}
