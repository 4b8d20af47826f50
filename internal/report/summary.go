package report

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mobu-dev/mobu/internal/notebook"
)

// Limits of the summary's excerpts.
const (
	slowestCells   = 5
	codeLines      = 20
	tracebackLines = 30
	outputLines    = 10
)

// stageOrder is the order of the "Stages" section; other names follow.
var stageOrder = []string{
	notebook.StageLogin, notebook.StageSpawn, notebook.StageKernelStart,
	notebook.StageSessionDelete, notebook.StageLabDelete,
}

// WriteSummary writes the end-of-run report: a table of notebooks, the
// slowest cells, stage timings, each failure with its code, traceback and
// output, any cleanup error, and a final "4 passed, 1 failed in 12.3s" line
// where wall is the run's total wall time.
func WriteSummary(w io.Writer, b *notebook.BatchResult, wall time.Duration) error {
	ew := &errWriter{w: w}
	writeNotebookTable(ew, b.Notebooks)
	writeSlowest(ew, b.Notebooks)
	writeStages(ew, b.Stages)
	writeFailures(ew, b.Notebooks)
	if b.Cleanup != nil {
		ew.printf("\ncleanup error: %s\n", hangIndent(b.Cleanup.Error(), "  "))
	}
	passed := 0
	for _, r := range b.Notebooks {
		if r.Passed() {
			passed++
		}
	}
	ew.printf("\n%d passed, %d failed in %s\n", passed, len(b.Notebooks)-passed, FormatDuration(wall))
	return ew.err
}

// table lays out rows in aligned columns, without trailing blanks.
type table struct {
	buf bytes.Buffer
	tw  *tabwriter.Writer
}

func newTable() *table {
	t := &table{}
	t.tw = tabwriter.NewWriter(&t.buf, 0, 0, 2, ' ', 0)
	return t
}

// row adds a row; cells are made single-line and free of control characters.
func (t *table) row(cells ...string) {
	for i, c := range cells {
		cells[i] = stripControl(oneLine(c))
	}
	fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

// writeTo writes the table to ew, each line indented by indent.
func (t *table) writeTo(ew *errWriter, indent string) {
	t.tw.Flush() // cannot fail: it writes to a bytes.Buffer
	for _, line := range lines(t.buf.String()) {
		ew.printf("%s%s\n", indent, strings.TrimRight(line, " "))
	}
}

func writeNotebookTable(ew *errWriter, results []*notebook.Result) {
	t := newTable()
	t.row("NOTEBOOK", "STATUS", "CELLS", "TIME")
	for _, r := range results {
		status, took := "passed", FormatDuration(r.Duration)
		if !r.Passed() {
			status = fmt.Sprintf("FAILED (%s)", r.Failure.Phase)
		}
		if neverRan(r) {
			took = "-"
		}
		t.row(r.Path, status, cellCounts(r), took)
	}
	t.writeTo(ew, "")
}

// cellCounts is "ran/total", plus ", N skipped" and ", N empty" when any;
// "-" for a notebook that never reached a kernel.
func cellCounts(r *notebook.Result) string {
	if neverRan(r) {
		return "-"
	}
	ran, skipped, empty := 0, 0, 0
	for _, cr := range r.Cells {
		switch {
		case cr.Ran:
			ran++
		case cr.Status == notebook.CellSkipped:
			skipped++
		case cr.Status == notebook.CellEmpty:
			empty++
		}
	}
	s := fmt.Sprintf("%d/%d", ran, r.Total)
	if skipped > 0 {
		s += fmt.Sprintf(", %d skipped", skipped)
	}
	if empty > 0 {
		s += fmt.Sprintf(", %d empty", empty)
	}
	return s
}

// neverRan reports whether r failed before reaching its first cell
// (parse, login, spawn or kernel failure, or interrupted run).
func neverRan(r *notebook.Result) bool {
	return !r.Passed() && len(r.Cells) == 0
}

// writeSlowest lists the slowest cells by client round trip, across notebooks.
func writeSlowest(ew *errWriter, results []*notebook.Result) {
	type cellOf struct {
		path string
		cr   notebook.CellResult
	}
	var all []cellOf
	for _, r := range results {
		for _, cr := range r.Cells {
			if cr.Ran {
				all = append(all, cellOf{r.Path, cr})
			}
		}
	}
	if len(all) == 0 {
		return
	}
	slices.SortStableFunc(all, func(a, b cellOf) int { return cmp.Compare(b.cr.Duration, a.cr.Duration) })
	ew.printf("\nSlowest cells\n")
	t := newTable()
	for _, c := range all[:min(len(all), slowestCells)] {
		kernel := ""
		if c.cr.HasKernelDuration {
			kernel = "kernel " + FormatDuration(c.cr.KernelDuration)
		}
		t.row(FormatDuration(c.cr.Duration), kernel, c.path, fmt.Sprintf("cell %s (#%d)", c.cr.Cell.ID, c.cr.Cell.Number))
	}
	t.writeTo(ew, "  ")
}

// writeStages gives each stage's count, total and average duration.
func writeStages(ew *errWriter, stages []notebook.StageResult) {
	if len(stages) == 0 {
		return
	}
	byName := map[string][]notebook.StageResult{}
	names := slices.Clone(stageOrder)
	for _, sr := range stages {
		if !slices.Contains(names, sr.Stage) {
			names = append(names, sr.Stage)
		}
		byName[sr.Stage] = append(byName[sr.Stage], sr)
	}
	ew.printf("\nStages\n")
	t := newTable()
	t.row("STAGE", "COUNT", "TOTAL", "AVERAGE", "")
	for _, name := range names {
		runs := byName[name]
		if len(runs) == 0 {
			continue
		}
		var total time.Duration
		failed := 0
		for _, sr := range runs {
			total += sr.Duration
			if sr.Err != nil {
				failed++
			}
		}
		note := ""
		if failed > 0 {
			note = fmt.Sprintf("%d FAILED", failed)
		}
		t.row(name, strconv.Itoa(len(runs)), FormatDuration(total), FormatDuration(total/time.Duration(len(runs))), note)
	}
	t.writeTo(ew, "  ")
}

// writeFailures details each failed notebook.
func writeFailures(ew *errWriter, results []*notebook.Result) {
	header := false
	for _, r := range results {
		if r.Passed() {
			continue
		}
		if !header {
			ew.printf("\nFailures\n")
			header = true
		}
		f := r.Failure
		ew.printf("\n%s\n  %s\n", oneLine(r.Path), stripControl(hangIndent(f.Error(), "  ")))
		writeExcerpt(ew, "code", f.Code, codeLines)
		writeExcerpt(ew, "traceback", f.Traceback, tracebackLines)
		writeExcerpt(ew, "output", f.Output, outputLines)
	}
}

// writeExcerpt writes the last max lines of text under a title, each line
// prefixed with "    | ", noting how many earlier lines were cut.
func writeExcerpt(ew *errWriter, title, text string, max int) {
	kept, cut := lastLines(text, max)
	if len(kept) == 0 {
		return
	}
	ew.printf("  %s:\n", title)
	if cut > 0 {
		ew.printf("    | [%d earlier %s cut]\n", cut, plural1(cut, "line"))
	}
	for _, line := range kept {
		ew.printf("%s\n", strings.TrimRight("    | "+stripControl(line), " \t"))
	}
}

// plural1 is noun for 1, noun+"s" otherwise.
func plural1(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}
