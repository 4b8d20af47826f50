package alert

import (
	"context"
	"encoding/json"
	"io"
	"reflect"
	"testing"
	"time"
)

func decodeMap(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return m
}

func TestWebhookBodies(t *testing.T) {
	srv := newCapture(t)
	clock := newFakeClock(t0())
	a := New(testConfig(clock, &sleeps{}, io.Discard, Webhook(srv.URL())))
	a.Start(context.Background())
	a.Failed(richFailure())
	clock.Advance(10 * time.Minute)
	a.Passed("tutorial", "tutorials/01_Intro.ipynb")
	a.SendStatus(Status{Environment: "idfdev", Flocks: []FlockStatus{{Name: "tutorial", Monkeys: 2, Successes: 3, Failures: 1}}})
	stop(t, a)
	bodies := srv.Bodies()
	if len(bodies) != 3 {
		t.Fatalf("got %d bodies, want 3", len(bodies))
	}

	failure := decodeMap(t, bodies[0])
	want := map[string]any{
		"type": "failure", "at": "2024-05-01T14:02:00Z",
		"flock": "tutorial", "monkey": "tutorial-01", "user": "bot-mobu-tutorial01", "business": "NotebookRunner",
		"phase": "cell", "notebook": "tutorials/01_Intro.ipynb", "cell_id": "a1b2c3", "cell_number": 7.0,
		"code": "x = 1\ny = 0\nprint(x / y)", "error": "ZeroDivisionError: division by zero",
		"error_type": "ZeroDivisionError", "traceback": "---------\nZeroDivisionError: division by zero",
		"image": "lighthouse.ceres/sciplat-lab:w_2024_18", "image_description": "Weekly 2024_18",
		"node": "node-7", "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
		"started": "2024-05-01T14:00:00Z", "failed": "2024-05-01T14:01:55Z",
		"suppressed": 0.0, "last_alert": nil,
	}
	if !reflect.DeepEqual(failure, want) {
		t.Errorf("failure body:\n got %v\nwant %v", failure, want)
	}

	resolved := decodeMap(t, bodies[1])
	wantResolved := map[string]any{
		"type": "resolved", "at": "2024-05-01T14:12:00Z", "flock": "tutorial", "business": "NotebookRunner",
		"notebook": "tutorials/01_Intro.ipynb", "cell_id": "a1b2c3", "cell_number": 7.0,
		"error_type": "ZeroDivisionError", "error": "ZeroDivisionError: division by zero",
		"failing_since": "2024-05-01T14:02:00Z", "resolved": "2024-05-01T14:12:00Z",
		"duration_seconds": 600.0, "failures": 1.0,
	}
	if !reflect.DeepEqual(resolved, wantResolved) {
		t.Errorf("resolved body:\n got %v\nwant %v", resolved, wantResolved)
	}

	status := decodeMap(t, bodies[2])
	flock := map[string]any{"name": "tutorial", "business": "", "monkeys": 2.0, "running": 0.0, "errors": 0.0,
		"successes": 3.0, "failures": 1.0, "success_rate": 0.75}
	total := map[string]any{"name": "Overall", "business": "", "monkeys": 2.0, "running": 0.0, "errors": 0.0,
		"successes": 3.0, "failures": 1.0, "success_rate": 0.75}
	wantStatus := map[string]any{"type": "status", "at": "2024-05-01T14:12:00Z", "environment": "idfdev",
		"flocks": []any{flock}, "total": total}
	if !reflect.DeepEqual(status, wantStatus) {
		t.Errorf("status body:\n got %v\nwant %v", status, wantStatus)
	}
}

func TestWebhookStatusNamesItsReplica(t *testing.T) {
	for _, count := range []int{1, 3} {
		body, err := renderWebhook(Message{Kind: KindStatus, Status: Status{ReplicaIndex: count - 1, ReplicaCount: count}})
		if err != nil {
			t.Fatal(err)
		}
		got, present := decodeMap(t, body)["replica"]
		want := map[string]any{"index": 2.0, "count": 3.0}
		if count == 1 && present || count == 3 && !reflect.DeepEqual(got, want) {
			t.Errorf("%d replicas: replica = %v (present %v)", count, got, present)
		}
	}
}

func TestWebhookStatusWithoutRuns(t *testing.T) {
	body, err := renderWebhook(Message{Kind: KindStatus, Status: Status{Flocks: []FlockStatus{{Name: "new"}}}})
	if err != nil {
		t.Fatal(err)
	}
	m := decodeMap(t, body)
	if m["at"] != nil || m["flocks"].([]any)[0].(map[string]any)["success_rate"] != nil {
		t.Errorf("body = %s, want null at and success_rate", body)
	}
}

func TestRenderUnknownKind(t *testing.T) {
	for _, render := range []renderFunc{renderSlack, renderWebhook} {
		if _, err := render(Message{Kind: "bogus"}); err == nil {
			t.Error("rendering an unknown kind succeeded")
		}
	}
}
