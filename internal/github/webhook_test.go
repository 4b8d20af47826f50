package github_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/github"
	"github.com/mobu-dev/mobu/internal/testgithub"
)

func TestVerifySignature(t *testing.T) {
	secret := []byte("It's a Secret to Everybody")
	body := []byte("Hello, World!")
	good := "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	if err := github.VerifySignature(secret, body, good); err != nil {
		t.Fatalf("GitHub's documented example: %v", err)
	}
	if err := github.VerifySignature(secret, body, testgithub.Sign(secret, body)); err != nil {
		t.Errorf("testgithub.Sign: %v", err)
	}
	mac := hmac.New(sha1.New, secret)
	mac.Write(body)
	sha1Header := "sha1=" + hex.EncodeToString(mac.Sum(nil))
	for name, header := range map[string]string{
		"missing":      "",
		"sha1 only":    sha1Header,
		"no prefix":    strings.TrimPrefix(good, "sha256="),
		"wrong":        "sha256=" + strings.Repeat("0", 64),
		"short":        good[:len(good)-2],
		"not hex":      "sha256=" + strings.Repeat("zz", 32),
		"other body":   testgithub.Sign(secret, []byte("Hello, World?")),
		"other key":    testgithub.Sign([]byte("another secret"), body),
		"upper scheme": "SHA256=" + strings.TrimPrefix(good, "sha256="),
	} {
		err := github.VerifySignature(secret, body, header)
		if !errors.Is(err, github.ErrBadSignature) {
			t.Errorf("%s: err = %v, want ErrBadSignature", name, err)
		}
	}
	err := github.VerifySignature(nil, body, good)
	if err == nil || errors.Is(err, github.ErrBadSignature) {
		t.Errorf("empty secret: err = %v, want a configuration error", err)
	}
	for _, err := range []error{err, github.VerifySignature(secret, body, "sha256="+strings.Repeat("0", 64))} {
		if strings.Contains(err.Error(), string(secret)) || strings.Contains(err.Error(), good[7:]) {
			t.Errorf("error reveals the secret or the expected signature: %v", err)
		}
	}
}

func TestDeliveriesTTL(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	d := github.NewDeliveries(time.Hour, func() time.Time { return now })
	if d.Seen("a") || !d.Seen("a") || d.Seen("b") {
		t.Fatal("first sighting must be false, the second true")
	}
	if d.Seen("") || d.Seen("") {
		t.Error("an empty id was deduplicated")
	}
	now = now.Add(59 * time.Minute)
	if !d.Seen("a") || d.Seen("c") {
		t.Error("within the TTL")
	}
	now = now.Add(2 * time.Minute) // a and b expired, c still live
	if d.Seen("a") {
		t.Error("a expired but was reported seen")
	}
	if !d.Seen("c") {
		t.Error("c forgotten within its TTL")
	}
	if n := d.Len(); n != 2 {
		t.Errorf("%d ids remembered, want 2 (a again, c)", n)
	}
	for i := range 1000 {
		d.Seen(fmt.Sprint(i))
	}
	now = now.Add(2 * time.Hour)
	d.Seen("z")
	if n := d.Len(); n != 1 {
		t.Errorf("%d ids remembered after all expired, want 1", n)
	}
}

func TestPayloadsDecode(t *testing.T) {
	org := testgithub.Event{Owner: "lsst-sqre", Repo: "notebooks", OrgOwned: true, InstallationID: 5}
	user := testgithub.Event{Owner: "alice", Repo: "nbs", InstallationID: 6, HTMLURL: "http://127.0.0.1:9/alice/nbs"}

	var pr github.PullRequestEvent
	decode(t, testgithub.PullRequestPayload(org, "synchronize",
		testgithub.PR{Number: 17, HeadSHA: "abc", HeadRef: "tickets/DM-1"}), &pr)
	if pr.Action != "synchronize" || pr.Number != 17 || pr.PullRequest.Number != 17 || pr.PullRequest.Head.SHA != "abc" ||
		pr.PullRequest.Head.Ref != "tickets/DM-1" || pr.PullRequest.Base.Ref != "main" || pr.Installation.ID != 5 ||
		pr.Repository.Name != "notebooks" || pr.Repository.Owner.Login != "lsst-sqre" || pr.PullRequest.HTMLURL == "" {
		t.Errorf("pull_request: %+v", pr)
	}
	if got := github.OwnerLogin(pr.Organization, pr.Repository); got != "lsst-sqre" {
		t.Errorf("OwnerLogin(org) = %q", got)
	}

	var push github.PushEvent
	decode(t, testgithub.PushPayload(user, "refs/heads/tickets/DM-2", "111", "222"), &push)
	branch, ok := push.Branch()
	if push.Organization != nil || branch != "tickets/DM-2" || !ok || push.Deleted || push.After != "222" ||
		push.Repository.HTMLURL+".git" != push.Repository.CloneURL || push.Repository.FullName != "alice/nbs" {
		t.Errorf("push: %+v", push)
	}
	if got := github.OwnerLogin(push.Organization, push.Repository); got != "alice" {
		t.Errorf("OwnerLogin(user repo) = %q, want alice", got)
	}
	decode(t, testgithub.PushPayload(user, "refs/tags/v1", "111", strings.Repeat("0", 40)), &push)
	if _, ok := push.Branch(); ok || !push.Deleted {
		t.Errorf("tag deletion: %+v", push)
	}

	var cr github.CheckRunEvent
	decode(t, testgithub.CheckRunRerequestedPayload(org, testgithub.CheckRunInfo{ID: 99, Name: "Mobu", HeadSHA: "abc",
		PullRequests: []testgithub.PR{{Number: 17, HeadSHA: "abc", HeadRef: "x"}}}), &cr)
	prs := cr.CheckRun.CheckSuite.PullRequests
	if cr.Action != "rerequested" || cr.CheckRun.ID != 99 || cr.CheckRun.HeadSHA != "abc" || cr.CheckRun.Name != "Mobu" ||
		len(prs) != 1 || prs[0].Number != 17 || prs[0].Head.SHA != "abc" || cr.Installation.ID != 5 {
		t.Errorf("check_run: %+v", cr)
	}
}

func decode(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
}
