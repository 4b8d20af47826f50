package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/testgit"
	"github.com/mobu-dev/mobu/internal/testgithub"
)

func oneCellNotebook(id, code string) string {
	return `{"nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {"name": "python3"}}, "cells": [
		{"cell_type": "code", "id": "` + id + `", "source": ` + jsonString(code) + `, "metadata": {}, "outputs": [], "execution_count": null}]}`
}

// withStoredOutput is nb with an output and an execution count stored in
// its cell, as a contributor who forgot to clear them would commit it.
func withStoredOutput(nb string) string {
	return strings.Replace(strings.Replace(nb, `"outputs": []`,
		`"outputs": [{"output_type": "stream", "name": "stdout", "text": "fixed\n"}]`, 1),
		`"execution_count": null`, `"execution_count": 1`, 1)
}

func jsonString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

// postWebhook sends a signed delivery and returns the status.
func postWebhook(t *testing.T, s *runningService, app, event, delivery string, body []byte, secret string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.url+"/github/"+app+"/webhook", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", delivery)
	req.Header.Set("X-Hub-Signature-256", testgithub.Sign([]byte(secret), body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func completedCheck(t *testing.T, gh *testgithub.Server, sha string) testgithub.CheckRun {
	t.Helper()
	var run testgithub.CheckRun
	waitFor(t, "the check run of "+sha[:7]+" to complete", 3*time.Minute, func() (bool, error) {
		for _, r := range gh.CheckRuns() {
			if r.HeadSHA == sha && r.Status == "completed" {
				run = r
				return true, nil
			}
		}
		return false, nil
	})
	return run
}

func statuses(r testgithub.CheckRun) string {
	var out []string
	for _, h := range r.History {
		if len(out) == 0 || out[len(out)-1] != h.Status {
			out = append(out, h.Status)
		}
	}
	return strings.Join(out, " → ")
}

// TestGitHubApps drives both apps end to end: a fake GitHub API, a real
// repository over smart HTTP and the real hub.
func TestGitHubApps(t *testing.T) {
	h := testHub.Get(t)
	key := testgithub.GenerateKey(t)
	gh := testgithub.NewServer(t, testgithub.Options{AppID: 4242, PrivateKey: key})
	hello, _ := os.ReadFile("../../examples/notebooks/hello.ipynb")
	repo := testgit.NewRepo(t)
	repo.Commit(map[string]string{"notebooks/hello.ipynb": string(hello), "README.md": "notebooks"}, "base")
	repo.Branch("pr")
	repo.Checkout("pr")
	broken := repo.Commit(map[string]string{"notebooks/new.ipynb": oneCellNotebook("boom", "def f():\n    raise ValueError('broken on purpose')\nf()"),
		"README.md": "notebooks, and a new one"}, "add a notebook")
	repo.Checkout("main")
	srv := testgit.Serve(t, map[string]*testgit.Repo{"notebooks": repo}, testgit.ServeOptions{})
	cloneURL := srv.URL("notebooks")
	gh.SetPRFiles("lsst-sqre", "notebooks", 7, []testgithub.File{{Filename: "notebooks/new.ipynb", Status: "added"}, {Filename: "README.md"}})
	// A check left in progress by a mobu that was killed, on an open pull
	// request's head: the startup sweep queues it again and it runs.
	dangling := strings.Repeat("d", 40)
	gh.AddInstallation(testgithub.Installation{ID: 99, Account: "lsst-sqre",
		Repos: []testgithub.Repository{{Name: "notebooks", CloneURL: cloneURL}}})
	gh.SetPull("lsst-sqre", "notebooks", testgithub.PR{Number: 5, HeadSHA: dangling, HeadRef: "docs"}, "open")
	gh.SetPRFiles("lsst-sqre", "notebooks", 5, []testgithub.File{{Filename: "README.md"}})
	gh.AddCheckRun(testgithub.CheckRun{Owner: "lsst-sqre", Repo: "notebooks", Name: "Mobu (test)", HeadSHA: dangling,
		Status: "in_progress", Output: testgithub.Output{Title: "Running notebooks", Summary: "Running notebooks as bot-mobu-ci1…"}})
	env := merged(hubEnv(h), map[string]string{"MOBU_GITHUB_CI_APP_ID": "4242", "MOBU_GITHUB_CI_APP_PRIVATE_KEY": string(testgithub.PKCS1PEM(key)),
		"MOBU_GITHUB_CI_APP_WEBHOOK_SECRET": "ci-secret", "MOBU_GITHUB_REFRESH_APP_WEBHOOK_SECRET": "refresh-secret"})
	events := filepath.Join(t.TempDir(), "events.jsonl")
	release := testHub.SpawnSlot()
	defer release()
	s := startService(t, env, `
shutdownGracePeriod: 60s
environmentName: test
jupyterhub: {}
githubRefreshApp: {acceptedGithubOrgs: [lsst-sqre]}
githubCiApp:
  acceptedGithubOrgs: [lsst-sqre]
  users: [{username: bot-mobu-ci1}]
  apiUrl: `+gh.URL()+`
  cellTimeout: 5s
autostart:
  - name: watch
    count: 1
    users: [{username: bot-mobu-watch}]
    business:
      type: NotebookRunnerInfinite
      options: {repo_url: "`+cloneURL+`", repo_ref: main, notebook_order: sorted, execution_idle_time: 0, idle_time: 0.2}
`, "--events", events)
	ev := testgithub.Event{Owner: "lsst-sqre", Repo: "notebooks", OrgOwned: true, InstallationID: 99,
		HTMLURL: strings.TrimSuffix(cloneURL, ".git")}
	if run := completedCheck(t, gh, dangling); statuses(run) != "queued → in_progress → completed" || run.Conclusion != "success" {
		t.Fatalf("dangling check: %s, conclusion %s", statuses(run), run.Conclusion)
	}
	waitFor(t, "the startup sweep's summary", time.Minute, func() (bool, error) {
		return strings.Contains(s.logs.String(), "ci startup sweep done"), nil
	})
	if l := s.logs.String(); !regexp.MustCompile(`checks_found"?[=:]1\b.*checks_requeued"?[=:]1\b`).MatchString(l) {
		t.Fatalf("sweep summary:\n%s", l)
	}

	// A pull request adding a failing notebook: a failed check with an annotation.
	pr := testgithub.PullRequestPayload(ev, "opened", testgithub.PR{Number: 7, HeadSHA: broken, HeadRef: "pr"})
	if code := postWebhook(t, s, "ci", "pull_request", "d-1", pr, "ci-secret"); code != http.StatusAccepted {
		t.Fatalf("pull_request webhook: %d", code)
	}
	run := completedCheck(t, gh, broken)
	if run.Name != "Mobu (test)" || statuses(run) != "queued → in_progress → completed" || run.Conclusion != "failure" {
		t.Fatalf("check %q: %s, conclusion %s", run.Name, statuses(run), run.Conclusion)
	}
	if len(run.Annotations) != 1 || run.Annotations[0].Path != "notebooks/new.ipynb" || run.Annotations[0].Level != "failure" ||
		!strings.Contains(run.Annotations[0].Title, "boom") || !strings.Contains(run.Annotations[0].Message, "ValueError: broken on purpose") ||
		!strings.Contains(run.Output.Text, "raise ValueError('broken on purpose')") {
		t.Fatalf("annotations %+v\ntext:\n%s", run.Annotations, run.Output.Text)
	}

	// The fix, pushed to the pull request with its output stored: a passing
	// check with a warning annotation; nothing cancelled.
	repo.Checkout("pr")
	fixed := repo.Commit(map[string]string{"notebooks/new.ipynb": withStoredOutput(oneCellNotebook("boom", "print('fixed')"))}, "fix it")
	repo.Checkout("main")
	sync := testgithub.PullRequestPayload(ev, "synchronize", testgithub.PR{Number: 7, HeadSHA: fixed, HeadRef: "pr"})
	if code := postWebhook(t, s, "ci", "pull_request", "d-2", sync, "ci-secret"); code != http.StatusAccepted {
		t.Fatalf("synchronize webhook: %d", code)
	}
	if run := completedCheck(t, gh, fixed); run.Conclusion != "success" || !strings.Contains(run.Output.Summary, "notebooks/new.ipynb") ||
		len(run.Annotations) != 1 || run.Annotations[0].Level != "warning" || run.Annotations[0].Path != "notebooks/new.ipynb" {
		t.Fatalf("after the fix: %s %s %+v\n%s", run.Conclusion, statuses(run), run.Annotations, run.Output.Summary)
	}
	for _, r := range gh.CheckRuns() {
		if r.Conclusion == "cancelled" {
			t.Fatalf("check %d of %s was cancelled", r.ID, r.HeadSHA[:7])
		}
	}

	// A pull request from a fork (its head only at refs/pull/8/head) whose
	// notebook hangs: the cell timeout fails the check.
	repo.Branch("hang")
	repo.Checkout("hang")
	hang := repo.Commit(map[string]string{"notebooks/hang.ipynb": oneCellNotebook("spin", "while True:\n    pass")}, "hang")
	repo.Checkout("main")
	repo.Git("update-ref", "refs/pull/8/head", hang)
	repo.Git("branch", "-D", "hang")
	gh.SetPRFiles("lsst-sqre", "notebooks", 8, []testgithub.File{{Filename: "notebooks/hang.ipynb", Status: "added"}})
	hangPR := testgithub.PullRequestPayload(ev, "opened", testgithub.PR{Number: 8, HeadSHA: hang, HeadRef: "hang"})
	if code := postWebhook(t, s, "ci", "pull_request", "d-h", hangPR, "ci-secret"); code != http.StatusAccepted {
		t.Fatalf("pull_request webhook: %d", code)
	}
	if run := completedCheck(t, gh, hang); run.Conclusion != "failure" || len(run.Annotations) != 1 ||
		!strings.Contains(run.Annotations[0].Title+run.Annotations[0].Message, "timed out after 5s") {
		t.Fatalf("hanging notebook: %s %+v", run.Conclusion, run.Annotations)
	}

	// Events the app does not handle are acknowledged; a delivery whose check
	// run could not be created is handled again when redelivered.
	if code := postWebhook(t, s, "ci", "installation", "d-i", []byte(`{"action": "created", "installation": {"id": 99}}`),
		"ci-secret"); code != http.StatusAccepted {
		t.Fatalf("installation webhook: %d", code)
	}
	readme := repo.Commit(map[string]string{"README.md": "only the readme"}, "readme")
	gh.SetPRFiles("lsst-sqre", "notebooks", 9, []testgithub.File{{Filename: "README.md"}})
	gh.FailNext(http.MethodPost, "/repos/lsst-sqre/notebooks/check-runs", http.StatusUnprocessableEntity, nil, 1)
	readmePR := testgithub.PullRequestPayload(ev, "opened", testgithub.PR{Number: 9, HeadSHA: readme, HeadRef: "main"})
	waitFor(t, "a redelivery to create the check run", time.Minute, func() (bool, error) {
		if code := postWebhook(t, s, "ci", "pull_request", "d-r", readmePR, "ci-secret"); code != http.StatusAccepted {
			return false, fmt.Errorf("pull_request webhook: %d", code)
		}
		for _, r := range gh.CheckRuns() {
			if r.HeadSHA == readme {
				return true, nil
			}
		}
		return false, nil
	})
	if run := completedCheck(t, gh, readme); run.Conclusion != "success" || run.Output.Title != "No changed notebooks to run" {
		t.Fatalf("redelivered pull request: %s %q", run.Conclusion, run.Output.Title)
	}

	// A push to main refreshes the flock running it: the new commit runs.
	mainSHA := repo.Commit(map[string]string{"notebooks/second.ipynb": string(hello)}, "another notebook")
	push := testgithub.PushPayload(ev, "refs/heads/main", strings.Repeat("1", 40), mainSHA)
	if code := postWebhook(t, s, "refresh", "push", "d-3", push, "refresh-secret"); code != http.StatusAccepted {
		t.Fatalf("push webhook: %d", code)
	}
	waitFor(t, "the pushed commit to run in the flock", 3*time.Minute, func() (bool, error) {
		return sawNotebook(notebookEvents(t, events), "notebooks/second.ipynb", mainSHA), nil
	})
	if code := postWebhook(t, s, "refresh", "push", "d-4", push, "wrong-secret"); code != http.StatusUnauthorized {
		t.Fatalf("badly signed push: %d", code)
	}
	if err := s.stop(t); err != nil {
		t.Fatal(err)
	}
	if labsOf(t, h, "bot-mobu-ci1", "bot-mobu-watch") != nil {
		t.Fatal("labs left running")
	}
}
