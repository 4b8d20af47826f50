package testgit

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestCommitWritesAndDeletes(t *testing.T) {
	r := NewRepo(t)
	first := r.Commit(map[string]string{"a.txt": "A", "dir/sub/b.txt": "B"}, "first")
	if len(first) != 40 {
		t.Fatalf("Commit returned %q, want a full SHA", first)
	}
	if got := r.Git("rev-parse", "--abbrev-ref", "HEAD"); got != "main" {
		t.Fatalf("branch = %q, want main", got)
	}
	second := r.Commit(map[string]string{"a.txt": Delete, "c.txt": "C"}, "second")
	if second == first {
		t.Fatal("second commit has the first's SHA")
	}
	files := r.Git("ls-tree", "-r", "--name-only", "HEAD")
	if files != "c.txt\ndir/sub/b.txt" {
		t.Fatalf("tree = %q", files)
	}
	if _, err := os.Stat(filepath.Join(r.Dir(), "a.txt")); !os.IsNotExist(err) {
		t.Fatalf("a.txt still in the work tree: %v", err)
	}
}

func TestBranchTagCheckoutSymlink(t *testing.T) {
	r := NewRepo(t)
	base := r.Commit(map[string]string{"f": "1"}, "base")
	r.Tag("v1")
	r.Branch("dev")
	r.Checkout("dev")
	dev := r.Commit(map[string]string{"f": "2"}, "on dev")
	r.Symlink("link", "f")
	r.Checkout("main")
	if got := r.Git("rev-parse", "v1^{commit}"); got != base {
		t.Fatalf("v1 = %s, want %s", got, base)
	}
	if got := r.Git("cat-file", "-t", "v1"); got != "tag" {
		t.Fatalf("v1 is a %q, want an annotated tag", got)
	}
	if got := r.Git("rev-parse", "dev~1"); got != dev {
		t.Fatalf("dev~1 = %s, want %s", got, dev)
	}
	if got := r.Git("ls-tree", "dev", "link"); !strings.HasPrefix(got, "120000 ") {
		t.Fatalf("link is %q, want mode 120000", got)
	}
	if got := r.Head(); got != base {
		t.Fatalf("HEAD = %s after checkout main, want %s", got, base)
	}
}

func TestServeClonesAndSeesNewCommits(t *testing.T) {
	r := NewRepo(t)
	r.Commit(map[string]string{"nb.ipynb": "{}"}, "first")
	s := Serve(t, map[string]*Repo{"notebooks": r}, ServeOptions{})
	if !strings.HasPrefix(s.URL("notebooks"), "http://127.0.0.1:") || !strings.HasSuffix(s.URL("notebooks"), "/notebooks.git") {
		t.Fatalf("URL = %q", s.URL("notebooks"))
	}
	clone := filepath.Join(t.TempDir(), "clone")
	run(t, "", nil, "clone", "--quiet", s.URL("notebooks"), clone)
	if s.Requests() == 0 {
		t.Fatal("Requests() = 0 after a clone")
	}
	second := r.Commit(map[string]string{"nb2.ipynb": "{}"}, "second")
	got := run(t, clone, nil, "ls-remote", "origin", "refs/heads/main")
	if !strings.HasPrefix(got, second) {
		t.Fatalf("ls-remote after a new commit = %q, want %s", got, second)
	}
	s.Close()
	cmd := exec.Command("git", "ls-remote", s.URL("notebooks"))
	cmd.Env = gitEnv()
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Fatalf("ls-remote after Close succeeded: %s", out)
	}
}

func TestServeRequiresBasicAuth(t *testing.T) {
	r := NewRepo(t)
	r.Commit(map[string]string{"f": "x"}, "first")
	s := Serve(t, map[string]*Repo{"private": r}, ServeOptions{Username: "bot", Password: "s3cret"})
	url := s.URL("private") + "/info/refs?service=git-upload-pack"
	for _, tc := range []struct {
		name       string
		user, pass string
		want       int
	}{
		{"none", "", "", http.StatusUnauthorized},
		{"wrong", "bot", "nope", http.StatusUnauthorized},
		{"right", "bot", "s3cret", http.StatusOK},
	} {
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if tc.user != "" {
			req.SetBasicAuth(tc.user, tc.pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, resp.StatusCode, tc.want)
		}
		if tc.want == http.StatusUnauthorized && resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: 401 without WWW-Authenticate", tc.name)
		}
	}
	if s.Requests() != 3 {
		t.Errorf("Requests() = %d, want 3", s.Requests())
	}
}
