package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/testgit"
)

func TestUpdateSwapsInNewCommit(t *testing.T) {
	for _, kind := range remoteKinds() {
		t.Run(kind.name, func(t *testing.T) {
			rr := newRefsRepo(t)
			url, _ := kind.url(t, rr.repo)
			c := newCache(t, Options{})
			h := acquire(t, c, url, "main")
			defer h.Release()
			old := read(t, h, "nb/a.ipynb", "nb/new.ipynb")
			next := rr.repo.Commit(map[string]string{"nb/a.ipynb": "changed", "nb/new.ipynb": "new"}, "next")
			if err := h.Update(testContext(t), time.Now()); err != nil {
				t.Fatalf("Update: %v", err)
			}
			s := read(t, h, "nb/a.ipynb", "nb/new.ipynb")
			if s.hash != next || s.files["nb/a.ipynb"] != "changed" || s.files["nb/new.ipynb"] != "new" {
				t.Fatalf("after Update: %+v, want %s with the new files", s, next)
			}
			if s.dir == old.dir || exists(old.dir) {
				t.Fatalf("old checkout %s not replaced and removed (new %s)", old.dir, s.dir)
			}
			if h.LastError() != nil {
				t.Fatalf("LastError = %v after a success", h.LastError())
			}
			// The branch has not moved: nothing is cloned.
			if err := h.Update(testContext(t), time.Now()); err != nil {
				t.Fatalf("Update: %v", err)
			}
			if again := read(t, h); again.dir != s.dir {
				t.Fatalf("Update of an unchanged branch moved the checkout to %s", again.dir)
			}
		})
	}
}

func TestUpdateSkipsWhenAlreadyFresh(t *testing.T) {
	rr := newRefsRepo(t)
	srv := testgit.Serve(t, map[string]*testgit.Repo{"r": rr.repo}, testgit.ServeOptions{})
	c := newCache(t, Options{})
	beforeClone := time.Now()
	h := acquire(t, c, srv.URL("r"), "main")
	defer h.Release()
	rr.repo.Commit(map[string]string{"nb/a.ipynb": "changed"}, "next")
	n := srv.Requests()
	// The clone started after beforeClone, so it satisfies that request.
	if err := h.Update(testContext(t), beforeClone); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if srv.Requests() != n || read(t, h).hash != rr.tip {
		t.Fatalf("Update(before the clone) made %d requests, want none", srv.Requests()-n)
	}
	requested := time.Now()
	if err := h.Update(testContext(t), time.Now()); err != nil {
		t.Fatalf("Update: %v", err)
	}
	n = srv.Requests()
	if err := h.Update(testContext(t), requested); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if srv.Requests() != n {
		t.Fatalf("Update(before the last update) made %d requests, want none", srv.Requests()-n)
	}
	// A commit SHA never moves: updating it needs no request at all.
	hs := acquire(t, c, srv.URL("r"), rr.second)
	defer hs.Release()
	n = srv.Requests()
	if err := hs.Update(testContext(t), time.Now()); err != nil || srv.Requests() != n {
		t.Fatalf("Update of a SHA: err %v, %d requests, want none", err, srv.Requests()-n)
	}
}

func TestUpdatesInFlightAreShared(t *testing.T) {
	rr := newRefsRepo(t)
	srv := testgit.Serve(t, map[string]*testgit.Repo{"r": rr.repo}, testgit.ServeOptions{})
	c := newCache(t, Options{})
	h := acquire(t, c, srv.URL("r"), "main")
	defer h.Release()
	next := rr.repo.Commit(map[string]string{"nb/a.ipynb": "changed"}, "next")
	// Measure one update's requests on a second cache.
	c2 := newCache(t, Options{})
	h2 := acquire(t, c2, srv.URL("r"), "main")
	h2.Release()
	one := srv.Requests()
	h2 = acquire(t, c2, srv.URL("r"), "main")
	one = srv.Requests() - one
	h2.Release()

	requested := time.Now()
	before := srv.Requests()
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for range 10 {
		wg.Go(func() { errs <- h.Update(testContext(t), requested) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
	}
	if got := srv.Requests() - before; got != one {
		t.Fatalf("10 concurrent updates made %d requests, want one clone's %d", got, one)
	}
	if s := read(t, h); s.hash != next {
		t.Fatalf("hash = %s, want %s", s.hash, next)
	}
}

func TestReadIsNotDisturbedByUpdate(t *testing.T) {
	rr := newRefsRepo(t)
	c := newCache(t, Options{})
	h := acquire(t, c, rr.repo.Dir(), "main")
	defer h.Release()
	next := rr.repo.Commit(map[string]string{"nb/a.ipynb": "changed"}, "next")
	var oldDir string
	err := h.Read(func(dir, hash string) error {
		oldDir = dir
		if err := h.Update(testContext(t), time.Now()); err != nil {
			return fmt.Errorf("update during read: %w", err)
		}
		if !exists(dir + "/nb/a.ipynb") {
			return errors.New("checkout removed during Read")
		}
		if s := read(t, h); s.hash != next || s.dir == dir {
			return fmt.Errorf("a Read during another Read saw %+v, want the new checkout", s)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if exists(oldDir) {
		t.Fatal("replaced checkout kept after its last Read")
	}
}

func TestFailedUpdateKeepsCheckout(t *testing.T) {
	rr := newRefsRepo(t)
	srv := testgit.Serve(t, map[string]*testgit.Repo{"r": rr.repo}, testgit.ServeOptions{})
	c := newCache(t, Options{})
	h := acquire(t, c, srv.URL("r"), "main")
	defer h.Release()
	srv.Close()
	rr.repo.Commit(map[string]string{"nb/a.ipynb": "changed"}, "next")
	err := h.Update(testContext(t), time.Now())
	if err == nil || !strings.Contains(err.Error(), srv.URL("r")) || !strings.Contains(err.Error(), `"main"`) ||
		!strings.Contains(err.Error(), "cannot reach") {
		t.Fatalf("Update err = %v, want it to name url and ref and say cannot reach", err)
	}
	if h.LastError() == nil || h.LastError().Error() != err.Error() {
		t.Fatalf("LastError = %v, want %v", h.LastError(), err)
	}
	if s := read(t, h, "nb/a.ipynb"); s.hash != rr.tip || s.files["nb/a.ipynb"] != "tip" {
		t.Fatalf("after a failed update: %+v, want the old checkout", s)
	}
	if got := entries(t, c.dir); len(got) != 1 {
		t.Fatalf("checkout dirs %v, want only the old one", got)
	}
}

func TestTimeout(t *testing.T) {
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer hang.Close()
	const timeout = 300 * time.Millisecond
	for name, tc := range map[string]struct {
		opt time.Duration
		ctx time.Duration
	}{
		"option":  {opt: timeout, ctx: testTimeout},
		"context": {opt: time.Hour, ctx: timeout},
	} {
		c := newCache(t, Options{Timeout: tc.opt})
		ctx, cancel := context.WithTimeout(context.Background(), tc.ctx)
		start := time.Now()
		_, err := c.Acquire(ctx, hang.URL+"/r.git", "main")
		elapsed := time.Since(start)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: err = %v, want a deadline error", name, err)
		}
		if name == "option" && !strings.Contains(fmt.Sprint(err), "timed out after 300ms") {
			t.Errorf("%s: err = %v, want it to say it timed out after 300ms", name, err)
		}
		if elapsed < timeout || elapsed > timeout+5*time.Second {
			t.Errorf("%s: failed after %v, want about %v", name, elapsed, timeout)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	r := testgit.NewRepo(t)
	r.Commit(map[string]string{"a": "0", "b": "0"}, "v0")
	r.Branch("dev")
	srv := testgit.Serve(t, map[string]*testgit.Repo{"r": r}, testgit.ServeOptions{})
	c := newCache(t, Options{})
	urls := []string{srv.URL("r"), "file://" + r.Dir()}
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := range 50 {
		wg.Go(func() { errs <- monkey(testContext(t), c, urls[i%2], []string{"main", "dev"}[i%3/2], i) })
	}
	for v := 1; v <= 3; v++ {
		r.Commit(map[string]string{"a": fmt.Sprint(v), "b": fmt.Sprint(v)}, "next")
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := entries(t, c.dir); len(got) != 0 {
		t.Fatalf("checkouts left after every release: %v", got)
	}
}

// monkey acquires, reads and updates a checkout a few times, checking that
// every read sees a consistent tree.
func monkey(ctx context.Context, c *Cache, url, ref string, i int) error {
	for round := range 3 {
		h, err := c.Acquire(ctx, url, ref)
		if err != nil {
			return fmt.Errorf("monkey %d: %w", i, err)
		}
		check := func(dir, hash string) error {
			a, errA := readFile(dir, "a")
			b, errB := readFile(dir, "b")
			if err := errors.Join(errA, errB); err != nil || a != b || len(hash) != 40 {
				return fmt.Errorf("inconsistent checkout %s: a=%q b=%q: %v", dir, a, b, err)
			}
			return nil
		}
		err = h.Read(check)
		if err == nil && (i+round)%2 == 0 {
			err = h.Update(ctx, time.Now())
		}
		if err == nil {
			err = h.Read(check)
		}
		h.Release()
		if err != nil {
			return fmt.Errorf("monkey %d round %d: %w", i, round, err)
		}
	}
	return nil
}
