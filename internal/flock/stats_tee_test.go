package flock

import (
	"context"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/events"
	"github.com/mobu-dev/mobu/internal/notebook"
	"github.com/mobu-dev/mobu/internal/report"
)

func secs(s float64) *float64 { return &s }

// TestStatsTee: each timed event lands in its series (skipped cells and
// events without a duration do not), successful notebooks are reported to
// the alerter, and every event is forwarded unchanged, in order.
func TestStatsTee(t *testing.T) {
	now := time.Now()
	base := events.NewBase(now, "f", "NotebookRunnerList", "bot")
	nb := func(path string) events.NotebookBase { return events.NotebookBase{Notebook: path} }
	in := []events.Event{
		events.NewStage(events.NameSpawnLab, base, 10, true),
		events.NewStage(events.NameSpawnLab, base, 30, true),
		events.NewStage(events.NameSpawnLab, base, 20, true),
		events.NewStage(events.NameSpawnLab, base, 99, false),
		events.NewStage(events.NameLogin, base, 1, true),
		&events.NotebookExecution{Base: base, NotebookBase: nb("a.ipynb"), Duration: secs(5), Success: true},
		&events.NotebookExecution{Base: base, NotebookBase: nb("a.ipynb"), Duration: secs(7), Success: true},
		&events.NotebookExecution{Base: base, NotebookBase: nb("b.ipynb"), Duration: nil, Success: false},
		&events.NotebookCellExecution{Base: base, Duration: secs(1), Success: true},
		&events.NotebookCellExecution{Base: base, Duration: secs(4), Success: true},
		&events.NotebookCellExecution{Base: base, Duration: secs(2), Success: true},
		&events.NotebookCellExecution{Base: base, Duration: secs(3), Success: true},
		&events.NotebookCellExecution{Base: base, Duration: secs(8), Success: false},
		&events.NotebookCellExecution{Base: base, Duration: secs(50), Skipped: true},
		&events.NotebookCellExecution{Base: base, Duration: nil, Success: false},
		&events.PythonExecution{Base: base, Duration: secs(0.5), Success: true},
		&events.EmptyLoop{Base: base, Success: true},
	}
	next, alerts := &recorder{}, &alertRecorder{}
	tee := statsTee{next: next, stats: NewStats(time.Hour), alerts: alerts, flock: "f"}
	for _, e := range in {
		tee.Publish(e)
	}
	if len(next.evs) != len(in) {
		t.Fatalf("forwarded %d events, want %d", len(next.evs), len(in))
	}
	for i := range in {
		if next.evs[i] != in[i] {
			t.Fatalf("event %d forwarded as %v, want %v", i, next.evs[i], in[i])
		}
	}
	want := []Timing{
		{Name: "cell", Count: 5, Failures: 1, P50: 2.5, P95: 3.85},
		{Name: "login", Count: 1, P50: 1, P95: 1},
		{Name: "notebook a.ipynb", Count: 2, P50: 6, P95: 6.9},
		{Name: "python", Count: 1, P50: 0.5, P95: 0.5},
		{Name: "spawn", Count: 4, Failures: 1, P50: 20, P95: 29},
	}
	checkTimings(t, tee.stats.Timings(now), want)
	if _, passed := alerts.snapshot(); len(passed) != 2 || passed[0] != "f/a.ipynb" {
		t.Errorf("alerts passed %v, want a.ipynb twice", passed)
	}
	statsTee{next: next, stats: NewStats(time.Hour), flock: "f"}.Publish(in[5]) // no alerter: no panic
}

func checkTimings(t *testing.T, got, want []Timing) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("timings %+v, want %+v", got, want)
	}
	for i, w := range want {
		g := got[i]
		if g.Name != w.Name || g.Count != w.Count || g.Failures != w.Failures || !near(g.P50, w.P50, 1e-6) ||
			!near(g.P95, w.P95, 1e-6) {
			t.Errorf("timing %+v, want %+v", g, w)
		}
	}
}

// TestSummaryTimingsFromARun: a NotebookRunnerList flock's summary carries
// spawn, per-notebook and cell timings whose counts and percentiles are
// those of the events the monkey published.
func TestSummaryTimingsFromARun(t *testing.T) {
	h := newHarness(t, nil)
	h.src.entries = []notebook.Entry{nbEntry("a.ipynb", "1", "2"), nbEntry("b.ipynb", "3")}
	f, err := h.m.Start(context.Background(), flockSpec(t, `
name: timed
count: 2
user_spec: {username_prefix: bot-mobu-timed}
business: {type: NotebookRunnerList, options: {idle_time: 0.001, execution_idle_time: 0, notebook_dir: /unused}}`))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "six notebook runs", func() bool { return h.pub.count(events.NameNotebookExecution) >= 6 })
	if err := h.m.Delete("timed"); err != nil { // no events after this
		t.Fatal(err)
	}
	want := []Timing{wantTiming(h.pub, "cell", func(e events.Event) (float64, bool) {
		if c, ok := e.(*events.NotebookCellExecution); ok && !c.Skipped {
			return durationOf(c.Duration), true
		}
		return 0, false
	})}
	for _, path := range []string{"a.ipynb", "b.ipynb"} {
		want = append(want, wantTiming(h.pub, "notebook "+path, func(e events.Event) (float64, bool) {
			if n, ok := e.(*events.NotebookExecution); ok && n.Notebook == path {
				return durationOf(n.Duration), true
			}
			return 0, false
		}))
	}
	want = append(want, wantTiming(h.pub, "spawn", func(e events.Event) (float64, bool) {
		if s, ok := e.(*events.Stage); ok && s.Name() == events.NameSpawnLab {
			return s.Duration, true
		}
		return 0, false
	}))
	got := map[string]Timing{}
	for _, x := range f.Summary(time.Now()).Timings {
		got[x.Name] = x
	}
	for _, w := range want {
		if w.Count == 0 {
			t.Fatalf("no %s events", w.Name)
		}
		checkTimings(t, []Timing{got[w.Name]}, []Timing{w})
	}
}

func durationOf(d *float64) float64 {
	if d == nil {
		return 0
	}
	return *d
}

// wantTiming computes a series' expected timing from the published events
// that pick selects (all of them successful here).
func wantTiming(r *recorder, name string, pick func(events.Event) (float64, bool)) Timing {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ds []time.Duration
	for _, e := range r.evs {
		if s, ok := pick(e); ok {
			ds = append(ds, time.Duration(s*float64(time.Second)))
		}
	}
	return Timing{Name: name, Count: len(ds), P50: report.Quantile(ds, 0.5).Seconds(),
		P95: report.Quantile(ds, 0.95).Seconds()}
}
