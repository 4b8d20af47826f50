package events

import (
	"context"
	"fmt"
	"slices"
)

// Publisher accepts events. Publish never blocks: a full queue drops the event
// and counts it.
type Publisher interface {
	Publish(Event)
}

// Sink writes batches of events to a backend. Write is called from one
// goroutine at a time, must not keep batch after it returns, and must return
// soon after ctx is done (Queue.Close waits for it). Its result is one of:
//   - nil: every event was delivered;
//   - *RejectedError: the listed events can never be delivered and every
//     other event of the batch was;
//   - any other error: nothing was delivered and the whole batch is retried
//     later (so a sink that delivered part of a batch causes duplicates).
type Sink interface {
	Write(ctx context.Context, batch []Event) error
	Close() error
}

// RejectedError is returned by Sink.Write when the events at these batch indexes can never be delivered
// (too large, schema refused); every other event of the batch was delivered. Any other non-nil error means
// nothing was delivered and the whole batch is retried later.
type RejectedError struct{ Rejected map[int]error }

// Error names how many events were rejected and the first one's reason.
func (e *RejectedError) Error() string {
	if len(e.Rejected) == 0 {
		return "no events rejected"
	}
	idx := make([]int, 0, len(e.Rejected))
	for i := range e.Rejected {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	return fmt.Sprintf("%d events rejected (first at batch index %d: %v)", len(idx), idx[0], e.Rejected[idx[0]])
}

// Discard is a Publisher that drops everything (no events configured).
type Discard struct{}

// Publish implements Publisher.
func (Discard) Publish(Event) {}
