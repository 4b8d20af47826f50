package monkeylog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// chanWriter sends a copy of each Write to got, then, if release is non-nil,
// blocks until it can receive from release (or release is closed).
type chanWriter struct {
	got     chan string
	release chan struct{}
}

func (w *chanWriter) Write(p []byte) (int, error) {
	w.got <- string(p)
	if w.release != nil {
		<-w.release
	}
	return len(p), nil
}

// startFollow runs l.Follow in a goroutine; stop cancels it and returns its
// error, failing the test if it does not stop.
func startFollow(t *testing.T, l *Log, w *chanWriter, flush func()) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Follow(ctx, w, flush) }()
	return func() error {
		t.Helper()
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			t.Fatal("Follow did not stop after cancel")
			return nil
		}
	}
}

// receive returns the next Write, failing the test after a long timeout.
func receive(t *testing.T, got <-chan string) string {
	t.Helper()
	select {
	case s := <-got:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting for Follow output")
		return ""
	}
}

// receiveUntil collects Writes until the output contains want.
func receiveUntil(t *testing.T, got <-chan string, want string) string {
	t.Helper()
	var all string
	for !strings.Contains(all, want) {
		all += receive(t, got)
	}
	return all
}

func TestFollowStreams(t *testing.T) {
	l := newLog(t, Options{Lines: 3})
	logger := slog.New(l.Handler(nil))
	for i := range 5 {
		logger.Info("before", "i", i)
	}
	w := &chanWriter{got: make(chan string, 100)}
	var flushes sync.WaitGroup
	flushes.Add(1)
	var once sync.Once
	stop := startFollow(t, l, w, func() { once.Do(flushes.Done) })

	first := receive(t, w.got) // the retained lines come first, in one batch
	want := "… 2 earlier lines not kept …\n"
	for i := 2; i < 5; i++ {
		want += fmt.Sprintf("INFO  before i=%d\n", i)
	}
	if stripTimes(first) != stripTimes(want) {
		t.Errorf("first batch\n%s\nwant\n%s", first, want)
	}
	flushes.Wait() // flush was called after the first batch

	logger.Info("after", "n", 1)
	if got := receiveUntil(t, w.got, "n=1"); !strings.HasSuffix(got, "INFO  after n=1\n") {
		t.Errorf("got %q", got)
	}
	logger.Warn("after", "n", 2)
	if got := receiveUntil(t, w.got, "n=2"); !strings.HasSuffix(got, "WARN  after n=2\n") {
		t.Errorf("got %q", got)
	}
	if err := stop(); err != nil {
		t.Errorf("Follow = %v, want nil", err)
	}
}

func TestFollowStopsWhenIdle(t *testing.T) {
	l := newLog(t, Options{})
	w := &chanWriter{got: make(chan string, 1)}
	stop := startFollow(t, l, w, nil) // nothing logged: Follow waits
	if err := stop(); err != nil {
		t.Errorf("Follow = %v, want nil", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Follow(ctx, w, nil); err != nil {
		t.Errorf("Follow with cancelled ctx = %v", err)
	}
}

type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, errors.New("gone") }

func TestFollowWriteError(t *testing.T) {
	l := newLog(t, Options{})
	slog.New(l.Handler(nil)).Info("m")
	if err := l.Follow(context.Background(), errWriter{}, nil); err == nil || err.Error() != "gone" {
		t.Errorf("Follow = %v, want gone", err)
	}
}

func TestFollowSkipMarker(t *testing.T) {
	l := newLog(t, Options{Lines: 5, FailureLines: 2})
	logger := slog.New(l.Handler(nil))
	for i := 1; i <= 3; i++ {
		logger.Info("m", "seq", i)
	}
	w := &chanWriter{got: make(chan string, 10), release: make(chan struct{})}
	stop := startFollow(t, l, w, nil)
	if got := receive(t, w.got); strings.Count(got, "\n") != 3 {
		t.Fatalf("first batch %q", got)
	}
	// The follower is now blocked in Write. Overflow the buffer meanwhile.
	logger.Warn("m", "seq", 4)
	for i := 5; i <= 24; i++ {
		logger.Info("m", "seq", i)
	}
	close(w.release)
	got := receive(t, w.got)
	// Kept after seq 3: the warning (4) and the last 5 lines (20..24).
	want := "… 15 lines skipped …\nWARN  m seq=4\n"
	for i := 20; i <= 24; i++ {
		want += fmt.Sprintf("INFO  m seq=%d\n", i)
	}
	if stripTimes(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if err := stop(); err != nil {
		t.Error(err)
	}
}

// stripTimes removes the "YYYY-mm-dd HH:MM:SS " prefix of each line.
func stripTimes(s string) string {
	ls := strings.SplitAfter(s, "\n")
	for i, line := range ls {
		if len(line) > len(stamp) && line[4] == '-' && line[13] == ':' {
			ls[i] = line[len(stamp):]
		}
	}
	return strings.Join(ls, "")
}

// syncBuffer is a goroutine-safe writer that closes seen once it has
// received a line containing marker.
type syncBuffer struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	marker string
	seen   chan struct{}
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if bytes.Contains(p, []byte(b.marker)) {
		close(b.seen)
	}
	return b.buf.Write(p)
}

func TestConcurrency(t *testing.T) {
	const goroutines, perG = 6, 400
	l := newLog(t, Options{Lines: 50, FailureLines: 10, Dir: t.TempDir(), MaxFileBytes: 4 << 10})
	base := slog.New(l.Handler(nil))

	follower := &syncBuffer{marker: "the end", seen: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	followDone := make(chan error, 1)
	go func() { followDone <- l.Follow(ctx, follower, nil) }()

	var readers, writers sync.WaitGroup
	readers.Go(func() {
		for ctx.Err() == nil {
			var buf bytes.Buffer
			if _, err := l.WriteTo(&buf); err != nil {
				t.Error(err)
				return
			}
			checkOrder(t, buf.String(), false)
		}
	})
	for g := range goroutines {
		writers.Go(func() {
			logger := base.With("g", g)
			for i := range perG {
				level := slog.LevelInfo
				if i%7 == 0 {
					level = slog.LevelWarn
				}
				logger.Log(context.Background(), level, "line", "i", i)
			}
		})
	}
	writers.Wait()
	base.Info("the end")
	<-follower.seen
	cancel()
	readers.Wait()
	if err := <-followDone; err != nil {
		t.Fatal(err)
	}
	follower.mu.Lock()
	defer follower.mu.Unlock()
	checkOrder(t, follower.buf.String(), true)
	if n := l.FileErrors(); n != 0 {
		t.Errorf("FileErrors = %d", n)
	}
}

// checkOrder checks that each goroutine's lines appear in increasing order
// and, if complete, that lines plus markers account for every line logged.
func checkOrder(t *testing.T, out string, complete bool) {
	t.Helper()
	last := map[string]int{}
	var total int
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 0:
		case f[0] == "…":
			n, _ := strconv.Atoi(f[1])
			total += n
		case len(f) == 6 && f[3] == "line":
			total++
			g, i := f[4], atoi(strings.TrimPrefix(f[5], "i="))
			if prev, ok := last[g]; ok && i <= prev {
				t.Errorf("%s: i=%d after i=%d", g, i, prev)
			}
			last[g] = i
		default:
			total++
		}
	}
	if want := 6*400 + 1; complete && total != want {
		t.Errorf("lines + skipped = %d, want %d", total, want)
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// TestFollowEndsOnClose: closing the log (its monkey is gone) ends a
// follower after the lines recorded so far, and a later Follow returns at
// once after writing them.
func TestFollowEndsOnClose(t *testing.T) {
	l := newLog(t, Options{})
	logger := slog.New(l.Handler(nil))
	logger.Info("first")
	w := &chanWriter{got: make(chan string, 10)}
	done := make(chan error, 1)
	go func() { done <- l.Follow(context.Background(), w, nil) }()
	receiveUntil(t, w.got, "first")
	logger.Info("last")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Follow = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Follow did not end after Close")
	}
	var rest string
	for len(w.got) > 0 {
		rest += <-w.got
	}
	if !strings.Contains(rest, "last") {
		t.Errorf("lines before Close not written: %q", rest)
	}
	var buf bytes.Buffer
	if err := l.Follow(context.Background(), &buf, nil); err != nil || !strings.Contains(buf.String(), "last") {
		t.Errorf("Follow after Close = %v, %q", err, buf.String())
	}
}
