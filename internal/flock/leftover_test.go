package flock

import (
	"context"
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

// TestLeftoverLabDeleteIsAStage: the delete of a leftover lab at startup is
// the timed lab delete stage: its event follows the login's in the same lab
// session trace, which goes on through the spawn to the lab delete after
// the execution.
func TestLeftoverLabDeleteIsAStage(t *testing.T) {
	h := newHarness(t, nil)
	h.src.entries = []notebook.Entry{nbEntry("ok.ipynb", "1")}
	f, err := h.m.Start(context.Background(), flockSpec(t, leftoverFlock))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "an execution", func() bool { return f.Monkeys()[0].Data().Business.SuccessCount > 0 })
	var got []string
	for _, s := range h.pub.stageEvents() {
		if s.Name() != events.NameStartKernel && s.Name() != events.NameDeleteSession {
			got = append(got, s.Name())
		}
	}
	want := "nublado_login nublado_delete_lab nublado_spawn_lab nublado_delete_lab"
	if strings.Join(got, " ") != want {
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
	deletes := 0
	for _, tm := range f.Timings(time.Now(), 0) {
		if tm.Name == "lab delete" {
			deletes = tm.Count
		}
	}
	if deletes != 2 {
		t.Errorf("%d lab delete timings, want 2 (the leftover delete is timed)", deletes)
	}
}

// TestLeftoverLabDeleteFailure: a failed leftover delete fails the startup
// with its phase and the lab session's trace id, which its event carries.
func TestLeftoverLabDeleteFailure(t *testing.T) {
	h := newHarness(t, nil)
	h.src.entries = []notebook.Entry{nbEntry("ok.ipynb", "1")}
	h.lab.failDeletes.Store(1)
	f, err := h.m.Start(context.Background(), flockSpec(t, leftoverFlock))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "a failure", func() bool { return len(f.Failures(1)) == 1 })
	rec := f.Failures(1)[0]
	evs := h.pub.stageEvents()
	if len(evs) < 2 || evs[1].Name() != events.NameDeleteLab || evs[1].Success || evs[1].TraceID == nil {
		t.Fatalf("stage events %+v: want a failed lab delete after the login", evs)
	}
	if rec.Phase != "lab delete" || rec.TraceID != *evs[1].TraceID || !strings.Contains(rec.Error, "deleting a leftover lab") {
		t.Fatalf("failure %+v, want phase lab delete in trace %s", rec, *evs[1].TraceID)
	}
}
