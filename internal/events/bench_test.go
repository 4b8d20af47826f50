package events_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/events"
)

type nopSink struct{}

func (nopSink) Write(context.Context, []events.Event) error { return nil }
func (nopSink) Close() error                                { return nil }

// benchQueue is big enough that the publish path, not the writer, is measured.
func benchQueue(b *testing.B) *events.Queue {
	q := events.NewQueue(nopSink{}, events.QueueOptions{Size: 1 << 20})
	b.Cleanup(func() { q.Close(context.Background()) })
	return q
}

// BenchmarkPublish is the cost of one Publish (id stamping and validation
// included); the event allocation itself is the +1 alloc.
func BenchmarkPublish(b *testing.B) {
	q := benchQueue(b)
	base := events.NewBase(time.Now(), "f", "EmptyLoop", "bot-mobu-0001")
	b.ReportAllocs()
	for b.Loop() {
		q.Publish(&events.EmptyLoop{Base: base, Success: true})
	}
}

// BenchmarkPublish10kGoroutines publishes from 10,000 goroutines at once;
// ns/op is wall time per event.
func BenchmarkPublish10kGoroutines(b *testing.B) {
	const goroutines = 10000
	q := benchQueue(b)
	base := events.NewBase(time.Now(), "f", "EmptyLoop", "bot-mobu-0001")
	b.ReportAllocs()
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := range goroutines {
		n := b.N / goroutines
		if g < b.N%goroutines {
			n++
		}
		wg.Go(func() {
			<-start
			for range n {
				q.Publish(&events.EmptyLoop{Base: base, Success: true})
			}
		})
	}
	b.ResetTimer()
	close(start)
	wg.Wait()
	b.StopTimer()
	s := q.Stats()
	b.ReportMetric(float64(s.Dropped)/float64(b.N), "dropped/op")
}
