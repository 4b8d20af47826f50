package monkeylog

import (
	"context"
	"fmt"
	"io"
)

// Marker lines written in place of lines that are no longer retained.
const (
	notKeptFormat = "… %d earlier lines not kept …"
	skippedFormat = "… %d lines skipped …"
)

// appendTo appends the batch as text, one "\n"-terminated line each, preceded
// by a marker line (format with one %d) if lines were lost.
func (b batch) appendTo(buf []byte, marker string) []byte {
	if b.lost > 0 {
		buf = fmt.Appendf(buf, marker, b.lost)
		buf = append(buf, '\n')
	}
	for _, s := range b.lines {
		buf = append(buf, s...)
		buf = append(buf, '\n')
	}
	return buf
}

func (b batch) empty() bool { return b.lost == 0 && len(b.lines) == 0 }

// WriteTo writes the retained lines in order, each ending in "\n". If lines
// were evicted from both rings, the first line is
// "… N earlier lines not kept …".
func (l *Log) WriteTo(w io.Writer) (int64, error) {
	b, _ := l.snapshot(0, false)
	if b.empty() {
		return 0, nil
	}
	n, err := w.Write(b.appendTo(nil, notKeptFormat))
	return int64(n), err
}

// Follow writes the retained lines like WriteTo, then each new line as it is
// recorded, until ctx ends or the log is closed. flush (may be nil) is called
// after each batch. No lock is held while writing to w, so a slow w never
// delays logging; if lines are evicted before Follow gets to them, it writes
// "… N lines skipped …" in their place. Follow returns nil when ctx ends or
// after writing the last lines of a closed log, or the first error from w.
func (l *Log) Follow(ctx context.Context, w io.Writer, flush func()) error {
	var (
		after  uint64
		buf    []byte
		marker = notKeptFormat
	)
	for ctx.Err() == nil {
		b, wake := l.snapshot(after, true)
		if !b.empty() {
			buf = b.appendTo(buf[:0], marker)
			if _, err := w.Write(buf); err != nil {
				return err
			}
			if flush != nil {
				flush()
			}
		}
		if b.closed {
			return nil
		}
		after, marker = b.last, skippedFormat
		select {
		case <-ctx.Done():
		case <-wake:
		}
	}
	return nil
}
