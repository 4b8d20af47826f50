package flock

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/mobu-dev/mobu/config"
)

// fetcher runs a NotebookRunner flock's refresh fetches, one at a time, in a
// goroutine of its own, so that no monkey waits for the remote: monkeys keep
// running the notebooks they have and reload at their next notebook boundary
// once the fetch they asked for is done. It uses a source of its own (sharing
// the checkout with the monkeys' sources, through the clone cache), closed
// when the flock stops. Each fetch is bounded by the source (the clone
// cache's timeout) and by the flock's lifetime: stop cancels it and waits.
type fetcher struct {
	src    NotebookSource
	log    *slog.Logger
	parent context.Context
	wg     sync.WaitGroup

	mu      sync.Mutex
	wantAt  time.Time // when the latest fetch was asked for
	target  uint64    // the fetch generation that satisfies the latest request
	gen     uint64    // fetches finished
	err     error     // the error of the last finished fetch
	running bool
	stopped bool
	ctx     context.Context // made by the first request: an unused fetcher holds nothing
	cancel  context.CancelFunc
}

// newFetcher makes a flock's fetcher; parent bounds its lifetime too.
func newFetcher(parent context.Context, src NotebookSource, log *slog.Logger) *fetcher {
	return &fetcher{src: src, log: log, parent: parent}
}

// request asks for a fetch that starts now or later and returns its
// generation (see result). A request made while a fetch runs is covered by
// the fetch after it (the running one may have started before the commit the
// request is about); requests made during one fetch share the next.
func (f *fetcher) request() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		return f.target
	}
	f.wantAt = time.Now()
	if f.running {
		f.target = f.gen + 2 // the running fetch may have started too early
		return f.target
	}
	if f.ctx == nil {
		f.ctx, f.cancel = context.WithCancel(f.parent)
	}
	f.running, f.target = true, f.gen+1
	f.wg.Go(f.run)
	return f.target
}

// latest returns the generation that covers the latest request (0: none).
func (f *fetcher) latest() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.target
}

// run fetches until every request is covered or the fetcher stops.
func (f *fetcher) run() {
	for {
		f.mu.Lock()
		ctx, at := f.ctx, f.wantAt
		f.mu.Unlock()
		started := time.Now()
		err := f.src.Fetch(ctx, at)
		if err != nil {
			f.log.Warn("refresh fetch failed", "error", err, "duration", time.Since(started).Round(time.Millisecond))
		} else {
			f.log.Info("refresh fetch done", "duration", time.Since(started).Round(time.Millisecond))
		}
		f.mu.Lock()
		f.gen++
		f.err = err
		if f.gen >= f.target || ctx.Err() != nil {
			f.running = false
			f.mu.Unlock()
			return
		}
		f.mu.Unlock()
	}
}

// result reports whether fetch generation gen has finished and, if so, the
// error of the latest finished fetch (nil: the source is up to date).
func (f *fetcher) result(gen uint64) (done bool, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.gen < gen {
		return false, nil
	}
	return true, f.err
}

// stop cancels the running fetch, waits for it and closes the source.
func (f *fetcher) stop() {
	f.mu.Lock()
	f.stopped = true
	if f.cancel != nil {
		f.cancel()
	}
	f.mu.Unlock()
	f.wg.Wait()
	if c, ok := f.src.(io.Closer); ok {
		if err := c.Close(); err != nil {
			f.log.Warn("releasing the refresh source", "error", err)
		}
	}
}

// flockFetcher returns f's fetcher, made on first use with a source of its
// own; nil when f does not run notebooks.
func (m *Manager) flockFetcher(f *Flock) (*fetcher, error) {
	nb := config.NotebookOptionsOf(f.cfg.Business.Options)
	if nb == nil || m.opts.Sources == nil {
		return nil, nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fetch == nil {
		src, err := m.opts.Sources(nb)
		if err != nil {
			return nil, err
		}
		f.fetch = newFetcher(m.ctx, src, m.opts.Logger.With("flock", f.cfg.Name))
	}
	return f.fetch, nil
}
