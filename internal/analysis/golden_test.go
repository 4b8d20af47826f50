package analysis

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/mobu-dev/mobu/internal/golden"
)

const fixture = "testdata/events.jsonl"

// collect reads the inputs into a report.
func collect(t *testing.T, o Options, paths ...string) *Report {
	t.Helper()
	c := NewCollector(o)
	for _, p := range paths {
		ins, err := FileInputs(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range ins {
			if err := c.Read(t.Context(), in); err != nil {
				t.Fatalf("Read %s: %v", in.Name, err)
			}
		}
	}
	return c.Report()
}

// goldenCheck compares got with testdata/golden/name (MOBU_UPDATE_GOLDEN=1
// rewrites it).
func goldenCheck(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Check(t, filepath.Join("golden", name), got)
}

// Every text format for every grouping, from the recorded events file.
func TestGolden(t *testing.T) {
	formats := map[Format]string{FormatTable: "txt", FormatCSV: "csv", FormatJSON: "json", FormatSeries: "series.csv"}
	for _, by := range []Grouping{ByStage, ByNotebook, ByCell, ByFlock, ByMonkey} {
		for f, ext := range formats {
			t.Run(string(by)+"."+ext, func(t *testing.T) {
				r := collect(t, Options{By: by, Format: f}, fixture)
				var b bytes.Buffer
				if err := Render(&b, r, f); err != nil {
					t.Fatal(err)
				}
				goldenCheck(t, string(by)+"."+ext, b.Bytes())
			})
		}
	}
}
