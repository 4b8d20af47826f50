package ghapps

import (
	"log/slog"
	"strconv"
	"strings"
	"testing"

	"github.com/mobu-dev/mobu/internal/ci"
	"github.com/mobu-dev/mobu/internal/testgithub"
)

type refreshes struct{ calls []string }

func (r *refreshes) RefreshRepo(url, ref string) []string {
	r.calls = append(r.calls, url+"@"+ref)
	return nil
}

type jobs struct{ got []ci.Job }

func (j *jobs) Submit(job ci.Job) { j.got = append(j.got, job) }

var (
	orgRepo = testgithub.Event{Owner: "lsst-sqre", Repo: "notebooks", OrgOwned: true, InstallationID: 42}
	sha1    = strings.Repeat("1", 40)
	sha2    = strings.Repeat("2", 40)
	zero    = strings.Repeat("0", 40)
)

func TestRefreshHandler(t *testing.T) {
	tests := []struct {
		name, event string
		body        []byte
		want        string
	}{
		{"branch with a slash", "push", testgithub.PushPayload(orgRepo, "refs/heads/tickets/DM-1", sha1, sha2),
			"https://github.com/lsst-sqre/notebooks.git@tickets/DM-1"},
		{"tag", "push", testgithub.PushPayload(orgRepo, "refs/tags/v1.2", zero, sha2), "https://github.com/lsst-sqre/notebooks.git@v1.2"},
		{"deleted branch", "push", testgithub.PushPayload(orgRepo, "refs/heads/old", sha1, zero), ""},
		{"other ref", "push", testgithub.PushPayload(orgRepo, "refs/notes/x", sha1, sha2), ""},
		{"other event", "star", []byte(`{}`), ""},
	}
	for _, tt := range tests {
		r := &refreshes{}
		if err := RefreshHandler(r, slog.New(slog.DiscardHandler))(tt.event, "d", tt.body); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := strings.Join(r.calls, ","); got != tt.want {
			t.Errorf("%s: refreshed %q, want %q", tt.name, got, tt.want)
		}
	}
	if err := RefreshHandler(&refreshes{}, slog.New(slog.DiscardHandler))("push", "d", []byte(`{"ref": 3}`)); err == nil {
		t.Error("malformed push accepted")
	}
	r := &refreshes{}
	if err := RefreshHandler(r, slog.New(slog.DiscardHandler))("push", "d", []byte(`{"ref": "refs/heads/main"}`)); err == nil ||
		len(r.calls) > 0 {
		t.Errorf("push without a repository: err %v, refreshed %q", err, r.calls)
	}
}

func TestCIHandler(t *testing.T) {
	pr := testgithub.PR{Number: 9, HeadSHA: sha2}
	noInst := orgRepo
	noInst.InstallationID = 0
	tests := []struct {
		name, event string
		body        []byte
		want        string // "" = no job
		err         string
	}{
		{"opened", "pull_request", testgithub.PullRequestPayload(orgRepo, "opened", pr), "42 lsst-sqre/notebooks #9 " + sha2, ""},
		{"synchronize", "pull_request", testgithub.PullRequestPayload(orgRepo, "synchronize", pr), "42 lsst-sqre/notebooks #9 " + sha2, ""},
		{"reopened", "pull_request", testgithub.PullRequestPayload(orgRepo, "reopened", pr), "42 lsst-sqre/notebooks #9 " + sha2, ""},
		{"closed", "pull_request", testgithub.PullRequestPayload(orgRepo, "closed", pr), "", ""},
		{"rerequested", "check_run", testgithub.CheckRunRerequestedPayload(orgRepo,
			testgithub.CheckRunInfo{ID: 5, Name: "Mobu", HeadSHA: sha1, PullRequests: []testgithub.PR{{Number: 9, HeadSHA: sha1}}}),
			"42 lsst-sqre/notebooks #9 " + sha1 + " rerun", ""},
		{"rerequested outside a PR", "check_run", testgithub.CheckRunRerequestedPayload(orgRepo,
			testgithub.CheckRunInfo{ID: 5, Name: "Mobu", HeadSHA: sha1}), "", ""},
		{"not installed", "pull_request", testgithub.PullRequestPayload(noInst, "opened", pr), "", "lacks installation.id"},
		{"malformed", "pull_request", []byte(`[]`), "", "malformed pull_request payload"},
	}
	for _, tt := range tests {
		j := &jobs{}
		err := CIHandler(j, slog.New(slog.DiscardHandler))(tt.event, "dlv", tt.body)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: err %v, want %q", tt.name, err, tt.err)
			}
			continue
		}
		got := ""
		if len(j.got) == 1 {
			g := j.got[0]
			got = strings.Join([]string{itoa(g.Repo.InstallationID), g.Repo.Owner + "/" + g.Repo.Name, "#" + itoa(int64(g.PR)), g.HeadSHA}, " ")
			if g.Rerun {
				got += " rerun"
			}
			if g.Delivery != "dlv" || !strings.HasSuffix(g.Repo.CloneURL, "/notebooks.git") {
				t.Errorf("%s: job %+v", tt.name, g)
			}
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: job %q (%v), want %q", tt.name, got, err, tt.want)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
