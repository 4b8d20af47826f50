package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/events"
	"github.com/mobu-dev/mobu/internal/events/kafka"
	"github.com/mobu-dev/mobu/internal/golden"
)

// reportEvents is the recorded events of internal/analysis/testdata split
// by monkey into a directory (plus a file that is not events): two flocks,
// a one-shot run, a corrupt line (alpha/bot-mobu-a2.jsonl:8), an unknown
// event and a truncated last line (run.jsonl:9).
const reportEvents = "testdata/report/events"

// reportNow is the clock of the tests: half a minute after the last event.
func reportNow() time.Time { return time.Date(2026, 3, 10, 12, 6, 0, 0, time.UTC) }

// mobuReport runs `mobu report args...` in-process and renders the exit status
// and output as a transcript.
func mobuReport(t *testing.T, ctx context.Context, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	getenv := func(k string) string { return env[k] }
	code := exitCode(runReport(ctx, args, getenv, &stdout, &stderr, reportNow), &stderr)
	return code, stdout.String(), stderr.String()
}

func TestReportTranscripts(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"stage", []string{reportEvents}, 0},
		{"cell-csv", []string{"--by", "cell", "--format", "csv", reportEvents}, 0},
		{"flock-json", []string{reportEvents, "--by", "flock", "--format", "json"}, 0},
		{"monkey-series", []string{"--by=monkey", "--format=series", reportEvents + "/alpha"}, 0},
		{"window", []string{"--since", "5m", "--until", "2026-03-10T12:05:15Z", "--by", "notebook", reportEvents}, 0},
		{"empty-window", []string{"--since", "2026-03-11T00:00:00Z", reportEvents}, 0},
		{"empty-json", []string{"--until", "2026-03-10T11:00:00Z", "--format", "json", reportEvents}, 0},
		{"unknown-grouping", []string{"--by", "hour", reportEvents}, 2},
		{"unknown-format", []string{"--format", "xml", reportEvents}, 2},
		{"bad-since", []string{"--since", "yesterday", reportEvents}, 2},
		{"bad-flag", []string{"--frobnicate", reportEvents}, 2},
		{"no-input", nil, 2},
		{"missing-input", []string{reportEvents, "testdata/report/missing.jsonl"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := mobuReport(t, t.Context(), nil, tt.args...)
			if code != tt.code {
				t.Errorf("exit status %d, want %d\n%s%s", code, tt.code, stdout, stderr)
			}
			got := "$ mobu report " + strings.Join(tt.args, " ") + "\n-- stdout --\n" + stdout + "-- stderr --\n" +
				stderr + fmt.Sprintf("-- exit %d --\n", code)
			golden.Check(t, filepath.Join("report", tt.name+".golden"), []byte(got))
		})
	}
}

// The report command is reached from run, and -h is not an error.
func TestReportDispatch(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := exitCode(run(t.Context(), []string{"report", "--by", "hour", reportEvents}, os.Getenv, &stdout, &stderr), &stderr); code != 2 {
		t.Errorf("unknown grouping through run: exit %d\n%s", code, stderr.String())
	}
	stderr.Reset()
	if code := exitCode(run(t.Context(), []string{"report", "-h"}, os.Getenv, &stdout, &stderr), &stderr); code != 0 ||
		!strings.Contains(stderr.String(), "usage: mobu report") {
		t.Errorf("report -h: exit %d\n%s", code, stderr.String())
	}
	stdout.Reset()
	run(t.Context(), []string{"help"}, os.Getenv, &stdout, &stderr)
	if !strings.Contains(stdout.String(), "\n  report ") {
		t.Errorf("usage does not list report:\n%s", stdout.String())
	}
}

// -o writes the file and nothing to stdout; an html report is one file.
func TestReportOutputFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "report.html")
	code, stdout, stderr := mobuReport(t, t.Context(), nil, "--format", "html", "-o", out, reportEvents)
	if code != 0 || stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, stdout, stderr)
	}
	page, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<!doctype html>", "<title>mobu report by stage</title>", `<svg id="cells"`, "events (4 files)"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if bytes.Contains(page, []byte("http://")) || bytes.Contains(page, []byte("https://")) {
		t.Error("the page refers to the network")
	}
	code, _, stderr = mobuReport(t, t.Context(), nil, "-o", filepath.Join(t.TempDir(), "no", "dir", "r.txt"), reportEvents)
	if code != 1 || !strings.Contains(stderr, "no such file or directory") {
		t.Errorf("unwritable -o: exit %d, %s", code, stderr)
	}
}

// kafka: reads what the topic holds and stops: the same report as the file
// the events came from, without any timeout.
func TestReportKafka(t *testing.T) {
	env := kafkaEnv(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	produceCorrupt(t, ctx, env, 1, "\x00\x00\x00\x00\x01 cut short") // partition 1, offset 0
	publishFixture(t, ctx, env)
	for _, by := range []string{"stage", "cell", "monkey"} {
		code, fromKafka, stderr := mobuReport(t, ctx, env, "--by", by, "--format", "json", "kafka:")
		if code != 0 {
			t.Fatalf("kafka: exit %d\n%s", code, stderr)
		}
		_, fromFiles, _ := mobuReport(t, ctx, nil, "--by", by, "--format", "json", reportEvents)
		if fromKafka != fromFiles {
			t.Errorf("by %s, Kafka:\n%s\nfiles:\n%s", by, fromKafka, fromFiles)
		}
	}
	code, stdout, stderr := mobuReport(t, ctx, env, "kafka:")
	if code != 0 || !strings.Contains(stdout, "input:  kafka:"+eventsTopic+"\n") ||
		!strings.Contains(stdout, "events: 41 read, 41 in window, 1 bad lines skipped\n") {
		t.Errorf("table header from Kafka: exit %d\n%s", code, stdout)
	}
	// The message that does not decode is bad input, named by its position.
	if want := "kafka:" + eventsTopic + "/1@0: does not decode with its schema (id 1): "; !strings.HasPrefix(stderr, want) ||
		strings.Count(stderr, "\n") != 1 {
		t.Errorf("stderr:\n%s\nwant one bad line starting %q", stderr, want)
	}
	if code, _, stderr := mobuReport(t, ctx, nil, "kafka:"); code != 2 || !strings.Contains(stderr, "KAFKA_BOOTSTRAP_SERVERS") {
		t.Errorf("kafka: without brokers: exit %d, %s", code, stderr)
	}
	if code, _, stderr := mobuReport(t, ctx, env, "kafka:no.such.topic"); code != 1 || !strings.Contains(stderr, "no.such.topic") {
		t.Errorf("missing topic: exit %d, %s", code, stderr)
	}
}

// produceCorrupt writes value as one message to partition p of the events
// topic.
func produceCorrupt(t *testing.T, ctx context.Context, env map[string]string, p int, value string) {
	t.Helper()
	w := &kafkago.Writer{Addr: kafkago.TCP(strings.Split(env["KAFKA_BOOTSTRAP_SERVERS"], ",")...), Topic: eventsTopic,
		Balancer: kafkago.BalancerFunc(func(kafkago.Message, ...int) int { return p }), RequiredAcks: kafkago.RequireAll}
	defer w.Close()
	if err := w.WriteMessages(ctx, kafkago.Message{Value: []byte(value)}); err != nil {
		t.Fatalf("producing a corrupt message: %v", err)
	}
}

// publishFixture sends the valid events of reportEvents to the topic as
// mobu does (Avro through the registry).
func publishFixture(t *testing.T, ctx context.Context, env map[string]string) {
	t.Helper()
	var evs []events.Event
	files, _ := filepath.Glob(reportEvents + "/*.jsonl")
	more, _ := filepath.Glob(reportEvents + "/*/*.jsonl")
	for _, f := range append(files, more...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for line := range strings.Lines(string(data)) {
			if e, err := events.UnmarshalLine([]byte(line)); err == nil {
				evs = append(evs, e)
			}
		}
	}
	if len(evs) != 41 {
		t.Fatalf("%d valid events in the fixture, want 41", len(evs))
	}
	m, _ := config.MetricsFromEnv(func(k string) string { return env[k] })
	sink, err := kafka.Open(ctx, kafkaConfig(m, newLogger(os.Stderr, false)))
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	if err := sink.Write(ctx, evs); err != nil {
		t.Fatalf("publishing the fixture: %v", err)
	}
}
