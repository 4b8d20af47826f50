package monkeylog

import (
	"context"
	"log/slog"
	"slices"
)

// Handler returns a slog.Handler that records every record at or above
// Options.Level into l and also forwards it to next (the process logger) if
// next is non-nil and enabled for the record's level.
func (l *Log) Handler(next slog.Handler) slog.Handler {
	return &handler{log: l, next: next}
}

type handler struct {
	log    *Log
	next   slog.Handler // may be nil
	prefix string       // group prefix for attribute keys, e.g. "a.b."
	attrs  []byte       // attributes from WithAttrs, formatted as " key=value"...
}

// Enabled reports whether l or next wants records at level.
func (h *handler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.records(level) || (h.next != nil && h.next.Enabled(ctx, level))
}

func (h *handler) records(level slog.Level) bool {
	return level >= h.log.level.Level()
}

// Handle records r in the log if its level is high enough and forwards it to
// next if next is enabled for it. It returns next's error, if any.
func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	if h.records(r.Level) {
		var scratch [256]byte
		h.log.record(h.format(scratch[:0], r), r.Level >= slog.LevelWarn)
	}
	if h.next != nil && h.next.Enabled(ctx, r.Level) {
		return h.next.Handle(ctx, r)
	}
	return nil
}

// format appends the line for r (without newline) to buf.
func (h *handler) format(buf []byte, r slog.Record) []byte {
	buf = appendHeader(buf, r.Time, r.Level, r.Message)
	buf = append(buf, h.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		buf = appendAttr(buf, h.prefix, a)
		return true
	})
	return buf
}

// WithAttrs returns a handler whose lines include attrs, under the current
// group prefix.
func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	h2 := *h
	h2.attrs = slices.Clip(h.attrs) // appending must not share h's array
	for _, a := range attrs {
		h2.attrs = appendAttr(h2.attrs, h.prefix, a)
	}
	if h.next != nil {
		h2.next = h.next.WithAttrs(attrs)
	}
	return &h2
}

// WithGroup returns a handler that writes later attribute keys as name.key.
func (h *handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.prefix = h.prefix + name + "."
	if h.next != nil {
		h2.next = h.next.WithGroup(name)
	}
	return &h2
}
