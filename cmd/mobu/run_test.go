package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mobu-dev/mobu/internal/testhub"
)

var testHub testhub.Lazy

func TestMain(m *testing.M) { os.Exit(testHub.Run(m)) }

// mobu runs the CLI in-process and returns its exit status and output.
func mobu(t *testing.T, ctx context.Context, env map[string]string, stdout *lockedBuffer, args ...string) (int, string) {
	t.Helper()
	var stderr bytes.Buffer
	if stdout == nil {
		stdout = &lockedBuffer{}
	}
	getenv := func(k string) string { return env[k] }
	code := exitCode(run(ctx, args, getenv, stdout, &stderr), &stderr)
	return code, stdout.String() + stderr.String()
}

func hubEnv(h *testhub.Hub) map[string]string {
	return map[string]string{"MOBU_HUB_URL": h.URL, "MOBU_HUB_TOKEN": h.Token}
}

// labRunning asks the hub whether the user still has a server.
func labRunning(t *testing.T, h *testhub.Hub, user string) bool {
	t.Helper()
	return len(userServers(t, h, user)) > 0
}

// userServers asks the hub for the names of the user's servers ("" is the
// default one); none when the user does not exist.
func userServers(t testing.TB, h *testhub.Hub, user string) []string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.URL+"/hub/api/users/"+user, nil)
	req.Header.Set("Authorization", "token "+h.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil
	}
	var u struct {
		Servers map[string]any `json:"servers"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&u); err != nil {
		t.Fatal(err)
	}
	return slices.Sorted(maps.Keys(u.Servers))
}

// lockedBuffer is a concurrency-safe output buffer that can cancel a context
// the first time a marker is written.
type lockedBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	marker  string
	onMatch func()
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if b.onMatch != nil && strings.Contains(b.buf.String(), b.marker) {
		b.onMatch()
		b.onMatch = nil
	}
	return len(p), nil
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type event map[string]any

func readEvents(t *testing.T, path string) []event {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []event
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("event line %q: %v", sc.Text(), err)
		}
		out = append(out, e)
	}
	return out
}

func TestRunExamples(t *testing.T) {
	t.Parallel()
	h := testHub.Get(t)
	dir := t.TempDir()
	evPath, junitPath := filepath.Join(dir, "events.jsonl"), filepath.Join(dir, "junit.xml")
	release := testHub.SpawnSlot()
	code, out := mobu(t, context.Background(), hubEnv(h), nil, "run", "--user", "bot-mobu-examples",
		"--events", evPath, "--junit", junitPath, "../../examples/notebooks")
	release()
	if code != 1 || !strings.Contains(out, "4 passed, 1 failed") {
		t.Fatalf("exit %d, want 1 with 4 passed and 1 failed:\n%s", code, out)
	}
	if !strings.Contains(out, "ValueError: this notebook fails on purpose") || strings.Contains(out, "unreachable\n") {
		t.Fatalf("failure report missing or the cell after the failure ran:\n%s", out)
	}
	if labRunning(t, h, "bot-mobu-examples") {
		t.Fatal("lab still running after mobu run")
	}
	checkExampleEvents(t, readEvents(t, evPath))
	checkJUnit(t, junitPath, 5, 1)
}

func checkExampleEvents(t *testing.T, evs []event) {
	t.Helper()
	count := map[string]int{}
	traces := map[string]string{} // notebook → trace id of its notebook_execution
	for _, e := range evs {
		count[e["event"].(string)]++
		if e["event"] == "notebook_execution" {
			traces[e["notebook"].(string)] = e["trace_id"].(string)
		}
	}
	want := map[string]int{"nublado_login": 1, "nublado_spawn_lab": 1, "nublado_start_kernel": 5,
		"nublado_delete_session": 5, "nublado_delete_lab": 1, "notebook_execution": 5, "notebook_cell_execution": 11}
	for name, n := range want {
		if count[name] != n {
			t.Errorf("%d %s events, want %d (all: %v)", count[name], name, n, count)
		}
	}
	sawSleep, sawSkip := false, false
	for _, e := range evs {
		if e["event"] != "notebook_cell_execution" {
			continue
		}
		nb := e["notebook"].(string)
		if e["trace_id"] != traces[nb] || traces[nb] == "" {
			t.Errorf("cell %v of %s has trace %v, notebook has %v", e["cell_id"], nb, e["trace_id"], traces[nb])
		}
		switch e["cell_id"] {
		case "sleep":
			sawSleep = true
			kd, _ := e["kernel_duration"].(float64)
			if kd < 0.45 || kd > 0.55 || e["duration"].(float64) < kd {
				t.Errorf("sleep(0.5) cell: kernel %v s, client %v s", e["kernel_duration"], e["duration"])
			}
		case "skipped":
			sawSkip = e["skipped"] == true && e["success"] == true && e["duration"] == nil
		case "fail":
			if e["success"] != false {
				t.Errorf("failing cell reported success: %v", e)
			}
		}
	}
	if !sawSleep || !sawSkip {
		t.Errorf("missing sleep (%v) or skipped (%v) cell events", sawSleep, sawSkip)
	}
}

func checkJUnit(t *testing.T, path string, tests, failures int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	if err := xml.Unmarshal(data, &suites); err != nil {
		t.Fatalf("junit does not parse: %v", err)
	}
	if suites.Tests != tests || suites.Failures != failures {
		t.Fatalf("junit: %d tests, %d failures; want %d, %d", suites.Tests, suites.Failures, tests, failures)
	}
}

func TestRunInterruptDeletesLab(t *testing.T) {
	t.Parallel()
	h := testHub.Get(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Cancel (as Ctrl-C does) once the two-minute cell is running.
	out := &lockedBuffer{marker: "kernel start", onMatch: cancel}
	release := testHub.SpawnSlot()
	code, text := mobu(t, ctx, hubEnv(h), out, "run", "--user", "bot-mobu-interrupt", "testdata/interrupt")
	release()
	if code != 1 || !strings.Contains(text, "interrupted") || !strings.Contains(text, "context canceled") {
		t.Fatalf("exit %d, want 1 and an interrupted run:\n%s", code, text)
	}
	if !strings.Contains(text, "lab delete") || labRunning(t, h, "bot-mobu-interrupt") {
		t.Fatalf("lab not deleted after interrupt:\n%s", text)
	}
}

func TestRunFaults(t *testing.T) {
	h := testHub.Get(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + l.Addr().String()
	l.Close()
	tests := []struct {
		name, user string
		env        map[string]string
		args       []string
		code       int
		want       []string
	}{
		{"kernel death", "bot-mobu-f-dies", nil, []string{"testdata/faults/dies.ipynb"}, 1,
			[]string{"cell: notebook testdata/faults/dies.ipynb cell dies-2 (#2): kernel died", "1/3"}},
		{"cell timeout", "bot-mobu-f-hangs", nil, []string{"--cell-timeout", "2s", "testdata/faults/hangs.ipynb"}, 1,
			[]string{"cell timed out after 2s (kernel interrupted)", "KeyboardInterrupt"}},
		{"huge output", "bot-mobu-f-huge", nil, []string{"testdata/faults/huge-output.ipynb"}, 0,
			[]string{"1 passed, 0 failed"}},
		{"unicode", "bot-mobu-f-unicode", nil, []string{"testdata/faults/unicode.ipynb"}, 1,
			[]string{"RuntimeError: ünïcödé 💥"}},
		{"no expected exception", "bot-mobu-f-noexc", nil, []string{"testdata/faults/no-exception.ipynb"}, 1,
			[]string{"expected exception did not occur"}},
		{"invalid JSON, others still run", "bot-mobu-f-json", nil,
			[]string{"testdata/faults/bad-json.ipynb", "../../examples/notebooks/hello.ipynb"}, 1,
			[]string{"parse: notebook testdata/faults/bad-json.ipynb: invalid JSON at line 3, column 1", "1 passed, 1 failed"}},
		{"spawn failure", "bot-mobu-failspawn-cli", nil, []string{"testdata/faults/unicode.ipynb"}, 1,
			[]string{"FAILED (spawn)", "lab spawn failed", "exited at once"}},
		{"spawn timeout", "bot-mobu-hangspawn-cli", nil, []string{"--spawn-timeout", "3s", "testdata/faults/unicode.ipynb"}, 1,
			[]string{"FAILED (spawn)", "spawn timed out after 3s"}},
		{"kernel start timeout", "bot-mobu-f-kernel", nil, []string{"--kernel-timeout", "1ms", "testdata/faults/unicode.ipynb"}, 1,
			[]string{"FAILED (kernel)", "0 passed, 1 failed"}},
		{"wrong token", "bot-mobu-f-token", map[string]string{"MOBU_HUB_TOKEN": "wrong"},
			[]string{"testdata/faults/unicode.ipynb"}, 1, []string{"FAILED (login)", "403 Forbidden"}},
		{"unreachable hub", "bot-mobu-f-nohub", map[string]string{"MOBU_HUB_URL": closedURL},
			[]string{"testdata/faults/unicode.ipynb"}, 1, []string{"FAILED (login)", "connection refused"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := hubEnv(h)
			for k, v := range tt.env {
				env[k] = v
			}
			release := testHub.SpawnSlot()
			code, out := mobu(t, context.Background(), env, nil, append([]string{"run", "--user", tt.user}, tt.args...)...)
			release()
			if code != tt.code {
				t.Errorf("exit %d, want %d", code, tt.code)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q", w)
				}
			}
			if labRunning(t, h, tt.user) {
				t.Error("lab still running")
			}
			if t.Failed() {
				t.Logf("output:\n%s", out)
			}
		})
	}
}

func TestRunUsageErrors(t *testing.T) {
	env := map[string]string{"MOBU_HUB_URL": "http://127.0.0.1:1", "MOBU_HUB_TOKEN": "t"}
	noToken := map[string]string{"MOBU_HUB_URL": "http://127.0.0.1:1"}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"no command", env, nil, 2, "usage: mobu <command>"},
		{"unknown command", env, []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"help", env, []string{"run", "-h"}, 0, "usage: mobu run"},
		{"no token", noToken, []string{"run", "x.ipynb"}, 2, "MOBU_HUB_TOKEN is not set"},
		{"no hub", map[string]string{"MOBU_HUB_TOKEN": "t"}, []string{"run", "x.ipynb"}, 2, "--hub-url (or MOBU_HUB_URL) is required"},
		{"no paths", env, []string{"run"}, 2, "no notebooks given"},
		{"missing path", env, []string{"run", "does/not/exist"}, 2, "does/not/exist"},
		{"unknown flag", env, []string{"run", "--bogus", "x"}, 2, "flag provided but not defined: -bogus"},
		{"bad duration", env, []string{"run", "--cell-timeout", "soon", "x"}, 2, `invalid duration "soon"`},
		{"bad protocol", env, []string{"run", "--protocol", "v2", "../../examples"}, 2, "--protocol must be auto, v1 or legacy"},
		{"bad hub url", map[string]string{"MOBU_HUB_URL": "ftp://x", "MOBU_HUB_TOKEN": "t"}, []string{"run", "../../examples"}, 2, "must be an absolute http(s) URL"},
		{"version", env, []string{"version"}, 0, "mobu dev"},
		{"bad Kafka TLS files", merged(env, map[string]string{"METRICS_ENABLED": "true", "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
			"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_CLUSTER_CA_PATH": "/nonexistent/ca.crt", "SCHEMA_MANAGER_REGISTRY_URL": "http://127.0.0.1:1"}),
			[]string{"run", "../../examples/notebooks/hello.ipynb"}, 2, "KAFKA_CLUSTER_CA_PATH /nonexistent/ca.crt: no such file or directory"},
		{"config check ok", env, []string{"config", "check", "../../examples/demo-config.yaml"}, 0, "OK (1 autostart flock(s), lab driver: JupyterHub)"},
		{"config check problems", env, []string{"config", "check", "../../config/testdata/phalanx.yaml"}, 1,
			`autostart[2].business.type: business type "TAPQuerySetRunner" is not supported`},
		{"config check missing", env, []string{"config", "check", "nope.yaml"}, 1, "reading config: open nope.yaml"},
		{"config usage", env, []string{"config"}, 2, "usage: mobu config check FILE"},
		{"serve without config", env, []string{"serve"}, 2, "--config (or MOBU_CONFIG_PATH) is required"},
		{"serve with a fatal config", env, []string{"serve", "--config", "testdata/bad-config.yaml"}, 2,
			"pathPrefix: must start with / and not end with one (got \"mobu\")\nlogLevel: must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL (got \"LOUD\")"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := mobu(t, context.Background(), tt.env, nil, tt.args...)
			if code != tt.code || !strings.Contains(out, tt.want) {
				t.Fatalf("exit %d, want %d with %q:\n%s", code, tt.code, tt.want, out)
			}
		})
	}
}

// TestRunNamedServer runs a notebook on a named server of the real hub: the
// lab that runs it is the named one (asked of the hub while the kernel
// starts), and it is gone afterwards.
func TestRunNamedServer(t *testing.T) {
	t.Parallel()
	h := testHub.Get(t)
	const user = "bot-mobu-named"
	var during []string
	out := &lockedBuffer{marker: "kernel start", onMatch: func() { during = userServers(t, h, user) }}
	release := testHub.SpawnSlot()
	code, text := mobu(t, context.Background(), hubEnv(h), out, "run", "--user", user, "--server", "lab2",
		"../../examples/notebooks/hello.ipynb")
	release()
	if code != 0 {
		t.Fatalf("exit %d, want 0:\n%s", code, text)
	}
	if !slices.Equal(during, []string{"lab2"}) {
		t.Errorf("servers while the notebook ran: %q, want only the named server lab2", during)
	}
	if s := userServers(t, h, user); len(s) != 0 {
		t.Errorf("servers left after the run: %q", s)
	}
}
