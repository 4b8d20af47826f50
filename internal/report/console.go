package report

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/mobu-dev/mobu/internal/notebook"
)

// Console prints live progress, one plain line per event, for a terminal or
// a CI log: no colours, no cursor movement. Its methods fit the callbacks of
// notebook.Batch (OnStage, OnNotebook, OnResult), notebook.Runner (OnCell)
// and the spawn progress stream, and are safe for concurrent use. It never reads
// the clock: every duration comes from the results. Write errors are
// ignored (progress is best effort).
type Console struct {
	mu       sync.Mutex
	w        io.Writer
	notebook string // path of the current notebook
	total    int    // its code cells, 0 if unknown
	progress string // last spawn progress line, to drop repeats
}

// NewConsole returns a Console writing to w.
func NewConsole(w io.Writer) *Console {
	return &Console{w: w}
}

// Header prints the first line: who runs how many notebooks where.
func (c *Console) Header(user, hubURL string, notebooks int) {
	c.println(fmt.Sprintf("mobu: running %s as %s on %s", plural(notebooks, "notebook"), user, hubURL))
}

// Stage prints a lab lifecycle step: "  spawn            3.21s" or
// "  spawn            FAILED after 0.40s: <err>". Steps of one notebook
// (kernel start, session delete) are indented under it.
func (c *Console) Stage(sr notebook.StageResult) {
	indent := "  "
	if sr.Notebook != "" {
		indent = "    "
	}
	line := fmt.Sprintf("%s%-16s %s", indent, sr.Stage, FormatDuration(sr.Duration))
	if sr.Err != nil {
		line = fmt.Sprintf("%s%-16s FAILED after %s: %s", indent, sr.Stage, FormatDuration(sr.Duration),
			hangIndent(sr.Err.Error(), indent+"  "))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if sr.Stage == notebook.StageSpawn {
		c.progress = "" // a later spawn shows its progress afresh
	}
	c.writeLocked(line)
}

// Progress prints one spawn progress event, "  spawn  50% Server requested",
// unless it repeats the previous one exactly.
func (c *Console) Progress(percent int, message string) {
	line := strings.TrimRight(fmt.Sprintf("  spawn %3d%% %s", percent, oneLine(message)), " ")
	c.mu.Lock()
	defer c.mu.Unlock()
	if line == c.progress {
		return
	}
	c.progress = line
	c.writeLocked(line)
}

// NotebookStart prints "▶ path (3 code cells)" and makes path the current
// notebook: total is the denominator of the following cell lines.
func (c *Console) NotebookStart(path string, total int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.notebook, c.total = path, total
	c.writeLocked(fmt.Sprintf("▶ %s (%s)", oneLine(path), plural(total, "code cell")))
}

// Cell prints one cell's status and timings:
// "    ✓ [2/3] cell a1b2c3  0.012s (kernel 0.003s)". The reason for a failure
// is not in a CellResult: NotebookDone prints it.
func (c *Console) Cell(cr notebook.CellResult) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writeLocked("    " + cellLine(cr, c.total))
}

// NotebookDone prints a notebook's outcome, "  ✓ passed in 0.100s" or
// "  ✗ failed: <Failure.Error()>"; it fits notebook.Batch.OnResult. For a
// notebook that was never started (e.g. it failed to parse, or the lab did
// not spawn) it first prints its "▶ path" line.
func (c *Console) NotebookDone(r *notebook.Result) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r.Path != c.notebook {
		c.notebook, c.total = r.Path, r.Total
		c.writeLocked("▶ " + oneLine(r.Path))
	}
	if r.Passed() {
		c.writeLocked("  ✓ passed in " + FormatDuration(r.Duration))
		return
	}
	c.writeLocked("  ✗ failed: " + hangIndent(r.Failure.Error(), "    "))
}

func (c *Console) println(line string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writeLocked(line)
}

// writeLocked writes line in one Write call, so lines never interleave,
// without control characters that could upset a terminal.
func (c *Console) writeLocked(line string) {
	io.WriteString(c.w, stripControl(line)+"\n")
}

// plural is "1 notebook" or "3 notebooks".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
