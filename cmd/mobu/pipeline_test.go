package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/events"
	"github.com/mobu-dev/mobu/internal/telemetry"
)

// reported renders the pipeline's stats as the summary API and /metrics do.
func reported(t *testing.T, p *pipeline) (summary map[string]any, metrics string) {
	t.Helper()
	b, err := json.Marshal(p.Stats())
	if err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(b, &summary)
	reg := telemetry.NewRegistry()
	if err := telemetry.RegisterEvents(reg, func() any { return p.Stats() }); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	telemetry.Handler(reg).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	return summary, string(body)
}

func wantReported(t *testing.T, p *pipeline, summary map[string]float64, absent []string, metrics []string) {
	t.Helper()
	got, text := reported(t, p)
	for k, v := range summary {
		if got[k] != v {
			t.Errorf("summary %s = %v, want %v (%v)", k, got[k], v, got)
		}
	}
	for _, k := range absent {
		if _, ok := got[k]; ok {
			t.Errorf("summary has %s: %v", k, got)
		}
	}
	for _, m := range metrics {
		if !strings.Contains(text, "\n"+m+"\n") {
			t.Errorf("/metrics lacks %q", m)
		}
	}
}

// With Kafka and a JSON lines file, the file's deliveries and losses are
// reported beside Kafka's.
func TestPipelineStatsIncludeTheFile(t *testing.T) {
	reg := srfake.New()
	t.Cleanup(reg.Close)
	c := startKafka(t, 0, eventsTopic)
	var m config.Metrics
	m.Enabled, m.Kafka.BootstrapServers, m.SchemaManager.RegistryURL = true, c.ListenAddrs(), reg.URL()
	p, err := openPipeline(t.Context(), m, filepath.Join(t.TempDir(), "events.jsonl"), false, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	loopEvents(p, 3)
	if err := p.close(t.Context()); err != nil {
		t.Fatal(err)
	}
	loopEvents(p, 2) // after close: dropped by both destinations
	wantReported(t, p, map[string]float64{"written": 3, "dropped": 2, "file_written": 3, "file_dropped": 2, "discarded": 0}, nil,
		[]string{"mobu_events_file_dropped_total 2", "mobu_events_file_written_total 3", "mobu_events_dropped_total 2"})
}

// With no destination, events are validated and discarded, not written.
func TestPipelineStatsDiscarded(t *testing.T) {
	p, err := openPipeline(t.Context(), config.Metrics{}, "", false, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	loopEvents(p, 3)
	p.Publish(&events.EmptyLoop{}) // no username, no business: invalid
	if err := p.close(t.Context()); err != nil {
		t.Fatal(err)
	}
	wantReported(t, p, map[string]float64{"published": 3, "written": 0, "discarded": 3, "invalid": 1},
		[]string{"file_written", "file_dropped"},
		[]string{"mobu_events_discarded_total 3", "mobu_events_written_total 0", "mobu_events_file_dropped_total 0"})
}
