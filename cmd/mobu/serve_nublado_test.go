package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/testgit"
	"github.com/mobu-dev/mobu/internal/testnublado"
	"github.com/mobu-dev/mobu/internal/testrsp"
)

// phalanxFlock is a flock as Phalanx renders it (values-idf*.yaml), over a
// payload repository at repoURL; driver is inserted at the top level.
const phalanxFlock = `%s
logLevel: INFO
profile: production
slackAlerts: true
pathPrefix: "/mobu"
sentryTracesSampleConfig: errors
shutdownGracePeriod: 60s
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
        repo_url: "%s"
        repo_ref: "main"
        max_executions: 4
        execution_idle_time: 0
        idle_time: 1
      restart: true
`

// payloadRepo serves the example notebooks (and one the rules exclude).
func payloadRepo(t *testing.T) string {
	t.Helper()
	files := map[string]string{}
	for _, name := range []string{"hello.ipynb", "sleep.ipynb", "expected-exception.ipynb", "skipped-cell.ipynb"} {
		b, err := os.ReadFile(filepath.Join("../../examples/notebooks", name))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = string(b)
	}
	files["sasquatch.ipynb"] = files["hello.ipynb"]
	repo := testgit.NewRepo(t)
	repo.Commit(files, "payload")
	return testgit.Serve(t, map[string]*testgit.Repo{"payload": repo}, testgit.ServeOptions{}).URL("payload")
}

// runOnce runs the Phalanx flock until one execution (4 notebooks) is done,
// stops the service like SIGTERM and returns its events.
func runOnce(t *testing.T, env map[string]string, cfg string, check func(*runningService)) []event {
	t.Helper()
	release := testHub.SpawnSlot()
	defer release()
	events := filepath.Join(t.TempDir(), "events.jsonl")
	s := startService(t, env, cfg, "--events", events)
	waitFor(t, "one execution", 3*time.Minute, func() (bool, error) {
		sum, err := s.api.Summary(context.Background(), "recommended")
		return err == nil && sum.SuccessCount+sum.FailureCount >= 1, err
	})
	if check != nil {
		check(s)
	}
	if err := s.stop(t); err != nil {
		t.Fatalf("mobu serve exited with %v:\n%s", err, s.logs)
	}
	if sum := checkEventsFile(t, events); sum["notebook_execution"] < 4 {
		t.Fatalf("events %v\nlogs:\n%s", sum, s.logs)
	}
	return readEvents(t, events)
}

// TestServeNubladoPhalanx runs a Phalanx-shaped config through the Nublado
// driver (Repertoire → Gafaelfawr bot token → Nublado fake over the real
// hub), then the same flock through the JupyterHub driver, and requires the
// same events from both.
func TestServeNubladoPhalanx(t *testing.T) {
	h := testHub.Get(t)
	repoURL := payloadRepo(t)
	gf := testrsp.NewGafaelfawr(t, testrsp.GafaelfawrOptions{})
	nb := testnublado.New(t, h, testnublado.Options{Valid: func(tok string) (string, bool) {
		u, _, ok := gf.Valid(tok)
		return u, ok
	}})
	rep := testrsp.NewRepertoire(t, testrsp.DiscoveryJSON{Applications: []string{"nublado", "mobu"}, EnvironmentName: "testenv",
		GafaelfawrURL: gf.URL(), NubladoURL: nb.URL()})
	env := map[string]string{"MOBU_GAFAELFAWR_TOKEN": gf.AdminToken(), "REPERTOIRE_BASE_URL": rep.BaseURL(),
		"MOBU_REPLICA_COUNT": "1", "MOBU_REPLICA_INDEX": "0"}

	nublado := runOnce(t, env, fmt.Sprintf(phalanxFlock, "", repoURL), func(s *runningService) {
		checkLabImage(t, s)
	})
	checkBotToken(t, gf)
	if v := nb.Violations(); len(v) != 0 {
		t.Errorf("the Nublado driver broke the platform's rules: %q", v)
	}
	forms := nb.SpawnForms()
	if len(forms) == 0 || forms[0].Get("image_tag") != "w_2026_40" || forms[0].Get("size") != "Large" {
		t.Errorf("spawn forms %v", forms)
	}
	if running := labsOf(t, h, "bot-mobu-recommended"); len(running) > 0 {
		t.Fatal("lab left running by the Nublado driver")
	}

	hub := runOnce(t, hubEnv(h), fmt.Sprintf(phalanxFlock, "jupyterhub: {}", repoURL), nil)
	if a, b := eventShapes(nublado), eventShapes(hub); !slices.Equal(a, b) {
		t.Errorf("events differ between drivers:\nnublado: %s\nhub:     %s", strings.Join(a, "\n         "),
			strings.Join(b, "\n         "))
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

// checkBotToken: one service token, minted as Phalanx's user entry says,
// revoked when the service stopped.
func checkBotToken(t *testing.T, gf *testrsp.Gafaelfawr) {
	t.Helper()
	toks := gf.Tokens()
	if len(toks) != 1 {
		t.Fatalf("%d tokens minted, want 1 for the one monkey", len(toks))
	}
	tok := toks[0]
	if tok.Username != "bot-mobu-recommended" || tok.TokenType != "service" || tok.Name != "Mobu Test User" ||
		tok.UID == nil || *tok.UID != 74768 || tok.GID == nil || *tok.GID != 74768 ||
		len(tok.Groups) != 1 || tok.Groups[0].Name != "g_users" || tok.Groups[0].ID != 2000003 ||
		strings.Join(tok.Scopes, " ") != "exec:notebook exec:portal read:image read:tap" {
		t.Errorf("minted token %+v", tok)
	}
	if !tok.Revoked {
		t.Error("the bot token was not revoked at shutdown")
	}
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
