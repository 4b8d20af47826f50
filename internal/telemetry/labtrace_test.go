package telemetry

import (
	"context"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/events"
	"github.com/mobu-dev/mobu/internal/flock"
	"github.com/mobu-dev/mobu/internal/monkeylog"
	"github.com/mobu-dev/mobu/internal/notebook"
	"github.com/mobu-dev/mobu/internal/testotlp"
)

// spawnFailLab logs in and deletes, but never spawns.
type spawnFailLab struct{}

func (spawnFailLab) Login(context.Context) error     { return nil }
func (spawnFailLab) Logout(context.Context) error    { return nil }
func (spawnFailLab) DeleteLab(context.Context) error { return nil }
func (spawnFailLab) Spawn(context.Context) error     { return errors.New("no node fits the lab") }
func (spawnFailLab) OpenSession(context.Context, string) (notebook.Session, error) {
	return nil, errors.New("no lab")
}

// alertChan is a flock.Alerter handing failures to the test.
type alertChan chan flock.FailureRecord

func (a alertChan) Failed(_ string, f flock.FailureRecord) { a <- f }
func (alertChan) Passed(string, string)                    {}

type stageRecorder struct {
	mu     sync.Mutex
	stages []*events.Stage
}

func (r *stageRecorder) Publish(e events.Event) {
	if s, ok := e.(*events.Stage); ok {
		r.mu.Lock()
		r.stages = append(r.stages, s)
		r.mu.Unlock()
	}
}

// A monkey whose spawn fails: its alert and its spawn event carry the id of
// the exported trace holding the spawn span, which is a child of the lab
// session's root span alongside the login and the lab delete.
func TestSpawnFailureAlertCarriesExportedTrace(t *testing.T) {
	recv := testotlp.New(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", recv.URL())
	tr, err := TracingFromEnv(context.Background(), func(k string) string {
		return map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": recv.URL()}[k]
	}, "1.0")
	if err != nil || tr == nil {
		t.Fatalf("tracing: %v, %v", tr, err)
	}
	alerts, pub := make(alertChan, 1), &stageRecorder{}
	m := flock.NewManager(flock.Options{
		Registry: flock.Registry{config.NubladoPythonLoop: flock.NewPythonLoop}, Publisher: pub,
		Logger: slog.New(slog.DiscardHandler), MonkeyLogs: monkeylog.Options{}, Alerter: alerts, Tracer: tr,
		Labs: func(config.User, []string, *config.LabOptions) (notebook.Lab, error) { return spawnFailLab{}, nil },
	})
	t.Cleanup(m.StopAll)
	if _, err := m.Start(context.Background(), pythonLoopFlock(t)); err != nil {
		t.Fatal(err)
	}
	var rec flock.FailureRecord
	select {
	case rec = <-alerts:
	case <-time.After(30 * time.Second):
		t.Fatal("no alert")
	}
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	spawn := exportedSpan(t, recv, "spawn")
	id := hex.EncodeToString(spawn.TraceId)
	if rec.Phase != "spawn" || rec.TraceID != id {
		t.Errorf("alert phase %q trace %q, want spawn in the exported trace %s", rec.Phase, rec.TraceID, id)
	}
	if ev := stageEvent(pub, events.NameSpawnLab); ev == nil || ev.TraceID == nil || *ev.TraceID != id {
		t.Errorf("spawn event %+v, want trace %s", ev, id)
	}
	names := map[string]*tracepb.Span{}
	for _, s := range recv.Trace(id) {
		names[s.Name] = s
	}
	root := names["lab session"]
	if root == nil || names["login"] == nil || names["lab delete"] == nil || string(spawn.ParentSpanId) != string(root.SpanId) {
		t.Errorf("trace %s: spans %v, want login, spawn and lab delete under a lab session root", id, names)
	}
	if spawn.Status.GetCode() != tracepb.Status_STATUS_CODE_ERROR {
		t.Errorf("spawn span status %v", spawn.Status)
	}
}

func pythonLoopFlock(t *testing.T) *config.Flock {
	t.Helper()
	l := config.Load([]byte(`autostart:
  - name: lab
    count: 1
    users: [{username: bot-mobu-lab}]
    business: {type: NubladoPythonLoop, restart: false, options: {jitter: 0}}
`), func(string) string { return "" })
	if len(l.Problems) > 0 {
		t.Fatalf("flock spec: %v", l.Problems)
	}
	return l.Config.Flocks[0]
}

func exportedSpan(t *testing.T, recv *testotlp.Receiver, name string) *tracepb.Span {
	t.Helper()
	for _, s := range recv.Spans() {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no %q span exported", name)
	return nil
}

func stageEvent(r *stageRecorder, name string) *events.Stage {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.stages {
		if s.Name() == name {
			return s
		}
	}
	return nil
}
