package flock

import (
	"context"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/events"
	"github.com/mobu-dev/mobu/internal/telemetry"
	"github.com/mobu-dev/mobu/internal/testotlp"
)

// TestSessionRootExportedWithoutLabDelete: a monkey whose lab session ends
// before any lab delete that ends it (stopped while loading its notebooks,
// or failed there without restart) still ends the session's root span, so
// the exporter sends it with the login and leftover delete spans under it
// (a lab an earlier run left running).
func TestSessionRootExportedWithoutLabDelete(t *testing.T) {
	for _, tc := range []struct {
		name string
		prep func(*harness) (stop func())
	}{
		{"stopped while loading notebooks", func(h *harness) func() {
			h.src.loadStart = make(chan struct{}, 1)
			return func() { <-h.src.loadStart; h.m.Delete("st") }
		}},
		{"startup failed, no restart", func(h *harness) func() {
			h.src.failLoads(errors.New("bad mobu.yaml"))
			return func() {
				f, _ := h.m.Get("st")
				eventually(t, "the failure", func() bool { return f.Monkeys()[0].Data().State == StateError })
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recv := testotlp.New(t)
			t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", recv.URL()) // the exporter reads it itself
			tr, err := telemetry.TracingFromEnv(context.Background(), func(k string) string {
				return map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": recv.URL()}[k]
			}, "1.0")
			if err != nil || tr == nil {
				t.Fatalf("tracing: %v, %v", tr, err)
			}
			h := newHarness(t, nil)
			h.lab.running.Store(true) // left by an earlier run: the startup deletes it
			h.m.opts.Tracer, h.m.opts.Grace = tr, 300*time.Millisecond
			wait := tc.prep(h)
			if _, err := h.m.Start(context.Background(), flockSpec(t, sessionFlock)); err != nil {
				t.Fatal(err)
			}
			wait()
			h.m.StopAll()
			if err := tr.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			evs := h.pub.stageEvents()
			if len(evs) != 2 || evs[0].Name() != events.NameLogin || evs[0].TraceID == nil {
				t.Fatalf("stage events %v: want the login and the leftover delete", evs)
			}
			names := map[string]bool{}
			var root bool
			for _, s := range recv.Trace(*evs[0].TraceID) {
				names[s.Name] = true
				root = root || (s.Name == "lab session" && len(s.ParentSpanId) == 0 && hex.EncodeToString(s.TraceId) == *evs[0].TraceID)
			}
			if !root || !names["login"] || !names["lab delete"] {
				t.Fatalf("exported spans of the session's trace: %v; want its lab session root, login and lab delete", names)
			}
		})
	}
}

const sessionFlock = `
name: st
count: 1
users: [{username: bot-mobu-st}]
business:
  type: NotebookRunnerList
  restart: false
  options: {notebook_dir: /unused, execution_idle_time: 0}`
