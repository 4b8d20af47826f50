// Package jsonl is an event sink writing one JSON object per line, with an
// "event" field naming the type first.
package jsonl

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/mobu-dev/mobu/internal/events"
)

// Sink writes events as JSON lines to a file or writer.
type Sink struct {
	w      *bufio.Writer
	closer io.Closer
}

// Create opens path for writing (truncating it unless appendTo is set).
func Create(path string, appendTo bool) (*Sink, error) {
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if appendTo {
		flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening events file: %w", err)
	}
	return &Sink{w: bufio.NewWriterSize(f, 64<<10), closer: f}, nil
}

// New writes to w; Close does not close w.
func New(w io.Writer) *Sink { return &Sink{w: bufio.NewWriter(w)} }

// Write implements events.Sink; each batch is flushed.
func (s *Sink) Write(_ context.Context, batch []events.Event) error {
	for _, e := range batch {
		line, err := Marshal(e)
		if err != nil {
			return err
		}
		s.w.Write(line)
	}
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("writing events: %w", err)
	}
	return nil
}

// Close flushes and closes the file.
func (s *Sink) Close() error {
	err := s.w.Flush()
	if s.closer != nil {
		if cerr := s.closer.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// Marshal renders one event as a JSON line: {"event":"<name>",<fields>}\n.
// It is events.MarshalLine, kept for existing callers.
func Marshal(e events.Event) ([]byte, error) { return events.MarshalLine(e) }
