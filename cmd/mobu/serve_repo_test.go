package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/testgit"
)

// notebookEvents returns the notebook_execution events written so far.
func notebookEvents(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e map[string]any
		if json.Unmarshal(sc.Bytes(), &e) == nil && e["event"] == "notebook_execution" {
			out = append(out, e)
		}
	}
	return out
}

func sawNotebook(evs []map[string]any, notebook, hash string) bool {
	for _, e := range evs {
		if e["notebook"] == notebook && e["repo_hash"] == hash && e["success"] == true {
			return true
		}
	}
	return false
}

// TestServeRepoPushAndRefresh: a flock runs notebooks from a git repository
// served over smart HTTP; after a push and a refresh, the new commit runs
// (events carry its repo_hash) and so does the notebook it added.
func TestServeRepoPushAndRefresh(t *testing.T) {
	h := testHub.Get(t)
	hello, err := os.ReadFile("../../examples/notebooks/hello.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	repo := testgit.NewRepo(t)
	first := repo.Commit(map[string]string{"hello.ipynb": string(hello), "README.md": "payload"}, "first")
	srv := testgit.Serve(t, map[string]*testgit.Repo{"payload": repo}, testgit.ServeOptions{})
	events := filepath.Join(t.TempDir(), "events.jsonl")
	release := testHub.SpawnSlot()
	defer release()
	s := startService(t, hubEnv(h), `
shutdownGracePeriod: 30s
jupyterhub: {}
autostart:
  - name: repo
    count: 1
    users: [{username: bot-mobu-repo}]
    business:
      type: NotebookRunnerInfinite
      options:
        repo_url: `+srv.URL("payload")+`
        repo_ref: main
        notebook_order: sorted
        execution_idle_time: 0
        idle_time: 0.2
`, "--events", events)
	waitFor(t, "the first commit to run", 3*time.Minute, func() (bool, error) {
		return sawNotebook(notebookEvents(t, events), "hello.ipynb", first), nil
	})
	second := repo.Commit(map[string]string{"second.ipynb": string(hello)}, "add a notebook")
	if err := s.api.Act(context.Background(), "repo", "refresh"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the pushed commit and its new notebook to run", 3*time.Minute, func() (bool, error) {
		evs := notebookEvents(t, events)
		return sawNotebook(evs, "second.ipynb", second) && sawNotebook(evs, "hello.ipynb", second), nil
	})
	for _, e := range notebookEvents(t, events) {
		if e["repo"] != srv.URL("payload") || e["repo_ref"] != "main" {
			t.Fatalf("event repo fields: %v", e)
		}
	}
}
