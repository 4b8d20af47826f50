package flock

import (
	"context"
	"sync"
	"time"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/ctxtime"
)

// Flock is a named group of monkeys running the same business.
type Flock struct {
	cfg      *config.Flock
	gate     *gate
	stats    *Stats
	failures *failureLog
	mu       sync.Mutex
	monkeys  []*Monkey
	started  time.Time
	stopped  bool
	fetch    *fetcher // NotebookRunner flocks: runs refresh fetches (refresh.go)
}

// Config returns the flock's specification.
func (f *Flock) Config() *config.Flock { return f.cfg }

// Name is the flock's name.
func (f *Flock) Name() string { return f.cfg.Name }

// shard returns the users this replica runs: index i goes to replica
// i % count.
func shard(users []config.User, index, count int) []config.User {
	var out []config.User
	for i, u := range users {
		if i%count == index {
			out = append(out, u)
		}
	}
	return out
}

// batchSize is this replica's share of start_batch_size, at least 1.
func batchSize(total, replicas, monkeys int) int {
	if total <= 0 {
		return monkeys
	}
	return max(total/replicas, 1)
}

// start launches the monkeys in batches, pausing start_batch_wait between
// batches (not after the last). It stops early if ctx ends or the flock is
// stopped meanwhile, releasing the monkeys it did not launch.
func (f *Flock) start(ctx context.Context, monkeys []*Monkey, size int) {
	f.mu.Lock()
	f.started = time.Now()
	f.mu.Unlock()
	for i, m := range monkeys {
		if i > 0 && i%size == 0 && f.cfg.StartBatchWait != nil {
			if ctxtime.Sleep(ctx, f.cfg.StartBatchWait.D()) != nil {
				discard(monkeys[i:])
				return
			}
		}
		if !f.launch(m) {
			discard(monkeys[i:])
			return
		}
	}
}

// launch adds m to the flock and starts it, unless the flock was stopped.
func (f *Flock) launch(m *Monkey) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		return false
	}
	f.monkeys = append(f.monkeys, m)
	go m.run()
	return true
}

// discard releases monkeys that never ran (log files, lab clients).
func discard(monkeys []*Monkey) {
	for _, m := range monkeys {
		m.hardCancel()
		m.close()
	}
}

// stop stops every monkey in parallel (see Monkey.Stop).
func (f *Flock) stop(grace time.Duration) {
	f.mu.Lock()
	f.stopped = true
	monkeys, fetch := f.monkeys, f.fetch
	f.mu.Unlock()
	f.gate.resume() // paused monkeys must see the stop
	var wg sync.WaitGroup
	if fetch != nil {
		wg.Go(fetch.stop)
	}
	for _, m := range monkeys {
		wg.Go(func() {
			m.Stop(grace)
			m.close()
		})
	}
	wg.Wait()
}

// Pause makes monkeys wait after their current execution until Resume.
func (f *Flock) Pause() { f.gate.pause() }

// Resume lets paused monkeys continue.
func (f *Flock) Resume() { f.gate.resume() }

// Paused reports whether the flock is paused.
func (f *Flock) Paused() bool { return f.gate.isPaused() }

// Refresh asks every monkey's business to re-read its inputs. For a
// NotebookRunner flock it requests one fetch for the whole flock
// (refresh.go; the monkeys request none of their own); each monkey reloads at
// its next notebook boundary after that fetch ends, running its current
// notebooks meanwhile.
func (f *Flock) Refresh() {
	f.mu.Lock()
	fetch := f.fetch
	f.mu.Unlock()
	if fetch != nil {
		fetch.request()
	}
	for _, m := range f.Monkeys() {
		m.biz.Refresh()
	}
}

// Monkeys returns the monkeys started so far.
func (f *Flock) Monkeys() []*Monkey {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*Monkey(nil), f.monkeys...)
}

// Monkey returns the named monkey.
func (f *Flock) Monkey(name string) (*Monkey, bool) {
	for _, m := range f.Monkeys() {
		if m.name == name {
			return m, true
		}
	}
	return nil, false
}

// Failures returns up to n of the flock's recent failures, newest first.
func (f *Flock) Failures(n int) []FailureRecord { return f.failures.recent(n) }

// Timings returns the flock's timings over the stats window with up to n
// recent samples each (for sparklines).
func (f *Flock) Timings(now time.Time, n int) []Timing { return f.stats.TimingsWithRecent(now, n) }

// Summary is a flock's aggregate state.
type Summary struct {
	Name         string     `json:"name"`
	Business     string     `json:"business"`
	StartTime    *time.Time `json:"start_time"`
	MonkeyCount  int        `json:"monkey_count"`
	SuccessCount int64      `json:"success_count"`
	FailureCount int64      `json:"failure_count"`
	SuccessRate  float64    `json:"success_rate"` // 1 when nothing ran yet
	Paused       bool       `json:"paused"`
	Timings      []Timing   `json:"timings"`
}

// Summary sums the monkeys' counts and adds the recent timings.
func (f *Flock) Summary(now time.Time) Summary {
	s := Summary{Name: f.cfg.Name, Business: f.cfg.Business.Type, Paused: f.Paused(), Timings: f.stats.Timings(now)}
	f.mu.Lock()
	if !f.started.IsZero() {
		t := f.started
		s.StartTime = &t
	}
	f.mu.Unlock()
	for _, m := range f.Monkeys() {
		s.MonkeyCount++
		s.SuccessCount += m.successes.Load()
		s.FailureCount += m.failures.Load()
	}
	s.SuccessRate = 1
	if total := s.SuccessCount + s.FailureCount; total > 0 {
		s.SuccessRate = float64(s.SuccessCount) / float64(total)
	}
	return s
}
