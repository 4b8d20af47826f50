package telemetry

import (
	"context"
	"encoding/hex"
	"errors"
	"testing"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/mobu-dev/mobu/internal/notebook"
	"github.com/mobu-dev/mobu/internal/testotlp"
)

func TestTracingFromEnvOff(t *testing.T) {
	for _, env := range []map[string]string{
		{},
		{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x", "OTEL_SDK_DISABLED": "true"},
		{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x", "OTEL_TRACES_EXPORTER": "none"},
	} {
		tr, err := TracingFromEnv(context.Background(), func(k string) string { return env[k] }, "v")
		if tr != nil || err != nil {
			t.Errorf("%v: tracing %v, %v; want off", env, tr, err)
		}
	}
	_, err := TracingFromEnv(context.Background(), func(k string) string {
		return map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}[k]
	}, "v")
	if err == nil {
		t.Error("grpc protocol accepted")
	}
}

// A notebook run exported over OTLP/HTTP: one trace whose id is the run's
// trace id, the stages and cells as children, failures marked.
func TestTracingExportsNotebookTrace(t *testing.T) {
	recv := testotlp.New(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", recv.URL()) // read by the exporter itself
	env := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": recv.URL()}
	tr, err := TracingFromEnv(context.Background(), func(k string) string { return env[k] }, "1.0")
	if err != nil || tr == nil {
		t.Fatalf("tracing: %v, %v", tr, err)
	}
	ctx, end := notebook.StartTrace(context.Background(), tr, "notebook a.ipynb", notebook.Attr{Key: "mobu.flock", Value: "f"})
	want := notebook.CurrentTraceID(ctx)
	_, cell := tr.Start(ctx, "ignored", "cell c1", notebook.Attr{Key: "cell.number", Value: 1})
	cell.End(errors.New("ZeroDivisionError"))
	end(nil)
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans := recv.Spans()
	if len(spans) != 2 {
		t.Fatalf("%d spans exported, want 2", len(spans))
	}
	byName := map[string]*tracepb.Span{}
	for _, s := range spans {
		byName[s.Name] = s
		if hex.EncodeToString(s.TraceId) != want {
			t.Errorf("span %s trace %x, want the run's %s", s.Name, s.TraceId, want)
		}
	}
	root, c := byName["notebook a.ipynb"], byName["cell c1"]
	if root == nil || c == nil || len(root.ParentSpanId) != 0 || string(c.ParentSpanId) != string(root.SpanId) {
		t.Fatalf("spans %v", spans)
	}
	if c.Status.GetCode() != tracepb.Status_STATUS_CODE_ERROR || root.Status.GetCode() == tracepb.Status_STATUS_CODE_ERROR {
		t.Errorf("statuses: cell %v, root %v", c.Status, root.Status)
	}
}
