package telemetry

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestEventsMetrics(t *testing.T) {
	reg := NewRegistry()
	stats := map[string]int{"published": 10, "written": 7, "dropped": 1, "spilled": 3, "pending": 2, "queued": 0}
	if err := RegisterEvents(reg, func() any { return stats }); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(Handler(reg))
	defer srv.Close()
	stats["written"] = 8 // read at scrape time, not at registration
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		"mobu_events_published_total 10", "mobu_events_written_total 8", "mobu_events_dropped_total 1",
		"mobu_events_spilled_total 3", "mobu_events_pending 2", "# TYPE mobu_events_pending gauge",
		"# TYPE mobu_events_retries_total counter", "go_goroutines", "process_cpu_seconds_total",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if err := RegisterEvents(reg, func() any { return stats }); err == nil {
		t.Error("registering twice succeeded")
	}
}
