package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
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

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/events"
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

// freePort returns a loopback port nothing listens on (now).
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func startKafka(t *testing.T, port int, topic string) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.Ports(port), kfake.SeedTopics(1, topic))
	if err != nil {
		t.Fatalf("starting kfake on port %d: %v", port, err)
	}
	t.Cleanup(c.Close)
	return c
}

// kafkaPipeline opens the event pipeline mobu serve opens, publishing to
// the broker at addr with the registry at reg.
func kafkaPipeline(t *testing.T, addr, reg, application string) *pipeline {
	t.Helper()
	var m config.Metrics
	m.Enabled, m.Application, m.SpoolDir = true, application, t.TempDir()
	m.Kafka.BootstrapServers, m.SchemaManager.RegistryURL = []string{addr}, reg
	p, err := openPipeline(t.Context(), m, "", true, slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatalf("openPipeline: %v", err)
	}
	t.Cleanup(func() { p.close(context.Background()) })
	return p
}

func loopEvents(p *pipeline, n int) {
	for i := range n {
		p.Publish(&events.EmptyLoop{Base: events.NewBase(time.Now(), "down", "EmptyLoop", fmt.Sprintf("bot-mobu-%d", i%3)),
			Success: true})
	}
}

// TestBrokerDownAtStart: mobu serve's pipeline starts while nothing listens
// on the broker's address; events wait in the spool, and all of them arrive
// once a broker listens there.
func TestBrokerDownAtStart(t *testing.T) {
	reg := srfake.New()
	t.Cleanup(reg.Close)
	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	p := kafkaPipeline(t, addr, reg.URL(), "")
	loopEvents(p, 50)
	waitFor(t, "events spooled while the broker is down", time.Minute, func() (bool, error) {
		s := p.Stats()
		return s.Retries > 0 && s.Pending == 50, nil
	})
	startKafka(t, port, eventsTopic)
	waitFor(t, "spooled events delivered", time.Minute, func() (bool, error) {
		s := p.Stats()
		return s.Written == 50 && s.Pending == 0, nil
	})
	if err := p.close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if s := p.Stats(); s.Dropped != 0 || s.Written != 50 {
		t.Fatalf("stats %+v", s)
	}
	env := map[string]string{"KAFKA_BOOTSTRAP_SERVERS": addr, "SCHEMA_MANAGER_REGISTRY_URL": reg.URL()}
	code, tailed := mobu(t, t.Context(), env, nil, "events", "tail", "--from-beginning", "--max", "50", "--timeout", "10s")
	if code != 0 || strings.Count(tailed, `"event":"empty_loop"`) != 50 {
		t.Fatalf("tail: exit %d, want the 50 events\n%s", code, tailed)
	}
}

// TestEventsTailFlags: with no variables set, --brokers, --registry and
// --topic say where to read (a topic other than the default).
func TestEventsTailFlags(t *testing.T) {
	reg := srfake.New()
	t.Cleanup(reg.Close)
	const topic = "lsst.square.metrics.events.flagged"
	c := startKafka(t, 0, topic)
	p := kafkaPipeline(t, c.ListenAddrs()[0], reg.URL(), "flagged")
	loopEvents(p, 3)
	if err := p.close(t.Context()); err != nil || p.Stats().Written != 3 {
		t.Fatalf("close: %v, stats %+v", err, p.Stats())
	}
	code, tailed := mobu(t, t.Context(), nil, nil, "events", "tail", "--brokers", " "+c.ListenAddrs()[0]+", ",
		"--registry", reg.URL(), "--topic", topic, "--from-beginning", "--max", "3", "--timeout", "10s")
	if code != 0 || strings.Count(tailed, `"application":"flagged"`) != 3 {
		t.Fatalf("tail with flags: exit %d, want the 3 events\n%s", code, tailed)
	}
	code, out := mobu(t, t.Context(), nil, nil, "events", "tail", "--registry", reg.URL(), "--topic", topic)
	if code != 2 || !strings.Contains(out, "no brokers (--brokers or KAFKA_BOOTSTRAP_SERVERS)") {
		t.Errorf("tail without brokers: exit %d\n%s", code, out)
	}
}
