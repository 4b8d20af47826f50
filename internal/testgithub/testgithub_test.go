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

// The sweep's listings: app JWT for /app/*, an installation token for the
// rest, 401 otherwise; Link headers that keep the query; GitHub's filters.
func TestSweepListings(t *testing.T) {
	s, key := newServer(t, 0)
	s.AddInstallation(testgithub.Installation{ID: 7, Account: "lsst", Repos: []testgithub.Repository{{Name: "nb"}}})
	s.AddInstallation(testgithub.Installation{ID: 8, Account: "other", Repos: []testgithub.Repository{{Name: "x"}}})
	for n := 1; n <= 5; n++ {
		state := "open"
		if n == 2 {
			state = "closed"
		}
		s.SetPull("lsst", "nb", testgithub.PR{Number: n, HeadSHA: fmt.Sprintf("%040d", n)}, state)
	}
	head := fmt.Sprintf("%040d", 1)
	s.AddCheckRun(testgithub.CheckRun{Owner: "lsst", Repo: "nb", Name: "Mobu", HeadSHA: head, Status: "completed"})
	newest := s.AddCheckRun(testgithub.CheckRun{Owner: "lsst", Repo: "nb", Name: "Mobu", HeadSHA: head, Status: "in_progress"})
	other := s.AddCheckRun(testgithub.CheckRun{Owner: "lsst", Repo: "nb", Name: "Mobu", HeadSHA: head, AppID: 99})

	now := time.Now()
	jwtAuth := "Bearer " + appJWT(t, key, strconv.Itoa(appID), now.Add(-time.Minute), now.Add(9*time.Minute))
	tok := "token " + installationToken(t, s, key) // installation 7
	api := s.URL()
	checks := "repos/lsst/nb/commits/" + head + "/check-runs?check_name=Mobu"
	tests := []struct {
		name, path, auth string
		status           int
		want             string // the ids, numbers or logins listed
		link             string // a substring of the Link header
	}{
		{"installations with a JWT", "app/installations?per_page=1", jwtAuth, 200, "7", `app/installations?page=2&per_page=1>; rel="next"`},
		{"installations page 2", "app/installations?per_page=1&page=2", jwtAuth, 200, "8", `rel="prev"`},
		{"installations with a token", "app/installations", tok, 401, "", ""},
		{"installations without auth", "app/installations", "", 401, "", ""},
		{"repositories with a token", "installation/repositories", tok, 200, "lsst/nb", ""},
		{"repositories with a JWT", "installation/repositories", jwtAuth, 401, "", ""},
		{"open pulls, newest first", "repos/lsst/nb/pulls?state=open&per_page=2", tok, 200, "5 4", `pulls?page=2&per_page=2&state=open>; rel="next"`},
		{"closed pulls", "repos/lsst/nb/pulls?state=closed", tok, 200, "2", ""},
		{"pulls of a repository of another installation", "repos/other/x/pulls", tok, 404, "", ""},
		{"latest check runs", checks, tok, 200, fmt.Sprintf("%d %d", other, newest), ""},
		{"latest check runs of the app", checks + "&app_id=42&filter=latest", tok, 200, fmt.Sprint(newest), ""},
		{"all check runs of the app", checks + "&app_id=42&filter=all", tok, 200, fmt.Sprintf("%d %d", newest, newest-1), ""},
		{"check runs without auth", checks, "", 401, "", ""},
	}
	for _, tt := range tests {
		var body json.RawMessage
		resp := do(t, "GET", api+tt.path, tt.auth, nil, &body)
		if resp.StatusCode != tt.status {
			t.Errorf("%s: %d %s", tt.name, resp.StatusCode, body)
			continue
		}
		if tt.status == 200 {
			if got := listed(t, body); got != tt.want {
				t.Errorf("%s: listed %q, want %q", tt.name, got, tt.want)
			}
		}
		if link := resp.Header.Get("Link"); !strings.Contains(link, tt.link) {
			t.Errorf("%s: Link %q lacks %q", tt.name, link, tt.link)
		}
	}
}

// listed renders a listing: installation ids, repositories' full names,
// pull request numbers or check run ids.
func listed(t *testing.T, body json.RawMessage) string {
	t.Helper()
	var wrapped struct {
		Repositories []map[string]any `json:"repositories"`
		CheckRuns    []map[string]any `json:"check_runs"`
	}
	var items []map[string]any
	if json.Unmarshal(body, &items) != nil {
		if err := json.Unmarshal(body, &wrapped); err != nil {
			t.Fatalf("listing: %v: %s", err, body)
		}
		items = append(wrapped.Repositories, wrapped.CheckRuns...)
	}
	var out []string
	for _, it := range items {
		switch {
		case it["full_name"] != nil:
			out = append(out, fmt.Sprint(it["full_name"]))
		case it["number"] != nil:
			out = append(out, fmt.Sprint(it["number"]))
		default:
			out = append(out, fmt.Sprint(it["id"]))
		}
	}
	return strings.Join(out, " ")
}
