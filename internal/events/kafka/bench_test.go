package kafka

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/mobu-dev/mobu/internal/events"
)

// BenchmarkSinkWrite measures sustained Write throughput of batches of 500
// cell events (Avro, registered schema) into kfake with srfake.
func BenchmarkSinkWrite(b *testing.B) {
	for _, partitions := range []int32{1, 4} {
		b.Run(fmt.Sprintf("partitions=%d", partitions), func(b *testing.B) {
			cluster := newCluster(b, kfake.SeedTopics(partitions, testTopic))
			cfg := testConfig(b, cluster, newFakeRegistry(b))
			cfg.Logger = nil
			sink := openSink(b, cfg)
			batch := make([]events.Event, 500)
			for i := range batch {
				batch[i] = &events.NotebookCellExecution{Base: base(i, fmt.Sprintf("bot-mobu-%d", i%20), "bench"),
					NotebookBase: notebookBase(), Duration: f64(0.5), CellID: fmt.Sprintf("cell-%d", i), Success: true,
					KernelDuration: f64(0.4), TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", CellNumber: i + 1}
			}
			ctx := testCtx(b)
			if err := sink.Write(ctx, batch); err != nil { // registers the schema
				b.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			b.ResetTimer()
			for b.Loop() {
				if err := sink.Write(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			runtime.ReadMemStats(&after)
			n := float64(b.N * len(batch))
			b.ReportMetric(n/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/n, "allocs/event")
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/n, "B/event")
		})
	}
}
