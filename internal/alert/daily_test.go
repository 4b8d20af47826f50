package alert

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

func TestNextDaily(t *testing.T) {
	tests := []struct {
		now  time.Time
		at   time.Duration
		want time.Time
	}{
		{t0(), 9 * time.Hour, time.Date(2024, 5, 2, 9, 0, 0, 0, time.UTC)},
		{t0(), 15 * time.Hour, time.Date(2024, 5, 1, 15, 0, 0, 0, time.UTC)},
		{time.Date(2024, 5, 1, 15, 0, 0, 0, time.UTC), 15 * time.Hour, time.Date(2024, 5, 2, 15, 0, 0, 0, time.UTC)},
		{time.Date(2024, 12, 31, 23, 0, 0, 0, time.FixedZone("X", -5*3600)), time.Hour, time.Date(2025, 1, 2, 1, 0, 0, 0, time.UTC)}, // 04:00 UTC,
	}
	for _, tt := range tests {
		if got := nextDaily(tt.now, tt.at); !got.Equal(tt.want) {
			t.Errorf("nextDaily(%v, %v) = %v, want %v", tt.now, tt.at, got, tt.want)
		}
	}
}

func TestDailyStatus(t *testing.T) {
	srv := newCapture(t)
	clock := newFakeClock(t0()) // 14:02 UTC
	a := New(testConfig(clock, &sleeps{}, io.Discard, Slack(srv.URL())))
	a.Start(context.Background())
	defer stop(t, a)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	calls := 0
	go func() {
		defer close(done)
		a.DailyStatus(ctx, 15*time.Hour, func() Status {
			calls++
			return Status{Environment: "idfint", Flocks: []FlockStatus{
				{Name: "tutorial", Monkeys: 2, Successes: 10},
				{Name: "tap", Monkeys: 1, Successes: 1, Failures: 1},
			}}
		})
	}()

	if d := <-clock.created; d != 58*time.Minute {
		t.Fatalf("first timer = %v, want 58m (until 15:00)", d)
	}
	clock.Advance(58 * time.Minute)
	msg := decodeSlack(t, receive(t, srv.arrived))
	text := msg.Blocks[1].Text.Text
	for _, line := range []string{"*tutorial*: 2 monkeys, 10 successes, 0 failures, 100.00% success",
		"*tap*: 1 monkey, 1 success, 1 failure, 50.00% success"} {
		if !strings.Contains(text, line) {
			t.Errorf("status %q lacks %q", text, line)
		}
	}
	if msg.Blocks[0].Text.Text != "📊 mobu status: idfint" || !strings.Contains(msg.Blocks[3].Elements[0].Text, "15:00:00") {
		t.Errorf("status blocks = %+v", msg.Blocks)
	}

	if d := <-clock.created; d != 24*time.Hour {
		t.Errorf("second timer = %v, want 24h", d)
	}
	cancel()
	<-done
	if calls != 1 {
		t.Errorf("status called %d times, want 1", calls)
	}
}

// A day without flocks sends nothing (as Python mobu); the next day with
// one does.
func TestDailyStatusSkipsNoFlocks(t *testing.T) {
	srv := newCapture(t)
	clock := newFakeClock(t0()) // 14:02 UTC
	a := New(testConfig(clock, &sleeps{}, io.Discard, Slack(srv.URL())))
	a.Start(context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	statuses := []Status{{Environment: "idfint"}, {Environment: "idfint", Flocks: []FlockStatus{{Name: "tap", Monkeys: 1}}}}
	go func() {
		defer close(done)
		a.DailyStatus(ctx, 15*time.Hour, func() Status {
			s := statuses[0]
			statuses = statuses[1:]
			return s
		})
	}()
	<-clock.created
	clock.Advance(58 * time.Minute) // 15:00: no flocks
	<-clock.created                 // the next day's timer: the first day is over
	clock.Advance(24 * time.Hour)
	msg := decodeSlack(t, receive(t, srv.arrived))
	<-clock.created
	cancel()
	<-done
	stop(t, a)
	if n := len(srv.Bodies()); n != 1 || !strings.Contains(msg.Blocks[1].Text.Text, "*tap*") {
		t.Errorf("%d messages, the first %+v; want only the day with a flock", n, msg.Blocks)
	}
}

func TestDailyStatusRealTimerStops(t *testing.T) {
	a := New(Config{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.DailyStatus(ctx, time.Hour, func() Status { return Status{} })
	}()
	cancel()
	<-done
}
