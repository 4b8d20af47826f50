package ci

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/notebook"
)

func notebookFiles() []ChangedFile {
	return []ChangedFile{
		{Path: "notebooks/new.ipynb", Status: "added"},
		{Path: "notebooks/edited.ipynb", Status: "modified"},
		{Path: "notebooks/moved.ipynb", Status: "renamed", PreviousPath: "old/moved.ipynb"},
		{Path: "notebooks/gone.ipynb", Status: "removed"},
		{Path: "README.md", Status: "modified"},
	}
}

func TestLifecycle(t *testing.T) {
	tests := []struct {
		name          string
		files         []ChangedFile
		out           *Outcome
		err           error
		wantNotebooks []string // nil: no run
		want          CheckUpdate
		wantSummary   string // contained in the summary
	}{
		{name: "success", files: notebookFiles(),
			out:           &Outcome{Batch: batch(passed("notebooks/new.ipynb", 5), passed("notebooks/edited.ipynb", 5), passed("notebooks/moved.ipynb", 5))},
			wantNotebooks: []string{"notebooks/new.ipynb", "notebooks/edited.ipynb", "notebooks/moved.ipynb"},
			want:          CheckUpdate{Conclusion: "success", Title: "3 notebooks passed"}, wantSummary: "| `notebooks/moved.ipynb` | ✅ passed"},
		{name: "failure", files: notebookFiles()[:2],
			out:           &Outcome{Batch: batch(passed("notebooks/new.ipynb", 5), cellFailure("notebooks/edited.ipynb", "ValueError", "bad"))},
			wantNotebooks: []string{"notebooks/new.ipynb", "notebooks/edited.ipynb"},
			want:          CheckUpdate{Conclusion: "failure", Title: "1 notebook passed, 1 failed"}, wantSummary: "`ValueError` in cell `f00d` (#2)"},
		{name: "runner error", files: notebookFiles()[:1], err: errors.New("cloning: repository not found"),
			wantNotebooks: []string{"notebooks/new.ipynb"},
			want:          CheckUpdate{Conclusion: "failure", Title: "Error running notebooks"}, wantSummary: "cloning: repository not found"},
		{name: "all excluded", files: notebookFiles()[:1],
			out:           &Outcome{Excluded: []notebook.Excluded{{Path: "notebooks/new.ipynb", Rule: "exclude_dirs: under notebooks"}}},
			wantNotebooks: []string{"notebooks/new.ipynb"},
			want:          CheckUpdate{Conclusion: "success", Title: "No changed notebooks to run"}, wantSummary: "exclude the changed notebook: nothing to run"},
		{name: "no changed notebooks", files: notebookFiles()[3:],
			want: CheckUpdate{Conclusion: "success", Title: "No changed notebooks to run"}, wantSummary: "no notebooks"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gh := newFakeGitHub()
			gh.setFiles(12, tc.files...)
			h := newHarness(t, gh, []string{"bot1"})
			h.m.Submit(job(12, "abc"))
			if tc.wantNotebooks != nil {
				r := h.runner.next(t)
				if !slices.Equal(r.notebooks, tc.wantNotebooks) || r.user != "bot1" || r.job != job(12, "abc") {
					t.Errorf("ran %v as %s for %+v", r.notebooks, r.user, r.job)
				}
				r.finish(tc.out, tc.err)
			}
			id := gh.waitCreated(t, "abc")
			got := gh.waitConcluded(t, id)
			if got.Conclusion != tc.want.Conclusion || got.Title != tc.want.Title || !strings.Contains(got.Summary, tc.wantSummary) {
				t.Errorf("concluded %q %q, summary:\n%s", got.Conclusion, got.Title, got.Summary)
			}
			wantOps := []string{"create Mobu (test)", "update in_progress Running notebooks as bot1…", "files 12", "update completed " + tc.want.Title}
			if ops := opsOf(gh.snapshot()); !slices.Equal(ops, wantOps) {
				t.Errorf("calls\n%s\nwant\n%s", strings.Join(ops, "\n"), strings.Join(wantOps, "\n"))
			}
		})
	}
}

// opsOf describes calls briefly: "create <name>", "update <status> <summary or title>", "files <pr>".
func opsOf(calls []call) []string {
	var out []string
	for _, c := range calls {
		switch {
		case c.Op == "create":
			out = append(out, "create "+c.Update.Title)
		case c.Op == "files":
			out = append(out, "files "+itoa(c.PR))
		case c.Update.Status == statusInProgress || c.Update.Status == statusQueued:
			out = append(out, c.Op+" "+c.Update.Status+" "+c.Update.Summary)
		default:
			out = append(out, c.Op+" "+c.Update.Status+" "+c.Update.Title)
		}
	}
	return out
}

func itoa(n int) string { return thousands(n) }

func TestChangedNotebooks(t *testing.T) {
	tests := []struct {
		name  string
		files []ChangedFile
		want  []string
	}{
		{"statuses", []ChangedFile{
			{Path: "a.ipynb", Status: "added"}, {Path: "b.ipynb", Status: "modified"}, {Path: "c.ipynb", Status: "changed"},
			{Path: "d.ipynb", Status: "removed"}, {Path: "e.ipynb", Status: "copied"}, {Path: "f.ipynb", Status: "unchanged"},
		}, []string{"a.ipynb", "b.ipynb", "c.ipynb"}},
		{"renamed keeps the new path", []ChangedFile{{Path: "new/x.ipynb", Status: "renamed", PreviousPath: "old/x.ipynb"}}, []string{"new/x.ipynb"}},
		{"renamed away from a notebook", []ChangedFile{{Path: "x.py", Status: "renamed", PreviousPath: "x.ipynb"}}, nil},
		{"other files", []ChangedFile{{Path: "x.py", Status: "added"}, {Path: "x.ipynb.bak", Status: "added"}, {Path: "docs/x.IPYNB", Status: "added"}}, nil},
		{"duplicates", []ChangedFile{{Path: "a.ipynb", Status: "added"}, {Path: "a.ipynb", Status: "modified"}}, []string{"a.ipynb"}},
		{"none", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := changedNotebooks(tc.files); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestConcurrencyIsOneJobPerUser(t *testing.T) {
	gh := newFakeGitHub()
	for pr := 1; pr <= 3; pr++ {
		gh.setFiles(pr, notebookFiles()[0])
	}
	h := newHarness(t, gh, []string{"bot1", "bot2"})
	for pr, sha := range []string{"s1", "s2", "s3"} {
		h.m.Submit(job(pr+1, sha))
	}
	r1, r2 := h.runner.next(t), h.runner.next(t)
	if r1.user == r2.user {
		t.Fatalf("both runs as %s", r1.user)
	}
	gh.waitCreated(t, "s3")
	h.runner.idle(t) // both workers are busy: the third job waits
	if s := h.m.Summary(); s.NumQueued != 1 {
		t.Errorf("%d queued, want 1", s.NumQueued)
	}
	r1.finish(&Outcome{Batch: batch(passed("notebooks/new.ipynb", 1))}, nil)
	r3 := h.runner.next(t)
	if r3.user != r1.user || r3.job.HeadSHA == r1.job.HeadSHA || r3.job.HeadSHA == r2.job.HeadSHA {
		t.Errorf("third run: %s as %s", r3.job.HeadSHA, r3.user)
	}
	r2.finish(&Outcome{Batch: batch(passed("notebooks/new.ipynb", 1))}, nil)
	r3.finish(&Outcome{Batch: batch(passed("notebooks/new.ipynb", 1))}, nil)
	for _, sha := range []string{"s1", "s2", "s3"} {
		if u := gh.waitConcluded(t, gh.waitCreated(t, sha)); u.Conclusion != "success" {
			t.Errorf("%s: %s", sha, u.Conclusion)
		}
	}
}

func TestGitHubErrorsDoNotKillWorkers(t *testing.T) {
	failFirst := func(match func(c call) bool) func(c call) error {
		failed := false
		return func(c call) error {
			if !failed && match(c) {
				failed = true
				return errors.New("github: 502 bad gateway")
			}
			return nil
		}
	}
	tests := []struct {
		name      string
		fail      func(c call) error
		wantFirst string // the first job's conclusion title; "" if it was dropped
	}{
		{"create", failFirst(func(c call) bool { return c.Op == "create" }), ""},
		{"in progress", failFirst(func(c call) bool { return c.Update.Status == statusInProgress }), "No changed notebooks to run"},
		{"changed files", failFirst(func(c call) bool { return c.Op == "files" }), "Could not list the changed files"},
		{"conclusion", failFirst(func(c call) bool { return c.Update.Status == statusCompleted }), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gh := newFakeGitHub()
			gh.setFail(tc.fail)
			h := newHarness(t, gh, []string{"bot1"})
			h.m.Submit(job(1, "first"))
			h.m.Submit(job(2, "second"))
			if u := gh.waitConcluded(t, gh.waitCreated(t, "second")); u.Title != "No changed notebooks to run" {
				t.Errorf("second job: %q", u.Title)
			}
			calls := gh.snapshot()
			if ids := createdIDs(calls, "first"); tc.wantFirst != "" {
				if u := gh.waitConcluded(t, ids[0]); u.Title != tc.wantFirst {
					t.Errorf("first job: %q, want %q", u.Title, tc.wantFirst)
				}
			}
			if !strings.Contains(h.logs.String(), "delivery=d-first") {
				t.Errorf("no log line with the job's fields:\n%s", h.logs)
			}
		})
	}
}

// TestDroppedJobIsReported: a job whose check run cannot be created is
// handed to Options.Dropped (the webhook forgets its delivery), and the
// redelivered job runs.
func TestDroppedJobIsReported(t *testing.T) {
	gh := newFakeGitHub()
	failed := false
	gh.setFail(func(c call) error {
		if c.Op == "create" && !failed {
			failed = true
			return errors.New("github: 403 resource not accessible by integration")
		}
		return nil
	})
	dropped := make(chan Job, 1)
	h := newHarness(t, gh, []string{"bot1"}, func(o *Options) { o.Dropped = func(j Job) { dropped <- j } })
	h.m.Submit(job(1, "a1"))
	select {
	case j := <-dropped:
		if j.Delivery != "d-a1" || j.HeadSHA != "a1" {
			t.Errorf("dropped %+v", j)
		}
	case <-time.After(waitLimit):
		t.Fatal("the dropped job was not reported")
	}
	h.m.Submit(job(1, "a1")) // the redelivery
	if u := gh.waitConcluded(t, gh.waitCreated(t, "a1")); u.Title != "No changed notebooks to run" {
		t.Errorf("redelivered job: %q", u.Title)
	}
	if len(dropped) != 0 {
		t.Error("a job with a check run was reported dropped")
	}
}

func TestRunnerPanicFailsTheJob(t *testing.T) {
	gh := newFakeGitHub()
	gh.setFiles(1, notebookFiles()[0])
	h := newHarness(t, gh, []string{"bot1"})
	h.runner.panics = true // before any job: no run reads it concurrently
	h.m.Submit(job(1, "a1"))
	u := gh.waitConcluded(t, gh.waitCreated(t, "a1"))
	if u.Conclusion != "failure" || !strings.Contains(u.Summary, "notebook runner panicked: boom") {
		t.Errorf("concluded %q:\n%s", u.Conclusion, u.Summary)
	}
}

func TestSummary(t *testing.T) {
	gh := newFakeGitHub()
	for pr := 1; pr <= 3; pr++ {
		gh.setFiles(pr, notebookFiles()[0])
	}
	h := newHarness(t, gh, []string{"bot1", "bot2"})
	ghe := job(3, "c1")
	ghe.Repo.CloneURL = "https://github.example.com/lsst/notebooks.git"
	h.m.Submit(job(1, "a1"))
	h.m.Submit(job(2, "b1"))
	r1, r2 := h.runner.next(t), h.runner.next(t)
	h.m.Submit(ghe)
	gh.waitCreated(t, "c1")
	r1.finish(&Outcome{Batch: batch(passed("notebooks/new.ipynb", 1))}, nil)
	r3 := h.runner.next(t) // r1's worker has counted its job before taking this one
	url := map[string]string{
		"a1": "https://github.com/lsst/notebooks/commit/a1",
		"b1": "https://github.com/lsst/notebooks/commit/b1",
		"c1": "https://github.example.com/lsst/notebooks/commit/c1",
	}
	want := Summary{NumQueued: 0}
	for _, u := range []string{"bot1", "bot2"} {
		ws := WorkerSummary{User: u}
		if u == r1.user {
			ws.NumProcessed, ws.CurrentJob = 1, &JobSummary{CommitURL: url[r3.job.HeadSHA]}
		} else {
			ws.CurrentJob = &JobSummary{CommitURL: url[r2.job.HeadSHA]}
		}
		want.Workers = append(want.Workers, ws)
	}
	got, _ := json.Marshal(h.m.Summary())
	wantJSON, _ := json.Marshal(want)
	if string(got) != string(wantJSON) {
		t.Errorf("summary\n%s\nwant\n%s", got, wantJSON)
	}
	r2.finish(nil, errors.New("x"))
	r3.finish(nil, errors.New("x"))
	gh.waitConcluded(t, gh.waitCreated(t, "c1"))
	idle, _ := json.Marshal(NewManager(Options{Users: []string{"bot1"}}).Summary())
	if string(idle) != `{"workers":[{"user":"bot1","num_processed":0,"current_job":null}],"num_queued":0}` {
		t.Errorf("idle summary %s", idle)
	}
}

func TestCommitURL(t *testing.T) {
	tests := []struct{ clone, want string }{
		{"https://github.com/lsst/notebooks.git", "https://github.com/lsst/notebooks/commit/abc"},
		{"", "https://github.com/lsst/notebooks/commit/abc"},
		{"git@github.com:lsst/notebooks.git", "https://github.com/lsst/notebooks/commit/abc"},
		{"https://ghe.example.org/lsst/notebooks.git", "https://ghe.example.org/lsst/notebooks/commit/abc"},
		{"http://localhost:3000/lsst/notebooks.git", "http://localhost:3000/lsst/notebooks/commit/abc"},
	}
	for _, tc := range tests {
		j := job(1, "abc")
		j.Repo.CloneURL = tc.clone
		if got := commitURL(j); got != tc.want {
			t.Errorf("%q: got %s, want %s", tc.clone, got, tc.want)
		}
	}
}

func TestStartValidates(t *testing.T) {
	gh, runner := newFakeGitHub(), newFakeRunner()
	tests := []struct {
		name string
		opts Options
	}{
		{"no users", Options{GitHub: gh, Runner: runner}},
		{"duplicate user", Options{GitHub: gh, Runner: runner, Users: []string{"a", "a"}}},
		{"no github", Options{Runner: runner, Users: []string{"a"}}},
		{"no runner", Options{GitHub: gh, Users: []string{"a"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := NewManager(tc.opts).Start(context.Background()); err == nil {
				t.Error("started")
			}
		})
	}
}
