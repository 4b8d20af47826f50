package kafka

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/mobu-dev/mobu/internal/events"
	"github.com/mobu-dev/mobu/internal/testlog"
)

// produceRaw writes values to the topic with a bare kafka-go writer.
func produceRaw(t *testing.T, cfg Config, values ...string) {
	t.Helper()
	w := &kafka.Writer{Addr: kafka.TCP(cfg.Brokers...), Topic: cfg.Topic(), BatchTimeout: time.Millisecond,
		RequiredAcks: kafka.RequireAll}
	defer w.Close()
	msgs := make([]kafka.Message, len(values))
	for i, v := range values {
		msgs[i].Value = []byte(v)
	}
	if err := w.WriteMessages(testCtx(t), msgs...); err != nil {
		t.Fatalf("producing raw messages: %v", err)
	}
}

// Foreign messages: JSON passes through compacted, the rest is skipped with
// a warning; Idle ends the tail once the topic is drained.
func TestTailForeignMessages(t *testing.T) {
	cluster := newCluster(t, kfake.SeedTopics(1, testTopic))
	logs := &testlog.Buffer{}
	cfg := testConfig(t, cluster, newFakeRegistry(t))
	cfg.Logger = testLogger(t, logs)
	produceRaw(t, cfg, "{ \"a\": [1, 2] }", "\x01\x02 not json", "\x00\x00\x00\x03\xe7 unknown schema id")
	ev := allEvents()[5]
	if err := openSink(t, cfg).Write(testCtx(t), []events.Event{ev}); err != nil {
		t.Fatalf("Write: %v", err)
	}
	var lines []string
	err := Tail(testCtx(t), cfg, TailOptions{FromBeginning: true, Idle: time.Second}, func(line []byte) error {
		lines = append(lines, string(line))
		return nil
	})
	if err != nil {
		t.Fatalf("Tail: %v", err)
	}
	if want := []string{`{"a":[1,2]}`, jsonLine(t, ev)}; strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	for _, want := range []string{"neither Confluent-framed Avro nor JSON", "schema id the registry does not know"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("no warning %q in:\n%s", want, logs)
		}
	}
}

// Without FromBeginning only events written after the start are read.
func TestTailFromLatest(t *testing.T) {
	cluster := newCluster(t, kfake.SeedTopics(3, testTopic))
	cfg := testConfig(t, cluster, newFakeRegistry(t))
	sink := openSink(t, cfg)
	ctx := testCtx(t)
	evs := allEvents()
	if err := sink.Write(ctx, evs[:6]); err != nil {
		t.Fatalf("Write: %v", err)
	}
	started := make(chan struct{})
	type result struct {
		lines []string
		err   error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		r.err = tail(ctx, cfg, TailOptions{Max: 5}, func() { close(started) }, func(line []byte) error {
			r.lines = append(r.lines, string(line))
			return nil
		})
		done <- r
	}()
	<-started
	if err := sink.Write(ctx, evs[6:]); err != nil {
		t.Fatalf("Write: %v", err)
	}
	r := <-done
	if r.err != nil || len(r.lines) != 5 {
		t.Fatalf("tail = %d lines, %v; want the 5 new events", len(r.lines), r.err)
	}
	want := map[string]bool{}
	for _, e := range evs[6:] {
		want[jsonLine(t, e)] = true
	}
	for _, line := range r.lines {
		if !want[line] {
			t.Errorf("unexpected line %s", line)
		}
	}
}

func TestTailErrors(t *testing.T) {
	cluster := newCluster(t)
	cfg := testConfig(t, cluster, nil)
	err := Tail(testCtx(t), cfg, TailOptions{}, func([]byte) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "tailing "+testTopic+" on "+cfg.Brokers[0]) {
		t.Errorf("Tail of a missing topic = %v, want the topic and broker named", err)
	}
	// A context ending after the start ends a tail that would wait forever.
	cfg.Brokers = newCluster(t, kfake.SeedTopics(1, testTopic)).ListenAddrs()
	ctx, cancel := context.WithCancel(testCtx(t))
	if err := tail(ctx, cfg, TailOptions{}, cancel, func([]byte) error { return nil }); err != nil {
		t.Errorf("Tail ended by its context = %v, want nil", err)
	}
}

// UntilEnd reads what the topic holds when the tail starts and returns
// without an Idle timeout, empty partitions included; an empty topic ends
// at once.
func TestTailUntilEnd(t *testing.T) {
	cluster := newCluster(t, kfake.SeedTopics(3, testTopic))
	cfg := testConfig(t, cluster, newFakeRegistry(t))
	read := func() []string { return tailAll(t, cfg) }
	if lines := read(); len(lines) != 0 {
		t.Fatalf("empty topic: %d lines", len(lines))
	}
	evs := allEvents()[:2] // both keyed bot-mobu-…: at most two of the three partitions hold records
	if err := openSink(t, cfg).Write(testCtx(t), evs); err != nil {
		t.Fatalf("Write: %v", err)
	}
	lines := read()
	want := map[string]bool{jsonLine(t, evs[0]): true, jsonLine(t, evs[1]): true}
	if len(lines) != len(want) || !want[lines[0]] || !want[lines[1]] {
		t.Fatalf("lines:\n%s\nwant the %d events written", strings.Join(lines, "\n"), len(want))
	}
}

// tailAll reads the whole topic, as lines, until its end.
func tailAll(t *testing.T, cfg Config) []string {
	t.Helper()
	var lines []string
	err := Tail(testCtx(t), cfg, TailOptions{FromBeginning: true, UntilEnd: true}, func(line []byte) error {
		lines = append(lines, string(line))
		return nil
	})
	if err != nil {
		t.Fatalf("Tail: %v", err)
	}
	return lines
}
