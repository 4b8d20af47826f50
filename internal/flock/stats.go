package flock

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mobu-dev/mobu/internal/events"
	"github.com/mobu-dev/mobu/internal/report"
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

const samplesKept = 512 // per series: bounds memory whatever the rate

type sample struct {
	at time.Time
	d  time.Duration
	ok bool
}

// series is a ring of the latest samples of one measured thing.
type series struct{ ring[sample] }

func newSeries() *series { return &series{ring[sample]{max: samplesKept}} }

// recent returns up to n samples at or after since, oldest first.
func (s *series) recent(since time.Time, n int) []Point {
	if n <= 0 {
		return nil
	}
	var out []Point
	for i := range len(s.buf) {
		x := s.newest(i)
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

// Stats keeps recent samples per measured thing for one flock.
type Stats struct {
	mu     sync.Mutex
	window time.Duration
	series map[string]*series
}

// NewStats keeps samples for the given window.
func NewStats(window time.Duration) *Stats {
	return &Stats{window: window, series: map[string]*series{}}
}

// Record adds one sample.
func (s *Stats) Record(name string, at time.Time, d time.Duration, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sr := s.series[name]
	if sr == nil {
		sr = newSeries()
		s.series[name] = sr
	}
	sr.add(sample{at: at, d: d, ok: ok})
}

// Timings returns every series' summary over the window ending at now,
// sorted by name.
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
		var ok []time.Duration
		for _, x := range sr.buf {
			if x.at.Before(since) {
				continue
			}
			t.Count++
			if x.ok {
				ok = append(ok, x.d)
			} else {
				t.Failures++
			}
		}
		if t.Count == 0 {
			continue
		}
		t.P50, t.P95 = report.Quantile(ok, 0.5).Seconds(), report.Quantile(ok, 0.95).Seconds()
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
