package gitrepo

import (
	"strings"
	"testing"

	"github.com/mobu-dev/mobu/internal/testgit"
)

// forkPRRepo is a base repository in which a fork's pull request commit
// exists only at refs/pull/1/head, as GitHub keeps it: on no branch or tag.
func forkPRRepo(t *testing.T) (r *testgit.Repo, base, head string) {
	r = testgit.NewRepo(t)
	base = r.Commit(map[string]string{"nb/a.ipynb": "base"}, "base")
	r.Branch("fork")
	r.Checkout("fork")
	head = r.Commit(map[string]string{"nb/a.ipynb": "from the fork"}, "fork's change")
	r.Checkout("main")
	r.Git("update-ref", "refs/pull/1/head", head)
	r.Git("branch", "-D", "fork")
	return r, base, head
}

func TestAcquireCommitFetchesPullRef(t *testing.T) {
	for _, tr := range remoteKinds() {
		t.Run(tr.name, func(t *testing.T) {
			repo, base, head := forkPRRepo(t)
			url, _ := tr.url(t, repo)
			c := newCache(t, Options{})
			if _, err := c.Acquire(testContext(t), url, head); err == nil || !strings.Contains(err.Error(), "not found") {
				t.Fatalf("Acquire of the fork's commit without the pull ref: err = %v, want not found", err)
			}
			for _, tc := range []struct{ sha, fallback, content string }{
				{head, "refs/pull/1/head", "from the fork"},
				{head[:10], "refs/pull/1/head", "from the fork"},
				{base, "refs/pull/1/head", "base"}, // on main: the pull ref is not needed
				{base, "refs/pull/9/head", "base"}, // nor must it exist
			} {
				h, err := c.AcquireCommit(testContext(t), url, tc.sha, tc.fallback)
				if err != nil {
					t.Fatalf("AcquireCommit(%s, %s): %v", tc.sha, tc.fallback, err)
				}
				if s := read(t, h, "nb/a.ipynb"); !strings.HasPrefix(tc.sha, s.hash[:len(tc.sha)]) || s.files["nb/a.ipynb"] != tc.content {
					t.Errorf("AcquireCommit(%s, %s): hash %s content %q, want %q", tc.sha, tc.fallback, s.hash, s.files["nb/a.ipynb"], tc.content)
				}
				h.Release()
			}
		})
	}
}

func TestAcquireCommitNotFound(t *testing.T) {
	repo, _, head := forkPRRepo(t)
	srv := testgit.Serve(t, map[string]*testgit.Repo{"repo": repo}, testgit.ServeOptions{})
	c := newCache(t, Options{})
	for _, tc := range []struct{ sha, fallback, want string }{
		{head, "refs/pull/2/head", `ref "` + head + `" not found in ` + srv.URL("repo") + " (branches: main; no commit matches it either nor at refs/pull/2/head)"},
		{strings.Repeat("e", 40), "refs/pull/1/head", "no commit matches it either nor at refs/pull/1/head"},
		{"main", "refs/pull/1/head", `"main" is not a commit SHA`},
		{head, "pull/1/head", `fallback "pull/1/head" is not a full reference name`},
	} {
		_, err := c.AcquireCommit(testContext(t), srv.URL("repo"), tc.sha, tc.fallback)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("AcquireCommit(%s, %s): err = %v, want %q", tc.sha, tc.fallback, err, tc.want)
		}
	}
	if got := entries(t, c.dir); len(got) != 0 {
		t.Fatalf("failed clones left %v", got)
	}
}
