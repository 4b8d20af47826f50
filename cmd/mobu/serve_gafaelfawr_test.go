package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/flock"
	"github.com/mobu-dev/mobu/internal/testnublado"
	"github.com/mobu-dev/mobu/internal/testrsp"
)

// flockFailures reads GET {p}/flocks/{name}/failures, oldest first.
func flockFailures(t *testing.T, s *runningService, name string) []flock.FailureRecord {
	t.Helper()
	resp, err := http.Get(s.url + "/flocks/" + name + "/failures")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var recs []flock.FailureRecord
	if err := json.NewDecoder(resp.Body).Decode(&recs); err != nil {
		t.Fatalf("failures of %s: %v", name, err)
	}
	if len(recs) > 1 && recs[0].Time.After(recs[len(recs)-1].Time) {
		for i, j := 0, len(recs)-1; i < j; i, j = i+1, j-1 {
			recs[i], recs[j] = recs[j], recs[i]
		}
	}
	return recs
}

// TestServeGafaelfawrFaults: Gafaelfawr times out, then refuses (403), then
// fails (502, past the client's retries). Each is one failure of the monkey
// (restart: true) that names the bot user; the monkey backs off between
// them and then runs.
func TestServeGafaelfawrFaults(t *testing.T) {
	h := testHub.Get(t)
	gf := testrsp.NewGafaelfawr(t, testrsp.GafaelfawrOptions{})
	nb := testnublado.New(t, h, testnublado.Options{Valid: func(tok string) (string, bool) {
		u, _, ok := gf.Valid(tok)
		return u, ok
	}})
	rep := testrsp.NewRepertoire(t, testrsp.DiscoveryJSON{Applications: []string{"nublado"}, EnvironmentName: "testenv",
		GafaelfawrURL: gf.URL(), NubladoURL: nb.URL()})
	gf.Delay(time.Minute) // every request outlives gafaelfawrTimeout until lifted below
	gf.FailNext("/tokens", http.StatusForbidden, 1)
	gf.FailNext("/tokens", http.StatusBadGateway, 4) // the client's 4 attempts
	release := testHub.SpawnSlot()
	defer release()
	s := startService(t, map[string]string{"MOBU_GAFAELFAWR_TOKEN": gf.AdminToken(), "REPERTOIRE_BASE_URL": rep.BaseURL(),
		"MOBU_REPLICA_COUNT": "1", "MOBU_REPLICA_INDEX": "0"}, `
gafaelfawrTimeout: 1
autostart:
  - name: gf
    count: 1
    users: [{username: bot-mobu-gf}]
    scopes: ["exec:notebook"]
    business:
      type: NubladoPythonLoop
      restart: true
      options: {max_executions: 1, error_idle_time: 2, idle_time: 1}
`)
	waitFor(t, "the first failure", time.Minute, func() (bool, error) {
		return len(flockFailures(t, s, "gf")) > 0, nil
	})
	gf.Delay(0)
	waitFor(t, "a success after the failures", 3*time.Minute, func() (bool, error) {
		return summaryOf(t, s, "gf").SuccessCount > 0, nil
	})
	checkGafaelfawrFailures(t, flockFailures(t, s, "gf"))
}

// checkGafaelfawrFailures: a timeout (maybe more than one, if a restart
// came before the delay was lifted), then the 403, then the 502; each names
// the user, and each restart waited at least half of the first backoff.
func checkGafaelfawrFailures(t *testing.T, recs []flock.FailureRecord) {
	t.Helper()
	var kinds []string
	for i, r := range recs {
		if !strings.Contains(r.Error, "minting a token for bot-mobu-gf") {
			t.Errorf("failure %d does not name the user: %s", i, r.Error)
		}
		switch {
		case strings.Contains(r.Error, "tokens: timed out after 1s"):
			if len(kinds) == 0 || kinds[len(kinds)-1] != "timeout" {
				kinds = append(kinds, "timeout")
			}
		case strings.Contains(r.Error, "403"):
			kinds = append(kinds, "403")
		case strings.Contains(r.Error, "502") && strings.Contains(r.Error, "after 4 attempts"):
			kinds = append(kinds, "502")
		default:
			kinds = append(kinds, r.Error)
		}
		if i > 0 && r.Started.Sub(recs[i-1].Time) < 500*time.Millisecond {
			t.Errorf("restart %d after %s, want a backoff of at least 0.5 s", i, r.Started.Sub(recs[i-1].Time))
		}
	}
	if got := strings.Join(kinds, ", "); got != "timeout, 403, 502" {
		t.Errorf("failures %q, want timeout, 403, 502:\n%+v", got, recs)
	}
}
