package api_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/api"
	"github.com/mobu-dev/mobu/internal/github"
	"github.com/mobu-dev/mobu/internal/testgithub"
)

type handled struct {
	mu    sync.Mutex
	calls []string
}

func (h *handled) handle(event, delivery string, body []byte) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = append(h.calls, event+" "+delivery)
	if strings.Contains(string(body), `"number":666`) {
		return errBadPayload
	}
	return nil
}

type payloadError string

func (e payloadError) Error() string { return string(e) }

const errBadPayload = payloadError("pull_request payload lacks pull_request.head.sha")

// webhookCase is one delivery and what it must come to.
type webhookCase struct {
	name      string
	body      []byte
	sig       string // "" = signed correctly, "none" = no signature
	headers   map[string]string
	status    int
	delivered string // what the handler saw; "" = not called
}

func installationPayload() []byte {
	return []byte(`{"action": "created", "installation": {"id": 7, "account": {"login": "lsst-sqre", "type": "Organization"}},
		"repositories": [{"id": 1, "name": "notebooks", "full_name": "lsst-sqre/notebooks", "private": false}],
		"sender": {"login": "octocat", "type": "User"}}`)
}

func starPayload(org string) []byte {
	return []byte(`{"action": "created", "starred_at": "2025-01-02T03:04:05Z",
		"repository": {"id": 1, "name": "notebooks", "full_name": "` + org + `/notebooks", "owner": {"login": "` + org + `"},
			"clone_url": "https://github.com/` + org + `/notebooks.git"},
		"organization": {"login": "` + org + `"}, "sender": {"login": "octocat", "type": "User"}}`)
}

func TestWebhookPipeline(t *testing.T) {
	secret := []byte("It's a Secret to Everybody")
	h := &handled{}
	seen := github.NewDeliveries(time.Hour, nil)
	s := newServer(t, api.Options{Token: "api-token",
		CIWebhook: &api.Webhook{Secret: secret, AcceptedOrgs: []string{"lsst-sqre", "Someone"}, Handle: h.handle,
			Events: []string{"pull_request", "check_run"}, Deliveries: seen}})
	orgPR := testgithub.PullRequestPayload(testgithub.Event{Owner: "lsst-sqre", Repo: "notebooks", OrgOwned: true, InstallationID: 7},
		"opened", testgithub.PR{Number: 3, HeadSHA: strings.Repeat("a", 40)})
	userPR := testgithub.PullRequestPayload(testgithub.Event{Owner: "someone", Repo: "nb", InstallationID: 8},
		"opened", testgithub.PR{Number: 4, HeadSHA: strings.Repeat("b", 40)})
	otherOrg := testgithub.PullRequestPayload(testgithub.Event{Owner: "evil", Repo: "x", OrgOwned: true, InstallationID: 9},
		"opened", testgithub.PR{Number: 5, HeadSHA: strings.Repeat("c", 40)})
	bad := testgithub.PullRequestPayload(testgithub.Event{Owner: "lsst-sqre", Repo: "notebooks", OrgOwned: true, InstallationID: 7},
		"opened", testgithub.PR{Number: 666, HeadSHA: strings.Repeat("d", 40)})
	delivery := func(id string) map[string]string { return map[string]string{"X-GitHub-Delivery": id} }
	event := func(ev, id string) map[string]string {
		return map[string]string{"X-GitHub-Event": ev, "X-GitHub-Delivery": id}
	}
	tests := []webhookCase{
		{"signed", orgPR, "", delivery("d1"), 202, "pull_request d1"},
		{"redelivery ignored", orgPR, "", delivery("d1"), 202, ""},
		{"user-owned repository matched by owner", userPR, "", delivery("d2"), 202, "pull_request d2"},
		{"not accepted", otherOrg, "", delivery("d3"), 403, ""},
		{"missing signature", orgPR, "none", delivery("d4"), 401, ""},
		{"wrong signature", orgPR, "sha256=" + strings.Repeat("0", 64), delivery("d5"), 401, ""},
		{"SHA-1 only", orgPR, "none", map[string]string{"X-GitHub-Delivery": "d6", "X-Hub-Signature": "sha1=0123"}, 401, ""},
		{"form encoded", orgPR, "", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415, ""},
		{"malformed JSON", []byte(`{"repository": `), "", delivery("d7"), 400, ""},
		{"handler refuses the payload", bad, "", delivery("d8"), 400, "pull_request d8"},
		{"a refused delivery is handled again when redelivered", bad, "", delivery("d8"), 400, "pull_request d8"},
		{"ping", []byte(`{"zen": "Design for failure."}`), "", event("ping", ""), 202, ""},
		{"installation: no repository, no organization", installationPayload(), "", event("installation", "d9"), 202, ""},
		{"installation badly signed", installationPayload(), "none", event("installation", "d10"), 401, ""},
		{"star from an accepted organization", starPayload("lsst-sqre"), "", event("star", "d11"), 202, ""},
		{"star from another organization", starPayload("evil"), "", event("star", "d12"), 202, ""},
		{"handled event naming no owner: the handler decides", []byte(`{"action": "rerequested"}`), "",
			event("check_run", "d13"), 202, "check_run d13"},
	}
	for _, tt := range tests {
		sendWebhook(t, s, h, secret, tt)
	}
	// The CI manager forgets a delivery whose check run it could not create.
	seen.Forget("d1")
	sendWebhook(t, s, h, secret, webhookCase{"redelivery after Forget", orgPR, "", delivery("d1"), 202, "pull_request d1"})
	s.mustDo(http.MethodPost, "/mobu/github/refresh/webhook", "{}", http.StatusNotFound) // not configured
}

func sendWebhook(t *testing.T, s *testServer, h *handled, secret []byte, tt webhookCase) {
	t.Helper()
	before := len(h.calls)
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/mobu/github/ci/webhook", strings.NewReader(string(tt.body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "pull_request")
	switch tt.sig {
	case "":
		req.Header.Set("X-Hub-Signature-256", testgithub.Sign(secret, tt.body))
	case "none":
	default:
		req.Header.Set("X-Hub-Signature-256", tt.sig)
	}
	for k, v := range tt.headers {
		req.Header.Set(k, v)
	}
	r := s.send(req) // no API token: webhooks authenticate by signature
	if r.status != tt.status {
		t.Errorf("%s: status %d, want %d (%s)", tt.name, r.status, tt.status, r.body)
	}
	got := ""
	if len(h.calls) > before {
		got = h.calls[len(h.calls)-1]
	}
	if got != tt.delivered {
		t.Errorf("%s: handled %q, want %q", tt.name, got, tt.delivered)
	}
}
