// Package gitrepo keeps shared, reference-counted checkouts of git
// repositories, cloned with go-git.
//
// Every monkey running notebooks from the same (url, ref) shares one
// checkout: the first Acquire clones it, later ones wait for that clone, and
// the last Release removes it. Branches and tags are cloned shallow (depth 1,
// single branch); a commit SHA, full or a unique prefix of at least 4 hex
// digits, needs a full clone; AcquireCommit also fetches a reference outside
// branches and tags (a fork's pull request head) when the commit is not on
// one. Update clones the ref's current commit into a
// new directory and swaps it in between reads, so readers never see a
// half-updated tree. Remotes are https://, http:// (smart HTTP), file:// or
// local paths; file:// and local paths need the git binary (go-git runs
// git-upload-pack for them).
//
// No goroutine is kept per checkout or handle: all work runs in the callers'
// goroutines.
package gitrepo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

const (
	// DefaultTimeout bounds a clone or update when Options.Timeout is zero.
	DefaultTimeout = 2 * time.Minute
	// DefaultUsername is sent with a token when Options.Username is empty
	// (what GitHub expects for installation and fine-grained tokens).
	DefaultUsername = "x-access-token"
)

// errClosed is returned by Acquire once the cache is closed.
var errClosed = errors.New("git checkout cache is closed")

// Options configures a Cache.
type Options struct {
	Dir      string        // root for checkouts; default: a new os.MkdirTemp dir, removed by Close
	Username string        // for http(s) remotes; default "x-access-token" when Token is set
	Token    string        // used as the password for http(s) remotes (private repos); empty = anonymous
	Timeout  time.Duration // per clone or update; default 2 minutes
	Logger   *slog.Logger
}

// Cache holds the checkouts. It is safe for concurrent use.
type Cache struct {
	dir      string
	ownDir   bool
	username string
	token    string
	timeout  time.Duration
	log      *slog.Logger

	mu      sync.Mutex
	entries map[string]*entry
	gen     uint64 // last checkout generation handed out
	closed  bool
}

// NewCache makes a cache rooted at opts.Dir (created if missing).
func NewCache(opts Options) (*Cache, error) {
	c := &Cache{
		dir:      opts.Dir,
		username: opts.Username,
		token:    opts.Token,
		timeout:  opts.Timeout,
		log:      opts.Logger,
		entries:  make(map[string]*entry),
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.username == "" && c.token != "" {
		c.username = DefaultUsername
	}
	if c.dir == "" {
		dir, err := os.MkdirTemp("", "mobu-git-")
		if err != nil {
			return nil, fmt.Errorf("creating checkout directory: %w", err)
		}
		c.dir, c.ownDir = dir, true
	} else if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating checkout directory: %w", err)
	}
	return c, nil
}

// Close removes every checkout (and the root directory if NewCache made it).
// Handles must not be read after Close; Release on them is harmless.
func (c *Cache) Close() error {
	c.mu.Lock()
	c.closed = true
	entries := c.entries
	c.entries = make(map[string]*entry)
	c.mu.Unlock()
	var errs []error
	for _, e := range entries {
		if dir := e.discard(); dir != "" {
			if err := os.RemoveAll(dir); err != nil {
				errs = append(errs, fmt.Errorf("removing checkout: %w", err))
			}
		}
	}
	if c.ownDir {
		if err := os.RemoveAll(c.dir); err != nil {
			errs = append(errs, fmt.Errorf("removing checkout directory: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Acquire returns a handle on the checkout of (url, ref), cloning it on first
// use. Every caller using the same (url, ref) shares one checkout; it is
// reference counted, so each handle must be released. A failed clone is not
// cached: callers waiting for it get its error, and the next Acquire retries.
func (c *Cache) Acquire(ctx context.Context, url, ref string) (*Handle, error) {
	return c.acquire(ctx, url, ref, "")
}

// AcquireCommit is Acquire for a commit SHA that may be reachable only from
// fallback, a reference outside branches and tags (such as a pull request
// from a fork, which the base repository keeps at refs/pull/<n>/head): when
// the clone's branches and tags lack the commit, fallback is fetched too.
func (c *Cache) AcquireCommit(ctx context.Context, url, sha, fallback string) (*Handle, error) {
	if !hexRef.MatchString(sha) {
		return nil, fmt.Errorf("acquiring %s: %q is not a commit SHA", url, sha)
	}
	if fallback != "" && !strings.HasPrefix(fallback, "refs/") {
		return nil, fmt.Errorf("acquiring %s: fallback %q is not a full reference name", url, fallback)
	}
	return c.acquire(ctx, url, sha, fallback)
}

func (c *Cache) acquire(ctx context.Context, url, ref, fallback string) (*Handle, error) {
	if ref == "" {
		return nil, fmt.Errorf("acquiring %s: empty ref", url)
	}
	r, err := newRemote(url, c.username, c.token)
	if err != nil {
		return nil, err
	}
	key := r.url + "\n" + ref
	if fallback != "" {
		key += "\n" + fallback
	}
	for {
		e, first, err := c.join(key, r, ref, fallback)
		if err != nil {
			return nil, err
		}
		if first {
			err = c.firstClone(ctx, e)
		} else {
			err = c.await(ctx, e)
		}
		if err == nil {
			return &Handle{c: c, e: e}, nil
		}
		c.release(e)
		if !errors.Is(err, errRetry) {
			return nil, err
		}
	}
}

// join takes a reference on key's entry, creating it if needed; first reports
// that the caller created it and must clone.
func (c *Cache) join(key string, r remote, ref, fallback string) (e *entry, first bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, false, errClosed
	}
	if e = c.entries[key]; e != nil {
		e.refs++
		return e, false, nil
	}
	sum := sha256.Sum256([]byte(key))
	e = &entry{key: key, remote: r, ref: ref, fallback: fallback, id: hex.EncodeToString(sum[:8]), refs: 1, ready: make(chan struct{})}
	c.entries[key] = e
	return e, true, nil
}

// firstClone clones e's initial checkout and wakes the callers waiting on it.
func (c *Cache) firstClone(ctx context.Context, e *entry) error {
	started := time.Now()
	co, pinned, err := c.clone(ctx, e, "")
	if err != nil {
		c.mu.Lock()
		if c.entries[e.key] == e {
			delete(c.entries, e.key)
		}
		c.mu.Unlock()
		// Waiters with a live context retry if only this caller gave up.
		e.failed(err, ctx.Err() != nil)
		return err
	}
	if !e.install(co, started, pinned) {
		c.removeDir(co.dir)
		e.failed(errClosed, false)
		return errClosed
	}
	close(e.ready)
	return nil
}

// await waits for e's first clone.
func (c *Cache) await(ctx context.Context, e *entry) error {
	select {
	case <-e.ready:
	case <-ctx.Done():
		return fmt.Errorf("waiting for the clone of %s at %q: %w", e.remote.display, e.ref, ctx.Err())
	}
	if e.cloneErr == nil {
		return nil
	}
	if e.retry && ctx.Err() == nil {
		return errRetry
	}
	return e.cloneErr
}

// release drops a reference; the last one removes the entry and its checkout.
func (c *Cache) release(e *entry) {
	c.mu.Lock()
	e.refs--
	last := e.refs == 0
	if last && c.entries[e.key] == e {
		delete(c.entries, e.key)
	}
	c.mu.Unlock()
	if !last {
		return
	}
	c.removeDir(e.discard())
}

// clone resolves e's ref and, unless it still points at the commit current
// (empty on the first clone), clones it into a new generation directory, all
// under the cache's timeout. It returns a nil checkout when nothing changed;
// pinned reports that the ref is a commit SHA.
func (c *Cache) clone(ctx context.Context, e *entry, current string) (co *checkoutDir, pinned bool, err error) {
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	defer func() {
		if err != nil && parent.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("timed out after %v: %w", c.timeout, err)
		}
	}()
	started := time.Now()
	t, err := resolve(ctx, e.remote, e.ref)
	if err != nil {
		return nil, false, e.remote.scrub(err)
	}
	pinned = t.name == ""
	t.fallback = plumbing.ReferenceName(e.fallback)
	if current != "" && (pinned || t.hash.String() == current) {
		return nil, pinned, nil
	}
	dir := c.newDir(e)
	// Mkdir, not MkdirAll: a clone racing with Close must not recreate the root.
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, pinned, fmt.Errorf("creating checkout directory: %w", err)
	}
	hash, err := checkout(ctx, e.remote, t, dir)
	if err != nil {
		return nil, pinned, e.remote.scrub(err)
	}
	c.log.Info("cloned git repository", "url", e.remote.display, "ref", e.ref, "hash", hash,
		"dir", dir, "duration", time.Since(started))
	return &checkoutDir{dir: dir, hash: hash}, pinned, nil
}

// newDir names the next checkout directory of e: <id>-<generation>.
func (c *Cache) newDir(e *entry) string {
	c.mu.Lock()
	c.gen++
	gen := c.gen
	c.mu.Unlock()
	return filepath.Join(c.dir, fmt.Sprintf("%s-%d", e.id, gen))
}
