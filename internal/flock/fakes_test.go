package flock

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/events"
	"github.com/mobu-dev/mobu/internal/monkeylog"
	"github.com/mobu-dev/mobu/internal/notebook"
)

// recorder is an events.Publisher that keeps everything.
type recorder struct {
	mu  sync.Mutex
	evs []events.Event
}

func (r *recorder) Publish(e events.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, e)
}

func (r *recorder) count(name string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.evs {
		if e.Name() == name {
			n++
		}
	}
	return n
}

// fakeLab is an in-memory platform: code containing "raise" fails, code
// containing "block" runs until its context ends.
type fakeLab struct {
	mu            sync.Mutex
	calls         []string
	spawnErr      error
	spawns, dels  atomic.Int64
	failDeletes   atomic.Int64 // this many next DeleteLab calls fail
	running       atomic.Bool  // a lab is up: spawned (or left by an earlier run) and not deleted since
	probeErr      error        // LabRunning fails with it
	blockStarted  chan struct{}
	blockEnded    chan error // non-nil: a "block" cell reports here why it ended (its context's cause)
	sessionsAlive atomic.Int64
	env           map[string]string // the lab's environment; nil: reading it fails
	infoReads     atomic.Int64
	// cellGate, when set, holds code containing "wait" until it is closed;
	// cellWaiting is signalled when such a cell starts.
	cellGate    chan struct{}
	cellWaiting chan struct{}
}

func (l *fakeLab) call(s string) {
	l.mu.Lock()
	l.calls = append(l.calls, s)
	l.mu.Unlock()
}

func (l *fakeLab) Login(context.Context) error  { l.call("login"); return nil }
func (l *fakeLab) Logout(context.Context) error { l.call("logout"); return nil }
func (l *fakeLab) Spawn(context.Context) error {
	l.call("spawn")
	l.spawns.Add(1)
	l.running.Store(true) // even a failed spawn may leave a server
	return l.spawnErr
}

// LabRunning implements notebook.LabProbe, as both real drivers do.
func (l *fakeLab) LabRunning(context.Context) (bool, error) {
	l.call("probe")
	return l.running.Load(), l.probeErr
}
func (l *fakeLab) DeleteLab(context.Context) error {
	l.call("delete")
	l.dels.Add(1)
	if l.failDeletes.Add(-1) >= 0 {
		return errors.New("hub: 500 deleting the server")
	}
	l.failDeletes.Store(0)
	l.running.Store(false)
	return nil
}
func (l *fakeLab) OpenSession(context.Context, string) (notebook.Session, error) {
	l.sessionsAlive.Add(1)
	return &fakeSession{lab: l}, nil
}

type fakeSession struct{ lab *fakeLab }

func (s *fakeSession) Execute(ctx context.Context, code string, _ notebook.ExecOptions) (*notebook.Execution, error) {
	if strings.Contains(code, "block") {
		if s.lab.blockStarted != nil {
			s.lab.blockStarted <- struct{}{}
		}
		<-ctx.Done()
		if s.lab.blockEnded != nil {
			s.lab.blockEnded <- context.Cause(ctx)
		}
		return nil, ctx.Err()
	}
	if gate := s.lab.cellGate; gate != nil && strings.Contains(code, "wait") {
		select {
		case <-gate: // already open
		default:
			s.lab.cellWaiting <- struct{}{}
			select {
			case <-gate:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
	}
	if strings.Contains(code, "JUPYTER_IMAGE_SPEC") {
		s.lab.infoReads.Add(1)
		if s.lab.env == nil {
			return &notebook.Execution{Status: "error", EName: "KeyError", EValue: "environ"}, nil
		}
		out, _ := json.Marshal(s.lab.env)
		return &notebook.Execution{Status: "ok", Output: "noise\n" + string(out) + "\n"}, nil
	}
	if strings.Contains(code, "raise") {
		return &notebook.Execution{Status: "error", EName: "ValueError", EValue: "bad", Duration: time.Millisecond}, nil
	}
	return &notebook.Execution{Status: "ok", Duration: time.Millisecond, KernelDuration: time.Millisecond / 2,
		HasKernelDuration: true}, nil
}

func (s *fakeSession) Close(context.Context) error {
	s.lab.sessionsAlive.Add(-1)
	return nil
}

// memSource serves notebooks from memory; each Load and Fetch counts. Tests
// set entries before starting a flock, and change what it serves later with
// set (the checkout at once), push (a commit on the remote, which only a
// later fetch brings), failLoads and blockFetches.
type memSource struct {
	loads, fetches atomic.Int64
	fetchErr       atomic.Pointer[error]
	entries        []notebook.Entry

	mu         sync.Mutex
	hash       string        // "" serves "abc"
	loadErr    error         // Load fails with it (a bad mobu.yaml, no runnable notebooks)
	fetchGate  chan struct{} // non-nil: Fetch blocks until it is closed or its context ends
	fetchStart chan struct{} // non-nil: Fetch signals here when it starts
	loadStart  chan struct{} // non-nil: Load signals here, then blocks until its context ends
	remote     *Collection   // the newest pushed commit (Hash, Entries); nil: none
}

func (m *memSource) Load(ctx context.Context) (*Collection, error) {
	m.loads.Add(1)
	if m.loadStart != nil {
		m.loadStart <- struct{}{}
		<-ctx.Done()
		return nil, ctx.Err()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.loadErr != nil {
		return nil, m.loadErr
	}
	hash := m.hash
	if hash == "" {
		hash = "abc"
	}
	return &Collection{Repo: "mem", Hash: hash, Entries: m.entries}, nil
}

// Fetch brings the commit pushed before it started (if any) into the
// checkout when it succeeds; one pushed during it waits for the next fetch.
func (m *memSource) Fetch(ctx context.Context, _ time.Time) error {
	m.fetches.Add(1)
	m.mu.Lock()
	gate, start, remote := m.fetchGate, m.fetchStart, m.remote
	m.mu.Unlock()
	if start != nil {
		select {
		case start <- struct{}{}:
		default: // nobody is counting more than the buffer holds
		}
	}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if e := m.fetchErr.Load(); e != nil {
		return *e
	}
	if remote != nil {
		m.set(remote.Hash, remote.Entries)
	}
	return nil
}

// push makes a new commit on the remote, which the next fetch to start
// brings into the checkout.
func (m *memSource) push(hash string, entries []notebook.Entry) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.remote = &Collection{Hash: hash, Entries: entries}
}

// set changes what Load serves (a new commit).
func (m *memSource) set(hash string, entries []notebook.Entry) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hash, m.entries = hash, entries
}

// failLoads makes Load fail with err (nil: succeed again).
func (m *memSource) failLoads(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.loadErr = err
}

// blockFetches makes Fetch signal on start and block until the returned
// function is called.
func (m *memSource) blockFetches() (started <-chan struct{}, release func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	gate, start := make(chan struct{}), make(chan struct{}, 16)
	m.fetchGate, m.fetchStart = gate, start
	return start, sync.OnceFunc(func() { close(gate) })
}

func nbEntry(path string, codes ...string) notebook.Entry {
	nb := &notebook.Notebook{Path: path}
	for i, c := range codes {
		nb.Cells = append(nb.Cells, notebook.Cell{ID: string(rune('a' + i)), Number: i + 1, Source: c})
	}
	return notebook.Entry{Path: path, Notebook: nb}
}

type harness struct {
	m   *Manager
	pub *recorder
	lab *fakeLab
	src *memSource
}

func newHarness(t *testing.T, reg Registry) *harness {
	t.Helper()
	h := &harness{pub: &recorder{}, lab: &fakeLab{}, src: &memSource{}}
	if reg == nil {
		reg = Registry{config.EmptyLoop: NewEmptyLoop, config.NotebookRunnerCounting: NewNotebookRunnerCounting,
			config.NotebookRunnerList: NewNotebookRunnerList, config.NotebookRunnerInfinite: NewNotebookRunnerInfinite,
			config.NubladoPythonLoop: NewPythonLoop}
	}
	h.m = NewManager(Options{
		Registry: reg, Publisher: h.pub, Logger: slog.New(slog.DiscardHandler), MonkeyLogs: monkeylog.Options{},
		Labs:    func(config.User, []string, *config.LabOptions) (notebook.Lab, error) { return h.lab, nil },
		Sources: func(*config.NotebookOptions) (NotebookSource, error) { return h.src, nil },
		Grace:   3 * time.Second,
	})
	t.Cleanup(h.m.StopAll)
	return h
}

// flockSpec parses a flock from YAML, failing the test on problems.
func flockSpec(t *testing.T, y string) *config.Flock {
	t.Helper()
	l := config.Load([]byte("autostart:\n  - "+strings.ReplaceAll(strings.TrimSpace(y), "\n", "\n    ")+"\n"),
		func(string) string { return "" })
	if len(l.Problems) > 0 {
		t.Fatalf("flock spec: %v", l.Problems)
	}
	return l.Config.Flocks[0]
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
