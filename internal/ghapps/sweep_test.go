package ghapps

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/ci"
	"github.com/mobu-dev/mobu/internal/github"
	"github.com/mobu-dev/mobu/internal/testgithub"
	"github.com/mobu-dev/mobu/internal/testlog"
)

const (
	sweepAppID = 4242
	checkName  = "Mobu (test)"
	waitLimit  = 20 * time.Second
)

// notifying signals each check run update, so that tests wait for them.
type notifying struct {
	ci.GitHub
	updated chan struct{}
}

func (n notifying) UpdateCheckRun(ctx context.Context, r ci.Repo, id int64, u ci.CheckUpdate) error {
	err := n.GitHub.UpdateCheckRun(ctx, r, id, u)
	select {
	case n.updated <- struct{}{}:
	default:
	}
	return err
}

// noRunner fails: the sweep tests' pull requests change no notebooks.
type noRunner struct{}

func (noRunner) Run(context.Context, ci.Job, string, []string) (*ci.Outcome, error) {
	return nil, errors.New("no notebooks expected")
}

// sweepWorld is a fake GitHub holding checks left behind by a mobu that died.
type sweepWorld struct {
	gh                              *testgithub.Server
	app                             *github.App
	dangling, closed, other, others []int64 // check runs: the one to take over, then the ones to leave alone
}

func newSweepWorld(t *testing.T) *sweepWorld {
	t.Helper()
	key := testgithub.GenerateKey(t)
	gh := testgithub.NewServer(t, testgithub.Options{AppID: sweepAppID, PrivateKey: key})
	app, err := github.NewApp(github.AppConfig{AppID: sweepAppID, PrivateKey: testgithub.PKCS1PEM(key), APIURL: gh.URL()})
	if err != nil {
		t.Fatal(err)
	}
	w := &sweepWorld{gh: gh, app: app}
	gh.AddInstallation(testgithub.Installation{ID: 42, Account: "lsst-sqre",
		Repos: []testgithub.Repository{{Name: "notebooks"}, {Name: "busy"}}})
	gh.AddInstallation(testgithub.Installation{ID: 43, Account: "elsewhere", Repos: []testgithub.Repository{{Name: "nb"}}})
	sha := func(c string) string { return strings.Repeat(c, 40) }
	pr := func(owner, repo string, n int, head, state string) {
		gh.SetPull(owner, repo, testgithub.PR{Number: n, HeadSHA: head, HeadRef: fmt.Sprintf("b%d", n)}, state)
		gh.SetPRFiles(owner, repo, n, []testgithub.File{{Filename: "README.md"}})
	}
	check := func(owner, repo, head, name, status string, app int64) int64 {
		return gh.AddCheckRun(testgithub.CheckRun{Owner: owner, Repo: repo, Name: name, HeadSHA: head, Status: status,
			AppID: app, Output: testgithub.Output{Title: name, Summary: "Running notebooks as bot-1…"}})
	}
	pr("lsst-sqre", "notebooks", 1, sha("1"), "open")
	pr("lsst-sqre", "notebooks", 2, sha("2"), "closed")
	pr("lsst-sqre", "notebooks", 3, sha("3"), "open")
	pr("lsst-sqre", "notebooks", 4, sha("4"), "open")
	for n := 10; n < 160; n++ { // two pages of open pull requests without checks
		pr("lsst-sqre", "busy", n, fmt.Sprintf("%040x", n), "open")
	}
	pr("elsewhere", "nb", 1, sha("5"), "open")
	w.dangling = []int64{check("lsst-sqre", "notebooks", sha("1"), checkName, "in_progress", 0)}
	w.closed = []int64{check("lsst-sqre", "notebooks", sha("2"), checkName, "queued", 0)}
	w.other = []int64{
		check("lsst-sqre", "notebooks", sha("3"), checkName, "in_progress", 99), // another app's
		check("lsst-sqre", "notebooks", sha("4"), "Mobu (prod)", "queued", 0),   // another environment's
		check("lsst-sqre", "notebooks", sha("3"), checkName, "completed", 0),    // concluded
		check("elsewhere", "nb", sha("5"), checkName, "in_progress", 0),         // an organization not accepted
	}
	w.others = append(append([]int64{}, w.closed...), w.other...)
	return w
}

// start starts a CI manager with the sweep over w's fake GitHub.
func (w *sweepWorld) start(t *testing.T, o ci.SweepOptions, stateFile string) (*ci.Manager, chan struct{}, *testlog.Buffer) {
	t.Helper()
	logs := &testlog.Buffer{}
	updated := make(chan struct{}, 1)
	o.Lister, o.AcceptedOrgs = Lister{App: w.app}, []string{"LSST-SQRE"}
	m := ci.NewManager(ci.Options{CheckName: checkName, Users: []string{"bot-1"}, Runner: noRunner{},
		GitHub: notifying{GitHub: Checks{App: w.app}, updated: updated}, Sweep: &o, StateFile: stateFile,
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err := m.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	return m, updated, logs
}

// waitCompleted waits until check run id is completed and returns it.
func (w *sweepWorld) waitCompleted(t *testing.T, updated chan struct{}, id int64) testgithub.CheckRun {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		for _, r := range w.gh.CheckRuns() {
			if r.ID == id && r.Status == "completed" {
				return r
			}
		}
		select {
		case <-updated:
		case <-deadline:
			t.Fatalf("check run %d did not complete; runs: %+v", id, w.gh.CheckRuns())
		}
	}
}

// stop stops m once its sweep has ended.
func stop(t *testing.T, m *ci.Manager) {
	t.Helper()
	select {
	case <-m.Swept():
	case <-time.After(waitLimit):
		t.Fatal("the startup sweep did not end")
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := m.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}

// untouched fails if any of ids was updated.
func (w *sweepWorld) untouched(t *testing.T, ids []int64) {
	t.Helper()
	for _, r := range w.gh.CheckRuns() {
		for _, id := range ids {
			if r.ID == id && len(r.History) > 0 {
				t.Errorf("check run %d (%s %s %s) was updated: %+v", id, r.Repo, r.HeadSHA[:7], r.Name, r.History)
			}
		}
	}
}

func patchStatuses(r testgithub.CheckRun) string {
	var out []string
	for _, h := range r.History {
		out = append(out, h.Method+" "+h.Status)
	}
	return strings.Join(out, ", ")
}

func TestSweepRequeuesDanglingCheck(t *testing.T) {
	w := newSweepWorld(t)
	m, updated, logs := w.start(t, ci.SweepOptions{}, "")
	run := w.waitCompleted(t, updated, w.dangling[0])
	stop(t, m)

	if got, want := patchStatuses(run), "PATCH queued, PATCH in_progress, PATCH completed"; got != want {
		t.Errorf("dangling check: %s, want %s", got, want)
	}
	if run.Conclusion != "success" || run.Output.Title != "No changed notebooks to run" {
		t.Errorf("dangling check concluded %s %q", run.Conclusion, run.Output.Title)
	}
	if h := run.History[0]; h.Output == nil || !strings.Contains(h.Output.Summary, "queued again after mobu restarted") {
		t.Errorf("re-queue PATCH output: %+v", h.Output)
	}
	w.untouched(t, w.others)
	for _, want := range []string{"ci startup sweep done", "installations=1", "repos=2", "pull_requests=153",
		"checks_found=1", "checks_requeued=1", "checks_concluded=0", "errors=0", "capped=false"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	for _, r := range w.gh.Requests() {
		if r.Status/100 != 2 {
			t.Errorf("%s %s?%s: %d", r.Method, r.Path, r.Query, r.Status)
		}
		if strings.HasPrefix(r.Path, "/repos/elsewhere/") {
			t.Errorf("the sweep read a repository of an organization not accepted: %s", r.Path)
		}
	}
}

func TestSweepCapped(t *testing.T) {
	w := newSweepWorld(t)
	m, _, logs := w.start(t, ci.SweepOptions{MaxPullRequests: 2}, "")
	stop(t, m)
	// Pull requests are listed newest first: #4 and #3 fill the cap, #1 is never read.
	w.untouched(t, append(w.dangling, w.others...))
	for _, want := range []string{"ci startup sweep done", "repos=1", "pull_requests=2", "checks_found=0", "capped=true"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

// A check whose job the state file resumes is not queued a second time.
func TestSweepLeavesStateFileJobs(t *testing.T) {
	w := newSweepWorld(t)
	path := filepath.Join(t.TempDir(), "ci.json")
	state := fmt.Sprintf(`{"version": 1, "jobs": [{"installation_id": 42, "owner": "lsst-sqre", "name": "notebooks",
		"clone_url": "https://github.com/lsst-sqre/notebooks.git", "pr": 1, "head_sha": %q, "check_run_id": %d,
		"running": true, "queued": "2025-01-02T03:04:05Z"}]}`, strings.Repeat("1", 40), w.dangling[0])
	if err := os.WriteFile(path, []byte(state), 0o600); err != nil {
		t.Fatal(err)
	}
	m, updated, logs := w.start(t, ci.SweepOptions{}, path)
	run := w.waitCompleted(t, updated, w.dangling[0])
	stop(t, m)
	if got, want := patchStatuses(run), "PATCH queued, PATCH in_progress, PATCH completed"; got != want {
		t.Errorf("resumed check: %s, want %s", got, want)
	}
	w.untouched(t, w.others)
	if !strings.Contains(logs.String(), "checks_requeued=0") || !strings.Contains(logs.String(), "checks_concluded=0") {
		t.Errorf("log:\n%s", logs)
	}
}
