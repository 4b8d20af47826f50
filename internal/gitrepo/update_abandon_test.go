package gitrepo

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/testgit"
)

// holdable holds requests to a testgit server while a hold is set.
type holdable struct {
	hold    atomic.Pointer[chan struct{}]
	arrived chan struct{}
}

func (h *holdable) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hold := h.hold.Load(); hold != nil {
			h.arrived <- struct{}{}
			select {
			case <-*hold:
			case <-r.Context().Done():
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// waitWaiters polls (every millisecond, not spinning: the git server and the
// callers need the CPUs) until n callers wait for e's in-flight update.
func waitWaiters(t *testing.T, e *entry, n int) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for time.Now().Before(deadline) {
		e.mu.Lock()
		got := e.inflight != nil && e.inflight.waiters == n
		e.mu.Unlock()
		if got {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("the update never had %d waiters", n)
}

// TestUpdateWaiterRetriesWhenStarterGivesUp: two users of a checkout (two
// flocks) refresh together; the one whose update is in flight stops (its
// context ends). The other, still waiting, fetches itself instead of
// inheriting "context canceled".
func TestUpdateWaiterRetriesWhenStarterGivesUp(t *testing.T) {
	rr := newRefsRepo(t)
	hs := &holdable{arrived: make(chan struct{}, 100)}
	srv := testgit.Serve(t, map[string]*testgit.Repo{"r": rr.repo}, testgit.ServeOptions{Wrap: hs.wrap})
	c := newCache(t, Options{})
	h1 := acquire(t, c, srv.URL("r"), "main")
	defer h1.Release()
	h2 := acquire(t, c, srv.URL("r"), "main")
	defer h2.Release()
	next := rr.repo.Commit(map[string]string{"nb/a.ipynb": "pushed"}, "pushed")
	hold := make(chan struct{})
	hs.hold.Store(&hold)
	requested := time.Now()
	ctx, cancel := context.WithCancel(testContext(t))
	first := make(chan error, 1)
	go func() { first <- h1.Update(ctx, requested) }()
	<-hs.arrived
	second := make(chan error, 1)
	go func() { second <- h2.Update(testContext(t), requested) }()
	waitWaiters(t, h1.e, 1)
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Fatalf("the stopped caller's update: %v, want context.Canceled", err)
	}
	hs.hold.Store(nil)
	close(hold)
	if err := <-second; err != nil {
		t.Fatalf("the waiting caller inherited the failure: %v", err)
	}
	if s := read(t, h2); s.hash != next {
		t.Fatalf("hash %s, want the pushed %s", s.hash, next)
	}
}
