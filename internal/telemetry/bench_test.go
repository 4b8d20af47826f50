package telemetry

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/mobu-dev/mobu/internal/events"
	"github.com/mobu-dev/mobu/internal/notebook"
)

// BenchmarkInstrumentCell is the Prometheus cost of one cell event: a
// counter and a histogram observation (label lookup included).
func BenchmarkInstrumentCell(b *testing.B) {
	in, err := NewInstruments(NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	pub := in.Publisher(&discard{})
	ev := &events.NotebookCellExecution{Base: base("flock"), Duration: secs(0.02), Success: true, CellID: "a", CellNumber: 1}
	b.ReportAllocs()
	for b.Loop() {
		pub.Publish(ev)
	}
}

// BenchmarkTraceCellSpan is the OpenTelemetry cost of one cell: starting
// and ending a child span of the notebook's trace (export batched away).
func BenchmarkTraceCellSpan(b *testing.B) {
	tr := NewTracing(tracetest.NewNoopExporter(), "bench")
	defer tr.Shutdown(context.Background())
	ctx, end := notebook.StartTrace(context.Background(), tr, "notebook a.ipynb")
	defer end(nil)
	b.ReportAllocs()
	for b.Loop() {
		_, s := tr.Start(ctx, "", "cell a", notebook.Attr{Key: "cell.id", Value: "a"}, notebook.Attr{Key: "cell.number", Value: 1})
		s.End(nil)
	}
}
