package analysis

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/mobu-dev/mobu/internal/report"
)

// Plot geometry, in SVG user units.
const (
	plotWidth   = 960
	plotHeight  = 360
	plotLeft    = 64
	plotRight   = 16
	plotTop     = 12
	plotBottom  = 44
	plotTicks   = 6 // at most about this many ticks per axis
	seriesCount = 8 // colours (CSS classes s0…s7), reused beyond
)

// svgPlot is the cell duration plot, laid out for the template.
type svgPlot struct {
	Width, Height          int
	X0, X1, Y0, Y1         float64 // the plot area: left, right, bottom, top
	XTicks, YTicks         []tick
	Marks                  []mark
	Legend                 []legendItem
	XLabelX, XLabelY, YMid float64
	TickEnd                float64 // where x ticks end below the axis
}

type tick struct {
	Pos   float64
	Label string
}

// mark is one cell execution: a circle, or a cross (Path) for a failure.
type mark struct {
	X, Y   float64
	Failed bool
	Path   string
	Series int
	Title  string
}

type legendItem struct {
	Series int
	Name   string
	Count  int
}

// newPlot lays out the points: x is the completion time, y the duration,
// one colour per notebook.
func newPlot(points []CellPoint) *svgPlot {
	p := &svgPlot{Width: plotWidth, Height: plotHeight, X0: plotLeft, X1: plotWidth - plotRight,
		Y0: plotHeight - plotBottom, Y1: plotTop}
	p.XLabelX, p.XLabelY, p.YMid, p.TickEnd = (p.X0+p.X1)/2, plotHeight-6, (p.Y0+p.Y1)/2, p.Y0+5
	if len(points) == 0 {
		return p
	}
	t0, t1 := points[0].Time, points[0].Time
	var dmax time.Duration
	series := map[string]int{}
	for _, pt := range points {
		t0, t1, dmax = minTime(t0, pt.Time), maxTime(t1, pt.Time), max(dmax, pt.Duration)
		series[pt.Notebook]++
	}
	pad := max(t1.Sub(t0)/40, time.Second) // keep marks off the axes
	t0, t1 = t0.Add(-pad), t1.Add(pad)
	ymax, ystep := niceMax(dmax.Seconds())
	xOf := func(t time.Time) float64 { return p.X0 + (p.X1-p.X0)*float64(t.Sub(t0))/float64(t1.Sub(t0)) }
	yOf := func(s float64) float64 { return p.Y0 - (p.Y0-p.Y1)*s/ymax }
	p.Legend, p.Marks = legend(series), make([]mark, len(points))
	index := map[string]int{}
	for _, l := range p.Legend {
		index[l.Name] = l.Series
	}
	for i, pt := range points {
		p.Marks[i] = newMark(pt, round1(xOf(pt.Time)), round1(yOf(pt.Duration.Seconds())), index[pt.Notebook])
	}
	p.XTicks = timeTicks(t0, t1, xOf)
	for v := 0.0; v <= ymax+ystep/2; v += ystep {
		p.YTicks = append(p.YTicks, tick{Pos: round1(yOf(v)), Label: formatTick(v, ystep)})
	}
	return p
}

func newMark(pt CellPoint, x, y float64, series int) mark {
	status := "ok"
	if pt.Failed {
		status = "failed"
	}
	m := mark{X: x, Y: y, Failed: pt.Failed, Series: series % seriesCount,
		Title: fmt.Sprintf("%s#%s (cell %d) %s, %s, %s at %s", pt.Notebook, pt.CellID, pt.CellNumber,
			report.FormatDuration(pt.Duration), status, pt.Username, pt.Time.UTC().Format(time.RFC3339))}
	if pt.Failed {
		m.Path = fmt.Sprintf("M%.1f %.1fl8 8m0 -8l-8 8", x-4, y-4)
	}
	return m
}

// legend numbers the notebooks in name order.
func legend(counts map[string]int) []legendItem {
	names := make([]string, 0, len(counts))
	for name := range counts {
		names = append(names, name)
	}
	slices.Sort(names)
	items := make([]legendItem, len(names))
	for i, name := range names {
		items[i] = legendItem{Series: i % seriesCount, Name: name, Count: counts[name]}
	}
	return items
}

// niceMax returns an axis maximum ≥ v and its tick step (1, 2 or 5 × 10ⁿ).
func niceMax(v float64) (top, step float64) {
	if v <= 0 {
		return 1, 0.2
	}
	raw := v / (plotTicks - 1)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step = 10 * mag
	for _, m := range []float64{1, 2, 5} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	return math.Ceil(v/step-1e-9) * step, step
}

// formatTick prints v with as many decimals as step needs.
func formatTick(v, step float64) string {
	decimals := max(0, int(-math.Floor(math.Log10(step)+1e-9)))
	return strconv.FormatFloat(v, 'f', decimals, 64)
}

// timeTicks puts ticks at round UTC times between t0 and t1.
func timeTicks(t0, t1 time.Time, xOf func(time.Time) float64) []tick {
	span := t1.Sub(t0)
	step := 7 * 24 * time.Hour
	for _, s := range []time.Duration{time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second,
		15 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute,
		15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour,
		12 * time.Hour, 24 * time.Hour, 48 * time.Hour} {
		if span/s < plotTicks {
			step = s
			break
		}
	}
	layout := "15:04"
	switch {
	case span >= 24*time.Hour:
		layout = "Jan 2 15:04"
	case step < time.Minute:
		layout = "15:04:05"
	}
	var ticks []tick
	for t := t0.UTC().Truncate(step); !t.After(t1); t = t.Add(step) {
		if !t.Before(t0) {
			ticks = append(ticks, tick{Pos: round1(xOf(t)), Label: t.UTC().Format(layout)})
		}
	}
	return ticks
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
