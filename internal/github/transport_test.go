package github_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/github"
	"github.com/mobu-dev/mobu/internal/testgithub"
)

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// filesFixture is a fixture with a one-file pull request #1.
func filesFixture(t *testing.T, o fixtureOpts) *fixture {
	f := newFixture(t, o)
	f.srv.SetPRFiles(f.repo.Owner, f.repo.Name, 1, []testgithub.File{{Filename: "a.ipynb", Status: "added"}})
	return f
}

const filesPath = "/repos/lsst-sqre/notebooks/pulls/1/files"

func TestServerErrorsRetriedWithBackoff(t *testing.T) {
	f := filesFixture(t, fixtureOpts{})
	f.srv.FailNext("GET", filesPath, 500, nil, 2)
	f.srv.FailNext("GET", filesPath, 503, nil, 1)
	got, err := f.app.ChangedFiles(context.Background(), f.repo, 1)
	if err != nil || len(got) != 1 {
		t.Fatalf("ChangedFiles = %v, %v", got, err)
	}
	if s := fmt.Sprint(f.sleeps.got()); s != "[1s 2s 4s]" {
		t.Errorf("sleeps %s, want [1s 2s 4s]", s)
	}
	if !strings.Contains(f.logs.String(), "retrying request") {
		t.Error("retries not logged")
	}
}

func TestServerErrorsExhaustRetries(t *testing.T) {
	f := filesFixture(t, fixtureOpts{maxRetries: 2})
	f.srv.FailNext("GET", filesPath, 502, nil, 10)
	_, err := f.app.ChangedFiles(context.Background(), f.repo, 1)
	want := "GET /repos/lsst-sqre/notebooks/pulls/1/files?per_page=100&page=1: 502 Bad Gateway"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
	if n := f.requests(filesPath); n != 3 {
		t.Errorf("%d attempts, want 3", n)
	}
	f.assertNoSecrets(t, err.Error(), "error")
}

func TestInstallationTokenRequestRetried(t *testing.T) {
	f := filesFixture(t, fixtureOpts{})
	f.srv.FailNext("POST", "/app/installations/", 503, nil, 1)
	if _, err := f.app.ChangedFiles(context.Background(), f.repo, 1); err != nil {
		t.Fatal(err)
	}
	if s := fmt.Sprint(f.sleeps.got()); s != "[1s]" || f.tokenRequests() != 2 {
		t.Errorf("sleeps %s, %d token requests", s, f.tokenRequests())
	}
}

// A primary rate limit is waited out until X-RateLimit-Reset, measured
// against the response's Date (GitHub's clock).
func TestPrimaryRateLimitWaitsForReset(t *testing.T) {
	f := filesFixture(t, fixtureOpts{})
	date := time.Now().UTC().Truncate(time.Second)
	f.srv.FailNext("GET", filesPath, 403, map[string]string{
		"Date":                  date.Format(http.TimeFormat),
		"X-RateLimit-Remaining": "0",
		"X-RateLimit-Reset":     strconv.FormatInt(date.Add(37*time.Second).Unix(), 10),
	}, 1)
	if _, err := f.app.ChangedFiles(context.Background(), f.repo, 1); err != nil {
		t.Fatal(err)
	}
	if s := fmt.Sprint(f.sleeps.got()); s != "[37s]" {
		t.Errorf("sleeps %s, want [37s]", s)
	}
}

func TestSecondaryRateLimits(t *testing.T) {
	f := filesFixture(t, fixtureOpts{})
	f.srv.FailNext("GET", filesPath, 429, map[string]string{"Retry-After": "7"}, 1)
	f.srv.FailNext("GET", filesPath, 403, map[string]string{"Retry-After": "11"}, 1)
	f.srv.FailNext("GET", filesPath, 429, nil, 1) // no hint: at least a minute, doubling
	if _, err := f.app.ChangedFiles(context.Background(), f.repo, 1); err != nil {
		t.Fatal(err)
	}
	if s := fmt.Sprint(f.sleeps.got()); s != "[7s 11s 4m0s]" {
		t.Errorf("sleeps %s, want [7s 11s 4m0s]", s)
	}
}

// A wait longer than the cap, or past the context's deadline, is not
// started: the rate-limit error comes back at once.
func TestRateLimitWaitNotStartedWhenTooLong(t *testing.T) {
	f := filesFixture(t, fixtureOpts{})
	date := time.Now().UTC().Truncate(time.Second)
	f.srv.FailNext("GET", filesPath, 403, map[string]string{
		"Date": date.Format(http.TimeFormat), "X-RateLimit-Remaining": "0",
		"X-RateLimit-Reset": strconv.FormatInt(date.Add(40*time.Minute).Unix(), 10),
	}, 1)
	_, err := f.app.ChangedFiles(context.Background(), f.repo, 1)
	if err == nil || !strings.Contains(err.Error(), "403 API rate limit exceeded") {
		t.Errorf("err = %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	f.srv.FailNext("GET", filesPath, 429, map[string]string{"Retry-After": "60"}, 1)
	_, err = f.app.ChangedFiles(ctx, f.repo, 1)
	if err == nil || !strings.Contains(err.Error(), "429 You have exceeded a secondary rate limit") {
		t.Errorf("err = %v", err)
	}
	if s := f.sleeps.got(); len(s) != 0 {
		t.Errorf("slept %v", s)
	}
}

func TestContextEndsDuringWait(t *testing.T) {
	f := filesFixture(t, fixtureOpts{})
	ctx, cancel := context.WithCancel(context.Background())
	f.sleeps.hook = func(ctx context.Context) error {
		cancel()
		return ctx.Err()
	}
	f.srv.FailNext("GET", filesPath, 500, nil, 1)
	_, err := f.app.ChangedFiles(ctx, f.repo, 1)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// Client errors other than rate limits are returned at once, with
// GitHub's message and the call named.
func TestClientErrorsNotRetried(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	ctx := context.Background()
	id, err := f.app.CreateCheckRun(ctx, f.repo, "abc", "Mobu")
	if err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/repos/lsst-sqre/notebooks/check-runs/%d", id)
	f.srv.FailNext("PATCH", path, 422, nil, 1)
	f.srv.FailNext("PATCH", path, 403, nil, 1)
	var errs []error
	for range 2 {
		errs = append(errs, f.app.UpdateCheckRun(ctx, f.repo, id, github.CheckUpdate{Status: "in_progress"}))
	}
	errs = append(errs, f.app.UpdateCheckRun(ctx, f.repo, id+1, github.CheckUpdate{Status: "in_progress"}))
	wants := []string{
		"PATCH " + path + ": 422 Unprocessable Entity",
		"PATCH " + path + ": 403 Resource not accessible by integration",
		fmt.Sprintf("PATCH /repos/lsst-sqre/notebooks/check-runs/%d: 404 Not Found", id+1),
	}
	for i, err := range errs {
		if err == nil || err.Error() != wants[i] {
			t.Errorf("err = %v, want %s", err, wants[i])
			continue
		}
		f.assertNoSecrets(t, err.Error(), "error")
	}
	if n := f.requests("/repos/lsst-sqre/notebooks/check-runs/"); n != 3 || len(f.sleeps.got()) != 0 {
		t.Errorf("%d PATCHes, sleeps %v; want 3 and none", n, f.sleeps.got())
	}
}

// Errors and logs never carry tokens or key material, even after token
// failures, retries and renewals.
func TestSecretsNeverInErrors(t *testing.T) {
	f := filesFixture(t, fixtureOpts{maxRetries: 1})
	ctx := context.Background()
	var texts []string
	f.srv.FailNext("POST", "/app/installations/", 401, nil, 1)
	f.srv.FailNext("GET", filesPath, 500, nil, 2)
	for range 3 {
		if _, err := f.app.ChangedFiles(ctx, f.repo, 1); err != nil {
			texts = append(texts, err.Error())
		}
	}
	f.srv.ExpireTokens()
	f.srv.FailNext("POST", "/app/installations/", 403, nil, 1)
	if _, err := f.app.ChangedFiles(ctx, f.repo, 1); err != nil {
		texts = append(texts, err.Error())
	}
	if len(texts) != 3 || len(f.srv.IssuedTokens()) == 0 {
		t.Fatalf("errors %q, %d tokens issued", texts, len(f.srv.IssuedTokens()))
	}
	for _, s := range texts {
		f.assertNoSecrets(t, s, "error")
		if strings.Contains(s, "Bearer") || strings.Contains(s, "token ghs_") {
			t.Errorf("error mentions credentials: %s", s)
		}
	}
	if !strings.Contains(texts[0], "installation token: POST /app/installations/77/access_tokens: 401") {
		t.Errorf("token failure not named: %s", texts[0])
	}
}
