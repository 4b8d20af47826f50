package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/testgit"
	"github.com/mobu-dev/mobu/internal/testgithub"
	"github.com/mobu-dev/mobu/internal/testhub"
	"github.com/mobu-dev/mobu/internal/testnublado"
	"github.com/mobu-dev/mobu/internal/testrsp"
)

// phalanxConfig is the file Phalanx's chart renders (values.yaml at 650a0ef
// merged with an IDF-like values-<env>.yaml), over a payload repository
// (%[2]s) and a fake GitHub (%[3]s); %[1]s is inserted at the top level.
// Differences from a real environment, each needed on loopback:
// githubCiApp.apiUrl (there is no variable for the GitHub API URL), the
// image tag (one the Nublado fake describes), and idle_time 1 instead of
// 300 with max_executions 4 (a mobu option Phalanx's tutorial flocks set)
// so that an execution, and the one after a refresh, take seconds.
const phalanxConfig = `%[1]s
autostart:
  - name: "recommended"
    count: 1
    users:
      - username: "bot-mobu-recommended"
        uidnumber: 74768
        gidnumber: 74768
        groups:
          - name: "g_users"
            id: 2000003
    scopes: ["exec:notebook", "exec:portal", "read:image", "read:tap"]
    business:
      type: "NotebookRunnerCounting"
      options:
        cell_execution_timeout: "1h"
        collection_rules:
          - type: exclude_union_of
            patterns: ["sasquatch.ipynb"]
        image:
          image_class: "by-tag"
          tag: "w_2026_40"
        repo_url: "%[2]s"
        repo_ref: "main"
        max_executions: 4
        execution_idle_time: 0
        idle_time: 1
      restart: true
gafaelfawrTimeout: null
githubRefreshApp:
  acceptedGithubOrgs: [lsst-sqre, lsst]
githubCiApp:
  acceptedGithubOrgs: [lsst-sqre, lsst]
  users:
    - username: bot-mobu-ci-user-1
    - username: bot-mobu-ci-user-2
  scopes: ["exec:notebook", "exec:portal", "read:image", "read:tap"]
  apiUrl: "%[3]s"
logLevel: INFO
logProfile: production
pathPrefix: "/mobu"
sentryEnvironment: null
sentryTracesSampleConfig: errors
slackAlerts: true
metrics:
  enabled: true
  application: "mobu"
  events:
    topicPrefix: "lsst.square.metrics.events"
  schemaManager:
    registryUrl: "http://sasquatch-schema-registry.sasquatch.svc.cluster.local:8081"
    suffix: ""
`

// needsPortal is a notebook that may run only where the portal is enabled.
const needsPortal = `{"nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {"name": "python3"},
 "mobu": {"required_applications": ["portal"]}}, "cells": [{"cell_type": "code", "id": "portal", "source": "print('portal')",
 "metadata": {}, "outputs": [], "execution_count": null}]}`

// payloadFixture is the notebook repository: the examples, one the collection
// rules exclude, one that needs the portal, and a pull request branch.
type payloadFixture struct {
	repo      *testgit.Repo
	url, head string
	prSHA     string
}

func payloadRepo(t *testing.T) payloadFixture {
	t.Helper()
	files := map[string]string{"needs-portal.ipynb": needsPortal}
	for _, name := range []string{"hello.ipynb", "sleep.ipynb", "expected-exception.ipynb", "skipped-cell.ipynb"} {
		b, err := os.ReadFile(filepath.Join("../../examples/notebooks", name))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = string(b)
	}
	files["sasquatch.ipynb"] = files["hello.ipynb"]
	p := payloadFixture{repo: testgit.NewRepo(t)}
	p.head = p.repo.Commit(files, "payload")
	p.repo.Branch("pr")
	p.repo.Checkout("pr")
	p.prSHA = p.repo.Commit(map[string]string{"ci.ipynb": oneCellNotebook("ci", "print('ci')")}, "a notebook for CI")
	p.repo.Checkout("main")
	p.url = testgit.Serve(t, map[string]*testgit.Repo{"payload": p.repo}, testgit.ServeOptions{}).URL("payload")
	return p
}

// rsp is the fake platform: Gafaelfawr, Nublado over the real hub,
// Repertoire, GitHub, Kafka and Slack, and the variables Phalanx sets.
type rsp struct {
	gf  *testrsp.Gafaelfawr
	nb  *testnublado.Server
	rep *testrsp.Repertoire
	gh  *testgithub.Server
	env map[string]string
}

var baseApps = []string{"nublado", "mobu", "gafaelfawr"}

func newRSP(t *testing.T, h *testhub.Hub) *rsp {
	t.Helper()
	r := &rsp{gf: testrsp.NewGafaelfawr(t, testrsp.GafaelfawrOptions{})}
	r.nb = testnublado.New(t, h, testnublado.Options{Valid: func(tok string) (string, bool) {
		u, _, ok := r.gf.Valid(tok)
		return u, ok
	}})
	r.rep = testrsp.NewRepertoire(t, r.discovery(baseApps...))
	key := testgithub.GenerateKey(t)
	r.gh = testgithub.NewServer(t, testgithub.Options{AppID: 4242, PrivateKey: key})
	r.env = merged(kafkaEnv(t), map[string]string{
		"MOBU_GAFAELFAWR_TOKEN": r.gf.AdminToken(), "REPERTOIRE_BASE_URL": r.rep.BaseURL(),
		"MOBU_REPLICA_COUNT": "1", "MOBU_REPLICA_INDEX": "0", "MOBU_SENTRY_ENVIRONMENT": "sentry-env",
		"MOBU_ALERT_HOOK": newSlackFake(t).srv.URL, "KAFKA_SECURITY_PROTOCOL": "PLAINTEXT",
		"MOBU_GITHUB_CI_APP_ID": "4242", "MOBU_GITHUB_CI_APP_PRIVATE_KEY": string(testgithub.PKCS1PEM(key)),
		"MOBU_GITHUB_CI_APP_WEBHOOK_SECRET": "ci-secret", "MOBU_GITHUB_REFRESH_APP_WEBHOOK_SECRET": "refresh-secret"})
	return r
}

func (r *rsp) discovery(apps ...string) testrsp.DiscoveryJSON {
	return testrsp.DiscoveryJSON{Applications: apps, EnvironmentName: "testenv", GafaelfawrURL: r.gf.URL(),
		NubladoURL: r.nb.URL()}
}

// TestServeNubladoPhalanx runs Phalanx's config through the Nublado driver
// (Repertoire → Gafaelfawr bot token → Nublado fake over the real hub) with
// metrics to Kafka and both GitHub apps: a notebook needing an application
// that discovery lacks does not run until discovery lists it and a push
// refreshes the flock; a pull request gets a "Mobu (<environment>)" check;
// deleting the flock revokes its token. The same flock through the
// JupyterHub driver must emit the same events.
func TestServeNubladoPhalanx(t *testing.T) {
	h := testHub.Get(t)
	p := payloadRepo(t)
	r := newRSP(t, h)
	ev := testgithub.Event{Owner: "lsst-sqre", Repo: "payload", OrgOwned: true, InstallationID: 99,
		HTMLURL: strings.TrimSuffix(p.url, ".git")}
	r.gh.SetPRFiles("lsst-sqre", "payload", 3, []testgithub.File{{Filename: "ci.ipynb", Status: "added"}})
	events := filepath.Join(t.TempDir(), "events.jsonl")
	release := testHub.SpawnSlot()
	defer release()
	s := startService(t, r.env, fmt.Sprintf(phalanxConfig, "", p.url, r.gh.URL()), "--events", events)
	pr := testgithub.PullRequestPayload(ev, "opened", testgithub.PR{Number: 3, HeadSHA: p.prSHA, HeadRef: "pr"})
	if code := postWebhook(t, s, "ci", "pull_request", "d-1", pr, "ci-secret"); code != http.StatusAccepted {
		t.Fatalf("pull_request webhook: %d", code)
	}
	waitFor(t, "one execution", 3*time.Minute, func() (bool, error) {
		sum, err := s.api.Summary(context.Background(), "recommended")
		return err == nil && sum.SuccessCount+sum.FailureCount >= 1, err
	})
	checkLabImage(t, s)
	if ran(notebookEvents(t, events), "needs-portal.ipynb") {
		t.Fatal("a notebook needing the portal ran although discovery does not list it")
	}
	r.rep.Set(r.discovery(append(baseApps, "portal")...))
	push := testgithub.PushPayload(ev, "refs/heads/main", strings.Repeat("1", 40), p.head)
	if code := postWebhook(t, s, "refresh", "push", "d-2", push, "refresh-secret"); code != http.StatusAccepted {
		t.Fatalf("push webhook: %d", code)
	}
	waitFor(t, "the portal notebook to run after the refresh", 3*time.Minute, func() (bool, error) {
		return ran(notebookEvents(t, events), "needs-portal.ipynb"), nil
	})
	if run := completedCheck(t, r.gh, p.prSHA); run.Name != "Mobu (testenv)" || run.Conclusion != "success" {
		t.Errorf("check %q: %s, conclusion %s\n%s", run.Name, statuses(run), run.Conclusion, run.Output.Text)
	}
	checkDeleteRevokes(t, s, r.gf)
	if err := s.stop(t); err != nil {
		t.Fatalf("mobu serve exited with %v:\n%s", err, s.logs)
	}
	nublado := checkNubladoRun(t, h, r, events)

	r.rep.Set(r.discovery(baseApps...))
	hub := runOnce(t, merged(r.env, hubEnv(h)), fmt.Sprintf(phalanxConfig, "jupyterhub: {}", p.url, r.gh.URL()))
	if a, b := eventShapes(nublado), eventShapes(hub); !slices.Equal(a, b) {
		t.Errorf("events differ between drivers:\nnublado: %s\nhub:     %s", strings.Join(a, "\n         "),
			strings.Join(b, "\n         "))
	}
}

// ran reports whether a notebook ran successfully.
func ran(evs []map[string]any, notebook string) bool {
	return slices.ContainsFunc(evs, func(e map[string]any) bool { return e["notebook"] == notebook && e["success"] == true })
}

// runOnce runs a config until the flock's first execution (4 notebooks),
// stops the service like SIGTERM and returns its events.
func runOnce(t *testing.T, env map[string]string, cfg string) []event {
	t.Helper()
	events := filepath.Join(t.TempDir(), "events.jsonl")
	s := startService(t, env, cfg, "--events", events)
	waitFor(t, "one execution", 3*time.Minute, func() (bool, error) {
		sum, err := s.api.Summary(context.Background(), "recommended")
		return err == nil && sum.SuccessCount+sum.FailureCount >= 1, err
	})
	if err := s.stop(t); err != nil {
		t.Fatalf("mobu serve exited with %v:\n%s", err, s.logs)
	}
	if sum := checkEventsFile(t, events); sum["notebook_execution"] < 4 {
		t.Fatalf("events %v\nlogs:\n%s", sum, s.logs)
	}
	return readEvents(t, events)
}

// checkNubladoRun checks what the Nublado run left: the platform's rules
// kept, the spawn form, no lab running, every event in Kafka too, and
// returns the flock's events (the CI check's and the portal notebook's
// left out, as the JupyterHub run has neither).
func checkNubladoRun(t *testing.T, h *testhub.Hub, r *rsp, path string) []event {
	t.Helper()
	if v := r.nb.Violations(); len(v) != 0 {
		t.Errorf("the Nublado driver broke the platform's rules: %q", v)
	}
	var flockForm, ciForm bool // the flock's image by tag; CI's default image
	for _, f := range r.nb.SpawnForms() {
		flockForm = flockForm || (f.Get("image_tag") == "w_2026_40" && f.Get("size") == "Large")
		ciForm = ciForm || (f.Get("image_class") == "recommended" && f.Get("size") == "Large")
	}
	if !flockForm || !ciForm {
		t.Errorf("spawn forms %v", r.nb.SpawnForms())
	}
	if running := labsOf(t, h, "bot-mobu-recommended", "bot-mobu-ci-user-1", "bot-mobu-ci-user-2"); len(running) > 0 {
		t.Fatalf("labs left running by the Nublado driver: %v", running)
	}
	for _, tok := range r.gf.Tokens() {
		if !tok.Revoked {
			t.Errorf("the token of %s was not revoked at shutdown", tok.Username)
		}
	}
	evs := readEvents(t, path)
	code, tailed := mobu(t, context.Background(), r.env, nil, "events", "tail", "--from-beginning",
		"--max", fmt.Sprint(len(evs)), "--timeout", "10s")
	if code != 0 || strings.Count(tailed, "\n") != len(evs) {
		t.Errorf("Kafka holds other events than the file (%d): exit %d\n%s", len(evs), code, tailed)
	}
	var out []event
	for _, e := range evs {
		if e["username"] == "bot-mobu-recommended" && e["notebook"] != "needs-portal.ipynb" {
			out = append(out, e)
		}
	}
	return out
}

// checkDeleteRevokes deletes the flock through the API and waits for its
// bot token, minted as Phalanx's user entry says, to be revoked.
func checkDeleteRevokes(t *testing.T, s *runningService, gf *testrsp.Gafaelfawr) {
	t.Helper()
	if err := s.api.StopFlock(context.Background(), "recommended"); err != nil {
		t.Fatal(err)
	}
	var tok testrsp.MintedToken
	waitFor(t, "the flock's token to be revoked", time.Minute, func() (bool, error) {
		var n int
		for _, m := range gf.Tokens() {
			if m.Username == "bot-mobu-recommended" {
				tok, n = m, n+1
			}
		}
		return n == 1 && tok.Revoked, nil
	})
	if tok.TokenType != "service" || tok.Name != "Mobu Test User" ||
		tok.UID == nil || *tok.UID != 74768 || tok.GID == nil || *tok.GID != 74768 ||
		len(tok.Groups) != 1 || tok.Groups[0].Name != "g_users" || tok.Groups[0].ID != 2000003 ||
		strings.Join(tok.Scopes, " ") != "exec:notebook exec:portal read:image read:tap" {
		t.Errorf("minted token %+v", tok)
	}
}

// checkLabImage waits for the monkey data to show the lab's image and node.
func checkLabImage(t *testing.T, s *runningService) {
	t.Helper()
	waitFor(t, "the lab image in the monkey data", time.Minute, func() (bool, error) {
		raw, err := s.api.Monkey(context.Background(), "recommended", "bot-mobu-recommended")
		var m struct {
			Business struct {
				Image *struct{ Reference, Description string } `json:"image"`
				Node  string                                   `json:"node"`
			} `json:"business"`
		}
		if err == nil {
			err = json.Unmarshal(raw, &m)
		}
		img := m.Business.Image
		return img != nil && strings.HasSuffix(img.Reference, ":w_2026_40") && img.Description == "Weekly 2026_40" &&
			m.Business.Node == "localhub-node", err
	})
}

// eventShapes renders what must not depend on the driver: each event's
// type, fields and outcome per notebook and cell, sorted and deduplicated.
func eventShapes(evs []event) []string {
	var out []string
	for _, e := range evs {
		var keys []string
		for k := range e {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		out = append(out, fmt.Sprintf("%v %v/%v %v %v %v [%s]", e["event"], e["notebook"], e["cell_id"], e["success"],
			e["username"], e["flock"], strings.Join(keys, " ")))
	}
	slices.Sort(out)
	return slices.Compact(out)
}
