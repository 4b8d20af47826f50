package ci

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// readState reads the state file; a missing one is empty.
func readStateFile(t *testing.T, path string) state {
	t.Helper()
	var st state
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return st
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatalf("state file: %v\n%s", err, data)
	}
	return st
}

// shas lists the state's jobs as "sha", "sha running" or "sha no check"
// (submitted, its check run not created yet).
func shas(st state) []string {
	var out []string
	for _, j := range st.Jobs {
		s := j.HeadSHA
		if j.CheckRunID == 0 {
			s += " no check"
		}
		if j.Running {
			s += " running"
		}
		out = append(out, s)
	}
	return out
}

// waitState waits until the state file holds the given jobs.
func (h *harness) waitState(t *testing.T, path string, want ...string) state {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		st := readStateFile(t, path)
		if slices.Equal(shas(st), want) {
			return st
		}
		select {
		case <-h.saves:
		case <-deadline:
			t.Fatalf("state file holds %v, want %v", shas(st), want)
		}
	}
}

func TestCrashAndResume(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ci-state.json")
	gh := newFakeGitHub()
	gh.setFiles(1, notebookFiles()[0])
	gh.setFiles(2, notebookFiles()[1])
	h := newHarness(t, gh, []string{"bot1"}, withStateFile(path))
	h.m.Submit(job(1, "a1"))
	rA := h.runner.next(t)
	h.m.Submit(job(2, "b1"))
	st := h.waitState(t, path, "a1 running", "b1")
	idA, idB := st.Jobs[0].CheckRunID, st.Jobs[1].CheckRunID

	h.cancel() // a crash: nothing is concluded, the file stays as it is
	<-rA.ctx.Done()
	if err := h.m.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, c := range gh.snapshot() {
		if c.Update.Status == statusCompleted {
			t.Errorf("concluded during a crash: %+v", c)
		}
	}
	if got := shas(readStateFile(t, path)); !slices.Equal(got, []string{"a1 running", "b1"}) {
		t.Fatalf("state file after the crash: %v", got)
	}

	gh2 := newFakeGitHub()
	gh2.setFiles(1, notebookFiles()[0])
	gh2.setFiles(2, notebookFiles()[1])
	h2 := newHarness(t, gh2, []string{"bot1"}, withStateFile(path))
	r := h2.runner.next(t)
	if r.job != job(1, "a1") || !slices.Equal(r.notebooks, []string{"notebooks/new.ipynb"}) {
		t.Errorf("resumed run %+v %v", r.job, r.notebooks)
	}
	r.finish(&Outcome{Batch: batch(passed("notebooks/new.ipynb", 1))}, nil)
	r = h2.runner.next(t)
	r.finish(&Outcome{Batch: batch(cellFailure("notebooks/edited.ipynb", "KeyError", "'x'"))}, nil)
	gh2.waitConcluded(t, idB)
	h2.waitState(t, path)
	wantOps := []string{
		"update queued Waiting for mobu to run the changed notebooks (queued again after mobu restarted).",
		"update queued Waiting for mobu to run the changed notebooks (queued again after mobu restarted).",
		"update in_progress Running notebooks as bot1…", "files 1", "update completed 1 notebook passed",
		"update in_progress Running notebooks as bot1…", "files 2", "update completed 1 notebook failed",
	}
	calls := gh2.snapshot()
	if ops := opsOf(calls); !slices.Equal(ops, wantOps) {
		t.Errorf("calls after resume\n%s\nwant\n%s", strings.Join(ops, "\n"), strings.Join(wantOps, "\n"))
	}
	if calls[0].ID != idA || calls[1].ID != idB || calls[2].ID != idA || calls[5].ID != idB {
		t.Errorf("resumed checks %d, %d; want %d, %d", calls[0].ID, calls[1].ID, idA, idB)
	}
}

func TestStopKeepsJobsItCouldNotConclude(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ci-state.json")
	gh := newFakeGitHub()
	gh.setFiles(1, notebookFiles()[0])
	h := newHarness(t, gh, []string{"bot1"}, withStateFile(path))
	h.m.Submit(job(1, "a1"))
	rA := h.runner.next(t)
	h.m.Submit(job(2, "b1"))
	h.waitState(t, path, "a1 running", "b1")
	gh.setFail(func(c call) error {
		if c.Update.Status == statusCompleted {
			return errors.New("github: 503")
		}
		return nil
	})
	if err := h.m.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-rA.ctx.Done()
	if got := shas(readStateFile(t, path)); !slices.Equal(got, []string{"a1", "b1"}) {
		t.Errorf("state file after Stop: %v, want both jobs kept", got)
	}
}

func TestStopEmptiesTheStateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ci-state.json")
	gh := newFakeGitHub()
	gh.setFiles(1, notebookFiles()[0])
	h := newHarness(t, gh, []string{"bot1"}, withStateFile(path))
	h.m.Submit(job(1, "a1"))
	h.runner.next(t)
	h.m.Submit(job(2, "b1"))
	h.waitState(t, path, "a1 running", "b1")
	if err := h.m.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := shas(readStateFile(t, path)); len(got) != 0 {
		t.Errorf("state file after Stop: %v", got)
	}
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "*.tmp"))
	if len(matches) != 0 {
		t.Errorf("temporary files left: %v", matches)
	}
}

func TestCorruptStateFileIsIgnored(t *testing.T) {
	tests := []struct{ name, content string }{
		{"not json", "{not json"},
		{"other version", `{"version": 99, "jobs": [{"owner": "o", "name": "n", "pr": 1, "head_sha": "x", "check_run_id": 5}]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ci-state.json")
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			gh := newFakeGitHub()
			h := newHarness(t, gh, []string{"bot1"}, withStateFile(path))
			if !strings.Contains(h.logs.String(), "ignoring corrupt ci state file") {
				t.Errorf("not logged:\n%s", h.logs)
			}
			h.m.Submit(job(1, "a1"))
			gh.waitConcluded(t, gh.waitCreated(t, "a1"))
			h.waitState(t, path) // rewritten, valid and empty
			if calls := gh.snapshot(); calls[0].Op != "create" {
				t.Errorf("first call %+v: the corrupt file was used", calls[0])
			}
		})
	}
}

func TestResumeSupersedesAndRecreates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ci-state.json")
	st := state{Version: stateVersion, Jobs: []savedJob{
		{Owner: "lsst", Name: "notebooks", PR: 1, HeadSHA: "old", CheckRunID: 41, Running: true},
		{Owner: "lsst", Name: "notebooks", PR: 1, HeadSHA: "new", CheckRunID: 42},
		{Owner: "lsst", Name: "notebooks", PR: 2, HeadSHA: "unadmitted"},
		{Owner: "", Name: "broken"},
	}}
	if err := writeState(path, st); err != nil {
		t.Fatal(err)
	}
	gh := newFakeGitHub()
	newHarness(t, gh, []string{"bot1"}, withStateFile(path))
	if u := gh.waitConcluded(t, 41); u.Conclusion != "cancelled" || u.Summary != "Superseded by new" {
		t.Errorf("old check: %q %q", u.Conclusion, u.Summary)
	}
	gh.waitConcluded(t, 42)
	gh.waitConcluded(t, gh.waitCreated(t, "unadmitted"))
}

// TestStopFailureSavesTheRunningJobOnce: Stop cannot conclude the running
// job and saves while the Runner still cleans up; the state file holds the
// job once, and the next Start runs it once on its check.
func TestStopFailureSavesTheRunningJobOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ci-state.json")
	gh := newFakeGitHub()
	gh.setFiles(1, notebookFiles()[0])
	h := newHarness(t, gh, []string{"bot1"}, withStateFile(path))
	h.runner.slowEnd = true
	h.m.Submit(job(1, "a1"))
	rA := h.runner.next(t)
	h.m.Submit(job(2, "b1"))
	st := h.waitState(t, path, "a1 running", "b1")
	idA := st.Jobs[0].CheckRunID
	gh.setFail(func(c call) error {
		if c.Update.Status == statusCompleted {
			return errors.New("github: 503")
		}
		return nil
	})
	done, cancelStop := context.WithCancel(context.Background())
	cancelStop() // Stop concludes and saves, then gives up waiting for the cleanup
	if err := h.m.Stop(done); err == nil {
		t.Fatal("Stop waited for the Runner's cleanup")
	}
	if got := shas(readStateFile(t, path)); !slices.Equal(got, []string{"a1 running", "b1"}) {
		t.Fatalf("state file after Stop: %v, want each job once", got)
	}
	h.cancel() // the process ends before the cleanup: the file stays as it is
	rA.finish(nil, nil)
	if err := h.m.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}

	gh2 := newFakeGitHub()
	gh2.setFiles(1, notebookFiles()[0])
	h2 := newHarness(t, gh2, []string{"bot1"}, withStateFile(path))
	r := h2.runner.next(t)
	if r.job.HeadSHA != "a1" {
		t.Fatalf("resumed run of %s, want a1", r.job.HeadSHA)
	}
	r.finish(&Outcome{Batch: batch(passed("notebooks/new.ipynb", 1))}, nil)
	if u := gh2.waitConcluded(t, idA); u.Conclusion != "success" {
		t.Errorf("a1's check concluded %q %q, want success", u.Conclusion, u.Summary)
	}
	h2.waitState(t, path) // b1 (no notebooks) concluded too
	var updates int
	for _, c := range gh2.snapshot() {
		if c.ID == idA && c.Op == "update" {
			updates++
		}
	}
	if updates != 3 { // queued again, in progress, concluded
		t.Errorf("a1's check updated %d times, want 3:\n%s", updates, dump(gh2.snapshot()))
	}
}
