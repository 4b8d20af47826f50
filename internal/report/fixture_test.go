package report

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mobu-dev/mobu/internal/notebook"
)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func ran(id string, n int, status notebook.CellStatus, d, kernel time.Duration) notebook.CellResult {
	return notebook.CellResult{Cell: notebook.Cell{ID: id, Number: n, Source: "pass"}, Status: status,
		Duration: d, KernelDuration: kernel, HasKernelDuration: kernel > 0, Ran: true}
}

// numbered is n lines "<prefix> 1" ... "<prefix> n", joined by newlines.
func numbered(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s %d", prefix, i+1)
	}
	return out
}

const (
	helloPath = "examples/hello.ipynb"
	skipPath  = "examples/skip.ipynb"
	failPath  = "examples/données/fail.ipynb"
	badPath   = "examples/bad.ipynb"
	deadPath  = "examples/dead-kernel.ipynb"
)

// failedCell is a failing cell with long multi-line code, a long traceback
// holding invalid XML characters (NUL, ESC, VT), unicode and a long output.
func failedCell() (notebook.CellResult, *notebook.Failure) {
	code := append(numbered("x =", 24), `print("naïve café — ok")`, `raise ValueError("température invalide: −3 °C")`)
	tb := append([]string{"---------------------------------------------------------------------------",
		"ValueError                                Traceback (most recent call last)"},
		numbered("  frame", 36)...)
	tb = append(tb, "Cell In[3], line 26\x00", "\x1b[0;31m----> 26\x0b raise ValueError(...)",
		"ValueError: température invalide: −3 °C")
	cell := notebook.Cell{ID: "compute", Number: 3, Source: strings.Join(code, "\n") + "\n"}
	cr := notebook.CellResult{Cell: cell, Status: notebook.CellFailed, Duration: ms(204),
		KernelDuration: ms(190), HasKernelDuration: true, Ran: true}
	f := &notebook.Failure{Phase: notebook.PhaseCell, Notebook: failPath, CellID: cell.ID, CellNumber: 3,
		Code: cell.Source, EName: "ValueError", EValue: "température invalide: −3 °C",
		Traceback: strings.Join(tb, "\n"), Output: strings.Join(numbered("progress", 14), "\n") + "\n"}
	return cr, f
}

// fixtureBatch is a run that got a lab: a passed notebook (with a
// raises-exception cell), one whose cells are all skipped or empty, a failed
// cell, a parse failure and a kernel that would not start, with a cleanup error.
func fixtureBatch() *notebook.BatchResult {
	failed, failure := failedCell()
	sessionErr := errors.New("delete session: 500 Internal Server Error")
	kernelErr := errors.New("kernel start timed out after 30s: context deadline exceeded")
	return &notebook.BatchResult{
		Notebooks: []*notebook.Result{
			{Path: helloPath, Total: 3, Duration: ms(100), Cells: []notebook.CellResult{
				ran("a1b2c3", 1, notebook.CellPassed, ms(12), ms(3)),
				ran("plot", 2, notebook.CellPassed, ms(2510), 0),
				ran("oops", 3, notebook.CellExpected, ms(20), ms(8)),
			}},
			{Path: skipPath, Total: 2, Duration: ms(1), Cells: []notebook.CellResult{
				{Cell: notebook.Cell{ID: "slow", Number: 1, Skip: true}, Status: notebook.CellSkipped},
				{Cell: notebook.Cell{ID: "blank", Number: 2}, Status: notebook.CellEmpty},
			}},
			{Path: failPath, Total: 5, Duration: 62*time.Second + ms(300), Failure: failure, Cells: []notebook.CellResult{
				ran("load", 1, notebook.CellPassed, 61*time.Second+ms(800), 61*time.Second+ms(700)),
				ran("clean", 2, notebook.CellPassed, ms(250), ms(240)),
				failed,
			}},
			{Path: badPath, Failure: &notebook.Failure{Phase: notebook.PhaseParse, Notebook: badPath,
				Err: &notebook.ParseError{Path: badPath, Line: 3, Column: 7, Err: errors.New("unexpected end of JSON input")}}},
			{Path: deadPath, Failure: &notebook.Failure{Phase: notebook.PhaseKernel, Notebook: deadPath, Err: kernelErr}},
		},
		Stages: []notebook.StageResult{
			{Stage: notebook.StageLogin, Duration: ms(210)},
			{Stage: notebook.StageSpawn, Duration: ms(3210)},
			{Stage: notebook.StageKernelStart, Notebook: helloPath, Duration: ms(1200)},
			{Stage: notebook.StageSessionDelete, Notebook: helloPath, Duration: ms(50)},
			{Stage: notebook.StageKernelStart, Notebook: skipPath, Duration: ms(900)},
			{Stage: notebook.StageSessionDelete, Notebook: skipPath, Duration: ms(40)},
			{Stage: notebook.StageKernelStart, Notebook: failPath, Duration: ms(1100)},
			{Stage: notebook.StageSessionDelete, Notebook: failPath, Duration: ms(60), Err: sessionErr},
			{Stage: notebook.StageKernelStart, Notebook: deadPath, Duration: 30 * time.Second, Err: kernelErr},
			{Stage: notebook.StageLabDelete, Duration: ms(500)},
		},
		Cleanup: errors.Join(sessionErr, errors.New("logout: 502 Bad Gateway")),
	}
}

// spawnFailedBatch is a run whose lab never started: no cell ran.
func spawnFailedBatch() *notebook.BatchResult {
	spawnErr := errors.New("spawn timed out after 10m0s: lab spawn failed")
	notRun := func(p string) *notebook.Result {
		return &notebook.Result{Path: p, Failure: &notebook.Failure{Phase: notebook.PhaseSpawn, Notebook: p, Err: spawnErr}}
	}
	return &notebook.BatchResult{
		Notebooks: []*notebook.Result{notRun("a.ipynb"), notRun("sub/b.ipynb"),
			{Path: badPath, Failure: &notebook.Failure{Phase: notebook.PhaseParse, Notebook: badPath,
				Err: errors.New("notebook examples/bad.ipynb: nbformat 3 is not supported")}}},
		Stages: []notebook.StageResult{
			{Stage: notebook.StageLogin, Duration: ms(300)},
			{Stage: notebook.StageSpawn, Duration: 10 * time.Minute, Err: spawnErr},
			{Stage: notebook.StageLabDelete, Duration: ms(200)},
		},
	}
}
