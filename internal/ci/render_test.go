package ci

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/mobu-dev/mobu/internal/golden"
	"github.com/mobu-dev/mobu/internal/notebook"
)

// hugeTraceback is a traceback of n frames ending in exc.
func hugeTraceback(n int, exc string) string {
	lines := []string{"Traceback (most recent call last):"}
	for i := 1; i <= n; i++ {
		lines = append(lines, fmt.Sprintf("  File \"/opt/lsst/software/stack/module%d.py\", line %d, in recurse", i, i*7),
			"    return recurse(depth + 1)")
	}
	return strings.Join(append(lines, exc), "\n")
}

func capOutcome() *Outcome {
	long := cellFailure("notebooks/deep.ipynb", "RecursionError", "maximum recursion depth exceeded")
	long.Failure.Traceback = hugeTraceback(4000, "RecursionError: maximum recursion depth exceeded")
	long.Failure.Code = strings.Repeat("x = compute(x)  # step\n", 3000) + "recurse(0)"
	long.Failure.Output = strings.Repeat("progress line\n", 100) + "done"
	oneLine := cellFailure("notebooks/wide.ipynb", "ValueError", "too wide")
	oneLine.Failure.Traceback = "ValueError: " + strings.Repeat("0123456789", 10000)
	return &Outcome{Batch: batch(passed("notebooks/ok.ipynb", 10), long, oneLine), RepoHash: "c0ffee"}
}

func manyFailures(n int) *Outcome {
	var rs []*notebook.Result
	for i := 1; i <= n; i++ {
		r := cellFailure(fmt.Sprintf("notebooks/nb%02d.ipynb", i), "KeyError", fmt.Sprintf("'band%d'", i))
		r.Failure.Traceback = hugeTraceback(20, "KeyError: "+r.Failure.EValue)
		rs = append(rs, r)
	}
	return &Outcome{Batch: batch(rs...)}
}

func TestRenderGolden(t *testing.T) {
	parseErr := &notebook.ParseError{Path: "notebooks/broken.ipynb", Line: 12, Column: 5, Err: errors.New("invalid character '}'")}
	tests := []struct {
		name   string
		update CheckUpdate
	}{
		{"cell_failure", outcomeUpdate(&Outcome{RepoHash: "0123456789abcdef0123456789abcdef01234567",
			Batch: batch(passed("notebooks/hello.ipynb", 12, 840, 33), passed("notebooks/a|b.ipynb", 5),
				cellFailure("notebooks/butler.ipynb", "ValueError", "invalid literal for int() with base 10: 'r'"),
				passed("notebooks/sia.ipynb", 65_000))}, "bot-mobu-ci-1")},
		{"infrastructure", outcomeUpdate(&Outcome{Batch: &notebook.BatchResult{
			Notebooks: []*notebook.Result{
				infraFailure("notebooks/broken.ipynb", notebook.PhaseParse, parseErr),
				infraFailure("notebooks/a.ipynb", notebook.PhaseSpawn, errors.New("lab did not start within 10m0s\nspawn log:\n  pulling image\n  pod pending")),
				infraFailure("notebooks/b.ipynb", notebook.PhaseSpawn, errors.New("lab did not start within 10m0s")),
			},
			Cleanup: errors.New("deleting lab: 503 Service Unavailable"),
		}}, "bot-mobu-ci-2")},
		{"excluded", outcomeUpdate(&Outcome{Batch: batch(passed("notebooks/hello.ipynb", 100)), Excluded: []notebook.Excluded{
			{Path: "drafts/wip.ipynb", Rule: `mobu.yaml collection_rules[0] exclude_union_of: matches "drafts/**"`},
			{Path: "notebooks/tap.ipynb", Rule: "metadata: requires applications that are not enabled: tap"},
		}}, "bot-mobu-ci-1")},
		{"all_excluded", outcomeUpdate(&Outcome{Excluded: []notebook.Excluded{
			{Path: "drafts/wip.ipynb", Rule: "exclude_dirs: under drafts"},
		}}, "bot-mobu-ci-1")},
		{"lint", outcomeUpdate(&Outcome{Batch: batch(passed("notebooks/hello.ipynb", 100), passed("notebooks/plot.ipynb", 3)),
			Lint: []notebook.OutputIssue{
				{Notebook: "notebooks/hello.ipynb", CellID: "a1", CellNumber: 1, Outputs: 2, ExecutionCount: 4},
				{Notebook: "notebooks/plot.ipynb", CellID: "p1", CellNumber: 1, ExecutionCount: 1},
				{Notebook: "notebooks/hello.ipynb", CellID: "a3", CellNumber: 3, Outputs: 1},
			}}, "bot-mobu-ci-1")},
		{"cap", outcomeUpdate(capOutcome(), "bot-mobu-ci-1")},
		{"many_failures", outcomeUpdate(manyFailures(60), "bot-mobu-ci-1")},
		{"runner_error", runErrorUpdate(errors.New("cloning https://github.com/lsst/notebooks.git: authentication required"),
			"bot-mobu-ci-1", []string{"notebooks/a.ipynb", "notebooks/b.ipynb"})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := tc.update
			if len(u.Summary) > maxOutputChars || len(u.Text) > maxOutputChars {
				t.Errorf("summary %d, text %d characters: over GitHub's %d", len(u.Summary), len(u.Text), maxOutputChars)
			}
			for _, a := range u.Annotations {
				if len(a.Message) > maxMessage || len(a.Title) > maxTitle {
					t.Errorf("annotation %s: message %d, title %d characters", a.Path, len(a.Message), len(a.Title))
				}
			}
			golden.Check(t, tc.name+".golden", renderUpdate(u))
		})
	}
}

func TestRenderCapsSayWhatWasCut(t *testing.T) {
	u := outcomeUpdate(capOutcome(), "bot")
	for _, want := range []string{shortenedNote, "earlier lines cut]", "earlier characters cut]", "RecursionError: maximum"} {
		if !strings.Contains(u.Text, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	if len(u.Text) < maxOutputChars-5000 {
		t.Errorf("text is %d characters: cut more than needed", len(u.Text))
	}
}

func TestRenderManyFailures(t *testing.T) {
	tests := []struct {
		failures  int
		wantNote  bool // some failures are left out of the text
		wantTitle string
	}{
		{1, false, "1 notebook failed"},
		{60, false, "60 notebooks failed"},
		{400, true, "400 notebooks failed"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.failures), func(t *testing.T) {
			u := outcomeUpdate(manyFailures(tc.failures), "bot")
			if u.Title != tc.wantTitle || u.Conclusion != conclusionFailure {
				t.Errorf("title %q, conclusion %q", u.Title, u.Conclusion)
			}
			if len(u.Annotations) != tc.failures {
				t.Errorf("%d annotations, want %d", len(u.Annotations), tc.failures)
			}
			if got := strings.Contains(u.Text, "more failures not shown"); got != tc.wantNote {
				t.Errorf("note about left-out failures: %v, want %v", got, tc.wantNote)
			}
			if len(u.Text) > maxOutputChars || len(u.Summary) > maxOutputChars {
				t.Errorf("text %d, summary %d characters", len(u.Text), len(u.Summary))
			}
		})
	}
}

func TestSummaryFitsWithThousandsOfNotebooks(t *testing.T) {
	var rs []*notebook.Result
	var excluded []notebook.Excluded
	for i := range 3000 {
		rs = append(rs, passed(fmt.Sprintf("notebooks/a/rather/deep/directory/notebook-%04d.ipynb", i), 10, 20))
		excluded = append(excluded, notebook.Excluded{Path: fmt.Sprintf("drafts/%04d.ipynb", i), Rule: "exclude_dirs: under drafts"})
	}
	s := summary(&Outcome{Batch: batch(rs...), Excluded: excluded, Lint: []notebook.OutputIssue{{Notebook: "x"}}}, "bot")
	if len(s) > maxOutputChars {
		t.Fatalf("summary is %d characters", len(s))
	}
	for _, want := range []string{"more, not shown", "- … and", "**Stored outputs:**"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
}

func TestConclusionAndTitle(t *testing.T) {
	fail := cellFailure("f.ipynb", "E", "v")
	tests := []struct {
		name            string
		o               *Outcome
		conclusion, tit string
	}{
		{"all passed", &Outcome{Batch: batch(passed("a.ipynb", 1), passed("b.ipynb", 1))}, "success", "2 notebooks passed"},
		{"one passed", &Outcome{Batch: batch(passed("a.ipynb", 1))}, "success", "1 notebook passed"},
		{"mixed", &Outcome{Batch: batch(passed("a.ipynb", 1), passed("b.ipynb", 1), passed("c.ipynb", 1), fail)}, "failure", "3 notebooks passed, 1 failed"},
		{"all failed", &Outcome{Batch: batch(fail)}, "failure", "1 notebook failed"},
		{"all excluded", &Outcome{Excluded: []notebook.Excluded{{Path: "a.ipynb", Rule: "r"}, {Path: "b.ipynb", Rule: "r"}}}, "success", "No changed notebooks to run"},
		{"nothing", &Outcome{}, "failure", "No notebooks ran"},
		{"empty batch", &Outcome{Batch: batch()}, "failure", "No notebooks ran"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := conclusion(tc.o); got != tc.conclusion {
				t.Errorf("conclusion %q, want %q", got, tc.conclusion)
			}
			if got := title(tc.o); got != tc.tit {
				t.Errorf("title %q, want %q", got, tc.tit)
			}
		})
	}
}

func TestFailureTitle(t *testing.T) {
	tests := []struct {
		f    notebook.Failure
		want string
	}{
		{notebook.Failure{Phase: notebook.PhaseCell, CellID: "ab12", CellNumber: 3, EName: "KeyError"}, "Cell ab12 (#3) failed: KeyError"},
		{notebook.Failure{Phase: notebook.PhaseCell, CellID: "ab12", CellNumber: 3, Err: errors.New("cell timed out after 5m0s")}, "Cell ab12 (#3) failed: cell timed out after 5m0s"},
		{notebook.Failure{Phase: notebook.PhaseSpawn, Err: errors.New("no lab")}, "Notebook failed at spawn"},
		{notebook.Failure{Phase: notebook.PhaseCell, CellID: strings.Repeat("x", 400), CellNumber: 1},
			"Cell " + strings.Repeat("x", maxTitle-len("Cell …")) + "…"},
	}
	for _, tc := range tests {
		a := failureAnnotation("n.ipynb", &tc.f)
		if a.Title != tc.want {
			t.Errorf("title %q, want %q", a.Title, tc.want)
		}
		if len(a.Title) > maxTitle {
			t.Errorf("title is %d characters", len(a.Title))
		}
	}
}
