package flock

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/events"
	"github.com/mobu-dev/mobu/internal/notebook"
)

// stageEvents returns the stage events published so far, in order.
func (r *recorder) stageEvents() []*events.Stage {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*events.Stage
	for _, e := range r.evs {
		if s, ok := e.(*events.Stage); ok {
			out = append(out, s)
		}
	}
	return out
}

const leftoverFlock = `
name: lo
count: 1
users: [{username: bot-mobu-lo}]
business:
  type: NotebookRunnerList
  restart: false
  options: {notebook_dir: /unused, execution_idle_time: 0, idle_time: 60}`

// leftoverRestartFlock restarts after each failure (after about a second).
const leftoverRestartFlock = `
name: lo
count: 1
users: [{username: bot-mobu-lo}]
business:
  type: NotebookRunnerList
  restart: true
  options: {notebook_dir: /unused, execution_idle_time: 0, idle_time: 60, error_idle_time: 0.01}`

// labStages returns the names of the published login, spawn and lab delete
// events, in order, a failed one marked "!".
func (r *recorder) labStages() []string {
	var out []string
	for _, s := range r.stageEvents() {
		if s.Name() == events.NameStartKernel || s.Name() == events.NameDeleteSession {
			continue
		}
		name := strings.TrimPrefix(s.Name(), "nublado_")
		if !s.Success {
			name += "!"
		}
		out = append(out, name)
	}
	return out
}

// labDeleteTimings is the flock's count of lab delete timings.
func labDeleteTimings(f *Flock) int {
	for _, tm := range f.Timings(time.Now(), 0) {
		if tm.Name == notebook.StageLabDelete {
			return tm.Count
		}
	}
	return 0
}

// TestLeftoverLabDeleteOnlyWhenRunning: the startup deletes (and times, and
// publishes) a leftover lab only when the driver reports one running, as
// mobu does: a fresh start has no leftover delete; a lab a crashed run
// left, or one whose delete failed before a restart, has exactly one.
func TestLeftoverLabDeleteOnlyWhenRunning(t *testing.T) {
	for _, tc := range []struct {
		name, spec string
		prep       func(*fakeLab)
		entry      string
		want       string // the first lab stage events
		timings    int    // lab delete timings once want is seen
	}{
		{"fresh start", leftoverFlock, func(*fakeLab) {}, "1", "login spawn_lab delete_lab", 1},
		{"lab left by a crashed run", leftoverFlock, func(l *fakeLab) { l.running.Store(true) }, "1",
			"login delete_lab spawn_lab delete_lab", 2},
		// The failed execution's delete and the shutdown's both fail.
		{"restart after a failed lab delete", leftoverRestartFlock, func(l *fakeLab) { l.failDeletes.Store(2) }, "raise",
			"login spawn_lab delete_lab! delete_lab! login delete_lab spawn_lab", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.src.entries = []notebook.Entry{nbEntry("ok.ipynb", tc.entry)}
			tc.prep(h.lab)
			f, err := h.m.Start(context.Background(), flockSpec(t, tc.spec))
			if err != nil {
				t.Fatal(err)
			}
			n := len(strings.Fields(tc.want))
			eventually(t, tc.want, func() bool { return len(h.pub.labStages()) >= n })
			if got := strings.Join(h.pub.labStages()[:n], " "); got != tc.want {
				t.Fatalf("lab stage events %q, want %q", got, tc.want)
			}
			if d := labDeleteTimings(f); d < tc.timings {
				t.Errorf("%d lab delete timings, want %d", d, tc.timings)
			}
		})
	}
}

// TestLeftoverLabDeleteIsAStage: the delete of a leftover lab at startup is
// the timed lab delete stage: its event follows the login's in the same lab
// session trace, which goes on through the spawn to the lab delete after
// the execution.
func TestLeftoverLabDeleteIsAStage(t *testing.T) {
	h := newHarness(t, nil)
	h.src.entries = []notebook.Entry{nbEntry("ok.ipynb", "1")}
	h.lab.running.Store(true) // left by an earlier run
	f, err := h.m.Start(context.Background(), flockSpec(t, leftoverFlock))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "an execution", func() bool { return f.Monkeys()[0].Data().Business.SuccessCount > 0 })
	if got, want := strings.Join(h.pub.labStages(), " "), "login delete_lab spawn_lab delete_lab"; got != want {
		t.Fatalf("lab stage events %v, want %s", got, want)
	}
	evs := h.pub.stageEvents()
	login, leftover := evs[0], evs[1]
	if leftover.TraceID == nil || login.TraceID == nil || *leftover.TraceID != *login.TraceID || !leftover.Success {
		t.Fatalf("leftover delete %+v, login trace %v: want a successful delete in the login's trace", leftover, login.TraceID)
	}
	for _, s := range evs[2:] {
		if s.Name() == events.NameSpawnLab && *s.TraceID != *login.TraceID {
			t.Errorf("spawn trace %s, want the session's %s (a leftover delete does not end it)", *s.TraceID, *login.TraceID)
		}
	}
	if d := labDeleteTimings(f); d != 2 {
		t.Errorf("%d lab delete timings, want 2 (the leftover delete is timed)", d)
	}
}

// TestLeftoverLabDeleteFailure: a failed leftover delete, or a failed
// check for a leftover lab, fails the startup in the lab delete phase; the
// delete's failure names the lab session's trace id, which its event
// carries; the failed check publishes no delete event and deletes nothing.
func TestLeftoverLabDeleteFailure(t *testing.T) {
	t.Run("delete", func(t *testing.T) {
		h := newHarness(t, nil)
		h.src.entries = []notebook.Entry{nbEntry("ok.ipynb", "1")}
		h.lab.running.Store(true)
		h.lab.failDeletes.Store(1)
		rec := startFailure(t, h)
		evs := h.pub.stageEvents()
		if len(evs) < 2 || evs[1].Name() != events.NameDeleteLab || evs[1].Success || evs[1].TraceID == nil {
			t.Fatalf("stage events %v: want a failed lab delete after the login", h.pub.labStages())
		}
		if rec.Phase != "lab delete" || rec.TraceID != *evs[1].TraceID || !strings.Contains(rec.Error, "deleting a leftover lab") {
			t.Fatalf("failure %+v, want phase lab delete in trace %s", rec, *evs[1].TraceID)
		}
	})
	t.Run("check", func(t *testing.T) {
		h := newHarness(t, nil)
		h.src.entries = []notebook.Entry{nbEntry("ok.ipynb", "1")}
		h.lab.probeErr = errors.New("reading user bot-mobu-lo: 503")
		rec := startFailure(t, h)
		want := "lab delete: checking for a leftover lab: reading user bot-mobu-lo: 503"
		if rec.Phase != "lab delete" || rec.Error != want {
			t.Fatalf("failure %+v, want phase lab delete, error %q", rec, want)
		}
		if got := strings.Join(h.pub.labStages(), " "); got != "login" || h.lab.dels.Load() != 0 {
			t.Fatalf("lab stage events %q, %d deletes; want the login only", got, h.lab.dels.Load())
		}
	})
}

// startFailure starts the leftover flock and returns its first failure.
func startFailure(t *testing.T, h *harness) FailureRecord {
	t.Helper()
	f, err := h.m.Start(context.Background(), flockSpec(t, leftoverFlock))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "a failure", func() bool { return len(f.Failures(1)) == 1 })
	return f.Failures(1)[0]
}
