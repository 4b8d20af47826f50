package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/mobu-dev/mobu/internal/notebook"
)

const lintUsage = `usage: mobu lint PATH...

Reports the code cells of the notebooks (files, or directories searched for
*.ipynb) that keep stored outputs or execution counts; clear them before
committing a notebook.
Exit status: 0 clean, 1 stored outputs found, 2 unreadable input, usage error
or interrupted.
`

// lintTally counts the outcome of `mobu lint`.
type lintTally struct {
	dirty, cells, clean, unreadable int
}

// lintCommand is `mobu lint PATH...`.
func lintCommand(ctx context.Context, args []string, _ func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("mobu lint", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), lintUsage) }
	if help, err := parseFlags(fs, args, stderr); help || err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fmt.Fprint(stderr, lintUsage)
		return usageErr("lint: no notebooks given (pass files or directories)")
	}
	paths, unreadable := lintFind(fs.Args(), stderr)
	t := lintTally{unreadable: unreadable}
	for _, path := range paths {
		if err := ctx.Err(); err != nil {
			return &exitError{code: 2, err: fmt.Errorf("lint: interrupted before %s: %w", path, err)}
		}
		t.check(path, stdout, stderr)
	}
	fmt.Fprintln(stdout, t.summary())
	switch {
	case t.unreadable > 0:
		return &exitError{code: 2}
	case t.dirty > 0:
		return &exitError{code: 1}
	}
	return nil
}

// lintFind expands each argument on its own, so that one missing path is
// reported without hiding the notebooks of the others.
func lintFind(args []string, stderr io.Writer) (paths []string, failed int) {
	for _, arg := range args {
		found, err := notebook.Find(arg)
		if err != nil {
			fmt.Fprintln(stderr, "mobu: lint:", err)
			failed++
			continue
		}
		paths = append(paths, found...)
	}
	slices.Sort(paths)
	return slices.Compact(paths), failed
}

// check lints one notebook, printing a line per offending cell.
func (t *lintTally) check(path string, stdout, stderr io.Writer) {
	nb, err := notebook.ReadFile(path)
	if err != nil {
		fmt.Fprintln(stderr, "mobu: lint:", err)
		t.unreadable++
		return
	}
	issues := notebook.StoredOutputs(nb)
	if len(issues) == 0 {
		t.clean++
		return
	}
	t.dirty++
	t.cells += len(issues)
	for _, issue := range issues {
		fmt.Fprintln(stdout, lintLine(issue))
	}
}

// lintLine describes one issue, e.g. "x.ipynb: cell abc (#2): 3 stored
// outputs, execution count 5".
func lintLine(issue notebook.OutputIssue) string {
	var what []string
	if issue.Outputs > 0 {
		what = append(what, lintPlural(issue.Outputs, "stored output", "stored outputs"))
	}
	if issue.ExecutionCount > 0 {
		what = append(what, fmt.Sprintf("execution count %d", issue.ExecutionCount))
	}
	return fmt.Sprintf("%s: cell %s (#%d): %s", issue.Notebook, issue.CellID, issue.CellNumber, strings.Join(what, ", "))
}

// summary is the last line, e.g. "2 notebooks with stored outputs (5 cells);
// 3 clean", with "; 1 unreadable" appended when inputs could not be read.
func (t *lintTally) summary() string {
	s := fmt.Sprintf("%s with stored outputs (%s); %d clean",
		lintPlural(t.dirty, "notebook", "notebooks"), lintPlural(t.cells, "cell", "cells"), t.clean)
	if t.unreadable > 0 {
		s += fmt.Sprintf("; %d unreadable", t.unreadable)
	}
	return s
}

// lintPlural formats n with the singular or plural noun.
func lintPlural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
