package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/client"
	"github.com/mobu-dev/mobu/internal/testhub"
)

// runningService is mobu serve started in-process by a test.
type runningService struct {
	api    *client.Client
	url    string
	cancel context.CancelFunc // what SIGTERM does
	done   chan error
	logs   *lockedBuffer
}

var listening = regexp.MustCompile(`mobu listening.*address"?[=:]"?(127\.0\.0\.1:\d+)`)

// startService writes cfg to a file and runs `mobu serve` until stop.
func startService(t *testing.T, env map[string]string, cfg string, extra ...string) *runningService {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	s := &runningService{cancel: cancel, done: make(chan error, 1)}
	s.logs = &lockedBuffer{}
	getenv := func(k string) string { return env[k] }
	args := append([]string{"serve", "--config", path, "--listen", "127.0.0.1:0"}, extra...)
	watcher := &addrWatcher{buf: s.logs, found: addr}
	go func() { s.done <- run(ctx, args, getenv, watcher, watcher) }()
	select {
	case a := <-addr:
		s.url = "http://" + a + "/mobu"
	case err := <-s.done:
		t.Fatalf("mobu serve exited: %v\n%s", err, s.logs)
	case <-time.After(30 * time.Second):
		t.Fatalf("mobu serve did not start listening:\n%s", s.logs)
	}
	var err error
	if s.api, err = client.New(s.url, ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.stop(t) })
	return s
}

// stop cancels the service like SIGTERM and waits for it to exit.
func (s *runningService) stop(t *testing.T) error {
	s.cancel()
	select {
	case err := <-s.done:
		s.done <- err // keep it for a second caller
		return err
	case <-time.After(2 * time.Minute):
		t.Fatalf("mobu serve did not exit after SIGTERM:\n%s", s.logs)
	}
	return nil
}

// addrWatcher passes output to buf and reports the listening address.
type addrWatcher struct {
	buf   *lockedBuffer
	found chan string
	sent  bool
}

func (w *addrWatcher) Write(p []byte) (int, error) {
	w.buf.Write(p)
	if !w.sent {
		if m := listening.FindStringSubmatch(w.buf.String()); m != nil {
			w.sent = true
			w.found <- m[1]
		}
	}
	return len(p), nil
}

func waitFor(t *testing.T, what string, limit time.Duration, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		ok, err := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s (last error: %v)", limit, what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func summaryOf(t *testing.T, s *runningService, flock string) client.Summary {
	t.Helper()
	sum, err := s.api.Summary(context.Background(), flock)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// checkEventsFile asserts every line is a complete JSON event and returns
// the count per type.
func checkEventsFile(t *testing.T, path string) map[string]int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	counts := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e map[string]any
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("events file has an incomplete line %q: %v", sc.Text(), err)
		}
		counts[fmt.Sprint(e["event"])]++
	}
	return counts
}

func labsOf(t *testing.T, h *testhub.Hub, users ...string) []string {
	t.Helper()
	var running []string
	for _, u := range users {
		if labRunning(t, h, u) {
			running = append(running, u)
		}
	}
	return running
}
