// Package alert sends failure alerts about mobu's checks to people (Slack,
// generic JSON webhooks) without flooding a channel.
//
// Failures are deduplicated by (flock, notebook, cell id, error type): the
// first failure of a key alerts, repeats within a quiet period are counted
// and suppressed, and when the check passes again one "resolved" message
// closes the key. Messages go through a bounded queue consumed by a single
// worker, so reporting never blocks a monkey. The package only uses the
// standard library and declares its own input types.
package alert

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for the zero values of Config.
const (
	DefaultQuiet         = time.Hour
	DefaultQueueSize     = 1000
	DefaultHTTPTimeout   = 10 * time.Second
	DefaultMaxAttempts   = 5
	DefaultBackoff       = time.Second
	DefaultMaxBackoff    = 30 * time.Second
	DefaultMaxRetryAfter = time.Minute
)

// Config configures an Alerter. Zero values take the defaults above.
type Config struct {
	Targets []Target
	// Quiet is how long repeats of an alerted failure are suppressed.
	Quiet time.Duration
	// QueueSize bounds the messages waiting for the worker.
	QueueSize int
	Logger    *slog.Logger
	// Now is the clock (time.Now).
	Now func() time.Time
	// NewTimer makes the timers of DailyStatus (time.NewTimer).
	NewTimer func(d time.Duration) Timer
	// HTTPClient posts messages (a client with a 10 s timeout).
	HTTPClient *http.Client
	// Retry is the policy for transient delivery errors.
	Retry RetryPolicy
}

// Stats counts what the alerter did; all counters only grow.
type Stats struct {
	// Sent counts messages delivered, once per target.
	Sent uint64
	// Failed counts deliveries to a target that failed for good.
	Failed uint64
	// Dropped counts messages lost because the queue was full or the
	// alerter stopped.
	Dropped uint64
	// Suppressed counts failures not reported because of deduplication.
	Suppressed uint64
}

// Alerter deduplicates failures and delivers messages to its targets.
type Alerter struct {
	targets  []Target
	quiet    time.Duration
	log      *slog.Logger
	now      func() time.Time
	newTimer func(time.Duration) Timer
	poster   *httpPoster
	queue    chan Message
	dedup    dedup

	sent, failed, dropped, suppressed atomic.Uint64

	life     sync.Mutex
	started  bool
	stopped  atomic.Bool
	stopping chan struct{} // closed by Stop: drain and exit
	done     chan struct{} // closed when the worker exits
	cancel   context.CancelFunc
}

// New returns an Alerter; call Start to deliver messages.
func New(cfg Config) *Alerter {
	cfg = withDefaults(cfg)
	a := &Alerter{
		targets:  cfg.Targets,
		quiet:    cfg.Quiet,
		log:      cfg.Logger,
		now:      cfg.Now,
		newTimer: cfg.NewTimer,
		queue:    make(chan Message, cfg.QueueSize),
		dedup:    dedup{open: map[checkKey]map[failureKey]*entry{}},
		stopping: make(chan struct{}),
		done:     make(chan struct{}),
	}
	a.poster = newHTTPPoster(cfg.HTTPClient, cfg.Retry, cfg.Logger)
	return a
}

func withDefaults(cfg Config) Config {
	if cfg.Quiet <= 0 {
		cfg.Quiet = DefaultQuiet
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = DefaultQueueSize
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewTimer == nil {
		cfg.NewTimer = realTimer
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	cfg.Retry = cfg.Retry.withDefaults()
	return cfg
}

// Stats returns the counters so far.
func (a *Alerter) Stats() Stats {
	return Stats{
		Sent:       a.sent.Load(),
		Failed:     a.failed.Load(),
		Dropped:    a.dropped.Load(),
		Suppressed: a.suppressed.Load(),
	}
}

// Start starts the worker. Cancelling ctx ends it at once, dropping what is
// queued; call Stop first to deliver the queue at shutdown. Starting twice,
// or after Stop, does nothing.
func (a *Alerter) Start(ctx context.Context) {
	a.life.Lock()
	defer a.life.Unlock()
	if a.started || a.stopped.Load() {
		return
	}
	a.started = true
	wctx, cancel := context.WithCancel(ctx)
	a.cancel = cancel
	go a.run(wctx)
}

// Stop stops accepting messages, lets the worker deliver what is queued and
// waits for it; when ctx ends first the delivery in progress is abandoned,
// the rest of the queue is dropped and ctx's error is returned.
func (a *Alerter) Stop(ctx context.Context) error {
	a.life.Lock()
	started := a.started
	if !a.stopped.Swap(true) {
		close(a.stopping)
	}
	a.life.Unlock()
	if !started {
		return nil
	}
	select {
	case <-a.done:
		return nil
	case <-ctx.Done():
		a.cancel()
		<-a.done
		return fmt.Errorf("stop alerter: %w", ctx.Err())
	}
}

// enqueue queues m without blocking; false when it was dropped.
func (a *Alerter) enqueue(m Message) bool {
	if a.stopped.Load() {
		a.dropped.Add(1)
		return false
	}
	select {
	case a.queue <- m:
		return true
	default:
		if n := a.dropped.Add(1); n == 1 || n%100 == 0 {
			a.log.Warn("alert queue full, message dropped", "kind", string(m.Kind), "dropped", n)
		}
		return false
	}
}
