package report

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/golden"
	"github.com/mobu-dev/mobu/internal/notebook"
)

// parsed is an independent reading of the JUnit schema, to check the output.
type parsed struct {
	XMLName xml.Name `xml:"testsuites"`
	Suites  []struct {
		Name      string `xml:"name,attr"`
		Tests     int    `xml:"tests,attr"`
		Failures  int    `xml:"failures,attr"`
		Errors    int    `xml:"errors,attr"`
		Skipped   int    `xml:"skipped,attr"`
		Time      string `xml:"time,attr"`
		Timestamp string `xml:"timestamp,attr"`
		Cases     []struct {
			Classname string   `xml:"classname,attr"`
			Name      string   `xml:"name,attr"`
			Time      string   `xml:"time,attr"`
			Failure   *problem `xml:"failure"`
			Error     *problem `xml:"error"`
			Skipped   *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
			SystemOut string `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

type problem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

var stamp = time.Date(2026, 11, 21, 12, 30, 0, 0, time.FixedZone("CET", 3600))

func writeJUnit(t *testing.T, b *notebook.BatchResult) ([]byte, parsed) {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, b, "mobu «demo»\x01", stamp); err != nil {
		t.Fatal(err)
	}
	var p parsed
	if err := xml.Unmarshal(buf.Bytes(), &p); err != nil {
		t.Fatalf("output does not parse: %v\n%s", err, buf.Bytes())
	}
	if len(p.Suites) != 1 {
		t.Fatalf("%d testsuites, want 1", len(p.Suites))
	}
	return buf.Bytes(), p
}

func TestJUnitGolden(t *testing.T) {
	for _, tc := range []struct {
		golden string
		batch  *notebook.BatchResult
	}{
		{"junit.golden", fixtureBatch()},
		{"junit_spawn_failed.golden", spawnFailedBatch()},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			out, _ := writeJUnit(t, tc.batch)
			golden.Check(t, tc.golden, out)
		})
	}
}

func TestJUnitContent(t *testing.T) {
	out, p := writeJUnit(t, fixtureBatch())
	if bytes.ContainsAny(out, "\x00\x01\x0b\x1b") {
		t.Error("output holds characters that XML 1.0 forbids")
	}
	s := p.Suites[0]
	if s.Name != "mobu «demo»" || s.Tests != 5 || s.Failures != 1 || s.Errors != 2 || s.Skipped != 1 {
		t.Errorf("suite %q: tests=%d failures=%d errors=%d skipped=%d, want 5 1 2 1", s.Name, s.Tests, s.Failures, s.Errors, s.Skipped)
	}
	if s.Timestamp != "2026-11-21T12:30:00+01:00" || s.Time != "99.671" {
		t.Errorf("timestamp %q time %q", s.Timestamp, s.Time)
	}
	if len(s.Cases) != 5 {
		t.Fatalf("%d testcases, want 5", len(s.Cases))
	}
	hello, skip, fail, bad, dead := s.Cases[0], s.Cases[1], s.Cases[2], s.Cases[3], s.Cases[4]
	if hello.Failure != nil || hello.Error != nil || hello.Skipped != nil || hello.Classname != "examples" ||
		hello.Name != helloPath || hello.Time != "0.100" {
		t.Errorf("passed notebook: %+v", hello)
	}
	if !strings.Contains(hello.SystemOut, "✓ [3/3] cell oops  0.020s (kernel 0.008s, raised as expected)\n") {
		t.Errorf("system-out: %q", hello.SystemOut)
	}
	if skip.Skipped == nil || skip.Failure != nil {
		t.Errorf("all-skipped notebook not skipped: %+v", skip)
	}
	if fail.Failure == nil || fail.Error != nil || fail.Classname != "examples/données" {
		t.Fatalf("failed cell: %+v", fail)
	}
	f := fail.Failure
	if f.Type != "ValueError" || f.Message != "cell: notebook examples/données/fail.ipynb cell compute (#3): ValueError: température invalide: −3 °C" {
		t.Errorf("failure type %q message %q", f.Type, f.Message)
	}
	for _, want := range []string{"cell compute (#3)", "code:\nx = 1\n", "raise ValueError(", "traceback:\n----",
		"Cell In[3], line 26\n[0;31m----> 26 raise", "output:\nprogress 1\n", "progress 14\n"} {
		if !strings.Contains(f.Text, want) {
			t.Errorf("failure text lacks %q", want)
		}
	}
	for _, c := range []struct {
		name, typ string
		got       *problem
	}{{badPath, "parse", bad.Error}, {deadPath, "kernel", dead.Error}} {
		if c.got == nil || c.got.Type != c.typ || !strings.Contains(c.got.Message, c.name) {
			t.Errorf("%s: want <error type=%q>, got %+v", c.name, c.typ, c.got)
		}
	}
}

func TestJUnitSpawnFailed(t *testing.T) {
	_, p := writeJUnit(t, spawnFailedBatch())
	s := p.Suites[0]
	if s.Tests != 3 || s.Failures != 0 || s.Errors != 3 || s.Skipped != 0 {
		t.Errorf("tests=%d failures=%d errors=%d skipped=%d, want 3 0 3 0", s.Tests, s.Failures, s.Errors, s.Skipped)
	}
	if c := s.Cases[0]; c.Classname != "." || c.Error == nil || c.Error.Type != "spawn" || c.SystemOut != "" {
		t.Errorf("not-run notebook: %+v", c)
	}
}

func TestStripControl(t *testing.T) {
	in := "a\x00b\x1bc\td\ne\rf\x7fg\ufffeh\xffi — 数据 🚀"
	want := "abc\td\ne\rf\x7fgh\ufffdi — 数据 🚀"
	if got := stripControl(in); got != want {
		t.Errorf("stripControl(%q) = %q, want %q", in, got, want)
	}
}

func TestJUnitCDATAEnd(t *testing.T) {
	f := &notebook.Failure{Phase: notebook.PhaseCell, Notebook: "n.ipynb", CellID: "c", CellNumber: 1,
		Code: "s = ']]>'\n", Output: "a]]>b\r\n\x1b[1mbold\x1b[0m\n", EName: "KeyError", EValue: "']]>'"}
	b := &notebook.BatchResult{Notebooks: []*notebook.Result{{Path: "n.ipynb", Total: 1, Failure: f,
		Cells: []notebook.CellResult{{Cell: notebook.Cell{ID: "c", Number: 1}, Status: notebook.CellFailed}}}}}
	_, p := writeJUnit(t, b)
	got := p.Suites[0].Cases[0].Failure
	if got == nil || !strings.Contains(got.Text, "code:\ns = ']]>'\n") || !strings.Contains(got.Text, "output:\na]]>b\n[1mbold[0m\n") {
		t.Errorf("failure text did not survive: %+v", got)
	}
	if got.Message != "cell: notebook n.ipynb cell c (#1): KeyError: ']]>'" {
		t.Errorf("message %q", got.Message)
	}
}
