package flock

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/events"
	"github.com/mobu-dev/mobu/internal/notebook"
)

// alertRecorder is an Alerter that keeps what it is told.
type alertRecorder struct {
	mu     sync.Mutex
	failed []FailureRecord
	passed []string // flock/notebook
}

func (a *alertRecorder) Failed(flock string, f FailureRecord) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.failed = append(a.failed, f)
}

func (a *alertRecorder) Passed(flock, nb string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.passed = append(a.passed, flock+"/"+nb)
}

func (a *alertRecorder) snapshot() ([]FailureRecord, []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]FailureRecord(nil), a.failed...), append([]string(nil), a.passed...)
}

func TestCellFailureRecordAndAlerts(t *testing.T) {
	h := newHarness(t, nil)
	alerts := &alertRecorder{}
	h.m.opts.Alerter = alerts
	h.lab.env = map[string]string{"JUPYTER_IMAGE_SPEC": "reg/lab:w_1", "IMAGE_DESCRIPTION": "Weekly 1", "KUBERNETES_NODE_NAME": "n1"}
	h.src.entries = []notebook.Entry{nbEntry("a-ok.ipynb", "x = 1"), nbEntry("b-fail.ipynb", "y = 2", "raise ValueError")}
	f, err := h.m.Start(context.Background(), flockSpec(t, `
name: nb
count: 1
users: [{username: bot-mobu-nb}]
business: {type: NotebookRunnerList, options: {notebook_order: sorted, execution_idle_time: 0, get_node: true}}`))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the failure", func() bool { return len(f.Failures(10)) == 1 })
	r := f.Failures(10)[0]
	if r.Monkey != "bot-mobu-nb" || r.Business != "NotebookRunnerList" || r.Phase != "cell" || r.Notebook != "b-fail.ipynb" ||
		r.CellID != "b" || r.CellNumber != 2 || r.Code != "raise ValueError" || r.ErrorType != "ValueError" ||
		r.Image == nil || r.Image.Reference != "reg/lab:w_1" || r.Node != "n1" || r.Started.IsZero() || r.Time.Before(r.Started) {
		t.Fatalf("record %+v", r)
	}
	if r.TraceID == "" || r.TraceID != notebookTrace(h.pub, "b-fail.ipynb") {
		t.Errorf("trace id %q is not the failed notebook's event trace id %q", r.TraceID, notebookTrace(h.pub, "b-fail.ipynb"))
	}
	failed, passed := alerts.snapshot()
	if len(failed) != 1 || failed[0].CellID != "b" {
		t.Errorf("alerts failed %+v", failed)
	}
	if len(passed) != 1 || passed[0] != "nb/a-ok.ipynb" {
		t.Errorf("alerts passed %v, want the passing notebook only", passed)
	}
}

func notebookTrace(r *recorder, path string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.evs {
		if ne, ok := e.(*events.NotebookExecution); ok && ne.Notebook == path {
			return ne.TraceID
		}
	}
	return ""
}

func TestSpawnFailureRecordAndRecovery(t *testing.T) {
	h := newHarness(t, nil)
	alerts := &alertRecorder{}
	h.m.opts.Alerter = alerts
	h.lab.spawnErr = errors.New("hub says no")
	f, err := h.m.Start(context.Background(), flockSpec(t, `
name: sp
count: 1
users: [{username: bot-mobu-sp}]
business: {type: NubladoPythonLoop, restart: true, options: {error_idle_time: 0.01, idle_time: 0.01, max_executions: 1}}`))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the spawn failure", func() bool { return len(f.Failures(10)) >= 1 })
	r := f.Failures(1)[0]
	if r.Phase != "spawn" || r.ErrorType != "spawn error" || r.Error != "spawn: hub says no" || r.Notebook != "" {
		t.Fatalf("record %+v", r)
	}
	h.lab.mu.Lock()
	h.lab.spawnErr = nil
	h.lab.mu.Unlock()
	eventually(t, "a passing execution", func() bool {
		_, passed := alerts.snapshot()
		return len(passed) > 0 && passed[len(passed)-1] == "sp/"
	})
}

func TestFailureLogKeepsNewest(t *testing.T) {
	l := newFailureLog()
	for i := range 60 {
		l.add(FailureRecord{CellNumber: i})
	}
	got := l.recent(3)
	if len(got) != 3 || got[0].CellNumber != 59 || got[2].CellNumber != 57 {
		t.Fatalf("recent(3) = %+v", got)
	}
	if all := l.recent(100); len(all) != failuresKept || all[failuresKept-1].CellNumber != 10 {
		t.Fatalf("recent(100): %d records, oldest %d", len(all), all[len(all)-1].CellNumber)
	}
	few := newFailureLog()
	few.add(FailureRecord{CellNumber: 1})
	few.add(FailureRecord{CellNumber: 2})
	if got := few.recent(5); len(got) != 2 || got[0].CellNumber != 2 {
		t.Fatalf("while filling: %+v", got)
	}
}

func TestTimingsRecentPoints(t *testing.T) {
	s := NewStats(time.Hour)
	now := time.Now()
	for i := range 5 {
		s.Record("notebook a", now.Add(time.Duration(i-5)*time.Minute), time.Duration(i+1)*time.Second, i != 2)
	}
	s.Record("notebook a", now.Add(-2*time.Hour), time.Hour, true) // outside the window
	ts := s.TimingsWithRecent(now, 3)
	if len(ts) != 1 || len(ts[0].Recent) != 3 {
		t.Fatalf("timings %+v", ts)
	}
	r := ts[0].Recent
	if r[0].Seconds != 3 || r[0].OK || r[2].Seconds != 5 || !r[2].At.After(r[0].At) {
		t.Fatalf("recent %+v, want the last three, oldest first", r)
	}
	if s.Timings(now)[0].Recent != nil {
		t.Error("Timings without recent points must stay small")
	}
}
