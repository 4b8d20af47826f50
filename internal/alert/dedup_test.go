package alert

import (
	"context"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"
)

// newQueued returns an alerter whose worker is not started, so tests read
// its queue directly.
func newQueued(clock *fakeClock) *Alerter {
	return New(testConfig(clock, &sleeps{}, io.Discard))
}

func TestDedupSuppressesWithinQuiet(t *testing.T) {
	clock := newFakeClock(t0())
	a := newQueued(clock)
	f := richFailure()
	for range 3 {
		a.Failed(f)
		clock.Advance(time.Minute)
	}
	ms := queued(a)
	if len(ms) != 1 || ms[0].Kind != KindFailure || ms[0].Suppressed != 0 {
		t.Fatalf("after 3 failures within quiet: %+v", ms)
	}
	if s := a.Stats(); s.Suppressed != 2 {
		t.Errorf("Suppressed = %d, want 2", s.Suppressed)
	}

	clock.Advance(time.Hour)
	a.Failed(f)
	ms = queued(a)
	if len(ms) != 1 || ms[0].Suppressed != 2 || !ms[0].LastAlert.Equal(t0()) {
		t.Fatalf("after the quiet period: %+v", ms)
	}
	if got := suppressedText(ms[0]); got != "2 more failures since 14:02 UTC" {
		t.Errorf("suppressed text = %q", got)
	}
	a.Failed(f) // within the new quiet period
	if ms := queued(a); len(ms) != 0 {
		t.Errorf("repeat right after the second alert queued %d messages", len(ms))
	}
}

func TestDedupSeparateKeys(t *testing.T) {
	a := newQueued(newFakeClock(t0()))
	base := richFailure()
	otherCell, otherType, otherNotebook, otherFlock := base, base, base, base
	otherCell.CellID = "other"
	otherType.ErrorType = "KeyError"
	otherNotebook.Notebook = "other.ipynb"
	otherFlock.Flock = "other"
	sameKey := base
	sameKey.Monkey, sameKey.Error, sameKey.CellNumber = "tutorial-02", "different text", 9
	for _, f := range []Failure{base, otherCell, otherType, otherNotebook, otherFlock, sameKey} {
		a.Failed(f)
	}
	if ms := queued(a); len(ms) != 5 {
		t.Errorf("got %d messages, want 5 (one per key)", len(ms))
	}
	if n := a.OpenFailures(); n != 5 {
		t.Errorf("OpenFailures = %d, want 5", n)
	}
}

func TestPassedResolves(t *testing.T) {
	clock := newFakeClock(t0())
	a := newQueued(clock)
	f1, f2, other, spawn := richFailure(), richFailure(), richFailure(), richFailure()
	f2.CellID, f2.ErrorType = "z9", "KeyError"
	other.Notebook = "other.ipynb"
	spawn.Notebook, spawn.CellID, spawn.Phase, spawn.ErrorType = "", "", "spawn", "spawn timeout"
	a.Failed(f1)
	a.Failed(f2)
	clock.Advance(time.Minute)
	a.Failed(f1)
	a.Failed(other)
	a.Failed(spawn)
	queued(a)

	clock.Advance(9 * time.Minute)
	a.Passed("tutorial", f1.Notebook)
	ms := queued(a)
	if len(ms) != 2 {
		t.Fatalf("got %d resolved messages, want 2: %+v", len(ms), ms)
	}
	r := ms[0].Resolution
	if ms[0].Kind != KindResolved || r.CellID != "a1b2c3" || r.Failures != 2 ||
		!r.FailingSince.Equal(t0()) || r.Duration() != 10*time.Minute {
		t.Errorf("first resolution = %+v", r)
	}
	if r := ms[1].Resolution; r.CellID != "z9" || r.ErrorType != "KeyError" || r.Failures != 1 {
		t.Errorf("second resolution = %+v", r)
	}

	a.Passed("tutorial", f1.Notebook)    // already resolved
	a.Passed("tutorial", "unrelated")    // never failed
	a.Passed("elsewhere", "other.ipynb") // other flock
	if ms := queued(a); len(ms) != 0 {
		t.Errorf("Passed without open keys queued %+v", ms)
	}
	a.Passed("tutorial", "")
	if ms := queued(a); len(ms) != 1 || ms[0].Resolution.ErrorType != "spawn timeout" {
		t.Errorf("Passed(flock, \"\") = %+v", ms)
	}
	if n := a.OpenFailures(); n != 1 {
		t.Errorf("OpenFailures = %d, want 1 (other.ipynb)", n)
	}
}

func TestFailedAgainAfterResolve(t *testing.T) {
	clock := newFakeClock(t0())
	a := newQueued(clock)
	f := richFailure()
	a.Failed(f)
	a.Passed(f.Flock, f.Notebook)
	a.Failed(f) // a new incident: alerts at once, within the quiet period
	ms := queued(a)
	if len(ms) != 3 || ms[2].Kind != KindFailure || ms[2].Suppressed != 0 {
		t.Errorf("messages = %+v", ms)
	}
}

func TestQueueFullDrops(t *testing.T) {
	cfg := testConfig(newFakeClock(t0()), &sleeps{}, io.Discard)
	cfg.QueueSize = 2
	a := New(cfg)
	for i := range 5 {
		f := richFailure()
		f.CellID = fmt.Sprint("cell", i)
		a.Failed(f)
	}
	if s := a.Stats(); s.Dropped != 3 {
		t.Errorf("Dropped = %d, want 3", s.Dropped)
	}
	if ms := queued(a); len(ms) != 2 {
		t.Errorf("queued %d, want 2", len(ms))
	}
	// A dropped first failure is retried by the next one, with its count.
	f := richFailure()
	f.CellID = "cell4"
	a.Failed(f)
	if ms := queued(a); len(ms) != 1 || ms[0].Suppressed != 1 || !ms[0].LastAlert.IsZero() {
		t.Errorf("retry of a dropped key = %+v", ms)
	}
}

func TestQueueFullWhileDelivering(t *testing.T) {
	release := make(chan struct{})
	srv := newGatedCapture(t, release)
	cfg := testConfig(newFakeClock(t0()), &sleeps{}, io.Discard, Slack(srv.URL()))
	cfg.QueueSize = 2
	a := New(cfg)
	a.Start(context.Background())
	a.Failed(richFailure())
	receive(t, srv.arrived) // the worker is now blocked in delivery
	for i := range 5 {
		f := richFailure()
		f.CellID = fmt.Sprint("cell", i)
		a.Failed(f) // must not block
	}
	if s := a.Stats(); s.Dropped != 3 {
		t.Errorf("Dropped = %d, want 3", s.Dropped)
	}
	close(release)
	stop(t, a)
	if s := a.Stats(); s.Sent != 3 || s.Failed != 0 {
		t.Errorf("Stats = %+v, want 3 sent", s)
	}
}

func TestConcurrentFailedPassed(t *testing.T) {
	target := &countTarget{}
	cfg := testConfig(newFakeClock(t0()), &sleeps{}, io.Discard, target)
	cfg.QueueSize = 20000 // more than all possible messages: none dropped
	a := New(cfg)
	a.Start(context.Background())
	var wg sync.WaitGroup
	for g := range 50 {
		wg.Go(func() {
			for i := range 200 {
				f := richFailure()
				f.Notebook = fmt.Sprint("nb", (g+i)%7)
				f.CellID = fmt.Sprint("c", i%3)
				a.Failed(f)
				if i%5 == 0 {
					a.Passed(f.Flock, f.Notebook)
				}
			}
		})
	}
	wg.Wait()
	stop(t, a)
	s := a.Stats()
	failures, resolved := target.Count(KindFailure), target.Count(KindResolved)
	if s.Sent != failures+resolved || resolved == 0 || s.Dropped != 0 {
		t.Errorf("Stats = %+v, target got %d failures and %d resolved", s, failures, resolved)
	}
	if failures+s.Suppressed != 50*200 {
		t.Errorf("%d failures sent + %d suppressed, want %d", failures, s.Suppressed, 50*200)
	}
}

func BenchmarkPassedNothingOpen(b *testing.B) {
	a := newQueued(newFakeClock(t0()))
	f := richFailure()
	f.Notebook = "other.ipynb"
	a.Failed(f)
	b.ReportAllocs()
	for b.Loop() {
		a.Passed("tutorial", "tutorials/01_Intro.ipynb")
	}
}

// countTarget counts the messages sent to it by kind.
type countTarget struct {
	mu sync.Mutex
	n  map[Kind]uint64
}

func (c *countTarget) String() string { return "count" }

func (c *countTarget) Send(_ context.Context, _ Poster, m Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[Kind]uint64{}
	}
	c.n[m.Kind]++
	return nil
}

func (c *countTarget) Count(k Kind) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[k]
}

// A deleted flock's open failures are dropped: the flock created again
// under its name alerts its first failure at once (no suppressed count)
// and its passes resolve nothing of the old one's; other flocks keep theirs.
func TestForgetFlock(t *testing.T) {
	clock := newFakeClock(t0())
	a := newQueued(clock)
	f, spawn, other := richFailure(), richFailure(), richFailure()
	spawn.Notebook, spawn.CellID, spawn.Phase, spawn.ErrorType = "", "", "spawn", "spawn error"
	other.Flock = "other"
	for _, x := range []Failure{f, f, spawn, other} {
		a.Failed(x)
	}
	queued(a)
	a.ForgetFlock(f.Flock)
	if n := a.OpenFailures(); n != 1 {
		t.Fatalf("OpenFailures = %d after forgetting %s, want the other flock's 1", n, f.Flock)
	}
	a.Passed(f.Flock, "")
	clock.Advance(time.Minute)
	a.Failed(f)
	ms := queued(a)
	if len(ms) != 1 || ms[0].Kind != KindFailure || ms[0].Suppressed != 0 || !ms[0].LastAlert.IsZero() {
		t.Fatalf("after re-creation: %+v, want one fresh failure alert and no resolution", ms)
	}
}
