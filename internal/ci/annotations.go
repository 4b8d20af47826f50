package ci

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mobu-dev/mobu/internal/notebook"
)

// annotations are one failure per failed notebook, then one warning per
// notebook that stores outputs. The GitHub side sends them 50 at a time.
func annotations(o *Outcome) []Annotation {
	var out []Annotation
	for _, r := range results(o) {
		if !r.Passed() {
			out = append(out, failureAnnotation(r.Path, r.Failure))
		}
	}
	return append(out, lintAnnotations(o.Lint)...)
}

// failureAnnotation marks the notebook (the line of invalid JSON for a
// parse error, else line 1) with the failing cell and its traceback.
func failureAnnotation(path string, f *notebook.Failure) Annotation {
	line := 1
	var pe *notebook.ParseError
	if errors.As(f.Err, &pe) && pe.Line > 0 {
		line = pe.Line
	}
	msg := clean(f.Traceback)
	switch {
	case strings.TrimSpace(msg) == "":
		msg = clean(f.Error())
	case f.Err != nil: // a timeout or a dead kernel: the cause first, then what the kernel said
		msg = clean(f.Err.Error()) + "\n\n" + msg
	}
	return Annotation{
		Path: path, StartLine: line, EndLine: line, Level: levelFailure,
		Title:   truncate(failureTitle(f), maxTitle),
		Message: keepTail(msg, 0, maxMessage-100),
	}
}

// failureTitle is "Cell <id> (#n) failed: <ename>", or the phase for a
// failure outside any cell.
func failureTitle(f *notebook.Failure) string {
	if f.CellID == "" {
		return fmt.Sprintf("Notebook failed at %s", f.Phase)
	}
	t := fmt.Sprintf("Cell %s (#%d) failed", oneLine(f.CellID), f.CellNumber)
	switch {
	case f.Err != nil: // the cause (a timeout, a dead kernel) over the exception it produced
		return t + ": " + oneLine(f.Err.Error())
	case f.EName != "":
		return t + ": " + oneLine(f.EName)
	}
	return t
}

// lintAnnotations warn once per notebook whose cells store outputs or
// execution counts, in the order the notebooks come.
func lintAnnotations(issues []notebook.OutputIssue) []Annotation {
	var order []string
	byNotebook := map[string][]notebook.OutputIssue{}
	for _, is := range issues {
		if _, ok := byNotebook[is.Notebook]; !ok {
			order = append(order, is.Notebook)
		}
		byNotebook[is.Notebook] = append(byNotebook[is.Notebook], is)
	}
	out := make([]Annotation, 0, len(order))
	for _, path := range order {
		cells := byNotebook[path]
		names := make([]string, len(cells))
		for i, c := range cells {
			names[i] = fmt.Sprintf("%s (#%d)", oneLine(c.CellID), c.CellNumber)
		}
		msg := fmt.Sprintf("%s %s outputs or execution counts; clear them before committing\nCells: %s",
			plural(len(cells), "cell"), verb(len(cells), "stores", "store"), strings.Join(names, ", "))
		out = append(out, Annotation{
			Path: path, StartLine: 1, EndLine: 1, Level: levelWarning,
			Title: "Stored outputs", Message: truncate(msg, maxMessage),
		})
	}
	return out
}
