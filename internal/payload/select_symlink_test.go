package payload

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mobu-dev/mobu/internal/testgit"
)

// TestCloneWithSymlinksOutOfTheRepo: a repository served over smart HTTP
// whose commit holds symlinks (mode 120000) to a notebook and to a directory
// outside the clone. After a real clone, neither is followed; both are
// listed as refused (as is a symlinked directory deeper down), and a symlinked directory within the repository adds
// nothing (its notebooks count once, under their real path).
func TestCloneWithSymlinksOutOfTheRepo(t *testing.T) {
	outside := t.TempDir()
	if err := os.MkdirAll(filepath.Join(outside, "shared"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "shared", "secret.ipynb"), []byte(nb("")), 0o644); err != nil {
		t.Fatal(err)
	}
	repo := testgit.NewRepo(t)
	repo.Commit(map[string]string{"hello.ipynb": nb(""), "tutorials/intro.ipynb": nb("")}, "first")
	// Relative targets climbing to / and back down: go-git checks them out
	// verbatim. (An absolute target is rewritten by go-git to lie inside the
	// clone, so it cannot leave it: "absolute" below dangles.)
	up := strings.Repeat("../", 20)
	repo.Symlink("shared", up+filepath.Join(outside, "shared"))
	repo.Symlink("tutorials/escape", up+filepath.Join(outside, "shared"))
	repo.Symlink("secret.ipynb", up+filepath.Join(outside, "shared", "secret.ipynb"))
	repo.Symlink("absolute", filepath.Join(outside, "shared"))
	repo.Symlink("alias", "tutorials")
	srv := testgit.Serve(t, map[string]*testgit.Repo{"payload": repo}, testgit.ServeOptions{})
	rep, err := gitSource(t, srv.URL("payload"), "main", options(t, ""), nil).Select(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := paths(rep); got != "hello.ipynb tutorials/intro.ipynb" || rep.Hash != repo.Head() {
		t.Fatalf("selected %q at %s", got, rep.Hash)
	}
	var excluded []string
	for _, e := range rep.Excluded {
		excluded = append(excluded, e.Path+": "+e.Rule)
	}
	want := []string{
		"secret.ipynb: symlink to outside the repository",
		"shared/: symlinked directory to outside the repository",
		"tutorials/escape/: symlinked directory to outside the repository",
	}
	if !slices.Equal(excluded, want) {
		t.Fatalf("excluded %q, want %q", excluded, want)
	}
}
