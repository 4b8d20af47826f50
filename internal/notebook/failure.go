package notebook

import (
	"fmt"
	"strings"
)

// Phase is the step of a run in which something failed.
type Phase string

// Phases of a run.
const (
	PhaseParse   Phase = "parse"
	PhaseLogin   Phase = "login"
	PhaseSpawn   Phase = "spawn"
	PhaseKernel  Phase = "kernel"
	PhaseCell    Phase = "cell"
	PhaseCleanup Phase = "cleanup"
)

// Failure says what failed, where and why, with enough context to act on:
// the notebook, the cell and its code, and the kernel's traceback.
type Failure struct {
	Phase      Phase
	Notebook   string
	CellID     string
	CellNumber int
	Code       string
	EName      string
	EValue     string
	Traceback  string // ANSI-free, lines joined
	Output     string // tail of the cell's output
	Err        error  // transport or protocol error, if any
	TraceID    string // of the notebook run (events, traces and alerts share it)
}

// Error is one line: phase, place, and cause.
func (f *Failure) Error() string {
	var b strings.Builder
	b.WriteString(string(f.Phase))
	// A parse error names the file itself.
	if f.Notebook != "" && (f.Err == nil || !strings.HasPrefix(f.Err.Error(), "notebook "+f.Notebook)) {
		fmt.Fprintf(&b, ": notebook %s", f.Notebook)
	}
	if f.CellID != "" {
		fmt.Fprintf(&b, " cell %s (#%d)", f.CellID, f.CellNumber)
	}
	if f.Err != nil || f.EName != "" {
		b.WriteString(": " + f.Cause())
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (f *Failure) Unwrap() error { return f.Err }

// Cause is the failure's cause alone, without the place: the exception
// ("ValueError: bad") or the error.
func (f *Failure) Cause() string {
	switch {
	case f.Err != nil && f.EName != "":
		return fmt.Sprintf("%v (%s: %s)", f.Err, f.EName, f.EValue)
	case f.Err != nil:
		return f.Err.Error()
	case f.EName != "":
		return f.EName + ": " + f.EValue
	}
	return "failed"
}
