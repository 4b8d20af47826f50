package ci

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeLister is one installation with one repository whose open pull
// requests are prs; pending lists the check runs GitHub still shows
// pending on a commit, after calling before (if set).
type fakeLister struct {
	prs     []PullRequest
	pending map[string][]int64
	before  func(sha string)
}

func (l *fakeLister) Installations(context.Context, int) ([]Installation, error) {
	return []Installation{{ID: 7, Account: "lsst"}}, nil
}

func (l *fakeLister) Repos(_ context.Context, id int64, _ int) ([]Repo, error) {
	return []Repo{job(0, "").Repo}, nil
}

func (l *fakeLister) OpenPullRequests(context.Context, Repo, int) ([]PullRequest, error) {
	return l.prs, nil
}

func (l *fakeLister) PendingCheckRuns(_ context.Context, _ Repo, sha, name string) ([]int64, error) {
	if name != "Mobu (test)" {
		return nil, fmt.Errorf("unexpected check name %q", name)
	}
	if l.before != nil {
		l.before(sha)
	}
	return l.pending[sha], nil
}

func withSweep(l Lister) harnessOpt {
	return func(o *Options) { o.Sweep = &SweepOptions{Lister: l} }
}

func waitSwept(t *testing.T, m *Manager) {
	t.Helper()
	select {
	case <-m.Swept():
	case <-time.After(waitLimit):
		t.Fatal("the sweep did not end")
	}
}

// updatesOf lists check run id's updates as "status/conclusion title".
func updatesOf(calls []call, id int64) []string {
	var out []string
	for _, c := range calls {
		if c.Op == "update" && c.ID == id {
			out = append(out, c.Update.Status+"/"+c.Update.Conclusion+" "+c.Update.Title)
		}
	}
	return out
}

// A check the state file resumed, listed as pending by the sweep and
// concluded before the sweep gets to it, is not queued again.
func TestSweepSkipsResumedCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ci.json")
	st := `{"version": 1, "jobs": [{"installation_id": 7, "owner": "lsst", "name": "notebooks", "pr": 1,
		"head_sha": "a1", "check_run_id": 55, "running": true, "queued": "2025-01-02T03:04:05Z"}]}`
	if err := os.WriteFile(path, []byte(st), 0o600); err != nil {
		t.Fatal(err)
	}
	gh := newFakeGitHub() // pull request 1 changes no notebook: its job ends at once
	lister := &fakeLister{prs: []PullRequest{{Number: 1, HeadSHA: "a1"}}, pending: map[string][]int64{"a1": {55}}}
	concluded := make(chan struct{})
	lister.before = func(string) { <-concluded }
	h := newHarness(t, gh, []string{"bot1"}, withStateFile(path), withSweep(lister))
	gh.waitConcluded(t, 55)
	close(concluded)
	waitSwept(t, h.m)
	got := strings.Join(updatesOf(gh.snapshot(), 55), ", ")
	want := "queued/ Queued, in_progress/ Running notebooks, completed/success No changed notebooks to run"
	if got != want {
		t.Errorf("check 55: %s\nwant %s", got, want)
	}
	if !strings.Contains(h.logs.String(), "checks_already_queued=1") {
		t.Errorf("log:\n%s", h.logs)
	}
}

// A dangling check of a commit whose job is already running is concluded
// as replaced; a dangling check of another pull request's head is queued
// again and runs.
func TestSweepDuplicateAndRequeue(t *testing.T) {
	gh := newFakeGitHub()
	gh.setFiles(1, notebookFiles()...)
	gh.setFiles(2, notebookFiles()...)
	running := make(chan struct{})
	lister := &fakeLister{prs: []PullRequest{{Number: 1, HeadSHA: "a1"}, {Number: 2, HeadSHA: "b1"}},
		pending: map[string][]int64{"a1": {55}, "b1": {66}}}
	lister.before = func(sha string) {
		if sha == "a1" {
			<-running
		}
	}
	h := newHarness(t, gh, []string{"bot1"}, withSweep(lister))
	h.m.Submit(job(1, "a1"))
	rA := h.runner.next(t)
	close(running)
	gh.waitConcluded(t, 55)
	rA.finish(&Outcome{}, nil)
	rB := h.runner.next(t)
	if rB.job.PR != 2 || rB.job.HeadSHA != "b1" || !rB.job.Rerun || rB.job.Repo.CloneURL == "" {
		t.Errorf("re-queued job: %+v", rB.job)
	}
	rB.finish(&Outcome{}, nil)
	gh.waitConcluded(t, 66)
	waitSwept(t, h.m)
	calls := gh.snapshot()
	if got := strings.Join(updatesOf(calls, 55), ", "); got != "completed/cancelled Replaced" {
		t.Errorf("duplicate check 55: %s", got)
	}
	if got := updatesOf(calls, 66); len(got) != 3 || got[0] != "queued/ Queued" || got[1] != "in_progress/ Running notebooks" {
		t.Errorf("dangling check 66: %v", got)
	}
	if !strings.Contains(h.logs.String(), "checks_found=2 checks_requeued=1 checks_concluded=1") {
		t.Errorf("log:\n%s", h.logs)
	}
}

// stuckLister's listing of installations lasts until its context ends.
type stuckLister struct {
	fakeLister
	listing chan struct{} // closed once the listing began
}

func (l *stuckLister) Installations(ctx context.Context, _ int) ([]Installation, error) {
	close(l.listing)
	<-ctx.Done()
	return nil, ctx.Err()
}

// Stop ends a sweep that is still listing, and waits for it.
func TestStopEndsTheSweep(t *testing.T) {
	lister := &stuckLister{listing: make(chan struct{})}
	h := newHarness(t, newFakeGitHub(), []string{"bot1"}, withSweep(lister))
	<-lister.listing
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := h.m.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-h.m.Swept():
	default:
		t.Error("Stop returned before the sweep ended")
	}
	if !strings.Contains(h.logs.String(), "ci startup sweep ended early") {
		t.Errorf("log:\n%s", h.logs)
	}
}
