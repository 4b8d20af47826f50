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
	tests := []struct{ name, newSHA string }{
		{"new commit", "a2"},
		{"re-requested check", "a1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gh := newFakeGitHub()
			gh.setFiles(1, notebookFiles()[0])
			h := newHarness(t, gh, []string{"bot1"})
			h.m.Submit(job(1, "a1"))
			rOld := h.runner.next(t)
			oldID := gh.waitCreated(t, "a1")
			h.m.Submit(job(1, tc.newSHA))
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
		if u := gh.waitConcluded(t, id); u.Conclusion != "failure" || u.Summary != "mobu stopped; re-run this check" {
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
