package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

var (
	// errReleased is returned when a released handle (or one whose cache is
	// closed) is used.
	errReleased = errors.New("git checkout handle is released")
	// errRetry tells Acquire that the clone it waited for was abandoned by its
	// caller's context, so it should clone itself.
	errRetry = errors.New("first clone abandoned")
)

// Handle is one user's reference on a shared checkout. Its methods are safe for
// concurrent use.
type Handle struct {
	c        *Cache
	e        *entry
	released atomic.Bool
}

// entry is the shared state of one (url, ref).
type entry struct {
	key, ref, id string
	fallback     string // fetched when the commit ref is not on a branch or tag
	remote       remote

	refs int // guarded by Cache.mu

	// Set before ready is closed, read-only afterwards.
	ready    chan struct{}
	cloneErr error // the first clone's error
	retry    bool  // the first clone failed because its caller gave up

	mu       sync.Mutex
	cur      *checkoutDir
	pinned   bool      // the ref is a commit SHA: updates have nothing to fetch
	removed  bool      // released by everyone, or the cache closed
	lastOK   time.Time // start of the last successful clone or update
	lastErr  error
	inflight *update
}

// checkoutDir is one generation of an entry's checkout.
type checkoutDir struct {
	dir, hash string
	readers   int  // guarded by entry.mu
	stale     bool // replaced or discarded: the last reader removes dir
}

// update is an in-flight Update shared by concurrent callers.
type update struct {
	started   time.Time
	done      chan struct{}
	waiters   int   // callers waiting for it besides its starter; guarded by entry.mu
	err       error // set before done is closed
	abandoned bool  // it failed because its starter's context ended; set before done is closed
}

// URL is the repository URL as normalised by Acquire (local paths become
// file:// URLs), with any password redacted.
func (h *Handle) URL() string { return h.e.remote.display }

// Ref is the ref given to Acquire.
func (h *Handle) Ref() string { return h.e.ref }

// Release drops the handle's reference; the last release removes the checkout
// directory (once reads in progress finish). Later calls do nothing.
func (h *Handle) Release() {
	if h.released.CompareAndSwap(false, true) {
		h.c.release(h.e)
	}
}

// Read calls fn with the current checkout directory and its full commit SHA;
// the directory is not removed or replaced while fn runs (an update swaps in a
// new directory only between reads). fn must not modify the directory.
func (h *Handle) Read(fn func(dir, hash string) error) error {
	e := h.e
	e.mu.Lock()
	co := e.cur
	if h.released.Load() || e.removed || co == nil {
		e.mu.Unlock()
		return fmt.Errorf("reading %s at %q: %w", e.remote.display, e.ref, errReleased)
	}
	co.readers++
	e.mu.Unlock()
	defer h.c.endRead(e, co)
	return fn(co.dir, co.hash)
}

// LastError is the error of the last update, nil after a success.
func (h *Handle) LastError() error {
	h.e.mu.Lock()
	defer h.e.mu.Unlock()
	return h.e.lastErr
}

// Update fetches the ref's current commit into a new directory and swaps it
// in. It does nothing if a clone or update that started at or after
// requestedAt already succeeded, or if the branch or tag still points at the
// checked-out commit (only the reference listing goes over the network), or
// if the ref is a commit SHA. Concurrent callers share one in-flight update
// (run under the context of the caller that started it; if that caller gives
// up, the others, still waiting, try again themselves). A failed update keeps
// the previous checkout and returns the error, naming url and ref.
func (h *Handle) Update(ctx context.Context, requestedAt time.Time) error {
	e := h.e
	for {
		e.mu.Lock()
		switch {
		case h.released.Load() || e.removed:
			e.mu.Unlock()
			return fmt.Errorf("updating %s at %q: %w", e.remote.display, e.ref, errReleased)
		case !e.lastOK.Before(requestedAt):
			e.mu.Unlock()
			return nil
		}
		u := e.inflight
		if u == nil {
			u = &update{started: time.Now(), done: make(chan struct{})}
			e.inflight = u
			e.mu.Unlock()
			return h.c.runUpdate(ctx, e, u)
		}
		u.waiters++
		e.mu.Unlock()
		select {
		case <-u.done:
		case <-ctx.Done():
			return fmt.Errorf("waiting for the update of %s at %q: %w", e.remote.display, e.ref, ctx.Err())
		}
		if u.abandoned && ctx.Err() == nil {
			continue // its starter gave up, not the remote: try again
		}
		if !u.started.Before(requestedAt) {
			return u.err
		}
		// That update started too early to satisfy requestedAt: go again.
	}
}

// runUpdate performs u, swaps in its checkout and wakes the callers sharing it.
func (c *Cache) runUpdate(ctx context.Context, e *entry, u *update) error {
	old, pinned := e.state()
	var co *checkoutDir
	var err error
	if !pinned {
		co, _, err = c.clone(ctx, e, old)
	}
	if err != nil {
		err = fmt.Errorf("updating %s at %q: %w", e.remote.display, e.ref, err)
		c.log.Warn("git update failed", "url", e.remote.display, "ref", e.ref, "err", err)
	}
	var remove string
	e.mu.Lock()
	switch {
	case err != nil:
		e.lastErr = err
	case e.removed:
		if co != nil {
			remove = co.dir
		}
	default:
		if co != nil {
			remove = e.swap(co)
		}
		e.lastOK, e.lastErr = u.started, nil
	}
	e.inflight = nil
	u.err, u.abandoned = err, err != nil && ctx.Err() != nil
	close(u.done)
	e.mu.Unlock()
	if co != nil && remove != co.dir {
		c.log.Info("git checkout updated", "url", e.remote.display, "ref", e.ref, "from", old, "to", co.hash)
	}
	c.removeDir(remove)
	return err
}

// install sets the first checkout; false if the entry was discarded meanwhile.
func (e *entry) install(co *checkoutDir, started time.Time, pinned bool) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.removed {
		return false
	}
	e.cur, e.lastOK, e.pinned = co, started, pinned
	return true
}

// swap replaces the current checkout with co and returns the directory to
// remove now, if any (the old one, unless it is being read). e.mu is held.
func (e *entry) swap(co *checkoutDir) string {
	old := e.cur
	e.cur = co
	if old == nil {
		return ""
	}
	old.stale = true
	if old.readers == 0 {
		return old.dir
	}
	return ""
}

// failed records the first clone's error and wakes the waiters.
func (e *entry) failed(err error, retry bool) {
	e.cloneErr, e.retry = err, retry
	close(e.ready)
}

// discard marks the entry removed and returns the directory to remove now (the
// last reader removes it otherwise).
func (e *entry) discard() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.removed = true
	if e.cur == nil || e.cur.stale {
		return ""
	}
	e.cur.stale = true
	if e.cur.readers > 0 {
		return ""
	}
	return e.cur.dir
}

// endRead ends a Read of co, removing co's directory if it was the last
// reader of a replaced or discarded checkout.
func (c *Cache) endRead(e *entry, co *checkoutDir) {
	e.mu.Lock()
	co.readers--
	remove := co.stale && co.readers == 0
	e.mu.Unlock()
	if remove {
		c.removeDir(co.dir)
	}
}

// state is the current commit (empty if none) and whether the ref is a SHA.
func (e *entry) state() (hash string, pinned bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cur == nil {
		return "", e.pinned
	}
	return e.cur.hash, e.pinned
}

func (c *Cache) removeDir(dir string) {
	if dir == "" {
		return
	}
	if err := os.RemoveAll(dir); err != nil {
		c.log.Warn("removing git checkout", "dir", dir, "err", err)
	}
}
