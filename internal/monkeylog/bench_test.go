package monkeylog

import (
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"testing"
	"time"
)

func BenchmarkLog(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts Options
		next slog.Handler
	}{
		{"memory", Options{}, nil},
		{"file", Options{Dir: b.TempDir()}, nil},
		{"forward", Options{}, slog.NewTextHandler(io.Discard, nil)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			l := newLog(b, bc.opts)
			logger := slog.New(l.Handler(bc.next))
			b.ReportAllocs()
			for b.Loop() {
				logger.Info("notebook ran", "notebook", "tutorial.ipynb", "cell", 12,
					"duration", 1500*time.Millisecond)
			}
		})
	}
}

// idleBytesPerLog measures the heap used by n Logs (with handlers) holding
// ten lines each.
func idleBytesPerLog(tb testing.TB, n int) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	logs := make([]*slog.Logger, n)
	for i := range logs {
		l, err := New("flock", fmt.Sprintf("bot-mobu-user%d", i), Options{})
		if err != nil {
			tb.Fatal(err)
		}
		logs[i] = slog.New(l.Handler(nil))
		for j := range 10 {
			logs[i].Info("cell executed", "notebook", "tutorial.ipynb", "cell", j)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(logs)
	return float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
}

// TestIdleMemory guards against preallocating the rings: 10,000 monkeys per
// process must stay cheap.
func TestIdleMemory(t *testing.T) {
	per := idleBytesPerLog(t, 1000)
	t.Logf("%.0f bytes per Log with 10 lines", per)
	if per >= 4<<10 {
		t.Errorf("%.0f bytes per idle Log, want < 4 KiB", per)
	}
}

func BenchmarkIdleLog(b *testing.B) {
	var per float64
	for b.Loop() {
		per = idleBytesPerLog(b, 1000)
	}
	b.ReportMetric(per, "B/log")
}
