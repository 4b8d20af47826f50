package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/client"
)

const flockConfig = `
shutdownGracePeriod: 60s
jupyterhub: {}
autostart:
  - name: it
    count: 3
    user_spec: {username_prefix: bot-mobu-it}
    business:
      type: NotebookRunnerCounting
      restart: true
      options:
        notebook_dir: ../../examples/notebooks
        max_executions: 2
        execution_idle_time: 0
        idle_time: 0.5
        error_idle_time: 2
`

// TestServeFlockLifecycle runs the service against the real hub: a flock of
// 3 NotebookRunnerCounting monkeys over the examples, watched and driven
// through the REST API, then stopped like SIGTERM.
func TestServeFlockLifecycle(t *testing.T) {
	h := testHub.Get(t)
	release := testHub.SpawnSlot() // three spawns at once: take one slot and go gently
	defer release()
	events := filepath.Join(t.TempDir(), "events.jsonl")
	s := startService(t, hubEnv(h), flockConfig, "--events", events)
	ctx := context.Background()

	waitFor(t, "3 lab sessions", 3*time.Minute, func() (bool, error) {
		sum, err := s.api.Summary(ctx, "it") // 404 until autostart registered it
		return err == nil && sum.SuccessCount+sum.FailureCount >= 3, err
	})
	checkMonkeyData(t, s)
	checkPauseResume(t, s)
	checkRefresh(t, s)
	checkDeleteDuringCell(t, s, h)
	checkSolitaryPythonLoop(t, s)

	if err := s.stop(t); err != nil {
		t.Fatalf("mobu serve exited with %v after SIGTERM:\n%s", err, s.logs)
	}
	if running := labsOf(t, h, "bot-mobu-it1", "bot-mobu-it2", "bot-mobu-it3"); len(running) > 0 {
		t.Fatalf("labs still running after SIGTERM: %v", running)
	}
	counts := checkEventsFile(t, events)
	if counts["notebook_execution"] < 6 || counts["nublado_spawn_lab"] < 3 || counts["nublado_delete_lab"] < 3 {
		t.Fatalf("events: %v", counts)
	}
	if !strings.Contains(s.logs.String(), "events_dropped=0") {
		t.Fatalf("events dropped or not flushed:\n%s", s.logs)
	}
}

func checkMonkeyData(t *testing.T, s *runningService) {
	t.Helper()
	ctx := context.Background()
	names, err := s.api.Monkeys(ctx, "it")
	if err != nil || strings.Join(names, ",") != "bot-mobu-it1,bot-mobu-it2,bot-mobu-it3" {
		t.Fatalf("monkeys %v, %v", names, err)
	}
	raw, err := s.api.Monkey(ctx, "it", "bot-mobu-it2")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.ToLower(string(raw)), "token") {
		t.Fatalf("monkey data shows a token: %s", raw)
	}
	var d struct {
		State    string `json:"state"`
		Business struct {
			Name string `json:"name"`
		} `json:"business"`
	}
	json.Unmarshal(raw, &d)
	if d.State == "" || d.Business.Name != "NotebookRunnerCounting" {
		t.Fatalf("monkey data %s", raw)
	}
}

func checkPauseResume(t *testing.T, s *runningService) {
	t.Helper()
	ctx := context.Background()
	if err := s.api.Act(ctx, "it", "pause"); err != nil {
		t.Fatal(err)
	}
	if !summaryOf(t, s, "it").Paused {
		t.Fatal("summary does not say paused")
	}
	var frozen int64
	waitFor(t, "the paused flock to go quiet", 2*time.Minute, func() (bool, error) {
		a := summaryOf(t, s, "it")
		time.Sleep(1500 * time.Millisecond) // observation window
		b := summaryOf(t, s, "it")
		frozen = b.SuccessCount + b.FailureCount
		return a.SuccessCount+a.FailureCount == frozen && allIdle(t, s), nil
	})
	if err := s.api.Act(ctx, "it", "resume"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "work after resume", 3*time.Minute, func() (bool, error) {
		b := summaryOf(t, s, "it")
		return b.SuccessCount+b.FailureCount > frozen && !b.Paused, nil
	})
}

func allIdle(t *testing.T, s *runningService) bool {
	for _, n := range []string{"bot-mobu-it1", "bot-mobu-it2", "bot-mobu-it3"} {
		raw, err := s.api.Monkey(context.Background(), "it", n)
		if err != nil || strings.Contains(string(raw), `"RUNNING"`) {
			return false
		}
	}
	return true
}

func checkRefresh(t *testing.T, s *runningService) {
	t.Helper()
	ctx := context.Background()
	loads := func() int {
		var b strings.Builder
		s.api.MonkeyLog(ctx, "it", "bot-mobu-it1", &b)
		return strings.Count(b.String(), "loaded notebooks")
	}
	before := loads()
	if err := s.api.Act(ctx, "it", "refresh"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "notebooks reloaded after refresh", 3*time.Minute, func() (bool, error) { return loads() > before, nil })
	var apiErr *client.APIError
	if err := s.api.Act(ctx, "nope", "refresh"); !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound {
		t.Fatalf("refresh of an unknown flock: %v", err)
	}
}

// checkDeleteDuringCell starts a second flock whose cell sleeps 3 s and
// deletes it while the cell runs: 204, and the lab is gone.
func checkDeleteDuringCell(t *testing.T, s *runningService, h interface{ LogTail(int) string }) {
	t.Helper()
	ctx := context.Background()
	spec := `{"name":"slow","count":1,"users":[{"username":"bot-mobu-slow"}],"business":{"type":"NotebookRunnerList",
		"options":{"notebook_dir":"testdata/slow","execution_idle_time":0}}}`
	if _, err := s.api.StartFlock(ctx, []byte(spec)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the slow cell to run", 3*time.Minute, func() (bool, error) {
		raw, err := s.api.Monkey(ctx, "slow", "bot-mobu-slow")
		return strings.Contains(string(raw), `"running_cell"`), err
	})
	if err := s.api.StopFlock(ctx, "slow"); err != nil {
		t.Fatalf("DELETE during a running cell: %v", err)
	}
	if labRunning(t, testHub.Get(t), "bot-mobu-slow") {
		t.Fatal("lab still running after DELETE")
	}
	var apiErr *client.APIError
	if _, err := s.api.Flock(ctx, "slow"); !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound {
		t.Fatalf("GET after DELETE: %v", err)
	}
}

// TestServeHubDown: monkeys whose hub is unreachable keep retrying with
// backoff; the service stays up and stops cleanly.
func TestServeHubDown(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test (runs the service)")
	}
	env := map[string]string{"MOBU_HUB_URL": "http://127.0.0.1:1", "MOBU_HUB_TOKEN": "x"}
	s := startService(t, env, `
shutdownGracePeriod: 10s
jupyterhub: {}
autostart:
  - name: down
    count: 2
    user_spec: {username_prefix: bot-mobu-down}
    business:
      type: NotebookRunnerCounting
      restart: true
      options: {notebook_dir: ../../examples/notebooks, error_idle_time: 1}
  - name: invalid
    count: 2
    users: [{username: bot-mobu-x}]
    business: {type: EmptyLoop}
`)
	waitFor(t, "repeated login failures", time.Minute, func() (bool, error) {
		sum, err := s.api.Summary(context.Background(), "down") // 404 until autostart registered it
		return err == nil && sum.FailureCount >= 6, err
	})
	if !strings.Contains(s.logs.String(), "skipping invalid autostart flock") ||
		!strings.Contains(s.logs.String(), "autostart[1].users: has 1 users but count is 2") {
		t.Fatalf("the invalid flock was not reported:\n%s", s.logs)
	}
	if names, _ := s.api.Flocks(context.Background()); strings.Join(names, ",") != "down" {
		t.Fatalf("flocks %v, want only the valid one", names)
	}
	raw, err := s.api.Monkey(context.Background(), "down", "bot-mobu-down1")
	if err != nil || !strings.Contains(string(raw), "connection refused") {
		t.Fatalf("monkey data %s, %v", raw, err)
	}
	if err := s.stop(t); err != nil {
		t.Fatalf("exit: %v", err)
	}
}

// checkSolitaryPythonLoop runs POST /run with a NubladoPythonLoop on the real
// hub; the code asserts working_directory was applied.
func checkSolitaryPythonLoop(t *testing.T, s *runningService) {
	t.Helper()
	body := `{"user":{"username":"bot-mobu-solo"},"scopes":[],"business":{"type":"NubladoPythonLoop",
		"options":{"code":"import os\nassert os.getcwd() == '/tmp', os.getcwd()\nprint('ok')","max_executions":2,
		"execution_idle_time":0,"working_directory":"/tmp"}}}`
	resp, err := http.Post(s.url+"/run", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var res struct {
		Success bool   `json:"success"`
		Error   string `json:"error"`
		Log     string `json:"log"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /run: %d, %v", resp.StatusCode, err)
	}
	if !res.Success || !strings.Contains(res.Log, "spawn done") || !strings.Contains(res.Log, "lab delete done") {
		t.Fatalf("solitary python loop: %+v", res)
	}
	if labRunning(t, testHub.Get(t), "bot-mobu-solo") {
		t.Fatal("solitary run left its lab running")
	}
}
