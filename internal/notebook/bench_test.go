package notebook

import (
	"context"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/events"
)

type nopKernel struct{}

func (nopKernel) Execute(context.Context, string, ExecOptions) (*Execution, error) {
	return &Execution{Status: "ok", Duration: time.Millisecond}, nil
}

type nopPublisher struct{}

func (nopPublisher) Publish(events.Event) {}

// BenchmarkRunnerPerCell is mobu's own work per cell outside the kernel:
// judging the answer, building and publishing the cell event, and the
// (untraced) span hook.
func BenchmarkRunnerPerCell(b *testing.B) {
	cells := make([]Cell, 100)
	for i := range cells {
		cells[i] = Cell{Source: "x = 1"}
	}
	n := nb(cells...)
	r := &Runner{Meta: Meta{Flock: "f", Business: "NotebookRunnerList", Username: "bot-mobu-b"}, Publisher: nopPublisher{}}
	ctx, end := StartTrace(context.Background(), nil, "notebook")
	defer end(nil)
	b.ReportAllocs()
	for b.Loop() {
		r.Run(ctx, nopKernel{}, n, "a.ipynb")
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(cells)), "ns/cell")
}
