package events

import "errors"

// Event names, as registered with the schema registry (mobu compatible).
const (
	NameNotebookExecution     = "notebook_execution"
	NameNotebookCellExecution = "notebook_cell_execution"
	NamePythonExecution       = "nublado_python_execution"
	NameSpawnLab              = "nublado_spawn_lab"
	NameDeleteLab             = "nublado_delete_lab"
	NameLogin                 = "nublado_login"
	NameStartKernel           = "nublado_start_kernel"
	NameDeleteSession         = "nublado_delete_session"
	NameEmptyLoop             = "empty_loop"
)

// NotebookBase holds the fields shared by notebook events.
type NotebookBase struct {
	Notebook string `json:"notebook"`  // path relative to the repository or run root
	Repo     string `json:"repo"`      // repository URL or local directory
	RepoRef  string `json:"repo_ref"`  // branch, tag or SHA; "" for local files
	RepoHash string `json:"repo_hash"` // commit SHA or "unknown"
}

func (n *NotebookBase) validate() error {
	if n.Notebook == "" {
		return errors.New("notebook is empty")
	}
	if n.RepoHash == "" {
		return errors.New(`repo_hash is empty (use "unknown")`)
	}
	return nil
}

// NotebookExecution is one notebook run, inter-cell idles included.
type NotebookExecution struct {
	Base
	NotebookBase
	Duration *float64 `json:"duration"`
	Success  bool     `json:"success"`
	TraceID  string   `json:"trace_id"`
}

// Name implements Event.
func (*NotebookExecution) Name() string { return NameNotebookExecution }

// Validate implements Event.
func (e *NotebookExecution) Validate() error {
	return errors.Join(e.Base.validate(), e.NotebookBase.validate(), checkDuration("duration", e.Duration))
}

// NotebookCellExecution is one code cell, failed and skipped cells included.
// Duration is the client round trip; KernelDuration the kernel's own time.
type NotebookCellExecution struct {
	Base
	NotebookBase
	Duration       *float64 `json:"duration"`
	CellID         string   `json:"cell_id"`
	Success        bool     `json:"success"`
	KernelDuration *float64 `json:"kernel_duration"`
	TraceID        string   `json:"trace_id"`
	CellNumber     int      `json:"cell_number"`
	Skipped        bool     `json:"skipped"`
}

// Name implements Event.
func (*NotebookCellExecution) Name() string { return NameNotebookCellExecution }

// Validate implements Event.
func (e *NotebookCellExecution) Validate() error {
	var errs []error
	if e.CellID == "" {
		errs = append(errs, errors.New("cell_id is empty"))
	}
	if e.CellNumber < 1 {
		errs = append(errs, errors.New("cell_number must be ≥ 1"))
	}
	return errors.Join(e.Base.validate(), e.NotebookBase.validate(), errors.Join(errs...),
		checkDuration("duration", e.Duration), checkDuration("kernel_duration", e.KernelDuration))
}

// PythonExecution is one run of a NubladoPythonLoop's code.
type PythonExecution struct {
	Base
	Duration *float64 `json:"duration"`
	Success  bool     `json:"success"`
	Code     string   `json:"code"`
}

// Name implements Event.
func (*PythonExecution) Name() string { return NamePythonExecution }

// Validate implements Event.
func (e *PythonExecution) Validate() error {
	return errors.Join(e.Base.validate(), checkDuration("duration", e.Duration))
}

// Stage is a lab lifecycle step: login, spawn, kernel start, session or lab
// delete. Its name says which; the shape is shared.
type Stage struct {
	Base
	Duration float64 `json:"duration"`
	Success  bool    `json:"success"`
	// TraceID is the trace of the notebook run (kernel start, session
	// delete) or of the lab session (login, spawn, lab delete); nil when
	// unknown.
	TraceID *string `json:"trace_id"`
	stage   string
}

// NewStage returns a stage event of the given name (NameLogin, NameSpawnLab, …).
func NewStage(name string, base Base, duration float64, success bool) *Stage {
	return &Stage{Base: base, Duration: duration, Success: success, stage: name}
}

// Name implements Event.
func (e *Stage) Name() string { return e.stage }

// Validate implements Event.
func (e *Stage) Validate() error {
	var err error
	switch e.stage {
	case NameLogin, NameSpawnLab, NameStartKernel, NameDeleteSession, NameDeleteLab:
	default:
		err = errors.New("unknown stage event name " + e.stage)
	}
	return errors.Join(err, e.Base.validate(), checkDuration("duration", &e.Duration))
}

// EmptyLoop is one EmptyLoop iteration.
type EmptyLoop struct {
	Base
	Success bool `json:"success"`
}

// Name implements Event.
func (*EmptyLoop) Name() string { return NameEmptyLoop }

// Validate implements Event.
func (e *EmptyLoop) Validate() error { return e.Base.validate() }
