package monkeylog

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
)

// mirror appends lines to a file, rotating it to path+".1" when it would
// grow past max. Failures are counted, never returned to the logger.
type mirror struct {
	mu     sync.Mutex // held by Log.record across recording and writing a line
	path   string
	max    int64
	f      *os.File // nil after a failed (re)open
	size   int64
	closed bool
	errors atomic.Int64
}

// fileName returns "<flock>-<monkey>.log" with path separators replaced.
func fileName(flock, monkey string) string {
	clean := func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 {
			return '_'
		}
		return r
	}
	return strings.Map(clean, flock) + "-" + strings.Map(clean, monkey) + ".log"
}

// openMirror creates dir if needed and opens dir/name for appending.
func openMirror(dir, name string, max int64) (*mirror, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("monkeylog: %w", err)
	}
	m := &mirror{path: filepath.Join(dir, name), max: max}
	if err := m.open(false); err != nil {
		return nil, fmt.Errorf("monkeylog: %w", err)
	}
	return m, nil
}

// open opens the file for appending, emptying it first if trunc is set.
func (m *mirror) open(trunc bool) error {
	flag := os.O_WRONLY | os.O_CREATE | os.O_APPEND
	if trunc {
		flag |= os.O_TRUNC
	}
	f, err := os.OpenFile(m.path, flag, 0o644)
	if err != nil {
		return err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	m.f, m.size = f, info.Size()
	return nil
}

// write appends line, which ends in "\n". A line longer than max goes alone
// into a fresh file. Called with m.mu held.
func (m *mirror) write(line []byte) {
	if m.closed {
		return
	}
	if m.f != nil && m.size > 0 && m.size+int64(len(line)) > m.max {
		m.rotate()
	}
	if m.f == nil {
		if err := m.open(false); err != nil {
			m.errors.Add(1)
			return
		}
	}
	n, err := m.f.Write(line)
	m.size += int64(n)
	if err != nil {
		m.errors.Add(1)
	}
}

// rotate renames the file to path+".1", replacing an older one, and opens a
// new one. If the rename fails, the current file is emptied instead, so the
// size cap holds either way.
func (m *mirror) rotate() {
	if err := m.f.Close(); err != nil {
		m.errors.Add(1)
	}
	m.f = nil
	if err := os.Rename(m.path, m.path+".1"); err != nil {
		m.errors.Add(1)
	}
	if err := m.open(true); err != nil {
		m.errors.Add(1)
	}
}

func (m *mirror) close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	if m.f == nil {
		return nil
	}
	err := m.f.Close()
	m.f = nil
	return err
}
