package analysis

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

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

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n--- got ---\n%s\n--- want ---\n%s", name, got, want)
	}
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
				golden(t, string(by)+"."+ext, b.Bytes())
			})
		}
	}
}
