package ci

import (
	"context"
	"testing"
	"time"
)

func TestSupersedeQueued(t *testing.T) {
	gh := newFakeGitHub()
	gh.setFiles(1, notebookFiles()[0])
	gh.setFiles(2, notebookFiles()[0])
	h := newHarness(t, gh, []string{"bot1"})
	h.m.Submit(job(1, "a1"))
	rA := h.runner.next(t)
	h.m.Submit(job(2, "b1"))
	h.m.Submit(job(2, "b2"))
	idB1 := gh.waitCreated(t, "b1")
	if u := gh.waitConcluded(t, idB1); u.Conclusion != "cancelled" || u.Summary != "Superseded by b2" {
		t.Errorf("b1 concluded %q %q", u.Conclusion, u.Summary)
	}
	rA.finish(&Outcome{Batch: batch(passed("notebooks/new.ipynb", 1))}, nil)
	rB := h.runner.next(t)
	if rB.job.HeadSHA != "b2" {
		t.Errorf("ran %s, want b2", rB.job.HeadSHA)
	}
	rB.finish(&Outcome{Batch: batch(passed("notebooks/new.ipynb", 1))}, nil)
	gh.waitConcluded(t, gh.waitCreated(t, "b2"))
	for _, c := range gh.snapshot() {
		if c.ID == idB1 && c.Update.Status == statusInProgress {
			t.Error("the superseded job was started")
		}
	}
}

func TestSupersedeRunning(t *testing.T) {
	tests := []struct {
		name, newSHA string
		rerun        bool
	}{
		{"new commit", "a2", false},
		{"re-requested check", "a1", true},
		{"reopened at the same commit", "a1", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gh := newFakeGitHub()
			gh.setFiles(1, notebookFiles()[0])
			h := newHarness(t, gh, []string{"bot1"})
			h.m.Submit(job(1, "a1"))
			rOld := h.runner.next(t)
			oldID := gh.waitCreated(t, "a1")
			newJob := job(1, tc.newSHA)
			newJob.Rerun = tc.rerun
			h.m.Submit(newJob)
			select {
			case <-rOld.ctx.Done():
			case <-time.After(waitLimit):
				t.Fatal("the superseded run's context was not cancelled")
			}
			if u := gh.waitConcluded(t, oldID); u.Conclusion != "cancelled" || u.Summary != "Superseded by "+tc.newSHA {
				t.Errorf("old check concluded %q %q", u.Conclusion, u.Summary)
			}
			rNew := h.runner.next(t)
			rNew.finish(&Outcome{Batch: batch(passed("notebooks/new.ipynb", 1))}, nil)
			ids := createdIDs(gh.snapshot(), tc.newSHA)
			newID := ids[len(ids)-1]
			if newID == oldID || rNew.job.HeadSHA != tc.newSHA {
				t.Fatalf("new check %d (old %d) ran %s", newID, oldID, rNew.job.HeadSHA)
			}
			if u := gh.waitConcluded(t, newID); u.Conclusion != "success" {
				t.Errorf("new check concluded %q", u.Conclusion)
			}
		})
	}
}

// TestRerunOfAnOlderCommit re-runs the check of a commit that is no longer
// the pull request's head: the head's job goes on; a later push still
// supersedes the re-run.
func TestRerunOfAnOlderCommit(t *testing.T) {
	gh := newFakeGitHub()
	gh.setFiles(1, notebookFiles()[0])
	gh.setFiles(2, notebookFiles()[0])
	h := newHarness(t, gh, []string{"bot1"})
	h.m.Submit(job(1, "a2"))
	rHead := h.runner.next(t)
	headID := gh.waitCreated(t, "a2")
	rerun := job(1, "a1")
	rerun.Rerun = true
	h.m.Submit(rerun)
	h.m.Submit(job(2, "b1")) // the intake admits jobs in order: once b1 has its check, a1 is queued
	gh.waitCreated(t, "b1")
	rerunID := gh.waitCreated(t, "a1")
	if err := rHead.ctx.Err(); err != nil {
		t.Fatalf("the re-run of an older commit cancelled the head's job: %v", context.Cause(rHead.ctx))
	}
	rHead.finish(&Outcome{Batch: batch(passed("notebooks/new.ipynb", 1))}, nil)
	if u := gh.waitConcluded(t, headID); u.Conclusion != "success" {
		t.Errorf("head check concluded %q %q", u.Conclusion, u.Summary)
	}
	rRerun := h.runner.next(t)
	if rRerun.job.HeadSHA != "a1" {
		t.Fatalf("ran %s, want the re-run of a1", rRerun.job.HeadSHA)
	}
	h.m.Submit(job(1, "a3")) // a newer push supersedes the running re-run
	select {
	case <-rRerun.ctx.Done():
	case <-time.After(waitLimit):
		t.Fatal("a newer push did not cancel the re-run of an older commit")
	}
	if u := gh.waitConcluded(t, rerunID); u.Conclusion != "cancelled" || u.Summary != "Superseded by a3" {
		t.Errorf("re-run concluded %q %q", u.Conclusion, u.Summary)
	}
	for _, sha := range []string{"b1", "a3"} {
		r := h.runner.next(t)
		if r.job.HeadSHA != sha {
			t.Fatalf("ran %s, want %s", r.job.HeadSHA, sha)
		}
		r.finish(&Outcome{Batch: batch(passed("notebooks/new.ipynb", 1))}, nil)
	}
}

func createdIDs(calls []call, sha string) []int64 {
	var ids []int64
	for _, c := range calls {
		if c.Op == "create" && c.SHA == sha {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

func TestStopConcludesQueuedAndRunning(t *testing.T) {
	gh := newFakeGitHub()
	gh.setFiles(1, notebookFiles()[0])
	gh.setFiles(2, notebookFiles()[0])
	h := newHarness(t, gh, []string{"bot1"})
	h.m.Submit(job(1, "a1"))
	rA := h.runner.next(t)
	h.m.Submit(job(2, "b1"))
	idA, idB := gh.waitCreated(t, "a1"), gh.waitCreated(t, "b1")
	stopped := make(chan error, 1)
	go func() { stopped <- h.m.Stop(context.Background()) }()
	select {
	case <-rA.ctx.Done(): // the fake Runner returns, as one that cleaned up would
	case <-time.After(waitLimit):
		t.Fatal("the running job's context was not cancelled")
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{idA, idB} {
		if u := gh.waitConcluded(t, id); u.Conclusion != "failure" || u.Summary != "mobu stopped, re-run this check" {
			t.Errorf("check %d concluded %q %q", id, u.Conclusion, u.Summary)
		}
	}
	before := len(gh.snapshot())
	h.m.Submit(job(3, "c1"))
	if after := len(gh.snapshot()); after != before {
		t.Errorf("a job submitted after Stop made %d calls", after-before)
	}
	if s := h.m.Summary(); s.NumQueued != 0 || s.Workers[0].CurrentJob != nil {
		t.Errorf("after Stop: %+v", s)
	}
}

// TestStopConcludesBeforeCleanup stops mobu while a job's Runner takes long
// to clean up: the check is concluded at once, not when the Runner returns,
// and only once.
func TestStopConcludesBeforeCleanup(t *testing.T) {
	gh := newFakeGitHub()
	gh.setFiles(1, notebookFiles()[0])
	h := newHarness(t, gh, []string{"bot1"})
	h.runner.slowEnd = true
	h.m.Submit(job(1, "a1"))
	r := h.runner.next(t)
	id := gh.waitCreated(t, "a1")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopped := make(chan error, 1)
	go func() { stopped <- h.m.Stop(ctx) }()
	if u := gh.waitConcluded(t, id); u.Conclusion != "failure" || u.Summary != "mobu stopped, re-run this check" {
		t.Errorf("concluded %q %q", u.Conclusion, u.Summary)
	}
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned (%v) before the Runner did", err)
	default:
	}
	r.finish(nil, nil) // the lab is deleted at last
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range gh.snapshot() {
		if c.Op == "update" && c.ID == id && c.Update.Status == statusCompleted {
			n++
		}
	}
	if n != 1 {
		t.Errorf("check concluded %d times:\n%s", n, dump(gh.snapshot()))
	}
}
