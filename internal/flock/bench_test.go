package flock

import (
	"testing"
	"time"
)

// BenchmarkStatsRecord is the cost of recording one timing sample into a
// flock's windowed stats (what every stage, notebook and cell event pays).
func BenchmarkStatsRecord(b *testing.B) {
	s := NewStats(time.Hour)
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		s.Record("cell", now, 20*time.Millisecond, true)
	}
}
