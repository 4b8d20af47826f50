package analysis

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sec(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// near reports whether two durations agree to the microsecond (quantiles
// interpolate in floating point).
func near(a, b time.Duration) bool { return (a - b).Abs() < time.Microsecond }

func findRow(t *testing.T, r *Report, name string) Row {
	t.Helper()
	for _, row := range r.Rows {
		if row.Name == name {
			return row
		}
	}
	t.Fatalf("no row %q in %+v", name, r.Rows)
	return Row{}
}

// Expected values worked out by hand from testdata/events.jsonl, so the
// golden files are checked against something other than themselves.
func TestKnownAnswers(t *testing.T) {
	tests := []struct {
		by                        Grouping
		name                      string
		total, max, avg, p50, p95 float64
		count, failures, cell     int
	}{
		// spawns 8 12 20(failed) 9 10: sorted 8 9 10 12 20, p95 at rank 3.8 = 12 + 0.8×8.
		{ByStage, "spawn", 59, 20, 11.8, 10, 18.4, 5, 1, 0},
		// cells 0.5 2 1 4(failed) 1.5 3 null(failed) 0.5 7.5; the two skipped cells are not counted.
		// sorted 0.5 0.5 1 1.5 2 3 4 7.5: p50 at rank 3.5 = 1.75, p95 at 6.65 = 4 + 0.65×3.5.
		{ByStage, "cell", 20, 7.5, 2.5, 1.75, 6.275, 9, 2, 0},
		// notebooks 3 5.5(failed) 5 null(failed) 8.5: avg over the 4 timed ones.
		{ByStage, "notebook", 22, 8.5, 5.5, 5.25, 8.05, 5, 2, 0},
		{ByStage, "python", 0.4, 0.3, 0.2, 0.2, 0.29, 3, 1, 0},
		{ByCell, "a.ipynb#c1", 2, 1.5, 1, 1, 1.45, 2, 0, 1},
		{ByCell, "b.ipynb#b1", 1, 1, 1, 1, 1, 2, 1, 1},
		{ByNotebook, "b.ipynb", 5.5, 5.5, 5.5, 5.5, 5.5, 2, 2, 0},
		// alpha: logins 0.5+0.75, spawns 8+12, kernels 1.5+2.5, notebooks 3+5.5+5, deletes 0.25+0.5 and 6+10.
		{ByFlock, "alpha", 55.5, 12, 55.5 / 13, 3, 10.8, 14, 4, 0},
		{ByFlock, NoFlock, 28.25, 10, 28.25 / 6, 4.5, 9.625, 6, 0, 0},
		{ByMonkey, "bot-mobu-b1", 39.65, 20, 39.65 / 8, 1, 16.15, 9, 2, 0},
	}
	for _, tt := range tests {
		t.Run(string(tt.by)+"/"+tt.name, func(t *testing.T) {
			row := findRow(t, collect(t, Options{By: tt.by}, fixture), tt.name)
			got := []time.Duration{row.Total, row.Max, row.Avg, row.P50, row.P95}
			for i, want := range []float64{tt.total, tt.max, tt.avg, tt.p50, tt.p95} {
				if !near(got[i], sec(want)) {
					t.Errorf("%s: statistic %d = %v, want %vs", tt.name, i, got[i], want)
				}
			}
			if row.Count != tt.count || row.Failures != tt.failures || row.CellNumber != tt.cell {
				t.Errorf("count %d failures %d cell %d, want %d %d %d", row.Count, row.Failures, row.CellNumber,
					tt.count, tt.failures, tt.cell)
			}
		})
	}
}

func TestRankingAndCounts(t *testing.T) {
	r := collect(t, Options{By: ByStage}, fixture)
	var names []string
	for _, row := range r.Rows {
		names = append(names, row.Name)
	}
	want := "spawn,lab delete,notebook,cell,kernel start,login,session delete,python"
	if got := strings.Join(names, ","); got != want {
		t.Errorf("ranking %s, want %s", got, want)
	}
	if c := r.Counts; c != (Counts{Lines: 44, Events: 41, Unknown: 1, Bad: 2, InWindow: 41}) {
		t.Errorf("counts %+v", c)
	}
	var b bytes.Buffer
	if err := r.WriteBadLines(&b); err != nil {
		t.Fatal(err)
	}
	wantBad := fixture + ":20: invalid event: json: cannot unmarshal string into Go struct field line.duration of type float64\n" +
		fixture + ":44: truncated JSON\n"
	if b.String() != wantBad {
		t.Errorf("bad lines:\n%s\nwant:\n%s", b.String(), wantBad)
	}
}

// --since and --until keep the events completed in the closed window.
func TestWindow(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 6, 0, 0, time.UTC)
	tests := []struct {
		since, until string
		inWindow     int
		spawns       int
		spawnTotal   float64
	}{
		{"", "", 41, 5, 59},
		{"5m", "", 29, 4, 51}, // from 12:01:00: a2, b1 and run
		{"2026-03-10T12:01:15Z", "2026-03-10T12:03:20Z", 13, 3, 41}, // a2's spawn at 12:01:15 and b1's at 12:03:20 are in
		{"", "2026-03-10T12:00:10Z", 2, 1, 8},
		{"2h", "2026-03-10T11:00:00Z", 0, 0, 0},
	}
	for _, tt := range tests {
		w, err := NewWindow(tt.since, tt.until, now)
		if err != nil {
			t.Fatalf("NewWindow(%q, %q): %v", tt.since, tt.until, err)
		}
		r := collect(t, Options{By: ByStage, Window: w}, fixture)
		var spawns Row
		for _, row := range r.Rows {
			if row.Name == StageSpawn {
				spawns = row
			}
		}
		if r.Counts.InWindow != tt.inWindow || spawns.Count != tt.spawns || !near(spawns.Total, sec(tt.spawnTotal)) {
			t.Errorf("%s: %d in window, %d spawns (%v), want %d, %d (%vs)", w, r.Counts.InWindow, spawns.Count,
				spawns.Total, tt.inWindow, tt.spawns, tt.spawnTotal)
		}
	}
}

func TestNewWindowErrors(t *testing.T) {
	now := time.Now()
	for _, args := range [][2]string{{"yesterday", ""}, {"", "soon"}, {"2026-03-10T12:00:00Z", "2026-03-10T11:00:00Z"}} {
		if _, err := NewWindow(args[0], args[1], now); err == nil {
			t.Errorf("NewWindow(%q, %q) = %v, want a usage error", args[0], args[1], err)
		}
	}
	w, err := NewWindow("90m", "", now)
	if err != nil || !w.Since.Equal(now.Add(-90*time.Minute)) {
		t.Errorf("NewWindow(90m) = %v, %v", w, err)
	}
}

// A directory is read recursively, *.jsonl only, in path order.
func TestDirectoryInput(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	write := func(name, content string) {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("b/later.jsonl", strings.Join(lines[22:], ""))
	write("a.jsonl", strings.Join(lines[:22], ""))
	write("notes.txt", lines[0]+lines[0])
	ins, err := FileInputs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 2 || ins[0].Name != filepath.Join(dir, "a.jsonl") || ins[1].Name != filepath.Join(dir, "b/later.jsonl") {
		t.Fatalf("inputs %v", ins)
	}
	r := collect(t, Options{By: ByStage}, dir)
	whole := collect(t, Options{By: ByStage}, fixture)
	if fmt.Sprint(r.Rows) != fmt.Sprint(whole.Rows) || r.Counts != whole.Counts {
		t.Errorf("split files give %v %+v, the whole file %v %+v", r.Rows, r.Counts, whole.Rows, whole.Counts)
	}
	if _, err := FileInputs(filepath.Join(dir, "missing")); err == nil {
		t.Error("FileInputs of a missing path succeeded")
	}
}

// Blank lines are ignored; a line over MaxLine is skipped, and the one after
// it is read; only MaxListedBadLines are listed.
func TestBadLines(t *testing.T) {
	data, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	first := strings.SplitAfter(string(data), "\n")[0]
	content := "\n" + strings.Repeat("x", MaxLine+10) + "\n" + first + strings.Repeat("{\n", 25) + "\r\n"
	path := filepath.Join(t.TempDir(), "bad.jsonl")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	r := collect(t, Options{By: ByStage}, path)
	if r.Counts != (Counts{Lines: 27, Events: 1, Bad: 26, InWindow: 1}) || len(r.Bad) != MaxListedBadLines {
		t.Fatalf("counts %+v, %d listed", r.Counts, len(r.Bad))
	}
	if r.Bad[0].Line != 2 || !strings.Contains(r.Bad[0].Reason, "longer than") || r.Bad[1].Line != 4 {
		t.Errorf("bad lines %v", r.Bad[:2])
	}
	var b bytes.Buffer
	r.WriteBadLines(&b)
	if !strings.HasSuffix(b.String(), "\n… and 6 more bad lines\n") {
		t.Errorf("listing ends %q", b.String()[max(0, b.Len()-80):])
	}
}

// No events: every format still renders, and says so where it can.
func TestEmpty(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty.jsonl")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	want := map[Format]string{
		FormatJSON:   "[]\n",
		FormatCSV:    "name,total,max,avg,p50,p95,count,failures\n",
		FormatSeries: "timepoint,measurement,label,monkey\n",
	}
	for _, f := range []Format{FormatTable, FormatCSV, FormatJSON, FormatSeries, FormatHTML} {
		r := collect(t, Options{By: ByStage, Format: f}, path)
		var b bytes.Buffer
		if err := Render(&b, r, f); err != nil {
			t.Fatal(err)
		}
		if w, ok := want[f]; ok && b.String() != w {
			t.Errorf("%s: %q, want %q", f, b.String(), w)
		}
		if (f == FormatTable || f == FormatHTML) && !strings.Contains(b.String(), "no events in the window") {
			t.Errorf("%s does not say it is empty:\n%s", f, b.String())
		}
	}
}

func TestParseNames(t *testing.T) {
	if _, err := ParseGrouping("hour"); err == nil {
		t.Errorf("ParseGrouping(hour) = %v", err)
	}
	if _, err := ParseFormat("xml"); err == nil {
		t.Errorf("ParseFormat(xml) = %v", err)
	}
	if g, err := ParseGrouping("monkey"); g != ByMonkey || err != nil {
		t.Errorf("ParseGrouping(monkey) = %q, %v", g, err)
	}
}
