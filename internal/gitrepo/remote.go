package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/storage/memory"
)

// TokenEnv is the environment variable the service reads the git token from;
// error messages about authentication point at it.
const TokenEnv = "MOBU_GIT_TOKEN"

// scpLike matches ssh remotes written as user@host:path.
var scpLike = regexp.MustCompile(`^[\w.-]+@[\w.-]+:`)

// maxListedBranches bounds the branch names quoted in a "ref not found" error.
const maxListedBranches = 5

// remote is a normalised repository URL with its credentials.
type remote struct {
	url     string // what go-git is given
	display string // url with any password redacted: safe for logs and errors
	auth    transport.AuthMethod
	token   string // to scrub from error texts, never printed
}

// newRemote normalises rawURL: http(s) and file URLs are kept, anything
// without a scheme is a local path made absolute as a file:// URL.
// Credentials are attached to http(s) remotes only.
func newRemote(rawURL, username, token string) (remote, error) {
	if rawURL == "" {
		return remote{}, errors.New("empty repository url")
	}
	if scpLike.MatchString(rawURL) {
		return remote{}, fmt.Errorf("repository url %q: ssh remotes are not supported (want https, http, file or a local path)", rawURL)
	}
	if !strings.Contains(rawURL, "://") {
		abs, err := filepath.Abs(rawURL)
		if err != nil {
			return remote{}, fmt.Errorf("making repository path %q absolute: %w", rawURL, err)
		}
		rawURL = "file://" + filepath.ToSlash(abs)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return remote{}, fmt.Errorf("parsing repository url: %w", err)
	}
	r := remote{url: rawURL, display: u.Redacted(), token: token}
	switch u.Scheme {
	case "file":
	case "http", "https":
		if token != "" {
			r.auth = &githttp.BasicAuth{Username: username, Password: token}
		}
	default:
		return remote{}, fmt.Errorf("repository url %s: unsupported scheme %q (want https, http, file or a local path)", r.display, u.Scheme)
	}
	return r, nil
}

// target is what a ref resolved to on the remote.
type target struct {
	name plumbing.ReferenceName // the branch or tag; empty for a commit SHA
	hash plumbing.Hash          // the commit the branch or tag points at (peeled)
	sha  string                 // lower-case hex prefix when name is empty

	fallback plumbing.ReferenceName // fetched when sha is not on a branch or tag

	branches string // describes the remote's branches, for "not found" errors
}

// resolve lists the remote's references and finds ref among its branches,
// then its tags; failing that, a hex ref is taken as a commit SHA (prefix).
func resolve(ctx context.Context, r remote, ref string) (target, error) {
	rem := git.NewRemote(memory.NewStorage(), &config.RemoteConfig{Name: "origin", URLs: []string{r.url}})
	refs, err := rem.ListContext(ctx, &git.ListOptions{Auth: r.auth, PeelingOption: git.AppendPeeled})
	if err != nil {
		return target{}, r.explain(ctx, "listing references of", err)
	}
	byName := make(map[plumbing.ReferenceName]plumbing.Hash, len(refs))
	var branches []string
	for _, rf := range refs {
		byName[rf.Name()] = rf.Hash()
		if rf.Name().IsBranch() {
			branches = append(branches, rf.Name().Short())
		}
	}
	for _, name := range candidateNames(ref) {
		h, ok := byName[name]
		if !ok {
			continue
		}
		if peeled, ok := byName[name+"^{}"]; ok {
			h = peeled
		}
		return target{name: name, hash: h}, nil
	}
	if hexRef.MatchString(ref) {
		return target{sha: strings.ToLower(ref), branches: describeBranches(branches)}, nil
	}
	return target{}, fmt.Errorf("ref %q not found in %s (%s)", ref, r.display, describeBranches(branches))
}

// candidateNames are the reference names ref may stand for, in the order git
// clone --branch tries them.
func candidateNames(ref string) []plumbing.ReferenceName {
	if strings.HasPrefix(ref, "refs/") {
		return []plumbing.ReferenceName{plumbing.ReferenceName(ref)}
	}
	return []plumbing.ReferenceName{plumbing.NewBranchReferenceName(ref), plumbing.NewTagReferenceName(ref)}
}

func describeBranches(branches []string) string {
	if len(branches) == 0 {
		return "it has no branches"
	}
	sort.Strings(branches)
	more := ""
	if len(branches) > maxListedBranches {
		more = fmt.Sprintf(", and %d more", len(branches)-maxListedBranches)
		branches = branches[:maxListedBranches]
	}
	return "branches: " + strings.Join(branches, ", ") + more
}

// explain turns a go-git error into one that says what went wrong with the
// remote in words an operator can act on. It keeps err in the chain.
func (r remote) explain(ctx context.Context, doing string, err error) error {
	err = oneLine(err)
	var netErr net.Error
	switch {
	case ctx.Err() != nil:
		if errors.Is(err, ctx.Err()) {
			return fmt.Errorf("%s %s: %w", doing, r.display, err)
		}
		return fmt.Errorf("%s %s: %w (%w)", doing, r.display, ctx.Err(), err)
	case errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed):
		hint := "the repository needs credentials: set " + TokenEnv
		if r.auth != nil {
			hint = "check the token in " + TokenEnv
		}
		return fmt.Errorf("authentication failed for %s (%s): %w", r.display, hint, err)
	case errors.Is(err, transport.ErrRepositoryNotFound):
		return fmt.Errorf("repository %s not found: %w", r.display, err)
	case errors.Is(err, transport.ErrEmptyRemoteRepository):
		return fmt.Errorf("repository %s is empty: %w", r.display, err)
	case errors.As(err, &netErr):
		return fmt.Errorf("cannot reach %s: %w", r.display, err)
	}
	return fmt.Errorf("%s %s: %w", doing, r.display, err)
}

// oneLine flattens err's text (go-git appends HTTP response bodies, newlines
// included) while keeping err in the chain.
func oneLine(err error) error {
	msg := strings.Join(strings.Fields(err.Error()), " ")
	if msg == err.Error() {
		return err
	}
	return &rewrittenError{msg: msg, err: err}
}

// scrub makes sure err's text never contains the token, whatever the
// transport put in it.
func (r remote) scrub(err error) error {
	if err == nil || r.token == "" || !strings.Contains(err.Error(), r.token) {
		return err
	}
	return &rewrittenError{msg: strings.ReplaceAll(err.Error(), r.token, "***"), err: err}
}

// rewrittenError is err with a different text.
type rewrittenError struct {
	msg string
	err error
}

func (e *rewrittenError) Error() string { return e.msg }
func (e *rewrittenError) Unwrap() error { return e.err }
