package api_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/mobu-dev/mobu/internal/api"
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

func TestWebhookPipeline(t *testing.T) {
	secret := []byte("It's a Secret to Everybody")
	h := &handled{}
	s := newServer(t, api.Options{Token: "api-token",
		CIWebhook: &api.Webhook{Secret: secret, AcceptedOrgs: []string{"lsst-sqre", "Someone"}, Handle: h.handle}})
	orgPR := testgithub.PullRequestPayload(testgithub.Event{Owner: "lsst-sqre", Repo: "notebooks", OrgOwned: true, InstallationID: 7},
		"opened", testgithub.PR{Number: 3, HeadSHA: strings.Repeat("a", 40)})
	userPR := testgithub.PullRequestPayload(testgithub.Event{Owner: "someone", Repo: "nb", InstallationID: 8},
		"opened", testgithub.PR{Number: 4, HeadSHA: strings.Repeat("b", 40)})
	otherOrg := testgithub.PullRequestPayload(testgithub.Event{Owner: "evil", Repo: "x", OrgOwned: true, InstallationID: 9},
		"opened", testgithub.PR{Number: 5, HeadSHA: strings.Repeat("c", 40)})
	bad := testgithub.PullRequestPayload(testgithub.Event{Owner: "lsst-sqre", Repo: "notebooks", OrgOwned: true, InstallationID: 7},
		"opened", testgithub.PR{Number: 666, HeadSHA: strings.Repeat("d", 40)})
	tests := []struct {
		name      string
		body      []byte
		sig       string // "" = signed correctly
		headers   map[string]string
		status    int
		delivered string
	}{
		{"signed", orgPR, "", map[string]string{"X-GitHub-Delivery": "d1"}, 202, "pull_request d1"},
		{"redelivery ignored", orgPR, "", map[string]string{"X-GitHub-Delivery": "d1"}, 202, ""},
		{"user-owned repository matched by owner", userPR, "", map[string]string{"X-GitHub-Delivery": "d2"}, 202, "pull_request d2"},
		{"not accepted", otherOrg, "", map[string]string{"X-GitHub-Delivery": "d3"}, 403, ""},
		{"missing signature", orgPR, "none", map[string]string{"X-GitHub-Delivery": "d4"}, 401, ""},
		{"wrong signature", orgPR, "sha256=" + strings.Repeat("0", 64), map[string]string{"X-GitHub-Delivery": "d5"}, 401, ""},
		{"SHA-1 only", orgPR, "none", map[string]string{"X-GitHub-Delivery": "d6", "X-Hub-Signature": "sha1=0123"}, 401, ""},
		{"form encoded", orgPR, "", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415, ""},
		{"malformed JSON", []byte(`{"repository": `), "", map[string]string{"X-GitHub-Delivery": "d7"}, 400, ""},
		{"handler refuses the payload", bad, "", map[string]string{"X-GitHub-Delivery": "d8"}, 400, "pull_request d8"},
		{"ping", []byte(`{"zen": "Design for failure."}`), "", map[string]string{"X-GitHub-Event": "ping"}, 202, ""},
	}
	for _, tt := range tests {
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
	s.mustDo(http.MethodPost, "/mobu/github/refresh/webhook", "{}", http.StatusNotFound) // not configured
}
