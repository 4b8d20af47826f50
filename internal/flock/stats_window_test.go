package flock

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/report"
)

func near(got, want, tol float64) bool { return math.Abs(got-want) <= tol }

// timingOf returns the named timing, failing the test if it is missing.
func timingOf(t *testing.T, ts []Timing, name string) Timing {
	t.Helper()
	for _, x := range ts {
		if x.Name == name {
			return x
		}
	}
	t.Fatalf("no timing %q in %+v", name, ts)
	return Timing{}
}

// TestWeightedQuantile: with unit weights it is report.Quantile; a weight w
// counts as w copies.
func TestWeightedQuantile(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for n := range 40 {
		var ds []time.Duration
		var xs []weighted
		for range n {
			d := time.Duration(rng.IntN(1000)) * time.Millisecond
			ds = append(ds, d)
			xs = append(xs, weighted{d: d, w: 1})
		}
		for _, q := range []float64{0, 0.3, 0.5, 0.95, 1} {
			if got, want := weightedQuantile(xs, q), report.Quantile(ds, q); got != want {
				t.Fatalf("n=%d q=%v: %v, report.Quantile %v", n, q, got, want)
			}
		}
	}
	xs := []weighted{{d: 2 * time.Second, w: 1}, {d: time.Second, w: 3}}
	ds := []time.Duration{time.Second, time.Second, time.Second, 2 * time.Second}
	for _, q := range []float64{0, 0.5, 0.8, 0.95, 1} {
		if got, want := weightedQuantile(xs, q), report.Quantile(ds, q); got != want {
			t.Errorf("weighted q=%v: %v, want %v", q, got, want)
		}
	}
}

// TestStatsWindowIsTime: a summary covers statsWindow of time, however many
// samples that is, and nothing older.
func TestStatsWindowIsTime(t *testing.T) {
	s := NewStats(time.Hour)
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for i := range 500 { // an hour before the window: excluded
		s.Record("cell", now.Add(-2*time.Hour+time.Duration(i)*time.Second), time.Minute, true)
	}
	// 1200 successes over the hour, 40 per two-minute bucket: 2 s in the
	// first half hour, 4 s in the second; and 30 failures.
	for i := range 1200 {
		d := 2 * time.Second
		if i >= 600 {
			d = 4 * time.Second
		}
		s.Record("cell", now.Add(-time.Hour+time.Duration(i)*3*time.Second), d, true)
	}
	for i := range 30 {
		s.Record("cell", now.Add(-time.Duration(i)*time.Minute), time.Hour, false)
	}
	c := timingOf(t, s.Timings(now), "cell")
	if c.Count != 1230 || c.Failures != 30 || c.P50 != 3 || c.P95 != 4 {
		t.Fatalf("cell %+v, want count 1230, failures 30, p50 3, p95 4", c)
	}
	// Two hours later everything has left the window.
	if ts := s.Timings(now.Add(2 * time.Hour)); len(ts) != 0 {
		t.Errorf("two hours later: %+v, want nothing", ts)
	}
	later := timingOf(t, s.Timings(now.Add(30*time.Minute)), "cell")
	if later.Count >= c.Count || later.P50 != 4 {
		t.Errorf("half an hour later %+v: the first half hour (2 s) must have left the window", later)
	}
}

// TestStatsBurstIsWeighted: a bucket with far more samples than its
// reservoir still counts in proportion to its samples, not to what it kept.
func TestStatsBurstIsWeighted(t *testing.T) {
	s := NewStats(time.Hour)
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for i := range 10000 { // one minute: 1..1000 ms, shuffled
		d := time.Duration((i*7919)%1000+1) * time.Millisecond
		s.Record("cell", now.Add(-30*time.Minute+time.Duration(i)*time.Millisecond), d, true)
	}
	for i := range 10 { // a quiet bucket of slow cells
		s.Record("cell", now.Add(-10*time.Minute+time.Duration(i)*time.Second), 10*time.Second, true)
	}
	c := timingOf(t, s.Timings(now), "cell")
	if c.Count != 10010 || !near(c.P50, 0.5, 0.1) || !near(c.P95, 0.95, 0.1) {
		t.Fatalf("cell %+v, want 10010 samples, p50 ≈ 0.5 s, p95 ≈ 0.95 s", c)
	}
	sr := s.series["cell"]
	for _, b := range sr.buckets {
		if len(b.kept) > reservoirSize {
			t.Fatalf("bucket keeps %d durations, more than %d", len(b.kept), reservoirSize)
		}
	}
	if len(sr.buckets) > windowBuckets+2 {
		t.Fatalf("%d buckets", len(sr.buckets))
	}
}

// TestStatsOutOfOrder: a late sample lands in its own (older) bucket.
func TestStatsOutOfOrder(t *testing.T) {
	s := NewStats(time.Hour)
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	s.Record("spawn", now.Add(-time.Minute), 3*time.Second, true)
	s.Record("spawn", now.Add(-20*time.Minute), time.Second, true)
	s.Record("spawn", now.Add(-5*time.Minute), 2*time.Second, true)
	s.Record("spawn", now.Add(-3*time.Hour), time.Hour, true) // too old: dropped
	sp := timingOf(t, s.Timings(now), "spawn")
	if sp.Count != 3 || sp.P50 != 2 || len(s.series["spawn"].buckets) != 3 {
		t.Fatalf("spawn %+v with %d buckets", sp, len(s.series["spawn"].buckets))
	}
}
