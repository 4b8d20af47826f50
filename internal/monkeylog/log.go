// Package monkeylog keeps each monkey's recent log lines in memory (failures kept longer than routine lines), optionally mirrors them to a size-capped file, and serves them as text.
package monkeylog

import (
	"log/slog"
	"sync"
)

// Defaults for zero Options fields.
const (
	defaultLines        = 500
	defaultFailureLines = 200
	defaultMaxFileBytes = 10 << 20
)

// Options tunes a Log. The zero value is usable.
type Options struct {
	Lines        int          // routine lines kept (all levels); default 500
	FailureLines int          // lines at level ≥ WARN kept in addition; default 200
	Dir          string       // if set, also append to Dir/<flock>-<monkey>.log
	MaxFileBytes int64        // rotate at this size, keeping one previous file as .log.1; default 10 MiB
	Level        slog.Leveler // minimum level recorded; default Info
}

func (o Options) withDefaults() Options {
	if o.Lines <= 0 {
		o.Lines = defaultLines
	}
	if o.FailureLines <= 0 {
		o.FailureLines = defaultFailureLines
	}
	if o.MaxFileBytes <= 0 {
		o.MaxFileBytes = defaultMaxFileBytes
	}
	if o.Level == nil {
		o.Level = slog.LevelInfo
	}
	return o
}

// Log is one monkey's log: two bounded rings of formatted lines, one for all
// lines and one for lines at level ≥ WARN, plus an optional file mirror.
// Ring storage grows lazily, so an idle Log costs a few hundred bytes. All
// methods are safe for concurrent use.
type Log struct {
	level slog.Leveler
	file  *mirror // nil without Options.Dir

	mu       sync.Mutex
	routine  ring          // every recorded line
	failures ring          // lines at level ≥ WARN
	seq      uint64        // sequence number of the newest line; lines are numbered from 1
	wake     chan struct{} // closed when the next line is recorded or on Close; nil if nobody waits
	closed   bool          // set by Close: followers finish
}

// New returns the log of monkey in flock. It fails only if Options.Dir is set
// and the directory or the file in it cannot be created.
func New(flock, monkey string, opts Options) (*Log, error) {
	opts = opts.withDefaults()
	l := &Log{
		level:    opts.Level,
		routine:  ring{max: opts.Lines},
		failures: ring{max: opts.FailureLines},
	}
	if opts.Dir != "" {
		m, err := openMirror(opts.Dir, fileName(flock, monkey), opts.MaxFileBytes)
		if err != nil {
			return nil, err
		}
		l.file = m
	}
	return l, nil
}

// Close closes the file mirror, if any, and ends every Follow once it has
// written the lines recorded so far (the monkey is gone: nobody should wait
// for more). Lines logged afterwards are still kept in memory.
func (l *Log) Close() error {
	l.mu.Lock()
	l.closed = true
	l.wakeReaders()
	l.mu.Unlock()
	if l.file == nil {
		return nil
	}
	return l.file.close()
}

// FileErrors reports how many file operations (writes, rotations, reopens)
// have failed. Such failures never stop logging to memory.
func (l *Log) FileErrors() int64 {
	if l.file == nil {
		return 0
	}
	return l.file.errors.Load()
}

// record stores one formatted line (without newline) and mirrors it to the
// file. line may be modified.
func (l *Log) record(line []byte, failure bool) {
	if l.file == nil {
		l.push(string(line), failure)
		return
	}
	// Holding the file lock across push keeps the file in sequence order;
	// readers only take l.mu, so they never wait for the disk.
	l.file.mu.Lock()
	defer l.file.mu.Unlock()
	l.push(string(line), failure)
	l.file.write(append(line, '\n'))
}

func (l *Log) push(text string, failure bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	e := entry{seq: l.seq, text: text}
	l.routine.push(e)
	if failure {
		l.failures.push(e)
	}
	l.wakeReaders()
}

// wakeReaders releases every waiting follower. Called with l.mu held.
func (l *Log) wakeReaders() {
	if l.wake != nil {
		close(l.wake)
		l.wake = nil
	}
}

// batch is what a reader gets from snapshot.
type batch struct {
	lines  []string // retained lines after the requested point, in order
	lost   uint64   // lines after the requested point no longer retained
	last   uint64   // sequence number of the newest line
	closed bool     // the log was closed: no need to wait for more
}

// snapshot returns the retained lines with sequence numbers above after. If
// wait is set it also returns a channel closed when the next line arrives.
func (l *Log) snapshot(after uint64, wait bool) (batch, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := batch{lines: l.merge(after), last: l.seq, closed: l.closed}
	b.lost = l.seq - after - uint64(len(b.lines))
	if !wait || l.closed {
		return b, nil
	}
	if l.wake == nil {
		l.wake = make(chan struct{})
	}
	return b, l.wake
}

// merge returns the texts of both rings' entries above after, in sequence
// order, without duplicates. Called with l.mu held.
func (l *Log) merge(after uint64) []string {
	r, f := &l.routine, &l.failures
	i, j := r.after(after), f.after(after)
	out := make([]string, 0, r.len()-i+f.len()-j)
	for i < r.len() || j < f.len() {
		switch {
		case j == f.len() || (i < r.len() && r.at(i).seq < f.at(j).seq):
			out = append(out, r.at(i).text)
			i++
		case i == r.len() || f.at(j).seq < r.at(i).seq:
			out = append(out, f.at(j).text)
			j++
		default: // the same line in both rings
			out = append(out, r.at(i).text)
			i++
			j++
		}
	}
	return out
}
