package events

import (
	"context"
	"log/slog"
	"time"
)

// maxLoggedRejections bounds the distinct rejection reasons remembered.
const maxLoggedRejections = 1000

// writer is the Queue's goroutine: it batches queued events and hands them to
// the sink, one Write at a time in a goroutine of its own, so that it can move
// events from the queue to the spool while a Write is slow or hung. Events
// reach the sink in the order they were published: straight from the queue
// while the spool is empty, else through the spool, oldest first.
type writer struct {
	sink    Sink
	in      <-chan Event    // nil once closed and emptied
	wake    <-chan struct{} // Publish: the queue holds at least high events
	high    int
	spool   *spool
	opts    QueueOptions
	st      *counters
	log     *slog.Logger
	batch   []Event          // the batch taken from the queue for the sink
	spilled []Event          // a batch taken from the queue for the spool
	backoff time.Duration    // the last retry delay; 0 after a success
	retry   <-chan time.Time // fires when the spool should be retried
	now     chan time.Time   // closed: a retry that fires at once
	logged  map[string]struct{}
	flight
}

// run delivers until the queue is closed and empty and the spool drained, or
// ctx ends. It never returns while a Write is in progress.
func (w *writer) run(ctx context.Context) {
	w.now = make(chan time.Time)
	close(w.now)
	if w.spool.count > 0 {
		w.retry = w.now // a previous run's events go first, right away
	}
	for w.flying || ctx.Err() == nil && (w.in != nil || w.spool.count > 0) {
		w.step(ctx)
	}
}

// step waits for one thing to do and does it.
func (w *writer) step(ctx context.Context) {
	switch {
	case w.flying:
		w.await(ctx)
	case w.spool.count == 0:
		w.idle(ctx)
	default:
		w.waitRetry(ctx)
	}
}

// idle sends the next queued events straight to the sink.
func (w *writer) idle(ctx context.Context) {
	select {
	case e, ok := <-w.in:
		if ok {
			w.launch(ctx, w.fill(w.batch[:0], e), false)
		} else {
			w.in = nil
		}
	case <-ctx.Done():
	}
}

// waitRetry spools queued events until the retry is due, then sends the
// oldest spooled chunk.
func (w *writer) waitRetry(ctx context.Context) {
	if w.retry == nil {
		w.schedule()
	}
	select {
	case e, ok := <-w.in:
		if ok {
			w.spill(e)
		} else {
			w.in = nil
		}
	case <-w.retry:
		w.retry = nil
		if chunk := w.spool.peek(w.opts.BatchSize); len(chunk) > 0 {
			w.launch(ctx, chunk, true)
		}
	case <-ctx.Done():
	}
}

// fill appends e and whatever else is queued to batch, up to a batch, and
// counts them in flight.
func (w *writer) fill(batch []Event, e Event) []Event {
	batch = append(batch, e)
	for len(batch) < w.opts.BatchSize && w.in != nil && len(w.in) > 0 {
		more, ok := <-w.in // only the writer receives, so this does not block
		if !ok {
			w.in = nil
			break
		}
		batch = append(batch, more)
	}
	w.st.inflight.Add(int64(len(batch)))
	return batch
}

// spill moves e and what is queued behind it, up to a batch, to the spool,
// and returns how many events it took.
func (w *writer) spill(e Event) int {
	batch := w.fill(w.spilled[:0], e)
	w.spool.append(batch)
	w.st.inflight.Add(-int64(len(batch)))
	clear(batch)
	w.spilled = batch[:0]
	return len(batch)
}

// intake spools what is queued now.
func (w *writer) intake() {
	for n := len(w.in); n > 0 && w.in != nil; {
		select {
		case e, ok := <-w.in:
			if !ok {
				w.in = nil
				return
			}
			n -= w.spill(e)
		default:
			return
		}
	}
}

// schedule sets the next retry, doubling the delay up to RetryMax.
func (w *writer) schedule() {
	w.backoff = min(max(2*w.backoff, w.opts.RetryMin), w.opts.RetryMax)
	w.retry = w.opts.After(w.backoff)
}

// finish runs once the writer stops: it spools what is still queued, closes
// the spool and the sink, and returns how many events were not delivered.
func (w *writer) finish() (int, error) {
	for w.in != nil {
		e, ok := <-w.in
		if !ok {
			break
		}
		w.spill(e)
	}
	left := w.spool.count
	w.spool.close()
	return left, w.sink.Close()
}
