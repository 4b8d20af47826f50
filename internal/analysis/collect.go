package analysis

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"
)

// MaxLine is the longest line read; a longer one is skipped as bad.
const MaxLine = 1 << 20

// MaxListedBadLines is how many bad lines a report lists; the others are
// only counted.
const MaxListedBadLines = 20

// BadLine is a line that was skipped: corrupt, truncated or too long; or
// an input's own bad record (a Kafka message that did not decode).
type BadLine struct {
	Input  string // for a record, its position: kafka:<topic>/<partition>@<offset>
	Line   int    // 1-based; 0 for a record
	Reason string
}

// String renders the line as file:line: reason (a record as position: reason).
func (b BadLine) String() string {
	if b.Line == 0 {
		return b.Input + ": " + b.Reason
	}
	return fmt.Sprintf("%s:%d: %s", b.Input, b.Line, b.Reason)
}

// Counts says what was read.
type Counts struct {
	Lines    int // non-blank lines
	Events   int // lines with a known event
	Unknown  int // lines with an unknown event name, ignored
	Bad      int // corrupt or truncated lines, skipped
	InWindow int // known events in the window
}

// Options says what a Collector keeps.
type Options struct {
	By     Grouping
	Window Window
	Format Format // html keeps the stage breakdown and cell points, series every measurement
}

// Collector reads inputs and keeps what the report needs: per group the
// durations (for quantiles) and counts, plus the points the html and series
// formats draw. It is not safe for concurrent use.
type Collector struct {
	opts    Options
	inputs  []string
	counts  Counts
	bad     []BadLine
	groups  *groups
	stages  *groups // html breakdown when By is not stage
	cells   []CellPoint
	untimed int
	series  []Point
	strs    map[string]string // interned names kept by points
}

// NewCollector returns an empty collector.
func NewCollector(o Options) *Collector {
	c := &Collector{opts: o, groups: newGroups(true, o.By == ByCell), strs: map[string]string{}}
	if o.Format == FormatHTML && o.By != ByStage {
		c.stages = newGroups(false, false)
	}
	return c
}

// Read reads every line of in; bad lines are recorded, not errors. The error
// is in's (unreadable file, Kafka failure) or ctx's.
func (c *Collector) Read(ctx context.Context, in Input) error {
	c.inputs = append(c.inputs, in.Name)
	r, err := in.Open(ctx)
	if err != nil {
		return fmt.Errorf("opening %s: %w", in.Name, err)
	}
	defer r.Close()
	if err := readLines(ctx, r, func(n int, b []byte, long bool) { c.add(in.Name, n, b, long) }); err != nil {
		return fmt.Errorf("reading %s: %w", in.Name, err)
	}
	if in.Skipped != nil {
		r.Close()
		for _, b := range in.Skipped() {
			c.counts.Lines++
			c.addBad(b)
		}
	}
	return nil
}

// readLines calls fn with each non-blank line (without its end of line);
// long marks a line longer than MaxLine, whose content is not passed.
func readLines(ctx context.Context, r io.Reader, fn func(n int, b []byte, long bool)) error {
	br := bufio.NewReaderSize(r, MaxLine)
	for n := 1; ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		b, err := br.ReadSlice('\n')
		long := errors.Is(err, bufio.ErrBufferFull)
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = br.ReadSlice('\n')
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if b = bytes.TrimSpace(b); len(b) > 0 || long {
			fn(n, b, long)
		}
		if err != nil {
			return ctx.Err()
		}
	}
}

// add handles one line.
func (c *Collector) add(input string, n int, b []byte, long bool) {
	c.counts.Lines++
	if long {
		c.addBad(BadLine{input, n, fmt.Sprintf("line longer than %d bytes", MaxLine)})
		return
	}
	m, err := ParseLine(b)
	switch {
	case errors.Is(err, ErrUnknownEvent):
		c.counts.Unknown++
		return
	case err != nil:
		c.addBad(BadLine{input, n, err.Error()})
		return
	}
	c.counts.Events++
	if c.opts.Window.Contains(m.Time) {
		c.counts.InWindow++
		c.Add(&m)
	}
}

func (c *Collector) addBad(b BadLine) {
	c.counts.Bad++
	if len(c.bad) < MaxListedBadLines {
		c.bad = append(c.bad, b)
	}
}

// Add counts one measurement, which the caller has placed in the window.
func (c *Collector) Add(m *Measurement) {
	if key, ok := m.Key(c.opts.By); ok {
		g := c.groups.add(key, m)
		if c.opts.Format == FormatSeries && m.Timed {
			c.series = append(c.series, Point{Time: m.Time, Duration: m.Duration, Label: g.Name,
				Monkey: c.intern(m.Username)})
		}
	}
	if c.stages != nil {
		if stage, ok := m.Stage(); ok {
			c.stages.add(stage, m)
		}
	}
	if stage, ok := m.Stage(); ok && c.opts.Format == FormatHTML && stage == StageCell {
		if !m.Timed {
			c.untimed++
			return
		}
		c.cells = append(c.cells, CellPoint{Time: m.Time, Notebook: c.intern(m.Notebook), CellID: c.intern(m.CellID),
			CellNumber: m.CellNumber, Duration: m.Duration, Failed: !m.Success, Username: c.intern(m.Username)})
	}
}

func (c *Collector) intern(s string) string {
	if v, ok := c.strs[s]; ok {
		return v
	}
	c.strs[s] = s
	return s
}

// Report ranks what was read.
func (c *Collector) Report() *Report {
	r := &Report{Inputs: c.inputs, By: c.opts.By, Window: c.opts.Window, Counts: c.counts, Bad: c.bad,
		Rows: c.groups.ranked(), Cells: c.cells, Untimed: c.untimed, Series: c.series}
	byTime := func(a, b time.Time) int { return a.Compare(b) }
	slices.SortStableFunc(r.Cells, func(a, b CellPoint) int { return byTime(a.Time, b.Time) })
	slices.SortStableFunc(r.Series, func(a, b Point) int { return byTime(a.Time, b.Time) })
	if c.opts.Format == FormatHTML {
		stages := c.stages
		if stages == nil {
			stages = c.groups
		}
		r.Stages = stages.inOrder(stageOrder())
	}
	return r
}
