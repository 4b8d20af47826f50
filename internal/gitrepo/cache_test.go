package gitrepo

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/testgit"
)

// gate holds every request to a testgit server until opened, and reports
// each request's arrival.
type gate struct {
	open    chan struct{}
	arrived chan struct{}
}

func newGate() *gate {
	return &gate{open: make(chan struct{}), arrived: make(chan struct{}, 1000)}
}

func (g *gate) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.arrived <- struct{}{}
		select {
		case <-g.open:
			next.ServeHTTP(w, r)
		case <-r.Context().Done():
		}
	})
}

// waitRefs spins (yielding, no sleeping) until the entry of (url, ref) has n
// references, i.e. n Acquires have joined it.
func waitRefs(t *testing.T, c *Cache, url, ref string, n int) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		e := c.entries[url+"\n"+ref]
		got := e != nil && e.refs == n
		c.mu.Unlock()
		if got {
			return
		}
		runtime.Gosched()
	}
	t.Fatalf("entry %s@%s never reached %d references", url, ref, n)
}

func TestSharedCheckoutAndRelease(t *testing.T) {
	for _, kind := range remoteKinds() {
		t.Run(kind.name, func(t *testing.T) {
			rr := newRefsRepo(t)
			url, srv := kind.url(t, rr.repo)
			c := newCache(t, Options{})
			h1 := acquire(t, c, url, "main")
			var before int
			if srv != nil {
				before = srv.Requests()
			}
			h2 := acquire(t, c, url, "main")
			if srv != nil && srv.Requests() != before {
				t.Errorf("second Acquire made %d requests, want 0", srv.Requests()-before)
			}
			s1, s2 := read(t, h1), read(t, h2)
			if s1.dir != s2.dir || s1.hash != s2.hash {
				t.Fatalf("handles see %v and %v, want one checkout", s1, s2)
			}
			if !strings.HasPrefix(s1.dir, c.dir+string(filepath.Separator)) {
				t.Fatalf("checkout %s not under %s", s1.dir, c.dir)
			}
			h1.Release()
			h1.Release() // a second release must not drop h2's reference
			if !exists(s1.dir) {
				t.Fatal("checkout removed while a handle is held")
			}
			if err := h1.Read(func(string, string) error { return nil }); err == nil {
				t.Fatal("Read on a released handle succeeded")
			}
			h2.Release()
			if exists(s1.dir) {
				t.Fatal("checkout kept after the last release")
			}
			h3 := acquire(t, c, url, "main")
			defer h3.Release()
			if s3 := read(t, h3); s3.dir == s1.dir || s3.hash != s1.hash {
				t.Fatalf("re-acquire got %v, want a new directory with hash %s", s3, s1.hash)
			}
		})
	}
}

func TestFailedCloneIsNotCached(t *testing.T) {
	rr := newRefsRepo(t)
	c := newCache(t, Options{})
	if _, err := c.Acquire(testContext(t), rr.repo.Dir(), "feature"); err == nil {
		t.Fatal("Acquire of a missing branch succeeded")
	}
	rr.repo.Branch("feature")
	h := acquire(t, c, rr.repo.Dir(), "feature")
	defer h.Release()
	if s := read(t, h); s.hash != rr.tip {
		t.Fatalf("hash = %s, want %s", s.hash, rr.tip)
	}
}

func TestAcquireWaitsForFirstCloneOnly(t *testing.T) {
	rr := newRefsRepo(t)
	g := newGate()
	srv := testgit.Serve(t, map[string]*testgit.Repo{"r": rr.repo}, testgit.ServeOptions{Wrap: g.wrap})
	c := newCache(t, Options{})
	url := srv.URL("r")
	type result struct {
		h   *Handle
		err error
	}
	results := make(chan result, 2)
	for range 2 {
		go func() {
			h, err := c.Acquire(testContext(t), url, "main")
			results <- result{h, err}
		}()
	}
	<-g.arrived
	waitRefs(t, c, url, "main", 2)
	if n := len(g.arrived); n != 0 {
		t.Fatalf("%d more requests while the first clone is held, want 0", n)
	}
	// Another key is not blocked by the clone in progress.
	other := acquire(t, c, rr.repo.Dir(), "main")
	other.Release()
	close(g.open)
	var dirs []string
	for range 2 {
		r := <-results
		if r.err != nil {
			t.Fatalf("Acquire: %v", r.err)
		}
		dirs = append(dirs, read(t, r.h).dir)
		defer r.h.Release()
	}
	if dirs[0] != dirs[1] {
		t.Fatalf("dirs %v, want one shared checkout", dirs)
	}
}

func TestWaiterRetriesWhenFirstCallerGivesUp(t *testing.T) {
	rr := newRefsRepo(t)
	g := newGate()
	srv := testgit.Serve(t, map[string]*testgit.Repo{"r": rr.repo}, testgit.ServeOptions{Wrap: g.wrap})
	c := newCache(t, Options{})
	url := srv.URL("r")
	ctx, cancel := context.WithCancel(testContext(t))
	firstErr := make(chan error, 1)
	go func() {
		_, err := c.Acquire(ctx, url, "main")
		firstErr <- err
	}()
	<-g.arrived
	second := make(chan error, 1)
	go func() {
		h, err := c.Acquire(testContext(t), url, "main")
		if err == nil {
			err = h.Read(func(string, string) error { return nil })
			h.Release()
		}
		second <- err
	}()
	waitRefs(t, c, url, "main", 2)
	cancel()
	if err := <-firstErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("first Acquire: %v, want context.Canceled", err)
	}
	close(g.open)
	if err := <-second; err != nil {
		t.Fatalf("waiting Acquire did not retry: %v", err)
	}
}

func TestCloseRemovesDefaultDir(t *testing.T) {
	rr := newRefsRepo(t)
	c, err := NewCache(Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := acquire(t, c, rr.repo.Dir(), "main")
	dir := read(t, h).dir
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if exists(dir) || exists(c.dir) {
		t.Fatalf("Close left %s or %s", dir, c.dir)
	}
	h.Release()
	if _, err := c.Acquire(testContext(t), rr.repo.Dir(), "main"); err == nil {
		t.Fatal("Acquire after Close succeeded")
	}
}

func TestCloseKeepsGivenDir(t *testing.T) {
	rr := newRefsRepo(t)
	root := filepath.Join(t.TempDir(), "checkouts")
	c := newCache(t, Options{Dir: root})
	acquire(t, c, rr.repo.Dir(), "main")
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if fi, err := os.Stat(root); err != nil || !fi.IsDir() {
		t.Fatalf("root removed: %v", err)
	}
	if got := entries(t, root); len(got) != 0 {
		t.Fatalf("Close left %v", got)
	}
}
