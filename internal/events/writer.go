package events

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// maxLoggedRejections bounds the distinct rejection reasons remembered.
const maxLoggedRejections = 1000

// writer is the Queue's one goroutine: it batches queued events, writes them
// to the sink and, while the sink fails, keeps them in the spool in order.
type writer struct {
	sink    Sink
	in      <-chan Event // nil once closed and emptied
	spool   *spool
	opts    QueueOptions
	st      *counters
	log     *slog.Logger
	batch   []Event
	backoff time.Duration    // the last retry delay; 0 after a success
	retry   <-chan time.Time // fires when the spool should be retried
	logged  map[string]struct{}
}

// run delivers until the queue is closed and empty and the spool drained, or
// ctx ends.
func (w *writer) run(ctx context.Context) {
	if w.spool.count > 0 {
		now := make(chan time.Time)
		close(now)
		w.retry = now // a previous run's events go first, right away
	}
	for ctx.Err() == nil && (w.in != nil || w.spool.count > 0) {
		w.step(ctx)
	}
}

// step waits for one thing to do and does it.
func (w *writer) step(ctx context.Context) {
	if w.spool.count == 0 {
		select {
		case e, ok := <-w.in:
			if ok {
				w.deliver(ctx, w.fill(e))
			} else {
				w.in = nil
			}
		case <-ctx.Done():
		}
		return
	}
	if w.retry == nil {
		w.schedule()
	}
	select {
	case e, ok := <-w.in:
		if ok {
			w.spill(w.fill(e))
		} else {
			w.in = nil
		}
	case <-w.retry:
		w.drain(ctx)
	case <-ctx.Done():
	}
}

// fill takes e and whatever else is queued, up to a batch.
func (w *writer) fill(e Event) []Event {
	w.batch = append(w.batch[:0], e)
	for len(w.batch) < w.opts.BatchSize && w.in != nil && len(w.in) > 0 {
		more, ok := <-w.in // only the writer receives, so this does not block
		if !ok {
			w.in = nil
			break
		}
		w.batch = append(w.batch, more)
	}
	w.st.inflight.Store(int64(len(w.batch)))
	return w.batch
}

// deliver writes a batch while the spool is empty; on failure it is spooled.
func (w *writer) deliver(ctx context.Context, batch []Event) {
	if !w.send(ctx, batch) {
		w.spool.append(batch)
		w.schedule()
	}
	w.done(batch)
}

// spill spools a batch taken from the queue.
func (w *writer) spill(batch []Event) {
	w.spool.append(batch)
	w.done(batch)
}

// done forgets a batch taken from the queue.
func (w *writer) done(batch []Event) {
	clear(batch)
	w.st.inflight.Store(0)
}

// drain sends the spool oldest first until it is empty or a write fails,
// spooling newly queued events between chunks.
func (w *writer) drain(ctx context.Context) {
	w.retry = nil
	for w.spool.count > 0 {
		chunk := w.spool.peek(w.opts.BatchSize)
		if len(chunk) == 0 {
			continue
		}
		if !w.send(ctx, chunk) {
			w.schedule()
			return
		}
		w.spool.commit()
		w.backoff = 0
		w.intake()
		if ctx.Err() != nil {
			return
		}
	}
}

// intake spools what is queued now, so a long drain never fills the queue.
func (w *writer) intake() {
	for n := len(w.in); n > 0 && w.in != nil; {
		select {
		case e, ok := <-w.in:
			if !ok {
				w.in = nil
				return
			}
			batch := w.fill(e)
			n -= len(batch)
			w.spill(batch)
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

// send writes a batch and reports whether it is done with (delivered or
// rejected); false means it must be retried.
func (w *writer) send(ctx context.Context, batch []Event) bool {
	err := w.sink.Write(ctx, batch)
	if err == nil {
		w.st.written.Add(uint64(len(batch)))
		return true
	}
	if rej, ok := errors.AsType[*RejectedError](err); ok {
		w.reject(batch, rej)
		return true
	}
	w.st.retries.Add(1)
	w.st.failed.Add(uint64(len(batch)))
	w.log.Warn("writing events failed; spooling them for a retry", "count", len(batch), "error", err)
	return false
}

// reject counts the rejected events and logs each distinct reason once.
func (w *writer) reject(batch []Event, rej *RejectedError) {
	n := 0
	for i, reason := range rej.Rejected {
		if i < 0 || i >= len(batch) {
			continue
		}
		n++
		key := batch[i].Name() + "\x00" + reason.Error()
		if _, seen := w.logged[key]; seen || len(w.logged) >= maxLoggedRejections {
			continue
		}
		w.logged[key] = struct{}{}
		w.log.Error("event rejected by the sink", "event", batch[i].Name(), "error", reason)
	}
	w.st.rejected.Add(uint64(n))
	w.st.written.Add(uint64(len(batch) - n))
}

// finish runs once the writer stops: it spools what is still queued, closes
// the spool and the sink, and returns how many events were not delivered.
func (w *writer) finish() (int, error) {
	for w.in != nil {
		e, ok := <-w.in
		if !ok {
			break
		}
		w.spill(w.fill(e))
	}
	left := w.spool.count
	w.spool.close()
	return left, w.sink.Close()
}
