package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/mobu-dev/mobu/internal/notebook"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Time      string        `xml:"time,attr"`
	Skipped   *junitSkipped `xml:"skipped"`
	Failure   *junitProblem `xml:"failure"`
	Error     *junitProblem `xml:"error"`
	SystemOut *junitText    `xml:"system-out"`
}

// Long texts are CDATA so that their lines stay readable in the file.
type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

type junitText struct {
	Text string `xml:",cdata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// WriteJUnit writes b as JUnit XML: one testsuite named suite, stamped with
// timestamp, and one testcase per notebook. The suite's time is the lab's
// stages plus the notebooks. A passed notebook in which no cell ran because
// its cells are tagged skip-execution is reported as skipped.
func WriteJUnit(w io.Writer, b *notebook.BatchResult, suite string, timestamp time.Time) error {
	s := junitSuite{Name: stripControl(suite), Timestamp: timestamp.Format(time.RFC3339)}
	total := time.Duration(0)
	for _, sr := range b.Stages {
		total += sr.Duration
	}
	for _, r := range b.Notebooks {
		c := junitTestCase(r)
		s.Cases = append(s.Cases, c)
		total += r.Duration
		s.Tests++
		switch {
		case c.Failure != nil:
			s.Failures++
		case c.Error != nil:
			s.Errors++
		case c.Skipped != nil:
			s.Skipped++
		}
	}
	s.Time = seconds(total)
	doc := junitSuites{Tests: s.Tests, Failures: s.Failures, Errors: s.Errors, Skipped: s.Skipped,
		Time: s.Time, Suites: []junitSuite{s}}
	ew := &errWriter{w: w}
	io.WriteString(ew, xml.Header)
	enc := xml.NewEncoder(ew)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	io.WriteString(ew, "\n")
	return ew.err
}

func junitTestCase(r *notebook.Result) junitCase {
	c := junitCase{
		Classname: stripControl(path.Dir(strings.ReplaceAll(r.Path, `\`, "/"))),
		Name:      stripControl(r.Path),
		Time:      seconds(r.Duration),
	}
	if out := cellLines(r); out != "" {
		c.SystemOut = &junitText{Text: stripControl(out)}
	}
	if r.Passed() {
		if allSkipped(r) {
			c.Skipped = &junitSkipped{Message: "every code cell is tagged skip-execution"}
		}
		return c
	}
	f := r.Failure
	kind := f.EName
	if kind == "" {
		kind = string(f.Phase)
	}
	p := &junitProblem{Message: stripControl(firstLine(f.Error())), Type: stripControl(kind), Text: stripControl(failureText(f))}
	switch f.Phase {
	case notebook.PhaseParse, notebook.PhaseLogin, notebook.PhaseSpawn, notebook.PhaseKernel:
		// The notebook never ran: the platform (or the file) is at fault,
		// not the notebook's code, so this is an <error>, not a <failure>.
		c.Error = p
	default:
		c.Failure = p
	}
	return c
}

// allSkipped reports whether r has cells, none ran and some were skipped.
func allSkipped(r *notebook.Result) bool {
	skipped := false
	for _, cr := range r.Cells {
		if cr.Ran {
			return false
		}
		skipped = skipped || cr.Status == notebook.CellSkipped
	}
	return skipped
}

// cellLines is one cellLine per cell, for <system-out>.
func cellLines(r *notebook.Result) string {
	var b strings.Builder
	for _, cr := range r.Cells {
		b.WriteString(cellLine(cr, r.Total) + "\n")
	}
	return b.String()
}

// failureText is the body of a <failure> or <error>: the cause, then the
// cell, its code, the traceback and the output tail, whichever are known.
func failureText(f *notebook.Failure) string {
	var b strings.Builder
	b.WriteString(f.Error() + "\n")
	if f.CellID != "" {
		fmt.Fprintf(&b, "\ncell %s (#%d)\n", f.CellID, f.CellNumber)
	}
	for _, part := range []struct{ title, text string }{
		{"code", f.Code}, {"traceback", f.Traceback}, {"output", f.Output},
	} {
		if ls := lines(part.text); len(ls) > 0 {
			fmt.Fprintf(&b, "\n%s:\n%s\n", part.title, strings.Join(ls, "\n"))
		}
	}
	return b.String()
}

// seconds is d in seconds with millisecond precision, as JUnit wants.
func seconds(d time.Duration) string {
	return fmt.Sprintf("%.3f", d.Seconds())
}
