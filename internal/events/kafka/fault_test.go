package kafka

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/mobu-dev/mobu/internal/events"
	"github.com/mobu-dev/mobu/internal/testlog"
)

func wantTransient(t *testing.T, err error, parts ...string) {
	t.Helper()
	var rej *events.RejectedError
	switch {
	case err == nil:
		t.Fatal("Write succeeded, want a transient error")
	case errors.As(err, &rej):
		t.Fatalf("Write returned a RejectedError (%v), want a transient error", err)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not mention %q", err, p)
		}
	}
}

func TestBrokerDown(t *testing.T) {
	addr := deadAddr(t)
	cfg := Config{Brokers: []string{addr}, RegistryURL: newFakeRegistry(t).URL(), Logger: testLogger(t, nil)}
	sink := openSink(t, cfg) // mobu starts while Kafka is down
	ctx := testCtx(t)
	err := sink.Check(ctx)
	if err == nil || !strings.Contains(err.Error(), "kafka brokers "+addr) || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("Check = %v, want it to name the broker and the refusal", err)
	}
	wantTransient(t, sink.Write(ctx, allEvents()), testTopic, addr)
}

func TestTopicMissing(t *testing.T) {
	cluster := newCluster(t)
	cfg := testConfig(t, cluster, newFakeRegistry(t))
	sink := openSink(t, cfg)
	ctx := testCtx(t)
	want := "topic " + testTopic + " does not exist on " + cfg.Brokers[0] +
		" (mobu does not create topics unless metrics.events.createTopic is set)"
	if err := sink.Check(ctx); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Check = %v, want %q", err, want)
	}
	err := sink.Write(ctx, allEvents())
	wantTransient(t, err, want)
	if !errors.Is(err, kafka.UnknownTopicOrPartition) {
		t.Errorf("Write error %v does not wrap UnknownTopicOrPartition", err)
	}

	cfg.CreateTopic = true
	creator := openSink(t, cfg)
	for range 2 { // the second Check finds the topic
		if err := creator.Check(ctx); err != nil {
			t.Fatalf("Check with CreateTopic: %v", err)
		}
	}
	meta, err := creator.client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{testTopic}})
	if err != nil || len(meta.Topics) != 1 || len(meta.Topics[0].Partitions) != 1 || len(meta.Topics[0].Partitions[0].Replicas) != 1 {
		t.Fatalf("created topic metadata %+v, %v; want 1 partition with 1 replica", meta, err)
	}
	evs := allEvents()
	if err := creator.Write(ctx, evs); err != nil {
		t.Fatalf("Write after creating the topic: %v", err)
	}
	tailLines(t, cfg, len(evs))
}

func TestRegistryDown(t *testing.T) {
	cluster := newCluster(t, kfake.SeedTopics(1, testTopic))
	reg := newFakeRegistry(t)
	ctx := testCtx(t)

	t.Run("unreachable", func(t *testing.T) {
		cfg := testConfig(t, cluster, reg)
		cfg.RegistryURL = "http://" + deadAddr(t)
		sink := openSink(t, cfg)
		if err := sink.Check(ctx); err == nil || !strings.Contains(err.Error(), "schema registry "+cfg.RegistryURL+" is not reachable") {
			t.Errorf("Check = %v, want the registry named", err)
		}
		wantTransient(t, sink.Write(ctx, allEvents()), testTopic, cfg.RegistryURL)
	})

	t.Run("503", func(t *testing.T) {
		var down atomic.Bool
		down.Store(true)
		reg.Intercept(func(w http.ResponseWriter, _ *http.Request) bool {
			if down.Load() {
				http.Error(w, `{"error_code":50003,"message":"try later"}`, http.StatusServiceUnavailable)
			}
			return down.Load()
		})
		t.Cleanup(reg.ClearInterceptors)
		cfg := testConfig(t, cluster, reg)
		sink := openSink(t, cfg)
		evs := allEvents()
		wantTransient(t, sink.Write(ctx, evs), "HTTP 503", "try later")
		down.Store(false) // the registry recovers: the retried batch goes through
		if err := sink.Write(ctx, evs); err != nil {
			t.Fatalf("Write after the registry recovered: %v", err)
		}
		tailLines(t, cfg, len(evs))
	})
}

// A registry that refuses one subject's schema rejects those events only,
// and is asked again only after rejectRetry.
func TestRegistryRejectsSchema(t *testing.T) {
	cluster := newCluster(t, kfake.SeedTopics(1, testTopic))
	reg := newFakeRegistry(t)
	refused := "/subjects/" + testTopic + "." + events.NameNotebookExecution + "/versions"
	var asked atomic.Int32
	reg.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodPost || r.URL.Path != refused {
			return false
		}
		asked.Add(1)
		w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
		w.WriteHeader(http.StatusUnprocessableEntity)
		json.NewEncoder(w).Encode(map[string]any{"error_code": 42201, "message": "Invalid schema"})
		return true
	})
	logs := &testlog.Buffer{}
	cfg := testConfig(t, cluster, reg)
	cfg.Logger = testLogger(t, logs)
	sink := openSink(t, cfg)
	ctx := testCtx(t)
	evs := allEvents() // events 0 and 1 are notebook_execution
	rej := asRejected(t, sink.Write(ctx, evs))
	if len(rej.Rejected) != 2 || rej.Rejected[0] == nil || rej.Rejected[1] == nil {
		t.Fatalf("rejected %v, want events 0 and 1", rej.Rejected)
	}
	msg := rej.Rejected[0].Error()
	for _, want := range []string{"subject " + testTopic + ".notebook_execution", "HTTP 422", "42201", "Invalid schema"} {
		if !strings.Contains(msg, want) {
			t.Errorf("rejection %q does not mention %q", msg, want)
		}
	}
	lines := tailLines(t, cfg, len(evs)-2)
	for i, line := range lines {
		if want := jsonLine(t, evs[i+2]); line != want {
			t.Errorf("delivered line %d = %s, want %s", i, line, want)
		}
	}
	if !strings.Contains(logs.String(), "schema registry refused") {
		t.Errorf("the refusal was not logged: %s", logs)
	}

	asRejected(t, sink.Write(ctx, evs[:1]))
	if n := asked.Load(); n != 1 {
		t.Errorf("registry asked %d times within the retry interval, want 1", n)
	}
	now := time.Now().Add(rejectRetry + time.Second)
	sink.enc.now = func() time.Time { return now }
	asRejected(t, sink.Write(ctx, evs[:1]))
	if n := asked.Load(); n != 2 {
		t.Errorf("registry asked %d times after the retry interval, want 2", n)
	}
}

func TestOversizedEventRejected(t *testing.T) {
	cluster := newCluster(t, kfake.SeedTopics(1, testTopic))
	for _, enc := range []string{EncodingAvro, EncodingJSON} {
		t.Run(enc, func(t *testing.T) {
			cfg := testConfig(t, cluster, newFakeRegistry(t))
			cfg.Encoding = enc
			sink := openSink(t, cfg)
			evs := allEvents()
			big := evs[4].(*events.PythonExecution)
			big.Code = strings.Repeat("x", 2400<<10) // 2.3 MiB
			rej := asRejected(t, sink.Write(testCtx(t), evs))
			want := "event nublado_python_execution of 2.3 MiB is larger than the 1 MiB message limit"
			if len(rej.Rejected) != 1 || rej.Rejected[4] == nil || rej.Rejected[4].Error() != want {
				t.Fatalf("rejected %v, want only event 4: %q", rej.Rejected, want)
			}
		})
	}
	cfg := testConfig(t, cluster, nil)
	if n := len(tailRaw(t, cfg, 2*(len(allEvents())-1))); n != 20 {
		t.Errorf("%d events delivered, want 20", n)
	}
}

// The broker's own limit (smaller than ours here) rejects the events it refuses.
func TestBrokerRefusesLargeMessage(t *testing.T) {
	cluster := newCluster(t, kfake.SeedTopics(1, testTopic), kfake.BrokerConfigs(map[string]string{"message.max.bytes": "4096"}))
	cfg := testConfig(t, cluster, newFakeRegistry(t))
	sink := openSink(t, cfg)
	ctx := testCtx(t)
	big := allEvents()[4].(*events.PythonExecution)
	big.Code = strings.Repeat("x", 8<<10)
	rej := asRejected(t, sink.Write(ctx, []events.Event{big}))
	if err := rej.Rejected[0]; !errors.Is(err, kafka.MessageSizeTooLarge) || !strings.Contains(err.Error(), testTopic) {
		t.Errorf("rejection = %v, want MessageSizeTooLarge naming the topic", err)
	}
	if err := sink.Write(ctx, allEvents()[:4]); err != nil {
		t.Errorf("Write of small events after a refusal: %v", err)
	}
}
