package notebook

import (
	"context"
	"time"

	"github.com/mobu-dev/mobu/internal/events"
)

// Kernel runs code. The platform adapter (JupyterHub, Nublado) implements it.
type Kernel interface {
	Execute(ctx context.Context, code string, opts ExecOptions) (*Execution, error)
}

// ExecOptions tunes one execution.
type ExecOptions struct {
	Timeout time.Duration // interrupt the code when it expires (0: none)
}

// Session is a kernel opened for one notebook; Close deletes it.
type Session interface {
	Kernel
	Close(ctx context.Context) error
}

// Lab is one bot user's view of a science platform: log in, spawn a lab,
// open kernels in it, delete it.
type Lab interface {
	Login(ctx context.Context) error
	Spawn(ctx context.Context) error
	OpenSession(ctx context.Context, name string) (Session, error)
	DeleteLab(ctx context.Context) error
	Logout(ctx context.Context) error
}

// Execution is what the kernel reported for one cell.
type Execution struct {
	Status            string // "ok", "error" or "aborted"
	EName, EValue     string
	Traceback         []string // ANSI escapes removed
	Output            string   // the tail of stdout/stderr
	Duration          time.Duration
	KernelDuration    time.Duration
	HasKernelDuration bool
	Interrupted       bool // timed out and interrupted
}

// Publisher receives events; Publish must not block.
type Publisher interface {
	Publish(events.Event)
}

// Meta is who runs what, stamped on every event.
type Meta struct {
	Flock    string // "" outside a flock
	Business string // e.g. NotebookRunnerList
	Username string
	Repo     string // repository URL or local directory
	RepoRef  string
	RepoHash string // "" → "unknown"
}

func (m Meta) base(now time.Time) events.Base {
	return events.NewBase(now, m.Flock, m.Business, m.Username)
}

// Attrs are the span attributes of a run (path "" outside a notebook).
func (m Meta) Attrs(path string) []Attr {
	a := []Attr{{"mobu.business", m.Business}, {"mobu.username", m.Username}}
	if m.Flock != "" {
		a = append(a, Attr{"mobu.flock", m.Flock})
	}
	if path != "" {
		a = append(a, Attr{"mobu.notebook", path}, Attr{"mobu.repo", m.Repo}, Attr{"mobu.repo_hash", m.RepoHash})
	}
	return a
}

func (m Meta) notebookBase(path string) events.NotebookBase {
	hash := m.RepoHash
	if hash == "" {
		hash = "unknown"
	}
	return events.NotebookBase{Notebook: path, Repo: m.Repo, RepoRef: m.RepoRef, RepoHash: hash}
}
