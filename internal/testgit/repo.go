// Package testgit builds real git repositories for tests with the git CLI and
// serves them over smart HTTP with `git http-backend`.
//
// Repositories live in t.TempDir() and are removed with the test. Every git
// command runs with the system and global configuration disabled, so a
// developer's ~/.gitconfig (signing, hooks, default branch) cannot change the
// outcome. When git is not installed the test fails with an install hint.
package testgit

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Delete, as a value in Commit's files, removes the file instead of writing it.
const Delete = "\x00delete"

const installHint = "apt-get install -y git"

// Repo is a non-bare git repository in a temporary directory, on branch main.
type Repo struct {
	t   testing.TB
	dir string
}

// NewRepo runs `git init` with initial branch main in a new temporary
// directory and configures a local user name and email.
func NewRepo(t testing.TB) *Repo {
	t.Helper()
	requireGit(t)
	r := &Repo{t: t, dir: t.TempDir()}
	r.Git("init", "--quiet", "--initial-branch=main")
	r.Git("config", "user.name", "Test Monkey")
	r.Git("config", "user.email", "monkey@example.com")
	r.Git("config", "commit.gpgsign", "false")
	r.Git("config", "tag.gpgsign", "false")
	return r
}

// Dir is the repository's working directory (it holds .git).
func (r *Repo) Dir() string { return r.dir }

// Commit writes files (paths relative to the repository, slash-separated, may
// contain directories; the value Delete removes the file), then runs
// `git add -A` and `git commit`, and returns the new commit's full SHA.
func (r *Repo) Commit(files map[string]string, msg string) string {
	r.t.Helper()
	for name, content := range files {
		path := filepath.Join(r.dir, filepath.FromSlash(name))
		if content == Delete {
			if err := os.Remove(path); err != nil {
				r.t.Fatalf("testgit: deleting %s: %v", name, err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			r.t.Fatalf("testgit: creating directory for %s: %v", name, err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			r.t.Fatalf("testgit: writing %s: %v", name, err)
		}
	}
	return r.commitAll(msg)
}

// Symlink creates a symbolic link at path (relative to the repository)
// pointing to target (used verbatim, so it may be relative, absolute or
// dangling) and commits it as a symlink (mode 120000).
func (r *Repo) Symlink(path, target string) {
	r.t.Helper()
	full := filepath.Join(r.dir, filepath.FromSlash(path))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		r.t.Fatalf("testgit: creating directory for %s: %v", path, err)
	}
	if err := os.Symlink(target, full); err != nil {
		r.t.Fatalf("testgit: creating symlink %s: %v", path, err)
	}
	r.commitAll("symlink " + path + " -> " + target)
}

// Branch creates branch name at HEAD without switching to it.
func (r *Repo) Branch(name string) {
	r.t.Helper()
	r.Git("branch", name)
}

// Checkout switches to branch (or tag, or commit) name.
func (r *Repo) Checkout(name string) {
	r.t.Helper()
	r.Git("checkout", "--quiet", name)
}

// Tag creates an annotated tag name at HEAD (annotated tags are what releases
// use, and they exercise tag peeling; `git tag` without -a gives a plain one,
// available through Git).
func (r *Repo) Tag(name string) {
	r.t.Helper()
	r.Git("tag", "-a", "-m", "tag "+name, name)
}

// Head returns the full SHA of HEAD.
func (r *Repo) Head() string {
	r.t.Helper()
	return r.Git("rev-parse", "HEAD")
}

// Git runs git with args in the repository and returns its trimmed standard
// output; it fails the test with git's output if the command fails.
func (r *Repo) Git(args ...string) string {
	r.t.Helper()
	return run(r.t, r.dir, nil, args...)
}

// GitInput is Git with stdin fed from input (for git fast-import and the like).
func (r *Repo) GitInput(input string, args ...string) string {
	r.t.Helper()
	return run(r.t, r.dir, strings.NewReader(input), args...)
}

func (r *Repo) commitAll(msg string) string {
	r.t.Helper()
	r.Git("add", "-A")
	r.Git("commit", "--quiet", "--allow-empty", "-m", msg)
	return r.Head()
}

// run runs git in dir, failing t with git's combined output on error.
func run(t testing.TB, dir string, stdin *strings.Reader, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = gitEnv()
	if stdin != nil {
		cmd.Stdin = stdin
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("testgit: git %s in %s: %v\n%s%s", strings.Join(args, " "), dir, err, stdout.String(), stderr.String())
	}
	return strings.TrimSpace(stdout.String())
}

// gitEnv is the environment for git commands: the caller's, minus anything that
// would make results depend on the machine's git configuration.
func gitEnv() []string {
	env := make([]string, 0, len(os.Environ())+4)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GIT_") {
			env = append(env, kv)
		}
	}
	return append(env,
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL="+os.DevNull,
		"GIT_TERMINAL_PROMPT=0",
	)
}

// requireGit fails the test (never skips it) when the git binary is missing.
func requireGit(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("git")
	if err != nil {
		t.Fatalf("testgit: git is not installed (%v): %s", err, installHint)
	}
	return path
}
