package flock

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/events"
	"github.com/mobu-dev/mobu/internal/monkeylog"
	"github.com/mobu-dev/mobu/internal/notebook"
)

// Domain errors; the API maps them to HTTP statuses.
var (
	ErrFlockNotFound  = errors.New("flock not found")
	ErrMonkeyNotFound = errors.New("monkey not found")
	ErrUnsupported    = errors.New("not supported by this configuration")
	// ErrShuttingDown refuses flocks once StopAll has begun: nothing would
	// stop their monkeys.
	ErrShuttingDown = errors.New("mobu is shutting down")
)

// Options wires a Manager.
type Options struct {
	Registry     Registry
	Labs         LabFactory    // nil: businesses that need a lab cannot start
	Sources      SourceFactory // nil: NotebookRunner flocks cannot start
	Publisher    events.Publisher
	Logger       *slog.Logger // the process log; monkey lines go there too
	MonkeyLogs   monkeylog.Options
	ReplicaIndex int
	ReplicaCount int
	Grace        time.Duration // stop grace per monkey
	StatsWindow  time.Duration
	Alerter      Alerter         // nil: no alerts
	Tracer       notebook.Tracer // nil: no spans
	// OnDeleted is called once a deleted flock has stopped (to drop its
	// metrics); may be nil.
	OnDeleted func(flock string)
}

// Manager owns the flocks of this process.
type Manager struct {
	opts   Options
	ctx    context.Context // lifetime: ends when the process stops
	cancel context.CancelFunc
	mu     sync.Mutex
	flocks map[string]*Flock
	// solitary holds the monkeys of solitary runs in progress (StopAll
	// stops them too).
	solitary map[*Monkey]struct{}
	closed   bool // set by StopAll: no more flocks or solitary runs
}

// NewManager returns a manager with no flocks.
func NewManager(opts Options) *Manager {
	if opts.ReplicaCount < 1 {
		opts.ReplicaCount = 1
	}
	if opts.Grace <= 0 {
		opts.Grace = 25 * time.Second
	}
	if opts.StatsWindow <= 0 {
		opts.StatsWindow = time.Hour
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Manager{opts: opts, ctx: ctx, cancel: cancel, flocks: map[string]*Flock{}, solitary: map[*Monkey]struct{}{}}
}

// Start starts a flock, replacing (stopping) a running one of the same name.
// It returns once every monkey of this replica has started, start batch
// pauses included.
// After StopAll it fails with ErrShuttingDown.
func (m *Manager) Start(ctx context.Context, cfg *config.Flock) (*Flock, error) {
	if m.isClosed() {
		return nil, fmt.Errorf("starting flock %s: %w", cfg.Name, ErrShuttingDown)
	}
	f := &Flock{cfg: cfg, gate: newGate(), stats: NewStats(m.opts.StatsWindow), failures: newFailureLog()}
	users := shard(cfg.UserList(), m.opts.ReplicaIndex, m.opts.ReplicaCount)
	monkeys := make([]*Monkey, 0, len(users))
	for _, u := range users {
		mk, err := m.newMonkey(f, u)
		if err != nil {
			discard(monkeys) // none has run: Cancel would wait for them forever
			return nil, fmt.Errorf("starting flock %s: %w", cfg.Name, err)
		}
		monkeys = append(monkeys, mk)
	}
	old, err := m.register(f)
	if err != nil {
		discard(monkeys)
		return nil, fmt.Errorf("starting flock %s: %w", cfg.Name, err)
	}
	if old != nil {
		m.opts.Logger.Info("replacing flock", "flock", cfg.Name)
		old.stop(m.opts.Grace)
	}
	m.opts.Logger.Info("starting flock", "flock", cfg.Name, "monkeys", len(monkeys), "business", cfg.Business.Type)
	f.start(m.ctx, monkeys, batchSize(cfg.StartBatchSize, m.opts.ReplicaCount, len(monkeys)))
	return f, nil
}

// register adds f, returning the flock it replaces, unless the manager is
// closed (StopAll may have begun while f's monkeys were built).
func (m *Manager) register(f *Flock) (old *Flock, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrShuttingDown
	}
	old = m.flocks[f.cfg.Name]
	m.flocks[f.cfg.Name] = f
	return old, nil
}

func (m *Manager) isClosed() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.closed
}

// Get returns the named flock.
func (m *Manager) Get(name string) (*Flock, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if f, ok := m.flocks[name]; ok {
		return f, nil
	}
	return nil, fmt.Errorf("%w: %s", ErrFlockNotFound, name)
}

// Names returns the flock names, sorted.
func (m *Manager) Names() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	names := make([]string, 0, len(m.flocks))
	for n := range m.flocks {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Delete stops a flock (monkeys finish their cell and delete their labs) and
// forgets it.
func (m *Manager) Delete(name string) error {
	m.mu.Lock()
	f, ok := m.flocks[name]
	delete(m.flocks, name)
	m.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: %s", ErrFlockNotFound, name)
	}
	m.opts.Logger.Info("stopping flock", "flock", name)
	f.stop(m.opts.Grace)
	if m.opts.OnDeleted != nil {
		m.opts.OnDeleted(name)
	}
	return nil
}

// RefreshRepo refreshes every NotebookRunner flock whose repository and ref
// match (URLs compared as config.SameRepo does) and returns their names. Each
// monkey picks up the new commit at its next notebook boundary.
func (m *Manager) RefreshRepo(repoURL, ref string) []string {
	var refreshed []string
	for _, n := range m.Names() {
		f, err := m.Get(n)
		if err != nil {
			continue
		}
		o := config.NotebookOptionsOf(f.cfg.Business.Options)
		if o == nil || o.NotebookDir != "" || o.RepoRef != ref || !config.SameRepo(o.RepoURL, repoURL) {
			continue
		}
		f.Refresh()
		refreshed = append(refreshed, n)
	}
	return refreshed
}

// Summaries returns every flock's summary, sorted by name.
func (m *Manager) Summaries() []Summary {
	now := time.Now()
	var out []Summary
	for _, n := range m.Names() {
		if f, err := m.Get(n); err == nil {
			out = append(out, f.Summary(now))
		}
	}
	return out
}

// StopAll stops every flock and solitary run in parallel and closes the
// manager: later Starts and RunSolitary calls fail with ErrShuttingDown.
// Used at shutdown.
func (m *Manager) StopAll() {
	m.mu.Lock()
	m.closed = true
	flocks := slices.Collect(maps.Values(m.flocks))
	solitary := slices.Collect(maps.Keys(m.solitary))
	m.flocks = map[string]*Flock{}
	m.mu.Unlock()
	m.cancel() // ends start-batch waits
	var wg sync.WaitGroup
	for _, f := range flocks {
		wg.Go(func() { f.stop(m.opts.Grace) })
	}
	for _, mk := range solitary {
		wg.Go(func() { mk.Stop(m.opts.Grace) })
	}
	wg.Wait()
}
