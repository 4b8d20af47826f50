package events

import (
	"context"
	"errors"
)

// flight is the Write in progress, if any.
type flight struct {
	flying    bool
	res       chan error // the Write's result; capacity 1
	cur       []Event    // the batch being written
	fromSpool bool       // cur is the spool's oldest chunk (peek), else taken from the queue
	// pre: cur, taken from the queue, was copied to the (then empty) spool
	// ahead of newer events; spooled of its events are there.
	pre     bool
	spooled int
}

// launch starts writing batch in a goroutine of its own.
func (w *writer) launch(ctx context.Context, batch []Event, fromSpool bool) {
	if w.res == nil {
		w.res = make(chan error, 1)
	}
	w.flying, w.cur, w.fromSpool, w.pre, w.spooled = true, batch, fromSpool, false, 0
	if fromSpool {
		w.spool.busy = w.spool.took
	}
	sink, res := w.sink, w.res
	go func() { res <- sink.Write(ctx, batch) }()
}

// await waits for the Write in progress, moving queued events to the spool
// whenever the queue passes its high-water mark meanwhile.
func (w *writer) await(ctx context.Context) {
	select {
	case err := <-w.res:
		w.land(err)
	case <-w.wake:
		w.overflow()
	case <-ctx.Done():
		w.land(<-w.res) // the Write sees ctx end too
	}
}

// overflow spools what is queued, if that is at least the high-water mark.
// A batch being written straight from the queue is spooled first, so that
// the newer events stay behind it if its Write fails.
func (w *writer) overflow() {
	if w.in == nil || len(w.in) < w.high {
		return
	}
	if !w.fromSpool && !w.pre {
		w.pre = true
		w.spool.busy = len(w.cur) // never evicted while in flight
		before := w.spool.count   // 0: the spool was empty when cur was taken
		w.spool.append(w.cur)
		w.spooled = w.spool.count - before
		w.spool.busy = w.spooled
		w.st.inflight.Add(-int64(len(w.cur)))
	}
	w.intake()
}

// land handles the result of the Write that was in progress.
func (w *writer) land(err error) {
	w.flying = false
	w.spool.busy = 0
	done := w.outcome(w.cur, err)
	switch {
	case w.fromSpool && done:
		w.spool.commit()
		w.intake() // newer events wait behind the spool's
	case w.pre && done:
		w.spool.skip(w.spooled)
		// delivered after all: the events the spool could not keep were counted dropped
		w.st.dropped.Add(-uint64(len(w.cur) - w.spooled))
	case !w.fromSpool && !w.pre:
		if !done {
			w.spool.append(w.cur)
		}
		w.st.inflight.Add(-int64(len(w.cur)))
	}
	if !w.fromSpool {
		clear(w.cur)
	}
	w.cur = nil
	switch {
	case !done:
		w.schedule()
	case w.spool.count > 0:
		w.backoff, w.retry = 0, w.now // go on draining the spool
	default:
		w.backoff, w.retry = 0, nil
	}
}

// outcome counts a Write's result and reports whether the batch is done with
// (delivered or rejected); false means it must be retried.
func (w *writer) outcome(batch []Event, err error) bool {
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
