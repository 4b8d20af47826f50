package events

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/google/uuid"
)

// Publisher accepts events. Publish never blocks: a full queue drops the event
// and counts it.
type Publisher interface {
	Publish(Event)
}

// Sink writes batches of events to a backend. Write is called from one
// goroutine at a time.
type Sink interface {
	Write(ctx context.Context, batch []Event) error
	Close() error
}

// Stats counts what happened to published events.
type Stats struct {
	Published uint64 `json:"published"` // accepted into the queue
	Written   uint64 `json:"written"`   // handed to the sink successfully
	Failed    uint64 `json:"failed"`    // the sink returned an error for them
	Dropped   uint64 `json:"dropped"`   // queue full or closed
	Invalid   uint64 `json:"invalid"`   // failed validation, never queued
}

// QueueOptions tunes a Queue.
type QueueOptions struct {
	Application string // stamped on every event; default "mobu"
	Size        int    // queue capacity; default 10000
	BatchSize   int    // max events per sink write; default 500
	Logger      *slog.Logger
}

// Queue is a Publisher with a bounded buffer and one writer goroutine that
// hands batches to a Sink. Close drains and flushes it.
type Queue struct {
	opts  QueueOptions
	sink  Sink
	ch    chan Event
	mu    sync.RWMutex // guards closed against sends on a closed channel
	close bool
	done  chan struct{}
	stats struct{ published, written, failed, dropped, invalid atomic.Uint64 }
}

// NewQueue starts a queue writing to sink. Call Close to stop it.
func NewQueue(sink Sink, opts QueueOptions) *Queue {
	if opts.Application == "" {
		opts.Application = "mobu"
	}
	if opts.Size <= 0 {
		opts.Size = 10000
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 500
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	q := &Queue{opts: opts, sink: sink, ch: make(chan Event, opts.Size), done: make(chan struct{})}
	go q.run()
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
		q.stats.invalid.Add(1)
		q.opts.Logger.Error("dropping invalid event", "event", e.Name(), "error", err)
		return
	}
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.close {
		q.stats.dropped.Add(1)
		return
	}
	select {
	case q.ch <- e:
		q.stats.published.Add(1)
	default:
		q.stats.dropped.Add(1)
	}
}

func (q *Queue) run() {
	defer close(q.done)
	batch := make([]Event, 0, q.opts.BatchSize)
	for e := range q.ch {
		batch = append(batch[:0], e)
	fill:
		for len(batch) < q.opts.BatchSize {
			select {
			case more, ok := <-q.ch:
				if !ok {
					break fill
				}
				batch = append(batch, more)
			default:
				break fill
			}
		}
		q.write(batch)
	}
}

func (q *Queue) write(batch []Event) {
	if err := q.sink.Write(context.Background(), batch); err != nil {
		q.stats.failed.Add(uint64(len(batch)))
		q.opts.Logger.Error("writing events failed", "count", len(batch), "error", err)
		return
	}
	q.stats.written.Add(uint64(len(batch)))
}

// Close stops accepting events, writes what is queued and closes the sink. It
// gives up waiting when ctx ends; the writer then finishes in the background.
func (q *Queue) Close(ctx context.Context) error {
	q.mu.Lock()
	if !q.close {
		q.close = true
		close(q.ch)
	}
	q.mu.Unlock()
	select {
	case <-q.done:
	case <-ctx.Done():
		return fmt.Errorf("flushing events: %w (%d queued events not written)", ctx.Err(), len(q.ch))
	}
	if err := q.sink.Close(); err != nil {
		return fmt.Errorf("closing event sink: %w", err)
	}
	return nil
}

// Stats returns the counters.
func (q *Queue) Stats() Stats {
	return Stats{
		Published: q.stats.published.Load(), Written: q.stats.written.Load(),
		Failed: q.stats.failed.Load(), Dropped: q.stats.dropped.Load(), Invalid: q.stats.invalid.Load(),
	}
}

// Discard is a Publisher that drops everything (no events configured).
type Discard struct{}

// Publish implements Publisher.
func (Discard) Publish(Event) {}
