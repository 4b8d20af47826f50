package gitrepo

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/testgit"
)

// testTimeout bounds every test operation; tests never wait on wall time
// otherwise.
const testTimeout = 30 * time.Second

// remoteKind makes a URL for a repository; each test runs over all of them.
type remoteKind struct {
	name string
	url  func(t *testing.T, r *testgit.Repo) (url string, srv *testgit.Server)
}

func remoteKinds() []remoteKind {
	return []remoteKind{
		{"file", func(t *testing.T, r *testgit.Repo) (string, *testgit.Server) {
			return "file://" + r.Dir(), nil
		}},
		{"path", func(t *testing.T, r *testgit.Repo) (string, *testgit.Server) {
			return r.Dir(), nil
		}},
		{"http", func(t *testing.T, r *testgit.Repo) (string, *testgit.Server) {
			s := testgit.Serve(t, map[string]*testgit.Repo{"repo": r}, testgit.ServeOptions{})
			return s.URL("repo"), s
		}},
	}
}

func newCache(t testing.TB, opts Options) *Cache {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	c, err := NewCache(opts)
	if err != nil {
		t.Fatalf("NewCache: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c
}

// testWriter sends log lines to t.Log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

func acquire(t testing.TB, c *Cache, url, ref string) *Handle {
	t.Helper()
	h, err := c.Acquire(testContext(t), url, ref)
	if err != nil {
		t.Fatalf("Acquire(%s, %s): %v", url, ref, err)
	}
	return h
}

// snapshot is what a Read saw.
type snapshot struct {
	dir, hash string
	files     map[string]string // the requested files' contents; "" if missing
}

func read(t testing.TB, h *Handle, names ...string) snapshot {
	t.Helper()
	var s snapshot
	err := h.Read(func(dir, hash string) error {
		s = snapshot{dir: dir, hash: hash, files: make(map[string]string)}
		for _, n := range names {
			b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(n)))
			if err != nil && !os.IsNotExist(err) {
				return fmt.Errorf("reading %s: %w", n, err)
			}
			s.files[n] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return s
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// entries lists the checkout directories under dir.
func entries(t testing.TB, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("listing %s: %v", dir, err)
	}
	names := make([]string, 0, len(des))
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

func readFile(dir, name string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
	return string(b), err
}
