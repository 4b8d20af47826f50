package analysis

import (
	"cmp"
	"slices"
	"time"

	"github.com/mobu-dev/mobu/internal/report"
)

// Row is one ranked group. Time statistics cover the events with a duration
// (Timed of them); Count and Failures cover all. A group without any timed
// event has zero times.
type Row struct {
	Name       string
	CellNumber int // the cell's number in its notebook (cell grouping; the latest seen)
	Count      int
	Failures   int // events with success false
	Timed      int
	Total      time.Duration
	Max        time.Duration
	Avg        time.Duration
	P50        time.Duration
	P95        time.Duration
}

// group accumulates one row.
type group struct {
	Row
	cellAt    time.Time
	durations []time.Duration
}

// groups holds the groups of one grouping; keep says whether durations are
// kept for quantiles, cells whether rows are cells (with a number).
type groups struct {
	byName      map[string]*group
	keep, cells bool
}

func newGroups(keep, cells bool) *groups {
	return &groups{byName: map[string]*group{}, keep: keep, cells: cells}
}

// add counts m in the group named key and returns the group.
func (gs *groups) add(key string, m *Measurement) *group {
	g := gs.byName[key]
	if g == nil {
		g = &group{Row: Row{Name: key}}
		gs.byName[key] = g
	}
	g.Count++
	if !m.Success {
		g.Failures++
	}
	if gs.cells && !m.Time.Before(g.cellAt) {
		g.CellNumber, g.cellAt = m.CellNumber, m.Time
	}
	if m.Timed {
		g.Timed++
		g.Total += m.Duration
		g.Max = max(g.Max, m.Duration)
		if gs.keep {
			g.durations = append(g.durations, m.Duration)
		}
	}
	return g
}

// row finishes g's statistics.
func (g *group) row() Row {
	r := g.Row
	if r.Timed > 0 {
		r.Avg = r.Total / time.Duration(r.Timed)
	}
	if len(g.durations) > 0 {
		r.P50 = report.Quantile(g.durations, 0.5)
		r.P95 = report.Quantile(g.durations, 0.95)
	}
	return r
}

// ranked returns the rows, largest total first (then by name).
func (gs *groups) ranked() []Row {
	rows := make([]Row, 0, len(gs.byName))
	for _, g := range gs.byName {
		rows = append(rows, g.row())
	}
	slices.SortFunc(rows, func(a, b Row) int {
		return cmp.Or(cmp.Compare(b.Total, a.Total), cmp.Compare(a.Name, b.Name))
	})
	return rows
}

// inOrder returns a row for every name, in that order (empty rows for
// names never seen).
func (gs *groups) inOrder(names []string) []Row {
	rows := make([]Row, len(names))
	for i, name := range names {
		rows[i] = Row{Name: name}
		if g := gs.byName[name]; g != nil {
			rows[i] = g.row()
		}
	}
	return rows
}
