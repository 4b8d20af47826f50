package ci

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mobu-dev/mobu/internal/notebook"
)

// Limits of the failure details.
const (
	outputLines = 40  // the output is a tail: its last lines are enough
	minExcerpt  = 256 // tracebacks and code are never cut below this (bytes)
	errorLine   = 300 // the one-line error in the bullet list
	textReserve = 200 // room kept for the note about failures left out
	unlimited   = 0   // no cut
)

// failureText details each failed notebook: phase, cell, code, traceback
// and output. Within GitHub's limit it shortens tracebacks, code and output
// alike (the longest first), then leaves whole failures out, and says so.
func failureText(rs []*notebook.Result) string {
	var failed []*notebook.Result
	for _, r := range rs {
		if !r.Passed() {
			failed = append(failed, r)
		}
	}
	if len(failed) == 0 {
		return ""
	}
	if text := renderFailures(failed, unlimited); len(text) <= maxOutputChars {
		return text
	}
	lo, hi, best := minExcerpt, longestExcerpt(failed), 0
	for lo <= hi {
		mid := (lo + hi) / 2
		if len(renderFailures(failed, mid)) <= maxOutputChars {
			best, lo = mid, mid+1
		} else {
			hi = mid - 1
		}
	}
	if best > 0 {
		return renderFailures(failed, best)
	}
	return renderSomeFailures(failed)
}

// renderFailures renders every failure with excerpts cut to limit bytes
// (unlimited: uncut).
func renderFailures(failed []*notebook.Result, limit int) string {
	var b strings.Builder
	b.WriteString("## Failures\n")
	if limit != unlimited {
		b.WriteString(shortenedNote)
	}
	for _, r := range failed {
		b.WriteString(renderFailure(r, limit))
	}
	return b.String()
}

const shortenedNote = "\n_Tracebacks, code and output are shortened to fit GitHub's 65,535-character limit; " +
	"each cut is marked._\n"

// renderSomeFailures renders as many failures as fit, excerpts cut to the
// minimum, and notes how many were left out.
func renderSomeFailures(failed []*notebook.Result) string {
	w := &budget{limit: maxOutputChars}
	w.add("## Failures\n" + shortenedNote)
	for i, r := range failed {
		s := renderFailure(r, minExcerpt)
		if w.Len()+len(s)+textReserve > w.limit {
			w.add(fmt.Sprintf("\n_… and %s not shown: each has an annotation under **Files changed**._\n",
				plural(len(failed)-i, "more failure")))
			break
		}
		w.WriteString(s)
	}
	return w.String()
}

// excerpts are a failure's long parts, in the order shown.
type excerpt struct {
	heading, lang, body string
	lines               int // keep only the last lines (0: all)
}

func excerpts(f *notebook.Failure) []excerpt {
	ex := []excerpt{{"Code", "python", clean(f.Code), 0}, {"Traceback", "", clean(f.Traceback), 0}}
	if f.Traceback == "" && f.Err != nil {
		if msg := clean(f.Err.Error()); strings.Contains(msg, "\n") || len(msg) > errorLine {
			ex = append(ex, excerpt{"Error", "", msg, 0})
		}
	}
	return append(ex, excerpt{"Output (tail)", "", clean(f.Output), outputLines})
}

// longestExcerpt is the length of the longest excerpt of any failure.
func longestExcerpt(failed []*notebook.Result) int {
	n := 0
	for _, r := range failed {
		for _, e := range excerpts(r.Failure) {
			n = max(n, len(e.body))
		}
	}
	return n
}

// renderFailure is one failed notebook's section, its excerpts cut to
// limit bytes.
func renderFailure(r *notebook.Result, limit int) string {
	var b strings.Builder
	f := r.Failure
	fmt.Fprintf(&b, "\n### %s\n\n- Phase: %s\n", code(r.Path), code(string(f.Phase)))
	if f.CellID != "" {
		fmt.Fprintf(&b, "- Cell: %s (#%d)\n", code(f.CellID), f.CellNumber)
	}
	if f.TraceID != "" {
		fmt.Fprintf(&b, "- Trace ID: %s (the `trace_id` of this run's events and spans)\n", code(f.TraceID))
	}
	ex := excerpts(f)
	if e := errorSummary(f); e != "" && !slices.ContainsFunc(ex, func(e excerpt) bool { return e.heading == "Error" }) {
		fmt.Fprintf(&b, "- Error: %s\n", code(truncate(e, errorLine)))
	}
	for _, e := range ex {
		if strings.TrimSpace(e.body) == "" {
			continue
		}
		fmt.Fprintf(&b, "\n**%s**\n\n%s", e.heading, fence(keepTail(e.body, e.lines, limit), e.lang))
	}
	return b.String()
}

// errorSummary is the failure's cause on one line.
func errorSummary(f *notebook.Failure) string {
	exc := ""
	if f.EName != "" {
		exc = f.EName
		if f.EValue != "" {
			exc += ": " + f.EValue
		}
	}
	switch {
	case f.Err != nil && exc != "":
		return oneLine(fmt.Sprintf("%v (%s)", f.Err, exc))
	case f.Err != nil:
		return oneLine(f.Err.Error())
	}
	return oneLine(exc)
}
