package flock

import (
	"context"
	"log/slog"
	"time"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/events"
	"github.com/mobu-dev/mobu/internal/notebook"
)

// Business is what a monkey does: Startup once per (re)start, then Execute
// repeatedly (the monkey idles in between), then Shutdown, which must leave
// nothing running (the lab deleted).
type Business interface {
	Startup(ctx context.Context) error
	Execute(ctx context.Context) error
	Shutdown(ctx context.Context) error
	// Refresh asks for inputs (notebooks) to be re-read before the next unit
	// of work; businesses without inputs ignore it.
	Refresh()
	// Status reports what the business is doing now.
	Status() BusinessStatus
}

// BusinessStatus is the business part of a monkey's data.
type BusinessStatus struct {
	Notebook    string   `json:"notebook,omitempty"`
	RunningCell *CellRef `json:"running_cell,omitempty"`
	RunningCode string   `json:"running_code,omitempty"`
	Refreshing  bool     `json:"refreshing"`
	// RepoHash is the commit the notebooks come from; RefreshError why
	// the last refresh kept the previous notebooks.
	RepoHash     string `json:"repo_hash,omitempty"`
	RefreshError string `json:"refresh_error,omitempty"`
	// Image and Node describe the running lab (Nublado sets them; a plain
	// JupyterHub lab has neither).
	Image *LabImage `json:"image,omitempty"`
	Node  string    `json:"node,omitempty"`
}

// CellRef names a cell.
type CellRef struct {
	ID     string `json:"id"`
	Number int    `json:"number"`
}

// Env is what a business gets from its monkey.
type Env struct {
	Flock     string // "" for solitary runs
	User      config.User
	Business  config.Business
	Logger    *slog.Logger
	Publisher events.Publisher
	// Lab drives the user's lab; nil for businesses that need none.
	Lab notebook.Lab
	// Notebooks supplies notebooks to the NotebookRunner businesses.
	Notebooks NotebookSource
	// Stopping reports that a stop was requested: finish the current cell,
	// then return.
	Stopping func() bool
	// Cleanup returns a context for cleaning up (closing sessions, deleting
	// the lab) that survives a stop but not the monkey's final cancellation,
	// bounded by d, with parent's values (the trace).
	Cleanup func(parent context.Context, d time.Duration) (context.Context, context.CancelFunc)
	// Tracer makes spans of notebook runs and lab stages; nil: none.
	Tracer notebook.Tracer
}

// Factory makes a business for one monkey.
type Factory func(env Env) (Business, error)

// Registry maps business types to their factories; cmd/mobu fills it.
type Registry map[string]Factory

// LabFactory makes the platform driver for one bot user, whose credentials
// carry the given scopes (Gafaelfawr). A Lab that is an io.Closer is closed
// when its monkey is done (Nublado: the bot token is revoked).
type LabFactory func(user config.User, scopes []string, opts *config.LabOptions) (notebook.Lab, error)

// SourceFactory makes the notebook source of a NotebookRunner flock.
type SourceFactory func(opts *config.NotebookOptions) (NotebookSource, error)

// NotebookSource lists the notebooks to run, read afresh on each Load. A
// source that is also an io.Closer is closed when its monkey ends.
type NotebookSource interface {
	Load(ctx context.Context) (*Collection, error)
	// Fetch brings the source up to date with its remote (a new commit)
	// unless an update since requestedAt already succeeded.
	Fetch(ctx context.Context, requestedAt time.Time) error
}

// Collection is a set of notebooks and where they came from.
type Collection struct {
	Repo, Ref, Hash string
	Entries         []notebook.Entry // paths relative to the collection root
}
