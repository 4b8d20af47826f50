// Package ctxtime holds waits that end early when their context does, for
// retry backoffs and idle times across the domain and client packages.
package ctxtime

import (
	"context"
	"time"
)

// Sleep waits d, or until ctx ends and then returns its error. It holds one
// timer and stops it on return, so nothing lingers after a cancel. A d ≤ 0
// returns at once with ctx's error, if any.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
