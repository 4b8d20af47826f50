package alert

import (
	"context"
	"time"
)

const day = 24 * time.Hour

// Timer is a one-shot timer: C receives once when it fires; Stop prevents
// that if it has not happened yet.
type Timer struct {
	C    <-chan time.Time
	Stop func() bool
}

func realTimer(d time.Duration) Timer {
	t := time.NewTimer(d)
	return Timer{C: t.C, Stop: t.Stop}
}

// SendStatus queues a status message now. It never blocks.
func (a *Alerter) SendStatus(s Status) {
	a.enqueue(Message{Kind: KindStatus, At: a.now(), Status: s})
}

// DailyStatus sends status() every day at time of day at (UTC, e.g.
// 9*time.Hour) until ctx ends, skipping days without flocks (as Python
// mobu does). It waits on one timer per day.
func (a *Alerter) DailyStatus(ctx context.Context, at time.Duration, status func() Status) {
	at = ((at % day) + day) % day
	var last time.Time
	for {
		now := a.now()
		next := nextDaily(laterOf(now, last), at)
		t := a.newTimer(next.Sub(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		last = next
		if s := status(); len(s.Flocks) > 0 {
			a.SendStatus(s)
		} else {
			a.log.DebugContext(ctx, "no flocks: daily status skipped")
		}
	}
}

// nextDaily is the first time strictly after now at time of day at, UTC.
func nextDaily(now time.Time, at time.Duration) time.Time {
	now = now.UTC()
	next := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC).Add(at)
	if !next.After(now) {
		next = next.Add(day)
	}
	return next
}

func laterOf(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
