package analysis

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Input is one named stream of JSON lines: a file, or the Kafka topic as
// `mobu events tail` renders it. Open may start a reader that Close stops.
type Input struct {
	Name string
	Open func(ctx context.Context) (io.ReadCloser, error)
	// Skipped, if set, returns the input's own bad records (Kafka messages
	// that did not decode), asked for once the input is read and closed.
	Skipped func() []BadLine
}

// FileInput reads the file at path.
func FileInput(path string) Input {
	return Input{Name: path, Open: func(context.Context) (io.ReadCloser, error) { return os.Open(path) }}
}

// FileInputs returns the inputs for path: the file itself or, for a
// directory, every *.jsonl file below it, sorted by path.
func FileInputs(path string) ([]Input, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return []Input{FileInput(path)}, nil
	}
	var paths []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), ".jsonl") {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", path, err)
	}
	slices.Sort(paths)
	inputs := make([]Input, len(paths))
	for i, p := range paths {
		inputs[i] = FileInput(p)
	}
	return inputs, nil
}

// Report is the outcome of reading: the ranked rows of the grouping, and
// what the html and series formats draw.
type Report struct {
	Inputs  []string // names of the inputs read, in order (a caller may name them as its user did)
	By      Grouping
	Window  Window
	Counts  Counts
	Bad     []BadLine // the first MaxListedBadLines of Counts.Bad
	Rows    []Row     // largest total first
	Stages  []Row     // every stage in lifecycle order (html only)
	Cells   []CellPoint
	Untimed int     // cell executions without a duration, not in Cells (html only)
	Series  []Point // every timed measurement of the grouping, by time (series only)
}

// CellPoint is one executed cell (html only).
type CellPoint struct {
	Time       time.Time
	Notebook   string
	CellID     string
	CellNumber int
	Duration   time.Duration
	Failed     bool
	Username   string
}

// Point is one measurement of a time series.
type Point struct {
	Time     time.Time
	Duration time.Duration
	Label    string // the row's name
	Monkey   string // username
}

// Empty reports whether no row was found.
func (r *Report) Empty() bool { return len(r.Rows) == 0 }

// EmptyMessage explains an empty report.
func (r *Report) EmptyMessage() string {
	if r.Counts.InWindow == 0 {
		return "no events in the window"
	}
	return fmt.Sprintf("no %s events in the window", r.By)
}

// WriteBadLines lists the skipped lines as file:line: reason, the first
// MaxListedBadLines of them, then how many more there were.
func (r *Report) WriteBadLines(w io.Writer) error {
	var b strings.Builder
	for _, bad := range r.Bad {
		fmt.Fprintln(&b, bad)
	}
	if more := r.Counts.Bad - len(r.Bad); more > 0 {
		fmt.Fprintf(&b, "… and %d more bad lines\n", more)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
