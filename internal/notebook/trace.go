package notebook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
)

// Tracer makes the spans of notebook runs; internal/telemetry implements it
// with OpenTelemetry. A nil Tracer traces nothing and costs nothing.
type Tracer interface {
	// Start begins a span named name under the span in ctx or, when ctx
	// has none, the root span of a trace whose id is traceID (32 hex
	// digits: the trace_id of the run's events).
	Start(ctx context.Context, traceID, name string, attrs ...Attr) (context.Context, Span)
}

// Span is one timed operation; End records its outcome.
type Span interface {
	End(err error)
}

// Attr is a span attribute.
type Attr struct {
	Key   string
	Value any // string, int, bool or float64
}

// traceKey is the context key of the current trace.
type traceKey struct{}

type traceState struct {
	id     string
	tracer Tracer // nil: the id only
}

// StartTrace begins the trace of one notebook run (or one lab stage): its
// id becomes the trace_id of every event of the run, and with a tracer its
// root span is named name. end closes the root span.
func StartTrace(ctx context.Context, t Tracer, name string, attrs ...Attr) (_ context.Context, end func(error)) {
	st := traceState{id: newTraceID(), tracer: t}
	ctx = context.WithValue(ctx, traceKey{}, st)
	if t == nil {
		return ctx, func(error) {}
	}
	ctx, span := t.Start(ctx, st.id, name, attrs...)
	return ctx, span.End
}

// startSpan begins a child span of the trace in ctx, if it has a tracer.
func startSpan(ctx context.Context, name string, attrs ...Attr) (context.Context, func(error)) {
	st, ok := ctx.Value(traceKey{}).(traceState)
	if !ok || st.tracer == nil {
		return ctx, func(error) {}
	}
	ctx, span := st.tracer.Start(ctx, st.id, name, attrs...)
	return ctx, span.End
}

// startCellSpan begins the span of a cell; without a tracer it builds
// nothing (a context lookup, no allocation).
func startCellSpan(ctx context.Context, cell Cell) (context.Context, func(error)) {
	if st, _ := ctx.Value(traceKey{}).(traceState); st.tracer == nil {
		return ctx, noEnd
	}
	return startSpan(ctx, "cell "+cell.ID, Attr{"cell.id", cell.ID}, Attr{"cell.number", cell.Number})
}

func noEnd(error) {}

// CurrentTraceID is the id of the trace in ctx, "" outside any trace.
func CurrentTraceID(ctx context.Context) string {
	st, _ := ctx.Value(traceKey{}).(traceState)
	return st.id
}

// traceID is the id of the trace in ctx, or a new one outside any trace.
func traceID(ctx context.Context) string {
	if st, ok := ctx.Value(traceKey{}).(traceState); ok {
		return st.id
	}
	return newTraceID()
}

// newTraceID returns a W3C-style 128-bit trace id in hex.
func newTraceID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
