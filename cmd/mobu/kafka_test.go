package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/sr/srfake"
)

const eventsTopic = "lsst.square.metrics.events.mobu"

// kafkaEnv starts a Kafka-protocol broker and a schema registry on
// loopback and returns the Safir variables pointing at them.
func kafkaEnv(t *testing.T) map[string]string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.Ports(0), kfake.SeedTopics(2, eventsTopic))
	if err != nil {
		t.Fatalf("starting kfake: %v", err)
	}
	t.Cleanup(c.Close)
	reg := srfake.New()
	t.Cleanup(reg.Close)
	return map[string]string{"METRICS_ENABLED": "true", "KAFKA_BOOTSTRAP_SERVERS": strings.Join(c.ListenAddrs(), ","),
		"SCHEMA_MANAGER_REGISTRY_URL": reg.URL()}
}

func merged(maps ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// TestRunPublishesToKafka: a real notebook run publishes Avro events that
// `mobu events tail` decodes into exactly the lines the JSONL sink wrote.
func TestRunPublishesToKafka(t *testing.T) {
	h := testHub.Get(t)
	env := merged(hubEnv(h), kafkaEnv(t))
	file := filepath.Join(t.TempDir(), "events.jsonl")
	release := testHub.SpawnSlot()
	code, out := mobu(t, context.Background(), env, nil, "run", "--user", "bot-mobu-kafka", "--events", file,
		"../../examples/notebooks/sleep.ipynb", "../../examples/notebooks/skipped-cell.ipynb")
	release()
	if code != 0 {
		t.Fatalf("run: exit %d\n%s", code, out)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Split(strings.TrimSpace(string(data)), "\n")
	code, tailed := mobu(t, context.Background(), env, nil, "events", "tail", "--from-beginning", "--max", strconv.Itoa(len(want)),
		"--timeout", "10s")
	if code != 0 {
		t.Fatalf("events tail: exit %d\n%s", code, tailed)
	}
	got := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(tailed), "\n") {
		got[line] = true
	}
	for _, line := range want {
		if !got[line] {
			t.Errorf("Kafka lacks (or decodes differently) the event\n%s\ntailed:\n%s", line, tailed)
			break
		}
	}
	if !regexp.MustCompile(`"cell_id":"sleep","success":true,"kernel_duration":0\.5\d*`).MatchString(tailed) ||
		!strings.Contains(tailed, `"skipped":true`) || !strings.Contains(tailed, `"event":"nublado_spawn_lab"`) {
		t.Fatalf("decoded events lack the expected fields:\n%s", tailed)
	}
}

// TestServeMetrics: with publishing enabled, /metrics and the summary show
// delivery counts, and the events reach the topic.
func TestServeMetrics(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the service")
	}
	env := kafkaEnv(t)
	s := startService(t, env, `
shutdownGracePeriod: 5s
autostart:
  - {name: hb, count: 2, user_spec: {username_prefix: bot-mobu-hb}, business: {type: EmptyLoop, options: {idle_time: 0.05}}}
`)
	root := strings.TrimSuffix(s.url, "/mobu")
	written := regexp.MustCompile(`(?m)^mobu_events_written_total (\d+)`)
	waitFor(t, "events written to Kafka", time.Minute, func() (bool, error) {
		resp, err := http.Get(root + "/metrics")
		if err != nil {
			return false, err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		m := written.FindSubmatch(body)
		return m != nil && string(m[1]) != "0" && strings.Contains(string(body), "go_goroutines"), nil
	})
	resp, err := http.Get(s.url + "/summary")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"events"`) || !strings.Contains(string(body), `"written"`) {
		t.Fatalf("summary: %s", body)
	}
	if err := s.stop(t); err != nil {
		t.Fatal(err)
	}
	code, tailed := mobu(t, context.Background(), env, nil, "events", "tail", "--from-beginning", "--max", "4", "--timeout", "10s")
	if code != 0 || strings.Count(tailed, `"event":"empty_loop"`) != 4 {
		t.Fatalf("tail: exit %d\n%s", code, tailed)
	}
}
