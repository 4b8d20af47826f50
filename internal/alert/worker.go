package alert

import (
	"context"
	"fmt"
)

// run is the worker: it delivers queued messages one at a time until ctx
// ends, or until Stop was called and the queue is empty.
func (a *Alerter) run(ctx context.Context) {
	defer close(a.done)
	defer a.cancel()
	for {
		select {
		case m := <-a.queue:
			a.deliver(ctx, m)
		case <-a.stopping:
			a.drain(ctx)
			return
		case <-ctx.Done():
			return
		}
	}
}

// drain delivers what is left in the queue, stopping early if ctx ends.
func (a *Alerter) drain(ctx context.Context) {
	for ctx.Err() == nil {
		select {
		case m := <-a.queue:
			a.deliver(ctx, m)
		default:
			return
		}
	}
}

// deliver sends m to every target, counting and logging the outcome.
func (a *Alerter) deliver(ctx context.Context, m Message) {
	for _, t := range a.targets {
		if err := a.send(ctx, t, m); err != nil {
			a.failed.Add(1)
			a.log.ErrorContext(ctx, "alert not delivered", "target", t.String(),
				"kind", string(m.Kind), "error", err.Error())
			continue
		}
		a.sent.Add(1)
	}
}

// send calls t, turning a panic of a target into an error.
func (a *Alerter) send(ctx context.Context, t Target, m Message) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("target panicked: %v", r)
		}
	}()
	return t.Send(ctx, a.poster, m)
}
