package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// hexRef matches refs that may be a commit SHA or a unique prefix of one.
var hexRef = regexp.MustCompile(`^[0-9a-fA-F]{4,40}$`)

// maxAmbiguous bounds the candidates quoted in an "ambiguous SHA" error.
const maxAmbiguous = 4

// checkout clones t from r into dir (which must be empty) and returns the
// full SHA of the commit checked out. On error dir is removed.
func checkout(ctx context.Context, r remote, t target, dir string) (string, error) {
	var hash string
	var err error
	if t.name != "" {
		hash, err = cloneRef(ctx, r, t, dir)
	} else {
		hash, err = cloneSHA(ctx, r, t, dir)
	}
	if err != nil {
		_ = os.RemoveAll(dir)
		return "", err
	}
	return hash, nil
}

// cloneRef makes a shallow single-branch clone of a branch or tag. For a tag
// HEAD is detached at the tag's commit (go-git peels annotated tags).
func cloneRef(ctx context.Context, r remote, t target, dir string) (string, error) {
	repo, err := git.PlainCloneContext(ctx, dir, false, &git.CloneOptions{
		URL:           r.url,
		Auth:          r.auth,
		ReferenceName: t.name,
		SingleBranch:  true,
		Depth:         1,
		Tags:          git.NoTags,
	})
	if err != nil {
		return "", r.explain(ctx, "cloning "+t.name.Short()+" of", err)
	}
	head, err := repo.Head()
	if err != nil {
		return "", fmt.Errorf("reading HEAD of the clone of %s: %w", r.display, err)
	}
	return head.Hash().String(), nil
}

// cloneSHA makes a full clone (all branches and tags, so any reachable commit
// is there) without checkout, resolves sha, and checks that commit out.
func cloneSHA(ctx context.Context, r remote, t target, dir string) (string, error) {
	repo, err := git.PlainCloneContext(ctx, dir, false, &git.CloneOptions{
		URL:        r.url,
		Auth:       r.auth,
		NoCheckout: true,
		Tags:       git.AllTags,
	})
	if err != nil {
		return "", r.explain(ctx, "cloning", err)
	}
	h, err := findCommit(repo, t.sha)
	if notFound(err) && t.fallback != "" {
		h, err = fetchFallback(ctx, repo, r, t)
	}
	if notFound(err) {
		also := ""
		if t.fallback != "" {
			also = " nor at " + t.fallback.String()
		}
		return "", fmt.Errorf("ref %q not found in %s (%s; no commit matches it either%s)", t.sha, r.display, t.branches, also)
	}
	if err != nil {
		return "", fmt.Errorf("resolving %q in %s: %w", t.sha, r.display, err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		return "", fmt.Errorf("opening the work tree of the clone of %s: %w", r.display, err)
	}
	if err := wt.Checkout(&git.CheckoutOptions{Hash: h, Force: true}); err != nil {
		return "", fmt.Errorf("checking out %s of %s: %w", h, r.display, err)
	}
	return h.String(), nil
}

func notFound(err error) bool {
	return errors.Is(err, plumbing.ErrObjectNotFound) || errors.Is(err, plumbing.ErrReferenceNotFound)
}

// fetchFallback fetches t.fallback (a pull request's head, say) into the
// clone and looks for t.sha again; a missing fallback is "not found".
func fetchFallback(ctx context.Context, repo *git.Repository, r remote, t target) (plumbing.Hash, error) {
	local := plumbing.ReferenceName("refs/mobu/fallback")
	err := repo.FetchContext(ctx, &git.FetchOptions{
		RemoteName: git.DefaultRemoteName,
		Auth:       r.auth,
		RefSpecs:   []config.RefSpec{config.RefSpec("+" + t.fallback.String() + ":" + local.String())},
		Tags:       git.NoTags,
	})
	var noMatch git.NoMatchingRefSpecError
	switch {
	case errors.As(err, &noMatch):
		return plumbing.ZeroHash, fmt.Errorf("no %s: %w", t.fallback, plumbing.ErrReferenceNotFound)
	case err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate):
		return plumbing.ZeroHash, r.explain(ctx, "fetching "+t.fallback.String()+" of", err)
	}
	return findCommit(repo, t.sha)
}

// findCommit resolves a full SHA, or a prefix of one that must match exactly
// one commit. (go-git's ResolveRevision takes the first match of an ambiguous
// prefix, so prefixes are matched here.)
func findCommit(repo *git.Repository, sha string) (plumbing.Hash, error) {
	if len(sha) == 2*len(plumbing.ZeroHash) {
		h := plumbing.NewHash(sha)
		if _, err := repo.CommitObject(h); err != nil {
			return plumbing.ZeroHash, fmt.Errorf("no commit %s: %w", sha, err)
		}
		return h, nil
	}
	iter, err := repo.CommitObjects()
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("listing commits: %w", err)
	}
	var matches []plumbing.Hash
	err = iter.ForEach(func(c *object.Commit) error {
		if strings.HasPrefix(c.Hash.String(), sha) {
			matches = append(matches, c.Hash)
		}
		return nil
	})
	if err != nil && !errors.Is(err, storer.ErrStop) {
		return plumbing.ZeroHash, fmt.Errorf("listing commits: %w", err)
	}
	switch len(matches) {
	case 0:
		return plumbing.ZeroHash, fmt.Errorf("no commit starts with %s: %w", sha, plumbing.ErrReferenceNotFound)
	case 1:
		return matches[0], nil
	}
	return plumbing.ZeroHash, fmt.Errorf("short SHA %s is ambiguous: %s", sha, describeHashes(matches))
}

func describeHashes(hs []plumbing.Hash) string {
	names := make([]string, 0, maxAmbiguous)
	for i, h := range hs {
		if i == maxAmbiguous {
			names = append(names, fmt.Sprintf("and %d more", len(hs)-maxAmbiguous))
			break
		}
		names = append(names, h.String()[:12])
	}
	return strings.Join(names, ", ")
}
