package ci

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/testlog"
)

// waitLimit bounds every wait of a test; reaching it fails the test.
const waitLimit = 10 * time.Second

// call is one recorded GitHub call.
type call struct {
	Op     string // create, update, files
	Repo   string
	SHA    string // create
	PR     int    // files
	ID     int64  // the check run (created or updated)
	Update CheckUpdate
}

// fakeGitHub records every call in order and can fail calls.
type fakeGitHub struct {
	mu      sync.Mutex
	calls   []call
	nextID  int64
	files   map[int][]ChangedFile // by pull request
	fail    func(c call) error    // may be nil
	changed chan struct{}         // closed and replaced on each call
}

func newFakeGitHub() *fakeGitHub {
	return &fakeGitHub{files: map[int][]ChangedFile{}, changed: make(chan struct{}), nextID: 100}
}

func (g *fakeGitHub) record(c call) (call, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c.Op == "create" {
		g.nextID++
		c.ID = g.nextID
	}
	var err error
	if g.fail != nil {
		err = g.fail(c)
	}
	if err == nil {
		g.calls = append(g.calls, c)
	} else {
		g.calls = append(g.calls, call{Op: c.Op + " failed", Repo: c.Repo, ID: c.ID, PR: c.PR, Update: c.Update})
	}
	close(g.changed)
	g.changed = make(chan struct{})
	return c, err
}

func (g *fakeGitHub) CreateCheckRun(ctx context.Context, r Repo, sha, name string) (int64, error) {
	c, err := g.record(call{Op: "create", Repo: r.Owner + "/" + r.Name, SHA: sha, Update: CheckUpdate{Title: name}})
	if err != nil {
		return 0, err
	}
	return c.ID, ctx.Err()
}

func (g *fakeGitHub) UpdateCheckRun(ctx context.Context, r Repo, id int64, u CheckUpdate) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err := g.record(call{Op: "update", Repo: r.Owner + "/" + r.Name, ID: id, Update: u})
	return err
}

func (g *fakeGitHub) ChangedFiles(ctx context.Context, r Repo, pr int) ([]ChangedFile, error) {
	if _, err := g.record(call{Op: "files", Repo: r.Owner + "/" + r.Name, PR: pr}); err != nil {
		return nil, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.files[pr]), ctx.Err()
}

func (g *fakeGitHub) setFiles(pr int, files ...ChangedFile) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.files[pr] = files
}

func (g *fakeGitHub) setFail(f func(c call) error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.fail = f
}

func (g *fakeGitHub) snapshot() []call {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.calls)
}

// waitFor waits until the calls so far satisfy ok, and returns them.
func (g *fakeGitHub) waitFor(t *testing.T, what string, ok func([]call) bool) []call {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		g.mu.Lock()
		calls, changed := slices.Clone(g.calls), g.changed
		g.mu.Unlock()
		if ok(calls) {
			return calls
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("timed out waiting for %s; calls:\n%s", what, dump(calls))
		}
	}
}

// waitConcluded waits for check run id's completed update and returns it.
func (g *fakeGitHub) waitConcluded(t *testing.T, id int64) CheckUpdate {
	t.Helper()
	var u CheckUpdate
	g.waitFor(t, fmt.Sprintf("check run %d to conclude", id), func(calls []call) bool {
		for _, c := range calls {
			if c.Op == "update" && c.ID == id && c.Update.Status == statusCompleted {
				u = c.Update
				return true
			}
		}
		return false
	})
	return u
}

// waitCreated waits for the check run of sha and returns its id.
func (g *fakeGitHub) waitCreated(t *testing.T, sha string) int64 {
	t.Helper()
	var id int64
	g.waitFor(t, "check run for "+sha, func(calls []call) bool {
		for _, c := range calls {
			if c.Op == "create" && c.SHA == sha {
				id = c.ID
				return true
			}
		}
		return false
	})
	return id
}

func dump(calls []call) string {
	var b bytes.Buffer
	for _, c := range calls {
		fmt.Fprintf(&b, "  %s %s id=%d sha=%s pr=%d status=%s conclusion=%s title=%q summary=%q\n", c.Op, c.Repo, c.ID,
			c.SHA, c.PR, c.Update.Status, c.Update.Conclusion, c.Update.Title, firstLine(c.Update.Summary))
	}
	return b.String()
}

func firstLine(s string) string {
	for i, r := range s {
		if r == '\n' {
			return s[:i]
		}
	}
	return s
}

// run is one Runner.Run call, blocked until the test finishes it.
type run struct {
	ctx       context.Context
	job       Job
	user      string
	notebooks []string
	result    chan runResult
}

type runResult struct {
	out *Outcome
	err error
}

func (r *run) finish(out *Outcome, err error) { r.result <- runResult{out, err} }

// fakeRunner hands each run to the test and blocks until the test finishes
// it, or until its context ends (it then returns the context's error, as a
// Runner that cleaned up its lab would).
type fakeRunner struct {
	started chan *run
	panics  bool
	slowEnd bool // a cancelled run returns only when the test finishes it (a slow lab cleanup)
}

func newFakeRunner() *fakeRunner { return &fakeRunner{started: make(chan *run)} }

func (f *fakeRunner) Run(ctx context.Context, job Job, user string, nbs []string) (*Outcome, error) {
	if f.panics {
		panic("boom")
	}
	r := &run{ctx: ctx, job: job, user: user, notebooks: nbs, result: make(chan runResult, 1)}
	select {
	case f.started <- r:
	case <-ctx.Done():
		return nil, fmt.Errorf("run not started: %w", ctx.Err())
	}
	select {
	case res := <-r.result:
		return res.out, res.err
	case <-ctx.Done():
		if f.slowEnd {
			<-r.result
		}
		return nil, fmt.Errorf("run interrupted: %w", ctx.Err())
	}
}

// next waits for the next run to start.
func (f *fakeRunner) next(t *testing.T) *run {
	t.Helper()
	select {
	case r := <-f.started:
		return r
	case <-time.After(waitLimit):
		t.Fatal("timed out waiting for a run")
		return nil
	}
}

// idle fails if a run has started (callers make sure none could be on its
// way: every worker is busy in a run the test holds).
func (f *fakeRunner) idle(t *testing.T) {
	t.Helper()
	select {
	case r := <-f.started:
		t.Fatalf("unexpected run of %s as %s", r.job.HeadSHA, r.user)
	default:
	}
}

// harness is a started manager with its fakes.
type harness struct {
	m      *Manager
	gh     *fakeGitHub
	runner *fakeRunner
	logs   *testlog.Buffer
	saves  chan struct{} // a state file write happened
	cancel context.CancelFunc
}

type harnessOpt func(*Options)

func withStateFile(path string) harnessOpt {
	return func(o *Options) { o.StateFile = path }
}

// newHarness starts a manager with the given users. The test stops it at
// the end unless it already did.
func newHarness(t *testing.T, gh *fakeGitHub, users []string, opts ...harnessOpt) *harness {
	t.Helper()
	h := &harness{gh: gh, runner: newFakeRunner(), logs: &testlog.Buffer{}, saves: make(chan struct{}, 1)}
	o := Options{CheckName: "Mobu (test)", Users: users, GitHub: gh, Runner: h.runner,
		Logger: slog.New(slog.NewTextHandler(h.logs, nil)),
		Now:    func() time.Time { return time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC) }}
	for _, opt := range opts {
		opt(&o)
	}
	h.m = NewManager(o)
	h.m.onSave = func() { kick(h.saves) }
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	if err := h.m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), waitLimit)
		defer scancel()
		if err := h.m.Stop(sctx); err != nil {
			t.Errorf("stop: %v", err)
		}
		cancel()
	})
	return h
}

func job(pr int, sha string) Job {
	return Job{Repo: Repo{InstallationID: 7, Owner: "lsst", Name: "notebooks", CloneURL: "https://github.com/lsst/notebooks.git"},
		PR: pr, HeadSHA: sha, Delivery: "d-" + sha}
}
