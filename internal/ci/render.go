package ci

import (
	"fmt"
	"strings"

	"github.com/mobu-dev/mobu/internal/notebook"
	"github.com/mobu-dev/mobu/internal/report"
)

// summaryReserve is room kept for the summary's later sections while
// listing notebooks, so that a long table cannot crowd them out.
const summaryReserve = 2000

// outcomeUpdate is the completed check run for what the Runner did as user.
func outcomeUpdate(o *Outcome, user string) CheckUpdate {
	return CheckUpdate{
		Status:      statusCompleted,
		Conclusion:  conclusion(o),
		Title:       title(o),
		Summary:     summary(o, user),
		Text:        failureText(results(o)),
		Annotations: annotations(o),
	}
}

// results are the notebooks that were run (or tried to).
func results(o *Outcome) []*notebook.Result {
	if o == nil || o.Batch == nil {
		return nil
	}
	return o.Batch.Notebooks
}

func counts(rs []*notebook.Result) (passed, failed int) {
	for _, r := range rs {
		if r.Passed() {
			passed++
		} else {
			failed++
		}
	}
	return passed, failed
}

// conclusion is success when every notebook that ran passed and at least
// one ran, or when the repository's rules excluded every changed notebook.
func conclusion(o *Outcome) string {
	rs := results(o)
	passed, failed := counts(rs)
	if failed == 0 && (passed > 0 || len(o.Excluded) > 0) {
		return conclusionSuccess
	}
	return conclusionFailure
}

// title is "3 notebooks passed, 1 failed" and the like.
func title(o *Outcome) string {
	passed, failed := counts(results(o))
	switch {
	case passed+failed == 0 && len(o.Excluded) > 0:
		return noNotebooksUpdate().Title // the summary says how many the rules excluded
	case passed+failed == 0:
		return "No notebooks ran"
	case failed == 0:
		return plural(passed, "notebook") + " passed"
	case passed == 0:
		return plural(failed, "notebook") + " failed"
	}
	return fmt.Sprintf("%s passed, %d failed", plural(passed, "notebook"), failed)
}

// summary is the Markdown overview: a table of the notebooks that ran, the
// changed notebooks the repository's rules excluded, stored outputs and
// cleanup trouble, within GitHub's limit.
func summary(o *Outcome, user string) string {
	w := &budget{limit: maxOutputChars}
	rs := results(o)
	w.add(intro(o, user, len(rs)) + "\n")
	if len(rs) > 0 {
		w.add("\n| Notebook | Status | Duration | Slowest cell |\n| --- | --- | --- | --- |\n")
		rows := make([]string, len(rs))
		for i, r := range rs {
			rows[i] = tableRow(r) + "\n"
		}
		w.list(rows, summaryReserve, func(n int) string {
			return fmt.Sprintf("\n_… and %s more, not shown._\n", plural(n, "notebook"))
		})
	}
	if _, failed := counts(rs); failed > 0 {
		w.add("\nEach failure is detailed below and annotated on its notebook under **Files changed**.\n")
	}
	writeExcluded(w, o.Excluded)
	if n := lintedNotebooks(o.Lint); n > 0 {
		w.add(fmt.Sprintf("\n**Stored outputs:** %s %s cell outputs or execution counts; clear them before "+
			"committing (see the warnings under **Files changed**).\n", plural(n, "notebook"), verb(n, "keeps", "keep")))
	}
	if o.Batch != nil && o.Batch.Cleanup != nil {
		w.add("\n**Warning:** the lab was not fully cleaned up: " + code(truncate(o.Batch.Cleanup.Error(), 1000)) + "\n")
	}
	return w.String()
}

func intro(o *Outcome, user string, ran int) string {
	if ran == 0 && len(o.Excluded) > 0 {
		return fmt.Sprintf("The repository's rules (`mobu.yaml`, enabled applications, notebook metadata) exclude %s: "+
			"nothing to run.", every(len(o.Excluded), "changed notebook"))
	}
	s := fmt.Sprintf("Ran %s as %s", plural(ran, "changed notebook"), code(user))
	if o.RepoHash != "" {
		s += " at " + code(o.RepoHash[:min(len(o.RepoHash), 12)])
	}
	return s + "."
}

func tableRow(r *notebook.Result) string {
	took := report.FormatDuration(r.Duration)
	if !r.Passed() && len(r.Cells) == 0 {
		took = "–"
	}
	return fmt.Sprintf("| %s | %s | %s | %s |", cell(code(r.Path)), cell(status(r)), took, cell(slowest(r)))
}

// status is a notebook's outcome in a few words.
func status(r *notebook.Result) string {
	f := r.Failure
	switch {
	case r.Passed() && r.Stopped:
		return "⏹️ stopped"
	case r.Passed():
		return "✅ passed"
	case f.CellID == "":
		return fmt.Sprintf("❌ %s failed", f.Phase)
	case f.EName != "":
		return fmt.Sprintf("❌ %s in cell %s (#%d)", code(f.EName), code(f.CellID), f.CellNumber)
	}
	return fmt.Sprintf("❌ failed in cell %s (#%d)", code(f.CellID), f.CellNumber)
}

// slowest is the slowest cell that ran, with its duration, or "–".
func slowest(r *notebook.Result) string {
	var best *notebook.CellResult
	for i, cr := range r.Cells {
		if cr.Ran && (best == nil || cr.Duration > best.Duration) {
			best = &r.Cells[i]
		}
	}
	if best == nil {
		return "–"
	}
	return fmt.Sprintf("%s (#%d) %s", code(best.Cell.ID), best.Cell.Number, report.FormatDuration(best.Duration))
}

func writeExcluded(w *budget, excluded []notebook.Excluded) {
	if len(excluded) == 0 {
		return
	}
	w.add("\n**Not run, excluded by the repository's rules:**\n\n")
	items := make([]string, len(excluded))
	for i, e := range excluded {
		items[i] = fmt.Sprintf("- %s: %s\n", code(e.Path), code(truncate(e.Rule, 500)))
	}
	w.list(items, summaryReserve/2, func(n int) string { return fmt.Sprintf("- … and %s more\n", plural(n, "notebook")) })
}

// lintedNotebooks counts the notebooks with stored outputs.
func lintedNotebooks(issues []notebook.OutputIssue) int {
	seen := map[string]bool{}
	for _, is := range issues {
		seen[is.Notebook] = true
	}
	return len(seen)
}

// every is "the changed notebook" for one, else "all 3 changed notebooks".
func every(n int, noun string) string {
	if n == 1 {
		return "the " + noun
	}
	return "all " + plural(n, noun)
}

func verb(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// budget builds text that must stay within limit bytes.
type budget struct {
	strings.Builder
	limit int
}

// add appends s if it fits.
func (b *budget) add(s string) bool {
	if b.Len()+len(s) > b.limit {
		return false
	}
	b.WriteString(s)
	return true
}

// list appends items while they fit with reserve bytes to spare, then the
// note more(n) about the n left out.
func (b *budget) list(items []string, reserve int, more func(n int) string) {
	for i, it := range items {
		if b.Len()+len(it)+reserve > b.limit {
			b.add(more(len(items) - i))
			return
		}
		b.WriteString(it)
	}
}
