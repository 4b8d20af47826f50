package testgithub_test

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/mobu-dev/mobu/internal/testgithub"
)

const appID = 42

func newServer(t *testing.T, ttl time.Duration) (*testgithub.Server, *rsa.PrivateKey) {
	t.Helper()
	key := testgithub.GenerateKey(t)
	return testgithub.NewServer(t, testgithub.Options{AppID: appID, PrivateKey: key, TokenTTL: ttl}), key
}

func appJWT(t *testing.T, key *rsa.PrivateKey, iss string, iat, exp time.Time) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.RegisteredClaims{
		Issuer: iss, IssuedAt: jwt.NewNumericDate(iat), ExpiresAt: jwt.NewNumericDate(exp),
	})
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// do sends a request and decodes a JSON answer into out (if not nil).
func do(t *testing.T, method, url, auth string, body any, out any) *http.Response {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: decoding: %v", method, url, err)
		}
	}
	return resp
}

func installationToken(t *testing.T, s *testgithub.Server, key *rsa.PrivateKey) string {
	t.Helper()
	now := time.Now()
	var out struct {
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	resp := do(t, "POST", s.URL()+"app/installations/7/access_tokens",
		"Bearer "+appJWT(t, key, strconv.Itoa(appID), now.Add(-time.Minute), now.Add(9*time.Minute)), nil, &out)
	if resp.StatusCode != http.StatusCreated || out.Token == "" || out.ExpiresAt.IsZero() {
		t.Fatalf("access token: %d %+v", resp.StatusCode, out)
	}
	return out.Token
}

func TestAccessTokenJWT(t *testing.T) {
	s, key := newServer(t, 0)
	other := testgithub.GenerateKey(t)
	now := time.Now()
	url := s.URL() + "app/installations/7/access_tokens"
	for name, auth := range map[string]string{
		"none":         "",
		"other key":    "Bearer " + appJWT(t, other, "42", now.Add(-time.Minute), now.Add(5*time.Minute)),
		"wrong issuer": "Bearer " + appJWT(t, key, "43", now.Add(-time.Minute), now.Add(5*time.Minute)),
		"expired":      "Bearer " + appJWT(t, key, "42", now.Add(-20*time.Minute), now.Add(-10*time.Minute)),
		"too long":     "Bearer " + appJWT(t, key, "42", now.Add(-time.Minute), now.Add(30*time.Minute)),
		"token scheme": "token " + appJWT(t, key, "42", now.Add(-time.Minute), now.Add(5*time.Minute)),
	} {
		if resp := do(t, "POST", url, auth, nil, nil); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", name, resp.StatusCode)
		}
	}
	installationToken(t, s, key)
	if n := len(s.IssuedTokens()); n != 1 {
		t.Errorf("issued %d tokens, want 1", n)
	}
}

func TestRepoEndpointsNeedLiveToken(t *testing.T) {
	s, key := newServer(t, 0)
	s.SetPRFiles("o", "r", 1, []testgithub.File{{Filename: "a.ipynb"}})
	url := s.URL() + "repos/o/r/pulls/1/files"
	tok := installationToken(t, s, key)
	for _, auth := range []string{"", "token nope", "token " + tok + "x"} {
		if resp := do(t, "GET", url, auth, nil, nil); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("auth %q: status %d, want 401", auth, resp.StatusCode)
		}
	}
	for _, auth := range []string{"token " + tok, "Bearer " + tok} {
		if resp := do(t, "GET", url, auth, nil, nil); resp.StatusCode != http.StatusOK {
			t.Errorf("auth %q: status %d, want 200", auth[:6], resp.StatusCode)
		}
	}
	s.ExpireTokens()
	if resp := do(t, "GET", url, "token "+tok, nil, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("revoked token: status %d, want 401", resp.StatusCode)
	}
	short, key2 := newServer(t, time.Nanosecond)
	short.SetPRFiles("o", "r", 1, nil)
	tok = installationToken(t, short, key2)
	if resp := do(t, "GET", short.URL()+"repos/o/r/pulls/1/files", "token "+tok, nil, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("expired token: status %d, want 401", resp.StatusCode)
	}
}

func TestCheckRunsRecorded(t *testing.T) {
	s, key := newServer(t, 0)
	auth := "token " + installationToken(t, s, key)
	var run struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
	}
	resp := do(t, "POST", s.URL()+"repos/o/r/check-runs", auth, map[string]any{
		"name": "Mobu", "head_sha": "abc", "status": "queued",
		"output": map[string]string{"title": "Mobu", "summary": "waiting"},
	}, &run)
	if resp.StatusCode != http.StatusCreated || run.ID == 0 || run.Status != "queued" {
		t.Fatalf("create: %d %+v", resp.StatusCode, run)
	}
	patch := s.URL() + fmt.Sprintf("repos/o/r/check-runs/%d", run.ID)
	anns := func(n int) []map[string]any {
		out := make([]map[string]any, n)
		for i := range out {
			out[i] = map[string]any{"path": "a.ipynb", "start_line": 1, "end_line": 1, "annotation_level": "failure", "message": strconv.Itoa(i)}
		}
		return out
	}
	for _, tc := range []struct {
		body   map[string]any
		status int
	}{
		{map[string]any{"status": "in_progress"}, 200},
		{map[string]any{"name": ""}, 422},
		{map[string]any{"status": "completed"}, 422},
		{map[string]any{"status": "bogus"}, 422},
		{map[string]any{"output": map[string]any{"title": "t", "summary": "s", "annotations": anns(51)}}, 422},
		{map[string]any{"output": map[string]any{"title": "t", "summary": strings.Repeat("é", 65536)}}, 422},
		{map[string]any{"conclusion": "failure", "output": map[string]any{"title": "t", "summary": "s", "annotations": anns(50)}}, 200},
		{map[string]any{"output": map[string]any{"title": "t", "summary": "s", "annotations": anns(2)}}, 200},
	} {
		if resp := do(t, "PATCH", patch, auth, tc.body, nil); resp.StatusCode != tc.status {
			t.Errorf("PATCH %v: status %d, want %d", tc.body, resp.StatusCode, tc.status)
		}
	}
	if resp := do(t, "PATCH", s.URL()+"repos/o/other/check-runs/"+strconv.FormatInt(run.ID, 10), auth, map[string]any{}, nil); resp.StatusCode != 404 {
		t.Errorf("PATCH in another repo: %d, want 404", resp.StatusCode)
	}
	runs := s.CheckRuns()
	if len(runs) != 1 {
		t.Fatalf("%d check runs", len(runs))
	}
	var got []string
	for _, h := range runs[0].History {
		got = append(got, h.Method+":"+h.Status+"/"+h.Conclusion+":"+strconv.Itoa(len(h.Annotations)))
	}
	want := "POST:queued/:0 PATCH:in_progress/:0 PATCH:completed/failure:50 PATCH:completed/failure:2"
	if strings.Join(got, " ") != want {
		t.Errorf("history %q, want %q", strings.Join(got, " "), want)
	}
	if len(runs[0].Annotations) != 52 || runs[0].Name != "Mobu" {
		t.Errorf("run: %d annotations, name %q", len(runs[0].Annotations), runs[0].Name)
	}
}

func TestPRFilesPagination(t *testing.T) {
	s, key := newServer(t, 0)
	auth := "token " + installationToken(t, s, key)
	files := make([]testgithub.File, 3500)
	for i := range files {
		files[i] = testgithub.File{Filename: fmt.Sprintf("f%04d.ipynb", i), Status: "added"}
	}
	s.SetPRFiles("o", "r", 5, files)
	var page []map[string]any
	resp := do(t, "GET", s.URL()+"repos/o/r/pulls/5/files", auth, nil, &page)
	if len(page) != 30 || !strings.Contains(resp.Header.Get("Link"), `page=100>; rel="last"`) {
		t.Errorf("default page: %d files, Link %q", len(page), resp.Header.Get("Link"))
	}
	page = nil
	resp = do(t, "GET", s.URL()+"repos/o/r/pulls/5/files?per_page=100&page=30", auth, nil, &page)
	if len(page) != 100 || page[99]["filename"] != "f2999.ipynb" || strings.Contains(resp.Header.Get("Link"), `rel="next"`) {
		t.Errorf("last page: %d files, Link %q", len(page), resp.Header.Get("Link"))
	}
	page = nil
	do(t, "GET", s.URL()+"repos/o/r/pulls/5/files?per_page=100&page=31", auth, nil, &page)
	if len(page) != 0 {
		t.Errorf("page past the 3000 cap has %d files", len(page))
	}
	if resp := do(t, "GET", s.URL()+"repos/o/r/pulls/6/files", auth, nil, nil); resp.StatusCode != 404 {
		t.Errorf("unknown PR: %d", resp.StatusCode)
	}
}

func TestFailNext(t *testing.T) {
	s, key := newServer(t, 0)
	s.SetPRFiles("o", "r", 1, nil)
	auth := "token " + installationToken(t, s, key)
	url := s.URL() + "repos/o/r/pulls/1/files"
	s.FailNext("GET", "/repos/o/r/pulls", 429, map[string]string{"Retry-After": "3"}, 2)
	var body struct{ Message string }
	for range 2 {
		resp := do(t, "GET", url, auth, nil, &body)
		if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "3" || !strings.Contains(body.Message, "secondary rate limit") {
			t.Errorf("fault: %d %q %q", resp.StatusCode, resp.Header.Get("Retry-After"), body.Message)
		}
	}
	if resp := do(t, "GET", url, auth, nil, nil); resp.StatusCode != 200 {
		t.Errorf("after faults: %d", resp.StatusCode)
	}
	reqs := s.Requests()
	if last := reqs[len(reqs)-1]; last.Path != "/repos/o/r/pulls/1/files" || last.Status != 200 {
		t.Errorf("last request %+v", last)
	}
}

func TestSign(t *testing.T) {
	got := testgithub.Sign([]byte("It's a Secret to Everybody"), []byte("Hello, World!"))
	if want := "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"; got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestPayloadShapes(t *testing.T) {
	user := testgithub.Event{Owner: "alice", Repo: "nb", InstallationID: 9}
	var pr map[string]any
	if err := json.Unmarshal(testgithub.PullRequestPayload(user, "opened", testgithub.PR{Number: 3, HeadSHA: "abc", HeadRef: "feature/x"}), &pr); err != nil {
		t.Fatal(err)
	}
	if _, ok := pr["organization"]; ok {
		t.Error("user-owned repository payload has an organization")
	}
	head := pr["pull_request"].(map[string]any)["head"].(map[string]any)
	if pr["action"] != "opened" || pr["number"] != 3.0 || head["sha"] != "abc" || head["ref"] != "feature/x" {
		t.Errorf("pull_request payload: %v", pr)
	}
	var push map[string]any
	org := testgithub.Event{Owner: "lsst", Repo: "nb", OrgOwned: true, InstallationID: 9}
	if err := json.Unmarshal(testgithub.PushPayload(org, "refs/heads/main", "a", strings.Repeat("0", 40)), &push); err != nil {
		t.Fatal(err)
	}
	if push["deleted"] != true || push["organization"].(map[string]any)["login"] != "lsst" ||
		push["repository"].(map[string]any)["clone_url"] != "https://github.com/lsst/nb.git" {
		t.Errorf("push payload: %v", push)
	}
}
