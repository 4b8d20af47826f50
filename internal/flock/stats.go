package flock

import (
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mobu-dev/mobu/internal/events"
)

// Timing summarises one measured thing (a stage, a notebook, cells) over the
// recent window.
type Timing struct {
	Name     string  `json:"name"`
	Count    int     `json:"count"`
	Failures int     `json:"failures"`
	P50      float64 `json:"p50"` // seconds, over successful samples
	P95      float64 `json:"p95"`
	// Recent are the latest samples, oldest first (only where asked for).
	Recent []Point `json:"recent,omitempty"`
}

// Point is one sample: when it ended, how long it took, whether it passed.
type Point struct {
	At      time.Time `json:"at"`
	Seconds float64   `json:"seconds"`
	OK      bool      `json:"ok"`
}

// recentKept bounds the latest samples a series keeps for sparklines (the
// timings route's largest ?recent=).
const recentKept = 200

type sample struct {
	at time.Time
	d  time.Duration
	ok bool
}

// series is one measured thing: its samples bucketed over the window (see
// window.go) and a ring of the latest ones.
type series struct {
	buckets buckets
	latest  ring[sample]
}

func newSeries() *series { return &series{latest: ring[sample]{max: recentKept}} }

// recent returns up to n samples at or after since, oldest first.
func (s *series) recent(since time.Time, n int) []Point {
	if n <= 0 {
		return nil
	}
	var out []Point
	for i := range len(s.latest.buf) {
		x := s.latest.newest(i)
		if len(out) == n {
			break
		}
		if x.at.Before(since) {
			continue
		}
		out = append(out, Point{At: x.at, Seconds: x.d.Seconds(), OK: x.ok})
	}
	slices.Reverse(out)
	return out
}

// Stats keeps the timings of one flock's measured things over a sliding
// time window, in bounded memory.
type Stats struct {
	mu     sync.Mutex
	window time.Duration
	width  time.Duration // of a bucket
	rng    *rand.Rand    // reservoir sampling; seeded, so runs are repeatable
	series map[string]*series
}

// NewStats keeps samples for the given window.
func NewStats(window time.Duration) *Stats {
	return &Stats{window: window, width: max(window/windowBuckets, 1), rng: rand.New(rand.NewPCG(1, 2)),
		series: map[string]*series{}}
}

// Record adds one sample that ended at at.
func (s *Stats) Record(name string, at time.Time, d time.Duration, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sr := s.series[name]
	if sr == nil {
		sr = newSeries()
		s.series[name] = sr
	}
	x := sample{at: at, d: d, ok: ok}
	sr.buckets.add(x, s.width, s.window, s.rng)
	sr.latest.add(x)
}

// Timings returns every series' summary over the window ending at now,
// sorted by name. The window slides in steps of a bucket (a thirtieth of
// it): it covers every bucket that overlaps [now-window, now].
func (s *Stats) Timings(now time.Time) []Timing { return s.TimingsWithRecent(now, 0) }

// TimingsWithRecent is Timings with up to n of each series' latest samples
// in the window, oldest first.
func (s *Stats) TimingsWithRecent(now time.Time, n int) []Timing {
	s.mu.Lock()
	defer s.mu.Unlock()
	since := now.Add(-s.window)
	out := make([]Timing, 0, len(s.series))
	for name, sr := range s.series {
		t := Timing{Name: name}
		sr.buckets.timing(&t, since, s.width)
		if t.Count == 0 {
			continue
		}
		t.Recent = sr.recent(since, n)
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b Timing) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// statsTee records the durations of events into Stats, tells the alerter
// of passing notebooks, and forwards the events unchanged.
type statsTee struct {
	next   events.Publisher
	stats  *Stats
	alerts Alerter // may be nil
	flock  string
}

var stageNames = map[string]string{
	events.NameLogin: "login", events.NameSpawnLab: "spawn", events.NameStartKernel: "kernel start",
	events.NameDeleteSession: "session delete", events.NameDeleteLab: "lab delete",
}

func (t statsTee) Publish(e events.Event) {
	switch ev := e.(type) {
	case *events.Stage:
		t.record(stageNames[ev.Name()], ev.Timestamp, ev.Duration, ev.Success)
	case *events.NotebookExecution:
		if ev.Duration != nil {
			t.record("notebook "+ev.Notebook, ev.Timestamp, *ev.Duration, ev.Success)
		}
		if ev.Success && t.alerts != nil {
			t.alerts.Passed(t.flock, ev.Notebook)
		}
	case *events.NotebookCellExecution:
		if ev.Duration != nil && !ev.Skipped {
			t.record("cell", ev.Timestamp, *ev.Duration, ev.Success)
		}
	case *events.PythonExecution:
		if ev.Duration != nil {
			t.record("python", ev.Timestamp, *ev.Duration, ev.Success)
		}
	}
	t.next.Publish(e)
}

func (t statsTee) record(name string, at time.Time, secs float64, ok bool) {
	if name != "" {
		t.stats.Record(name, at, time.Duration(secs*float64(time.Second)), ok)
	}
}
