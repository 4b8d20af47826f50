// Package ci runs the notebooks a pull request adds or changes and reports
// the outcome as a GitHub check run: the domain half of mobu's GitHub CI app.
//
// A Manager takes jobs from the webhook handler (Submit never blocks),
// creates their check runs, supersedes older jobs for the same pull request,
// and runs them on one worker per CI bot user. The check run's output (title,
// Markdown summary, failure details and annotations) is rendered by pure
// functions from the notebook package's results. With a state file, queued
// and running jobs survive a restart; the startup sweep queues again the
// checks that a mobu which died without stopping left queued or in progress.
//
// It is a domain package: GitHub and the notebook runner are reached through
// the small interfaces declared here and wired in by cmd/mobu.
package ci

import (
	"context"
	"log/slog"
	"time"

	"github.com/mobu-dev/mobu/internal/notebook"
)

// Check run statuses and conclusions (GitHub's names).
const (
	statusQueued     = "queued"
	statusInProgress = "in_progress"
	statusCompleted  = "completed"

	conclusionSuccess   = "success"
	conclusionFailure   = "failure"
	conclusionCancelled = "cancelled"

	levelFailure = "failure"
	levelWarning = "warning"
)

// Repo is a GitHub repository reached through a GitHub App installation.
type Repo struct {
	InstallationID int64
	Owner, Name    string
	CloneURL       string
}

// Job is one pull request commit to check.
type Job struct {
	Repo     Repo
	PR       int
	HeadSHA  string
	Delivery string // X-GitHub-Delivery of the webhook, for logs
	// Rerun is a re-requested check of a commit that may no longer be the
	// pull request's head: it replaces only the jobs of that commit. A job
	// from a pull_request event (the current head) replaces every older job
	// of its pull request.
	Rerun bool
}

// GitHub is what the manager needs of GitHub.
type GitHub interface {
	// CreateCheckRun creates a queued check run and returns its id.
	CreateCheckRun(ctx context.Context, r Repo, headSHA, name string) (int64, error)
	// UpdateCheckRun updates a check run, sending annotations in batches.
	UpdateCheckRun(ctx context.Context, r Repo, id int64, u CheckUpdate) error
	// ChangedFiles lists a pull request's files (paginated, at most 3,000).
	ChangedFiles(ctx context.Context, r Repo, pr int) ([]ChangedFile, error)
}

// CheckUpdate is a check run PATCH. Status is queued, in_progress or
// completed; Conclusion is set only with completed.
type CheckUpdate struct {
	Status, Conclusion   string
	Title, Summary, Text string
	Annotations          []Annotation
}

// Annotation marks a file of the pull request; Level is notice, warning or
// failure.
type Annotation struct {
	Path                  string
	StartLine, EndLine    int
	Level, Title, Message string
}

// ChangedFile is one file of a pull request. Status is GitHub's: added,
// removed, modified, renamed, copied, changed or unchanged.
type ChangedFile struct {
	Path, Status, PreviousPath string
}

// Runner runs the given repository-relative notebooks of the job's
// repository at its head commit as the given bot user, applying the
// repository's own selection rules (mobu.yaml, app names, metadata) on top,
// and deletes the lab at the end even when ctx is cancelled.
type Runner interface {
	Run(ctx context.Context, job Job, user string, notebooks []string) (*Outcome, error)
}

// Outcome is what a Runner did with a job's changed notebooks.
type Outcome struct {
	Batch    *notebook.BatchResult // nil when nothing was selected to run
	Excluded []notebook.Excluded   // changed notebooks the repository's rules left out, with the rule
	Lint     []notebook.OutputIssue
	RepoHash string
}

// Options configure a Manager.
type Options struct {
	CheckName string   // "Mobu (<environment>)"; default "Mobu"
	Users     []string // CI bot users, one worker each
	GitHub    GitHub
	Runner    Runner
	Logger    *slog.Logger     // default: discard
	Now       func() time.Time // default time.Now
	StateFile string           // where queued and running jobs are kept; "" = no persistence
	// Dropped, if set, is called with a job whose check run could not be
	// created (there is nothing to report to), so that the webhook layer can
	// forget its delivery and a redelivery is handled again.
	Dropped func(Job)
	// Sweep, if set, runs the startup sweep (see SweepOptions) after Start.
	Sweep *SweepOptions
}

// Summary is the manager's state, in mobu's CiManagerSummary shape.
type Summary struct {
	Workers   []WorkerSummary `json:"workers"`
	NumQueued int             `json:"num_queued"`
}

// WorkerSummary is one worker (one CI user).
type WorkerSummary struct {
	User         string      `json:"user"`
	NumProcessed int         `json:"num_processed"`
	CurrentJob   *JobSummary `json:"current_job"`
}

// JobSummary is the job a worker is running.
type JobSummary struct {
	CommitURL string `json:"commit_url"`
}
