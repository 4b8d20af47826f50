package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// Stats counts what happened to published events. Once the queue is idle,
// Published + Resumed = Written + Rejected + Dropped + Pending + Queued +
// InFlight. Failed and Retries count attempts, so an event can be in them
// more than once.
type Stats struct {
	Published   uint64 `json:"published"`    // valid events given to Publish (dropped ones included)
	Written     uint64 `json:"written"`      // delivered by the sink
	Failed      uint64 `json:"failed"`       // events in failed sink writes (then spooled and retried)
	Retries     uint64 `json:"retries"`      // failed sink writes
	Spilled     uint64 `json:"spilled"`      // events written to the spool
	Rejected    uint64 `json:"rejected"`     // refused by the sink for good
	Dropped     uint64 `json:"dropped"`      // lost: queue full or closed, spool full or failing
	Invalid     uint64 `json:"invalid"`      // failed validation, never queued
	Pending     uint64 `json:"pending"`      // in the spool now
	Queued      uint64 `json:"queued"`       // in the in-memory queue now
	InFlight    uint64 `json:"in_flight"`    // taken from the queue, not yet written or spooled
	Resumed     uint64 `json:"resumed"`      // found in SpoolDir at start (a previous run's)
	SpoolErrors uint64 `json:"spool_errors"` // spool file operations that failed
}

// DeliveryStats are the counts the summary API and /metrics report for the
// whole pipeline: the main destination's Stats; with no destination, the
// valid events discarded (then Written stays 0); with a JSON lines file beside
// Kafka, what the file got and lost. At rest, Published + Resumed = Written +
// Rejected + Dropped + Pending + Queued + InFlight + Discarded.
type DeliveryStats struct {
	Stats
	Discarded   uint64  `json:"discarded"`              // no destination: given to no sink
	FileWritten *uint64 `json:"file_written,omitempty"` // the JSON lines file beside Kafka: written
	FileDropped *uint64 `json:"file_dropped,omitempty"` // … and dropped
}

type counters struct {
	published, written, failed, retries, spilled, rejected, dropped, invalid atomic.Uint64
	resumed, spoolErrors                                                     atomic.Uint64
	pending, inflight                                                        atomic.Int64
}

// QueueOptions tunes a Queue. Zero values take the defaults.
type QueueOptions struct {
	Application string // stamped on every event; default "mobu"
	// Size is the in-memory queue's capacity; default 10000. While a sink
	// Write is in progress and the queue holds half of it or more, the
	// writer moves the queued events to the spool, so a slow or hung Write
	// loses nothing while the spool has room.
	Size      int
	BatchSize int           // max events per sink write; default 500
	RetryMin  time.Duration // first retry delay after a failed write; default 1s
	RetryMax  time.Duration // the delay doubles up to this; default 30s
	// SpoolDir keeps events the sink could not take, in segment files of JSON
	// lines (segment-<20-digit number>.jsonl, MarshalLine format); events a
	// previous run left there are delivered first. One Queue per directory.
	// Empty: a private temporary directory, removed by Close.
	SpoolDir      string
	SpoolMaxBytes int64 // bound of the spool; the oldest events go first; default 256 MiB
	// After returns a channel that fires after d (retry delays); default time.After.
	After  func(d time.Duration) <-chan time.Time
	Logger *slog.Logger
}

func (o *QueueOptions) setDefaults() {
	if o.Application == "" {
		o.Application = "mobu"
	}
	if o.Size <= 0 {
		o.Size = 10000
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 500
	}
	if o.RetryMin <= 0 {
		o.RetryMin = time.Second
	}
	if o.RetryMax < o.RetryMin {
		o.RetryMax = max(30*time.Second, o.RetryMin)
	}
	if o.SpoolMaxBytes <= 0 {
		o.SpoolMaxBytes = 256 << 20
	}
	if o.After == nil {
		o.After = time.After
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Queue is a Publisher with a bounded in-memory queue and one writer
// goroutine that hands batches to a Sink. When the sink fails, batches go to
// an on-disk spool, retried oldest first with exponential backoff; newer
// events queue behind them, so order is kept. While a Write is slow or hung,
// the writer moves queued events to the spool once the queue is half full,
// so the queue only overflows (dropping the newest) if events come faster
// than the spool takes them; a full spool drops its oldest. Delivery is at least once: a
// batch interrupted by a crash or a timeout mid-write may be sent twice.
// Events still in memory when the process dies are lost, and the spool is not
// synced to disk. Events must not be changed once published.
type Queue struct {
	opts     QueueOptions
	ch       chan Event
	wake     chan struct{} // tells the writer the queue passed high
	high     int
	mu       sync.RWMutex // guards closed against sends on a closed channel
	closed   bool
	stop     context.CancelFunc // ends the writer when Close gives up
	done     chan struct{}
	left     int   // undelivered events when the writer ended
	closeErr error // from sink.Close
	st       counters
}

// NewQueue starts a queue writing to sink and resumes the events a previous
// run left in opts.SpoolDir. Call Close to stop it.
func NewQueue(sink Sink, opts QueueOptions) *Queue {
	opts.setDefaults()
	q := &Queue{opts: opts, ch: make(chan Event, opts.Size), wake: make(chan struct{}, 1),
		high: max(opts.Size/2, 1), done: make(chan struct{})}
	ctx, stop := context.WithCancel(context.Background())
	q.stop = stop
	w := &writer{sink: sink, in: q.ch, wake: q.wake, high: q.high, opts: opts, st: &q.st, log: opts.Logger,
		batch: make([]Event, 0, opts.BatchSize), logged: map[string]struct{}{}}
	w.spool = openSpool(opts.SpoolDir, opts.SpoolMaxBytes, opts.Logger, &q.st)
	go func() {
		defer close(q.done)
		w.run(ctx)
		q.left, q.closeErr = w.finish()
	}()
	return q
}

// Publish stamps the event's id and application, validates it and enqueues
// it without blocking.
func (q *Queue) Publish(e Event) {
	b := e.Common()
	if b.ID == "" {
		b.ID = uuid.NewString()
	}
	if b.Application == "" {
		b.Application = q.opts.Application
	}
	if err := e.Validate(); err != nil {
		q.st.invalid.Add(1)
		q.opts.Logger.Error("dropping invalid event", "event", e.Name(), "error", err)
		return
	}
	q.st.published.Add(1)
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.closed {
		q.st.dropped.Add(1)
		return
	}
	select {
	case q.ch <- e:
		if len(q.ch) >= q.high {
			select {
			case q.wake <- struct{}{}:
			default: // the writer has been told already
			}
		}
	default:
		q.st.dropped.Add(1)
	}
}

// Close stops accepting events (later ones are dropped), delivers what is
// queued and drains the spool, then closes the sink. When ctx ends first it
// stops the writer, spools what is still queued and returns an error saying
// how many events were not delivered: they stay in SpoolDir for the next run,
// or are dropped without one. It waits for a Write in progress, which sees
// its context end.
func (q *Queue) Close(ctx context.Context) error {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.ch)
	}
	q.mu.Unlock()
	var err error
	select {
	case <-q.done:
	case <-ctx.Done():
		err = ctx.Err()
		q.stop()
		<-q.done
	}
	q.stop()
	return q.closeResult(err)
}

// closeResult reports what the stopped writer left undelivered.
func (q *Queue) closeResult(ctxErr error) error {
	var err error
	if q.left > 0 {
		where := "dropped: no spool directory was set"
		if q.opts.SpoolDir != "" {
			where = "kept in " + q.opts.SpoolDir + " for the next run"
		}
		if ctxErr == nil {
			ctxErr = errors.New("delivery stopped")
		}
		err = fmt.Errorf("flushing events: %w: %d events not delivered (%s)", ctxErr, q.left, where)
	}
	if q.closeErr != nil {
		err = errors.Join(err, fmt.Errorf("closing event sink: %w", q.closeErr))
	}
	return err
}

// Stats returns the counters.
func (q *Queue) Stats() Stats {
	return Stats{
		Published: q.st.published.Load(), Written: q.st.written.Load(), Failed: q.st.failed.Load(),
		Retries: q.st.retries.Load(), Spilled: q.st.spilled.Load(), Rejected: q.st.rejected.Load(),
		Dropped: q.st.dropped.Load(), Invalid: q.st.invalid.Load(), Pending: uint64(max(q.st.pending.Load(), 0)),
		Queued: uint64(len(q.ch)), InFlight: uint64(max(q.st.inflight.Load(), 0)),
		Resumed: q.st.resumed.Load(), SpoolErrors: q.st.spoolErrors.Load(),
	}
}
