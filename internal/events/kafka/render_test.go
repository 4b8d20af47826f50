package kafka

import (
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/mobu-dev/mobu/internal/events"
	"github.com/mobu-dev/mobu/internal/testlog"
)

// Messages that cannot be rendered reach OnBad with their partition,
// offset and reason, in order with the lines, and are not logged.
func TestTailOnBad(t *testing.T) {
	cluster := newCluster(t, kfake.SeedTopics(1, testTopic))
	cfg := testConfig(t, cluster, newFakeRegistry(t))
	logs := &testlog.Buffer{}
	cfg.Logger = testLogger(t, logs)
	produceRaw(t, cfg, `{"a":1}`, "\x01\x02 not json", "\x00\x00\x00\x03\xe7 unknown schema id", "\x00\x00\x00\x03\xe7 again")
	if err := openSink(t, cfg).Write(testCtx(t), []events.Event{allEvents()[5]}); err != nil {
		t.Fatalf("Write: %v", err)
	}
	var got []string
	opts := TailOptions{FromBeginning: true, Idle: time.Second, OnBad: func(b BadMessage) {
		got = append(got, b.Position()+": "+b.Reason)
	}}
	err := Tail(testCtx(t), cfg, opts, func(line []byte) error {
		got = append(got, "line")
		return nil
	})
	if err != nil {
		t.Fatalf("Tail: %v", err)
	}
	want := []string{"line",
		"kafka:" + testTopic + "/0@1: neither Confluent-framed Avro nor JSON (11 bytes)",
		"kafka:" + testTopic + "/0@2: schema id the registry does not know (999)",
		"kafka:" + testTopic + "/0@3: schema id the registry does not know (999)",
		"line"}
	if len(got) != len(want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%d: %q, want %q", i, got[i], want[i])
		}
	}
	if strings.Contains(logs.String(), "skipping") {
		t.Errorf("bad messages logged as well:\n%s", logs)
	}
}
