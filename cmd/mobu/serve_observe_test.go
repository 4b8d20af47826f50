package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/mobu-dev/mobu/internal/alert"
	"github.com/mobu-dev/mobu/internal/telemetry"
	"github.com/mobu-dev/mobu/internal/testotlp"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// slackFake is a Slack incoming webhook keeping the messages it gets.
type slackFake struct {
	srv  *httptest.Server
	mu   sync.Mutex
	msgs []map[string]any
}

func newSlackFake(t *testing.T) *slackFake {
	s := &slackFake{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("Content-Type") != "application/json" || json.Unmarshal(body, &m) != nil {
			http.Error(w, "invalid_payload", http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.msgs = append(s.msgs, m)
		s.mu.Unlock()
		io.WriteString(w, "ok")
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *slackFake) messages() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, m := range s.msgs {
		b, _ := json.Marshal(m)
		out = append(out, string(b))
	}
	return out
}

// TestServeObservability runs a flock whose notebook fails on the real hub
// and checks what people and tools see: a Slack alert naming the cell with
// its traceback and trace id, that trace exported over OTLP with the stage
// and cell spans, and per-flock histograms on /metrics.
func TestServeObservability(t *testing.T) {
	h := testHub.Get(t)
	dir := t.TempDir()
	for _, name := range []string{"hello.ipynb", "fails-on-purpose.ipynb"} {
		b, err := os.ReadFile(filepath.Join("../../examples/notebooks", name))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, name), b, 0o644)
	}
	slack, otlp := newSlackFake(t), testotlp.New(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", otlp.URL()) // the exporter reads the process environment
	env := hubEnv(h)
	env["MOBU_ALERT_HOOK"], env["OTEL_EXPORTER_OTLP_ENDPOINT"] = slack.srv.URL, otlp.URL()
	release := testHub.SpawnSlot()
	defer release()
	events := filepath.Join(t.TempDir(), "events.jsonl")
	s := startService(t, env, `
jupyterhub: {}
slackAlerts: true
alerts: {quietPeriod: 1h, dailyStatus: "off"}
autostart:
  - name: obs
    count: 1
    users: [{username: bot-mobu-obs}]
    business:
      type: NotebookRunnerList
      restart: true
      options: {notebook_dir: `+dir+`, notebook_order: sorted, execution_idle_time: 0, error_idle_time: 30}
`, "--events", events)
	waitFor(t, "a Slack alert", 3*time.Minute, func() (bool, error) { return len(slack.messages()) > 0, nil })
	metrics := get(t, strings.TrimSuffix(s.url, "/mobu")+"/metrics")
	if err := s.stop(t); err != nil {
		t.Fatalf("serve: %v\n%s", err, s.logs)
	}
	msg := slack.messages()[0]
	for _, want := range []string{"obs", "fails-on-purpose.ipynb", "`fail` (#2)", "ValueError", "this notebook fails on purpose",
		"raise ValueError", "bot-mobu-obs"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the Slack alert lacks %q:\n%s", want, msg)
		}
	}
	trace := failedTrace(t, events)
	if !strings.Contains(msg, trace) {
		t.Errorf("the alert does not carry the failed run's trace id %s", trace)
	}
	var names []string
	for _, sp := range otlp.Trace(trace) {
		names = append(names, sp.Name)
	}
	for _, want := range []string{"notebook fails-on-purpose.ipynb", "kernel start", "cell setup", "cell fail", "session delete"} {
		if !strings.Contains(strings.Join(names, ","), want) {
			t.Errorf("trace %s spans %v lack %q", trace, names, want)
		}
	}
	for _, want := range []string{`mobu_stage_duration_seconds_count{flock="obs",stage="spawn",success="true"} 1`,
		`mobu_cell_duration_seconds_count{flock="obs",success="false"} 1`, `mobu_flock_monkeys{flock="obs",state=`,
		`mobu_alerts_sent_total`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// failedTrace is the trace id of the failed notebook_execution event.
func failedTrace(t *testing.T, path string) string {
	t.Helper()
	for _, e := range readEvents(t, path) {
		if e["event"] == "notebook_execution" && e["success"] == false {
			id, _ := e["trace_id"].(string)
			if _, err := hex.DecodeString(id); err != nil || len(id) != 32 {
				t.Fatalf("trace id %q", id)
			}
			return id
		}
	}
	t.Fatal("no failed notebook_execution event")
	return ""
}

func get(t *testing.T, url string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestServeMetricsDuringChurn scrapes /metrics while flocks are created and
// deleted through the API: every scrape parses, and a deleted flock's
// series are gone.
func TestServeMetricsDuringChurn(t *testing.T) {
	s := startService(t, nil, "shutdownGracePeriod: 10s\n")
	ctx := context.Background()
	metricsURL := strings.TrimSuffix(s.url, "/mobu") + "/metrics"
	done := make(chan struct{})
	var wg sync.WaitGroup
	var churnErr error
	wg.Go(func() {
		defer close(done)
		for i := range 40 {
			name := fmt.Sprintf("churn%d", i%3)
			spec := fmt.Sprintf(`{"name":%q,"count":4,"user_spec":{"username_prefix":"bot-mobu-%s-"},"scopes":[],`+
				`"business":{"type":"EmptyLoop","options":{"idle_time":0.01}}}`, name, name)
			if _, err := s.api.StartFlock(ctx, []byte(spec)); err != nil {
				churnErr = err
				return
			}
			if i%2 == 1 {
				if err := s.api.StopFlock(ctx, name); err != nil {
					churnErr = err
					return
				}
			}
		}
	})
	scrapes := 0
	for waiting := true; waiting; scrapes++ {
		select {
		case <-done:
			waiting = false
		default:
		}
		parseMetrics(t, get(t, metricsURL))
	}
	wg.Wait()
	if churnErr != nil {
		t.Fatal(churnErr)
	}
	names, _ := s.api.Flocks(ctx)
	for _, n := range []string{"churn0", "churn1", "churn2"} {
		if slices.Contains(names, n) {
			s.api.StopFlock(ctx, n)
		}
	}
	fams := parseMetrics(t, get(t, metricsURL))
	for _, name := range []string{"mobu_flock_monkeys", "mobu_checks_total"} {
		for _, m := range fams[name].GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "flock" && strings.HasPrefix(l.GetValue(), "churn") {
					t.Errorf("%s keeps a deleted flock: %v", name, m)
				}
			}
		}
	}
	t.Logf("%d scrapes during the churn", scrapes)
}

func parseMetrics(t *testing.T, text string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

// A deleted flock's open alerts are forgotten with its metrics, so the
// flock created again under its name starts fresh.
func TestFlockDeletedForgetsAlerts(t *testing.T) {
	in, err := telemetry.NewInstruments(telemetry.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	o := &observability{instruments: in, alerts: alert.New(alert.Config{})}
	o.alerts.Failed(alert.Failure{Flock: "f", Notebook: "a.ipynb", ErrorType: "ValueError"})
	o.alerts.Failed(alert.Failure{Flock: "g", Notebook: "a.ipynb", ErrorType: "ValueError"})
	o.flockDeleted("f")
	if n := o.alerts.OpenFailures(); n != 1 {
		t.Errorf("%d open failures after deleting f, want g's 1", n)
	}
	(&observability{instruments: in}).flockDeleted("g") // no alert target
}
