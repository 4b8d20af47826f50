package flock

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/events"
)

func TestEmptyLoopFlockCountsAndSummary(t *testing.T) {
	h := newHarness(t, nil)
	f, err := h.m.Start(context.Background(), flockSpec(t, `
name: empty
count: 3
user_spec: {username_prefix: bot-mobu-e}
business: {type: EmptyLoop, options: {idle_time: 0.01}}`))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "10 successes per monkey", func() bool {
		for _, m := range f.Monkeys() {
			if m.Data().Business.SuccessCount < 10 {
				return false
			}
		}
		return true
	})
	s := f.Summary(time.Now())
	if s.MonkeyCount != 3 || s.SuccessCount < 30 || s.FailureCount != 0 || s.SuccessRate != 1 || s.StartTime == nil {
		t.Fatalf("summary %+v", s)
	}
	if got := []string{f.Monkeys()[0].Name(), f.Monkeys()[2].Name()}; got[0] != "bot-mobu-e1" || got[1] != "bot-mobu-e3" {
		t.Fatalf("names %v", got)
	}
	if h.pub.count(events.NameEmptyLoop) < 30 {
		t.Fatal("empty_loop events missing")
	}
	if err := h.m.Delete("empty"); err != nil {
		t.Fatal(err)
	}
	for _, m := range f.Monkeys() {
		if st := m.Data().State; st != StateFinished {
			t.Fatalf("monkey %s state %s after delete, want FINISHED", m.Name(), st)
		}
	}
	if _, err := h.m.Get("empty"); !errors.Is(err, ErrFlockNotFound) {
		t.Fatalf("Get after delete: %v", err)
	}
}

func TestShardingAndBatches(t *testing.T) {
	h := newHarness(t, nil)
	h.m.opts.ReplicaIndex, h.m.opts.ReplicaCount = 1, 2
	start := time.Now()
	f, err := h.m.Start(context.Background(), flockSpec(t, `
name: sharded
count: 5
user_spec: {username_prefix: bot-mobu-s}
start_batch_size: 2
start_batch_wait: 0.1
business: {type: EmptyLoop, options: {idle_time: 1}}`))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range f.Monkeys() {
		names = append(names, m.Name())
	}
	// Replica 1 of 2 runs users 2 and 4; its batch is 2/2 = 1, so one wait.
	if strings.Join(names, ",") != "bot-mobu-s2,bot-mobu-s4" {
		t.Fatalf("replica 1 of 2 runs %v", names)
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Fatalf("start returned after %v, before the batch wait", d)
	}
}

// scripted is a business driven by functions, for monkey tests.
type scripted struct {
	startup, execute func(ctx context.Context) error
	shutdowns        atomic.Int64
	shutdownCtxLive  atomic.Bool
	executions       atomic.Int64
	stopping         func() bool
}

func (s *scripted) Startup(ctx context.Context) error {
	if s.startup != nil {
		return s.startup(ctx)
	}
	return nil
}
func (s *scripted) Execute(ctx context.Context) error {
	s.executions.Add(1)
	if s.execute != nil {
		return s.execute(ctx)
	}
	return nil
}
func (s *scripted) Shutdown(ctx context.Context) error {
	s.shutdownCtxLive.Store(ctx.Err() == nil)
	s.shutdowns.Add(1)
	return nil
}
func (s *scripted) Refresh()               {}
func (s *scripted) Status() BusinessStatus { return BusinessStatus{} }

func scriptedHarness(t *testing.T, s *scripted) *harness {
	return newHarness(t, Registry{config.EmptyLoop: func(env Env) (Business, error) {
		s.stopping = env.Stopping
		return s, nil
	}})
}

func TestRestartAfterFailures(t *testing.T) {
	var startups atomic.Int64
	s := &scripted{startup: func(context.Context) error {
		if startups.Add(1) <= 2 {
			return errors.New("hub down")
		}
		return nil
	}}
	h := scriptedHarness(t, s)
	f, _ := h.m.Start(context.Background(), flockSpec(t, `
name: r
count: 1
users: [{username: bot-mobu-r}]
business: {type: EmptyLoop, restart: true, options: {idle_time: 0.01, error_idle_time: 0.01}}`))
	m := f.Monkeys()[0]
	eventually(t, "recovery after two failed startups", func() bool { return m.Data().Business.SuccessCount >= 3 })
	d := m.Data()
	if d.Business.FailureCount != 2 || s.shutdowns.Load() < 2 || d.LastError != "hub down" {
		t.Fatalf("data %+v, shutdowns %d", d, s.shutdowns.Load())
	}
}

func TestNoRestartStopsWithError(t *testing.T) {
	s := &scripted{execute: func(context.Context) error { return errors.New("notebook failed") }}
	h := scriptedHarness(t, s)
	f, _ := h.m.Start(context.Background(), flockSpec(t, `
name: nr
count: 1
users: [{username: bot-mobu-nr}]
business: {type: EmptyLoop, options: {idle_time: 0.01}}`))
	m := f.Monkeys()[0]
	eventually(t, "monkey goroutine to end", func() bool {
		select {
		case <-m.done:
			return true
		default:
			return false
		}
	})
	if d := m.Data(); d.State != StateError || d.Business.FailureCount != 1 || s.shutdowns.Load() != 1 {
		t.Fatalf("state %s, failures %d, shutdowns %d: the lab must be cleaned up even without restart",
			d.State, d.Business.FailureCount, s.shutdowns.Load())
	}
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	m := &Monkey{errIdle: 64 * time.Second}
	for n, want := range map[int]time.Duration{1: 8 * time.Second, 2: 16 * time.Second, 3: 32 * time.Second,
		4: 64 * time.Second, 9: 64 * time.Second} {
		for range 20 {
			if d := m.backoff(n); d < want/2 || d > want {
				t.Fatalf("backoff(%d) = %v, want in [%v, %v]", n, d, want/2, want)
			}
		}
	}
	if d := (&Monkey{errIdle: 2 * time.Second}).backoff(1); d < time.Second/2 || d > time.Second {
		t.Fatalf("backoff floor: %v", d)
	}
}
