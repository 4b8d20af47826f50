package ci

import (
	"fmt"
	"strings"
	"time"

	"github.com/mobu-dev/mobu/internal/notebook"
)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func ranCell(id string, n int, d time.Duration) notebook.CellResult {
	return notebook.CellResult{Cell: notebook.Cell{ID: id, Number: n, Source: "pass"}, Status: notebook.CellPassed,
		Duration: d, KernelDuration: d / 2, HasKernelDuration: true, Ran: true}
}

// passed is a notebook whose cells ran in the given durations (ms).
func passed(path string, durations ...int) *notebook.Result {
	r := &notebook.Result{Path: path, Total: len(durations)}
	for i, d := range durations {
		r.Cells = append(r.Cells, ranCell(fmt.Sprintf("c%d", i+1), i+1, ms(d)))
		r.Duration += ms(d)
	}
	r.Duration += ms(150)
	return r
}

// cellFailure is a notebook failing in its second cell with a traceback.
func cellFailure(path, ename, evalue string) *notebook.Result {
	r := passed(path, 420)
	failing := ranCell("f00d", 2, ms(1250))
	failing.Status = notebook.CellFailed
	failing.Cell.Source = "import butler\nvalue = int(butler.get(\"calexp\").meta[\"visit\"])"
	r.Cells, r.Total, r.Duration = append(r.Cells, failing), 5, r.Duration+ms(1250)
	r.Failure = &notebook.Failure{Phase: notebook.PhaseCell, Notebook: path, CellID: "f00d", CellNumber: 2,
		Code: failing.Cell.Source, EName: ename, EValue: evalue, TraceID: "4bf92f3577b34da6a3ce929d0e0e4736",
		Traceback: strings.Join([]string{
			"---------------------------------------------------------------------------",
			ename + "                                Traceback (most recent call last)",
			"Cell In[2], line 2",
			"      1 import butler",
			"----> 2 value = int(butler.get(\"calexp\").meta[\"visit\"])",
			"",
			ename + ": " + evalue,
		}, "\n"),
		Output: "loading calexp\n\x1b[31mwarning: slow repository\x1b[0m\n"}
	return r
}

// infraFailure is a notebook that never reached a kernel.
func infraFailure(path string, phase notebook.Phase, err error) *notebook.Result {
	return &notebook.Result{Path: path, Failure: &notebook.Failure{Phase: phase, Notebook: path, Err: err}}
}

func batch(rs ...*notebook.Result) *notebook.BatchResult { return &notebook.BatchResult{Notebooks: rs} }

// renderUpdate renders an update for a golden file: every field; annotation
// messages longer than 3,000 characters shortened to their ends, and only
// the first five messages shown.
func renderUpdate(u CheckUpdate) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "status: %s\nconclusion: %s\ntitle: %s\n", u.Status, u.Conclusion, u.Title)
	fmt.Fprintf(&b, "\n===== summary (%d characters)\n%s\n", len(u.Summary), u.Summary)
	fmt.Fprintf(&b, "\n===== text (%d characters)\n%s\n", len(u.Text), u.Text)
	fmt.Fprintf(&b, "\n===== annotations (%d)\n", len(u.Annotations))
	for i, a := range u.Annotations {
		msg := a.Message
		if i >= 5 {
			fmt.Fprintf(&b, "- %s %s:%d-%d %q (%d characters)\n", a.Level, a.Path, a.StartLine, a.EndLine, a.Title, len(msg))
			continue
		}
		if len(msg) > 3000 {
			msg = fmt.Sprintf("%s\n[… golden file skips %d characters …]\n%s", msg[:1000], len(msg)-2000, msg[len(msg)-1000:])
		}
		fmt.Fprintf(&b, "\n- %s %s:%d-%d %q (%d characters)\n%s\n", a.Level, a.Path, a.StartLine, a.EndLine, a.Title,
			len(a.Message), msg)
	}
	return []byte(b.String())
}
