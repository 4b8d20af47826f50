package telemetry

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/mobu-dev/mobu/internal/events"
)

type discard struct{ n atomic.Int64 }

func (d *discard) Publish(events.Event) { d.n.Add(1) }

func base(flock string) events.Base {
	return events.NewBase(time.Now(), flock, "NotebookRunnerList", "bot-mobu-a")
}

func secs(f float64) *float64 { return &f }

// scrape fetches and parses the registry's exposition.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	r, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(r.Body)
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	return fams
}

func TestInstrumentsObserveEvents(t *testing.T) {
	reg := NewRegistry()
	in, err := NewInstruments(reg)
	if err != nil {
		t.Fatal(err)
	}
	next := &discard{}
	pub := in.Publisher(next)
	pub.Publish(events.NewStage(events.NameSpawnLab, base("f"), 2.5, true))
	pub.Publish(events.NewStage(events.NameSpawnLab, base("f"), 700, false))
	pub.Publish(&events.NotebookCellExecution{Base: base("f"), Duration: secs(0.02), Success: true, CellID: "a", CellNumber: 1})
	pub.Publish(&events.NotebookCellExecution{Base: base("f"), Duration: secs(0.5), Success: true, Skipped: true, CellID: "b", CellNumber: 2})
	pub.Publish(&events.NotebookCellExecution{Base: base("f"), Success: false, CellID: "c", CellNumber: 3}) // never ran
	pub.Publish(&events.NotebookExecution{Base: base("g"), Duration: secs(3), Success: true})
	pub.Publish(&events.EmptyLoop{Base: base(""), Success: true})
	if next.n.Load() != 7 {
		t.Fatalf("forwarded %d events, want 7", next.n.Load())
	}
	srv := httptest.NewServer(Handler(reg))
	defer srv.Close()
	fams := scrape(t, srv.URL)
	spawnOK := histogram(t, fams, "mobu_stage_duration_seconds", map[string]string{"flock": "f", "stage": "spawn", "success": "true"})
	if spawnOK.GetSampleCount() != 1 || spawnOK.GetSampleSum() != 2.5 {
		t.Errorf("spawn histogram %v", spawnOK)
	}
	cells := histogram(t, fams, "mobu_cell_duration_seconds", map[string]string{"flock": "f", "success": "true"})
	if cells.GetSampleCount() != 1 || cells.GetSampleSum() != 0.02 {
		t.Errorf("cells histogram %v: the skipped and never-run cells must not count", cells)
	}
	if n := counter(t, fams, "mobu_checks_total", map[string]string{"flock": "f", "event": "notebook_cell_execution", "success": "false"}); n != 1 {
		t.Errorf("failed cell count %v", n)
	}
	if n := counter(t, fams, "mobu_checks_total", map[string]string{"flock": "", "event": "empty_loop", "success": "true"}); n != 1 {
		t.Errorf("empty loop count %v", n)
	}
	in.Forget("f")
	for _, m := range scrape(t, srv.URL)["mobu_checks_total"].GetMetric() {
		if labels(m)["flock"] == "f" {
			t.Errorf("series of a forgotten flock remain: %v", m)
		}
	}
}

// Scrapes while flocks come and go and events flow stay consistent (-race).
func TestScrapeDuringChurn(t *testing.T) {
	reg := NewRegistry()
	in, _ := NewInstruments(reg)
	var mu sync.Mutex
	live := map[string]bool{}
	RegisterFlocks(reg, func() []FlockState {
		mu.Lock()
		defer mu.Unlock()
		var out []FlockState
		for name := range live {
			out = append(out, FlockState{Name: name, States: map[string]int{"RUNNING": 2, "IDLE": 1}, Successes: 5, Failures: 1})
		}
		return out
	})
	srv := httptest.NewServer(Handler(reg))
	defer srv.Close()
	pub := in.Publisher(&discard{})
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			name := fmt.Sprintf("f%d", i%5)
			mu.Lock()
			live[name] = i%2 == 0
			if !live[name] {
				delete(live, name)
			}
			mu.Unlock()
			pub.Publish(events.NewStage(events.NameLogin, base(name), 0.1, true))
			if i%7 == 0 {
				in.Forget(name)
			}
		}
	})
	for range 20 {
		fams := scrape(t, srv.URL)
		for _, m := range fams["mobu_flock_monkeys"].GetMetric() {
			if l := labels(m); l["flock"] == "" || (l["state"] != "RUNNING" && l["state"] != "IDLE") {
				t.Fatalf("bad flock series %v", l)
			}
		}
	}
	close(done)
	wg.Wait()
	mu.Lock()
	live = map[string]bool{"last": true}
	mu.Unlock()
	fams := scrape(t, srv.URL)
	if n := len(fams["mobu_flock_monkeys"].GetMetric()); n != 2 {
		t.Errorf("%d monkey series for one flock with two states, want 2 (deleted flocks must vanish)", n)
	}
	if v := counter(t, fams, "mobu_flock_executions_total", map[string]string{"flock": "last", "outcome": "failure"}); v != 1 {
		t.Errorf("failures %v", v)
	}
}

func labels(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

func find(t *testing.T, fams map[string]*dto.MetricFamily, name string, want map[string]string) *dto.Metric {
	t.Helper()
	for _, m := range fams[name].GetMetric() {
		l := labels(m)
		match := true
		for k, v := range want {
			match = match && l[k] == v
		}
		if match {
			return m
		}
	}
	t.Fatalf("no %s%v", name, want)
	return nil
}

func histogram(t *testing.T, fams map[string]*dto.MetricFamily, name string, l map[string]string) *dto.Histogram {
	t.Helper()
	return find(t, fams, name, l).GetHistogram()
}

func counter(t *testing.T, fams map[string]*dto.MetricFamily, name string, l map[string]string) float64 {
	t.Helper()
	return find(t, fams, name, l).GetCounter().GetValue()
}
