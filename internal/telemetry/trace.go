package telemetry

import (
	"context"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/mobu-dev/mobu/internal/notebook"
)

// Tracing records notebook runs as OpenTelemetry traces: one trace per
// notebook run (kernel start, cells, session delete as spans) and per lab
// session (login, spawn, lab delete), whose trace id is the trace_id of the
// run's or the session's events.
type Tracing struct {
	tp     *sdktrace.TracerProvider
	tracer trace.Tracer
}

// TracingFromEnv configures tracing from the standard OTEL_* variables:
// it is on when OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set (OTLP over HTTP/protobuf), unless
// OTEL_SDK_DISABLED is true or OTEL_TRACES_EXPORTER is none. It returns nil
// when tracing is off.
func TracingFromEnv(ctx context.Context, getenv func(string) string, version string) (*Tracing, error) {
	if strings.EqualFold(getenv("OTEL_SDK_DISABLED"), "true") || getenv("OTEL_TRACES_EXPORTER") == "none" ||
		(getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "") {
		return nil, nil
	}
	for _, v := range []string{"OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"} {
		if p := getenv(v); p != "" && p != "http/protobuf" {
			return nil, fmt.Errorf("$%s=%s: only http/protobuf is supported", v, p)
		}
	}
	exp, err := otlptracehttp.New(ctx) // endpoint, headers, timeout… from OTEL_EXPORTER_OTLP_*
	if err != nil {
		return nil, fmt.Errorf("creating the OTLP trace exporter: %w", err)
	}
	return NewTracing(exp, version), nil
}

// NewTracing sends spans to exp in batches (OTEL_BSP_* apply); the sampler
// follows OTEL_TRACES_SAMPLER, by default every trace.
func NewTracing(exp sdktrace.SpanExporter, version string) *Tracing {
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(
		semconv.ServiceName("mobu"), semconv.ServiceVersion(version)))
	if err != nil {
		res = resource.Default()
	}
	if env, err := resource.New(context.Background(), resource.WithFromEnv()); err == nil {
		if merged, err := resource.Merge(res, env); err == nil {
			res = merged // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win
		}
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res),
		sdktrace.WithIDGenerator(idGenerator{}))
	return &Tracing{tp: tp, tracer: tp.Tracer("github.com/mobu-dev/mobu")}
}

// Start implements notebook.Tracer.
func (t *Tracing) Start(ctx context.Context, traceID, name string, attrs ...notebook.Attr) (context.Context, notebook.Span) {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		ctx = context.WithValue(ctx, rootTraceKey{}, traceID) // read by idGenerator
	}
	ctx, span := t.tracer.Start(ctx, name, trace.WithAttributes(otelAttrs(attrs)...))
	return ctx, otelSpan{span}
}

// Shutdown flushes pending spans within ctx.
func (t *Tracing) Shutdown(ctx context.Context) error { return t.tp.Shutdown(ctx) }

type otelSpan struct{ s trace.Span }

func (s otelSpan) End(err error) {
	if err != nil {
		s.s.SetStatus(codes.Error, err.Error())
	}
	s.s.End()
}

func otelAttrs(attrs []notebook.Attr) []attribute.KeyValue {
	out := make([]attribute.KeyValue, 0, len(attrs))
	for _, a := range attrs {
		switch v := a.Value.(type) {
		case string:
			out = append(out, attribute.String(a.Key, v))
		case int:
			out = append(out, attribute.Int(a.Key, v))
		case bool:
			out = append(out, attribute.Bool(a.Key, v))
		case float64:
			out = append(out, attribute.Float64(a.Key, v))
		default:
			out = append(out, attribute.String(a.Key, fmt.Sprint(v)))
		}
	}
	return out
}

// rootTraceKey carries the trace id a new root span must use.
type rootTraceKey struct{}

// idGenerator gives root spans the trace id of their run (the events'
// trace_id) and random span ids.
type idGenerator struct{}

func (idGenerator) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	var tid trace.TraceID
	if s, ok := ctx.Value(rootTraceKey{}).(string); ok {
		if b, err := hex.DecodeString(s); err == nil && len(b) == len(tid) {
			copy(tid[:], b)
		}
	}
	if !tid.IsValid() {
		randomFill(tid[:])
	}
	return tid, newSpanID()
}

func (idGenerator) NewSpanID(context.Context, trace.TraceID) trace.SpanID { return newSpanID() }

func newSpanID() trace.SpanID {
	var sid trace.SpanID
	for !sid.IsValid() {
		randomFill(sid[:])
	}
	return sid
}

func randomFill(b []byte) {
	for i := range b {
		b[i] = byte(rand.Uint32())
	}
}
