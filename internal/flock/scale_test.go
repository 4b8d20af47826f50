package flock

import (
	"context"
	"log/slog"
	"runtime"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/events"
	"github.com/mobu-dev/mobu/internal/monkeylog"
)

// BenchmarkFlock10k starts a flock of 10,000 EmptyLoop monkeys (one
// goroutine, log ring and business each; idle 60 s so they sit idle after
// their first execution), reports the heap per monkey and the start and stop
// times, then stops them. Run with -benchtime=1x.
func BenchmarkFlock10k(b *testing.B) {
	const n = 10000
	spec := &config.Flock{Name: "scale", Count: n, UserSpec: &config.UserSpec{UsernamePrefix: "bot-mobu-s"},
		Business: config.Business{Type: config.EmptyLoop, Restart: true}}
	opts := config.BaseOptions{IdleTime: config.Duration(time.Minute), ErrorIdleTime: config.Duration(time.Minute), LogLevel: "INFO"}
	spec.Business.Options = &opts
	for b.Loop() {
		m := NewManager(Options{Registry: Registry{config.EmptyLoop: NewEmptyLoop}, Publisher: events.Discard{},
			Logger: slog.New(slog.DiscardHandler), MonkeyLogs: monkeylog.Options{}, Grace: 10 * time.Second})
		before, stackBefore := memory()
		start := time.Now()
		f, err := m.Start(context.Background(), spec)
		if err != nil {
			b.Fatal(err)
		}
		started := time.Since(start)
		for f.Summary(time.Now()).SuccessCount < n {
			time.Sleep(10 * time.Millisecond)
		}
		after, stackAfter := memory()
		perMonkey := float64(after-before) / n
		stackPerMonkey := float64(stackAfter-stackBefore) / n
		goroutines := runtime.NumGoroutine()
		start = time.Now()
		m.StopAll()
		b.ReportMetric(perMonkey, "heapB/monkey")
		b.ReportMetric(stackPerMonkey, "stackB/monkey")
		b.ReportMetric(started.Seconds(), "start-s")
		b.ReportMetric(time.Since(start).Seconds(), "stop-s")
		b.ReportMetric(float64(goroutines)/n, "goroutines/monkey")
	}
}

// memory returns live heap and goroutine stack bytes after a GC.
func memory() (heap, stack uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc, ms.StackInuse
}
