package monkeylog

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}

func TestFileMirrorAndRotation(t *testing.T) {
	const max = 300
	dir := t.TempDir()
	l, err := New("fl/ock", "monkey", Options{Dir: dir, MaxFileBytes: max})
	if err != nil {
		t.Fatal(err)
	}
	h := l.Handler(nil)
	var all []string
	for i := range 40 {
		handle(t, h, slog.LevelInfo, "line", slog.Int("i", i))
		all = append(all, fmt.Sprintf("%sINFO  line i=%d\n", stamp, i))
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "fl_ock-monkey.log") // separators replaced
	cur, prev := readFile(t, path), readFile(t, path+".1")
	if len(cur) > max || len(prev) > max {
		t.Errorf("file sizes %d and %d exceed %d", len(cur), len(prev), max)
	}
	if len(prev)+len(all[0]) <= max {
		t.Errorf(".log.1 has %d bytes: rotated too early", len(prev))
	}
	if !strings.HasSuffix(strings.Join(all, ""), prev+cur) || cur == "" {
		t.Errorf("files do not hold the latest lines:\n%s---\n%s", prev, cur)
	}
	if !strings.HasSuffix(cur, all[len(all)-1]) {
		t.Errorf("current file does not end with the last line: %q", cur)
	}
	if l.FileErrors() != 0 {
		t.Errorf("FileErrors = %d", l.FileErrors())
	}
}

func TestFileAppendsAndClose(t *testing.T) {
	dir := t.TempDir()
	for _, msg := range []string{"first", "second"} {
		l, err := New("f", "m", Options{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		handle(t, l.Handler(nil), slog.LevelWarn, msg)
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Errorf("second Close = %v", err)
		}
		handle(t, l.Handler(nil), slog.LevelWarn, "after close") // memory only
		if got := lines(t, l); len(got) != 2 {
			t.Errorf("in memory after Close: %q", got)
		}
	}
	want := stamp + "WARN  first\n" + stamp + "WARN  second\n"
	if got := readFile(t, filepath.Join(dir, "f-m.log")); got != want {
		t.Errorf("file = %q, want %q", got, want)
	}
}

func TestNewFailsWhenDirIsAFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(dir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if l, err := New("f", "m", Options{Dir: dir}); err == nil {
		l.Close()
		t.Fatal("New succeeded with Dir a regular file")
	}
}

func TestFileWriteErrorsCounted(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	dir := t.TempDir()
	if err := os.Symlink("/dev/full", filepath.Join(dir, "f-m.log")); err != nil {
		t.Fatal(err)
	}
	l, err := New("f", "m", Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	logger := slog.New(l.Handler(nil))
	for range 3 {
		logger.Info("m")
	}
	if n := l.FileErrors(); n != 3 {
		t.Errorf("FileErrors = %d, want 3", n)
	}
	if got := lines(t, l); len(got) != 3 {
		t.Errorf("memory has %d lines, want 3", len(got))
	}
}

func TestRotationErrorsCounted(t *testing.T) {
	const max = 100
	dir := t.TempDir()
	// A directory where .log.1 should go makes every rename fail.
	if err := os.Mkdir(filepath.Join(dir, "f-m.log.1"), 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := New("f", "m", Options{Dir: dir, MaxFileBytes: max})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	h := l.Handler(nil)
	for i := range 20 {
		handle(t, h, slog.LevelInfo, "line", slog.Int("i", i))
	}
	if l.FileErrors() == 0 {
		t.Error("FileErrors = 0, want failed rotations counted")
	}
	if got := readFile(t, filepath.Join(dir, "f-m.log")); len(got) > max || !strings.HasSuffix(got, "i=19\n") {
		t.Errorf("file after failed rotations (%d bytes): %q", len(got), got)
	}
	if got := lines(t, l); len(got) != 20 {
		t.Errorf("memory has %d lines, want 20", len(got))
	}
}

func TestFileDirRemoved(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs")
	l, err := New("f", "m", Options{Dir: dir, MaxFileBytes: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// Replace the directory by a file: rotating and reopening now fail.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	h := l.Handler(nil)
	for i := range 10 {
		handle(t, h, slog.LevelInfo, "line", slog.Int("i", i))
	}
	if l.FileErrors() == 0 {
		t.Error("FileErrors = 0")
	}
	if got := lines(t, l); len(got) != 10 {
		t.Errorf("memory has %d lines, want 10", len(got))
	}
}
