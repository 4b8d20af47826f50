package github_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/github"
	"github.com/mobu-dev/mobu/internal/testgithub"
)

func TestNewAppRejectsBadKeys(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ec)
	secretish := []byte("SUPERSECRETKEYMATERIALSUPERSECRETKEYMATERIAL")
	for name, key := range map[string][]byte{
		"empty":       nil,
		"not pem":     secretish,
		"garbage der": pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: secretish}),
		"ec pkcs8":    pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER}),
	} {
		_, err := github.NewApp(github.AppConfig{AppID: 1, PrivateKey: key})
		if err == nil || !strings.HasPrefix(err.Error(), "private key: not a PEM RSA key") {
			t.Errorf("%s: err = %v, want private key: not a PEM RSA key", name, err)
			continue
		}
		if strings.Contains(err.Error(), "SUPERSECRET") || strings.Contains(err.Error(), "U1VQRVJTRUNSRVQ") {
			t.Errorf("%s: error echoes the key: %v", name, err)
		}
	}
	good := testgithub.PKCS1PEM(testgithub.GenerateKey(t))
	for name, cfg := range map[string]github.AppConfig{
		"app id":     {AppID: 0, PrivateKey: good},
		"url scheme": {AppID: 1, PrivateKey: good, APIURL: "ftp://host/"},
		"url creds":  {AppID: 1, PrivateKey: good, APIURL: "https://u:p@host/api/v3/"},
	} {
		if _, err := github.NewApp(cfg); err == nil {
			t.Errorf("%s: NewApp accepted %+v", name, cfg.APIURL)
		} else if strings.Contains(err.Error(), ":p@") {
			t.Errorf("%s: error echoes URL credentials: %v", name, err)
		}
	}
}

// The fake verifies each JWT (RS256 with the app's public key, iss = app
// id, integer iat/exp, exp − iat ≤ 10 min 60 s), for both key encodings.
func TestAuthWithPKCS1AndPKCS8Keys(t *testing.T) {
	for _, pkcs8 := range []bool{false, true} {
		t.Run(fmt.Sprintf("pkcs8=%v", pkcs8), func(t *testing.T) {
			f := newFixture(t, fixtureOpts{pkcs8: pkcs8})
			if _, err := f.app.CreateCheckRun(context.Background(), f.repo, "abc123", "Mobu"); err != nil {
				t.Fatalf("CreateCheckRun: %v", err)
			}
			for _, r := range f.srv.Requests() {
				if r.Status >= 300 {
					t.Errorf("%s %s: %d", r.Method, r.Path, r.Status)
				}
				if r.Path == "/app/installations/77/access_tokens" && !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
					t.Errorf("token request authorization scheme: %.7q", r.Header.Get("Authorization"))
				}
			}
			if n := f.tokenRequests(); n != 1 {
				t.Errorf("%d token requests, want 1", n)
			}
		})
	}
}

func TestWrongKeyIsAClearError(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	other, err := github.NewApp(github.AppConfig{
		AppID: testAppID, PrivateKey: testgithub.PKCS1PEM(testgithub.GenerateKey(t)),
		APIURL: strings.TrimSuffix(f.srv.URL(), "/"), Sleep: f.sleeps.sleep,
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = other.CreateCheckRun(context.Background(), f.repo, "abc", "Mobu")
	want := "POST /repos/lsst-sqre/notebooks/check-runs: installation token: POST /app/installations/77/access_tokens: 401 A JSON web token could not be verified"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("err = %v\nwant prefix %s", err, want)
	}
	if n := f.tokenRequests(); n != 1 || len(f.sleeps.got()) != 0 {
		t.Errorf("%d token requests, sleeps %v; want 1 and none (401 is not retried)", n, f.sleeps.got())
	}
}

func TestInstallationTokenCached(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.srv.SetPRFiles(f.repo.Owner, f.repo.Name, 1, []testgithub.File{{Filename: "a.ipynb"}})
	ctx := context.Background()
	for range 3 {
		id, err := f.app.CreateCheckRun(ctx, f.repo, "abc", "Mobu")
		if err != nil {
			t.Fatal(err)
		}
		if err := f.app.UpdateCheckRun(ctx, f.repo, id, github.CheckUpdate{Status: "in_progress"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.app.ChangedFiles(ctx, f.repo, 1); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.tokenRequests(); n != 1 {
		t.Errorf("%d token requests for 9 calls, want 1", n)
	}
	other := f.repo
	other.InstallationID = 78
	if _, err := f.app.CreateCheckRun(ctx, other, "abc", "Mobu"); err != nil {
		t.Fatal(err)
	}
	if n := f.tokenRequests(); n != 2 {
		t.Errorf("%d token requests after a second installation, want 2", n)
	}
}

// ghinstallation renews a token a minute before it expires: tokens that
// live 30 s are renewed on every call.
func TestShortLivedTokensRefreshed(t *testing.T) {
	f := newFixture(t, fixtureOpts{tokenTTL: 30 * time.Second})
	for range 3 {
		if _, err := f.app.CreateCheckRun(context.Background(), f.repo, "abc", "Mobu"); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.tokenRequests(); n != 3 {
		t.Errorf("%d token requests, want 3", n)
	}
}

// A token GitHub stopped accepting (401) is dropped and fetched anew once.
func TestRevokedTokenRenewed(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	ctx := context.Background()
	if _, err := f.app.CreateCheckRun(ctx, f.repo, "abc", "Mobu"); err != nil {
		t.Fatal(err)
	}
	f.srv.ExpireTokens()
	if _, err := f.app.CreateCheckRun(ctx, f.repo, "abc", "Mobu"); err != nil {
		t.Fatalf("after revocation: %v", err)
	}
	if n := f.tokenRequests(); n != 2 {
		t.Errorf("%d token requests, want 2", n)
	}
	if n := len(f.srv.CheckRuns()); n != 2 {
		t.Errorf("%d check runs, want 2", n)
	}
}

func TestRequestHeaders(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	id, err := f.app.CreateCheckRun(context.Background(), f.repo, "abc", "Mobu")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.app.UpdateCheckRun(context.Background(), f.repo, id, github.CheckUpdate{Status: "in_progress"}); err != nil {
		t.Fatal(err)
	}
	reqs := f.srv.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3 (token, POST, PATCH)", len(reqs))
	}
	for _, r := range reqs {
		if got := r.Header.Values("Accept"); len(got) != 1 || got[0] != "application/vnd.github+json" {
			t.Errorf("%s %s: Accept %q", r.Method, r.Path, got)
		}
		if got := r.Header.Get("X-GitHub-Api-Version"); got != "2022-11-28" {
			t.Errorf("%s %s: X-GitHub-Api-Version %q", r.Method, r.Path, got)
		}
		if r.Path != "/app/installations/77/access_tokens" && !strings.HasPrefix(r.Header.Get("Authorization"), "token ") {
			t.Errorf("%s %s: not installation-token authenticated", r.Method, r.Path)
		}
	}
}

// Installations fetching tokens concurrently share one AppsTransport's
// signer and transport; run with -race.
func TestConcurrentInstallations(t *testing.T) {
	f := newFixture(t, fixtureOpts{tokenTTL: 30 * time.Second})
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			r := f.repo
			r.InstallationID = int64(100 + i%4)
			_, err := f.app.CreateCheckRun(context.Background(), r, "abc", "Mobu")
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := len(f.srv.CheckRuns()); n != 16 {
		t.Errorf("%d check runs, want 16", n)
	}
	for _, r := range f.srv.Requests() {
		if r.Status != http.StatusCreated {
			t.Errorf("%s %s: %d", r.Method, r.Path, r.Status)
		}
	}
}
