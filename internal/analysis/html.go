package analysis

import (
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/mobu-dev/mobu/internal/report"
)

// htmlPage is what the page template shows.
type htmlPage struct {
	Title, Inputs, Window, Counts, Empty string
	Cell                                 bool // the cell grouping: show cell numbers
	Rows                                 []htmlRow
	Stages                               []htmlBar
	Plot                                 *svgPlot
	Untimed                              int
}

type htmlRow struct {
	Total, Max, Avg, P50, P95, Name string
	Count, Failures, CellNumber     int
}

// htmlBar is one stage of the breakdown; Width is a percentage of the
// largest total.
type htmlBar struct {
	Name, Total     string
	Count, Failures int
	Width           float64
}

func writeHTML(w io.Writer, r *Report) error {
	tmpl, err := template.New("report").Parse(pageTemplate)
	if err != nil {
		return fmt.Errorf("parsing the page template: %w", err)
	}
	page := htmlPage{Title: r.Title(), Inputs: strings.Join(r.Inputs, ", "), Window: r.Window.String(),
		Counts: r.CountsLine(), Cell: r.By == ByCell, Stages: stageBars(r.Stages), Plot: newPlot(r.Cells),
		Untimed: r.Untimed}
	if r.Empty() {
		page.Empty = r.EmptyMessage()
	}
	for _, row := range r.Rows {
		page.Rows = append(page.Rows, htmlRow{Total: human(row, row.Total), Max: human(row, row.Max),
			Avg: human(row, row.Avg), P50: human(row, row.P50), P95: human(row, row.P95), Name: row.Name,
			Count: row.Count, Failures: row.Failures, CellNumber: row.CellNumber})
	}
	return tmpl.Execute(w, page)
}

func stageBars(rows []Row) []htmlBar {
	var top float64
	for _, row := range rows {
		top = max(top, row.Total.Seconds())
	}
	bars := make([]htmlBar, len(rows))
	for i, row := range rows {
		bars[i] = htmlBar{Name: row.Name, Total: report.FormatDuration(row.Total), Count: row.Count,
			Failures: row.Failures}
		if top > 0 {
			bars[i].Width = round1(100 * row.Total.Seconds() / top)
		}
	}
	return bars
}

// pageTemplate is the whole page: no external resource of any kind.
const pageTemplate = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.Title}}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em 2em; color: #222; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
.meta { color: #555; margin: 0.1em 0; } .empty { font-weight: bold; }
table { border-collapse: collapse; } th, td { padding: 0.2em 0.7em; }
#ranking th { border-bottom: 1px solid #999; } #ranking td.num { text-align: right; font-variant-numeric: tabular-nums; }
#ranking tbody tr:nth-child(odd) { background: #f4f4f4; } #ranking td.name, #ranking th.name { text-align: left; }
#stages th { text-align: right; font-weight: normal; } #stages td.track { width: 420px; }
#stages .bar { height: 14px; background: #4a78b5; min-width: 1px; } #stages td.value { color: #444; }
#cells { font-size: 12px; } #cells .axis { stroke: #444; } #cells .grid { stroke: #e3e3e3; }
#cells .mark.ok { stroke: none; } #cells .mark.failed { fill: none; stroke-width: 2.2; }
.legend { list-style: none; padding: 0; } .legend li { display: inline-block; margin-right: 1.2em; }
.sw { display: inline-block; width: 10px; height: 10px; margin-right: 0.3em; }
.s0 { fill: #1f77b4; stroke: #1f77b4; background: #1f77b4; } .s1 { fill: #ff7f0e; stroke: #ff7f0e; background: #ff7f0e; }
.s2 { fill: #2ca02c; stroke: #2ca02c; background: #2ca02c; } .s3 { fill: #d62728; stroke: #d62728; background: #d62728; }
.s4 { fill: #9467bd; stroke: #9467bd; background: #9467bd; } .s5 { fill: #8c564b; stroke: #8c564b; background: #8c564b; }
.s6 { fill: #e377c2; stroke: #e377c2; background: #e377c2; } .s7 { fill: #7f7f7f; stroke: #7f7f7f; background: #7f7f7f; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p class="meta">Input: {{.Inputs}}</p>
<p class="meta">Window: {{.Window}}</p>
<p class="meta">Events: {{.Counts}}</p>
{{if .Empty}}<p class="empty">{{.Empty}}</p>{{end}}
<h2>Ranking (slowest first)</h2>
<table id="ranking">
<thead><tr><th>Total</th><th>Max</th><th>Avg</th><th>p50</th><th>p95</th><th>Count</th><th>Failures</th>{{if .Cell}}<th>Cell</th>{{end}}<th class="name">Name</th></tr></thead>
<tbody>
{{- range .Rows}}
<tr><td class="num">{{.Total}}</td><td class="num">{{.Max}}</td><td class="num">{{.Avg}}</td><td class="num">{{.P50}}</td><td class="num">{{.P95}}</td><td class="num">{{.Count}}</td><td class="num">{{.Failures}}</td>{{if $.Cell}}<td class="num">#{{.CellNumber}}</td>{{end}}<td class="name">{{.Name}}</td></tr>
{{- end}}
</tbody>
</table>
<h2>Time per stage</h2>
<p class="meta">Total time of each lab stage in the window; cell time is part of notebook time.</p>
<table id="stages">
{{- range .Stages}}
<tr><th class="stage">{{.Name}}</th><td class="track"><div class="bar" style="width: {{.Width}}%"></div></td><td class="value">{{.Total}} ({{.Count}} events, {{.Failures}} failed)</td></tr>
{{- end}}
</table>
<h2>Cell durations</h2>
<p class="meta">One mark per executed cell: a dot, or a cross for a failure; one colour per notebook.{{if .Untimed}} Not drawn: {{.Untimed}} without a duration.{{end}}</p>
{{with .Plot}}
<svg id="cells" width="{{.Width}}" height="{{.Height}}" viewBox="0 0 {{.Width}} {{.Height}}" role="img" aria-label="cell durations over time">
{{- range .YTicks}}
<line class="grid" x1="{{$.Plot.X0}}" x2="{{$.Plot.X1}}" y1="{{.Pos}}" y2="{{.Pos}}"/><text x="{{$.Plot.X0}}" y="{{.Pos}}" dx="-6" dy="4" text-anchor="end">{{.Label}}</text>
{{- end}}
{{- range .XTicks}}
<line class="axis" x1="{{.Pos}}" x2="{{.Pos}}" y1="{{$.Plot.Y0}}" y2="{{$.Plot.TickEnd}}"/><text x="{{.Pos}}" y="{{$.Plot.Y0}}" dy="18" text-anchor="middle">{{.Label}}</text>
{{- end}}
<line class="axis" x1="{{.X0}}" x2="{{.X1}}" y1="{{.Y0}}" y2="{{.Y0}}"/><line class="axis" x1="{{.X0}}" x2="{{.X0}}" y1="{{.Y0}}" y2="{{.Y1}}"/>
<text x="{{.XLabelX}}" y="{{.XLabelY}}" text-anchor="middle">time (UTC)</text>
<text x="14" y="{{.YMid}}" text-anchor="middle" transform="rotate(-90 14 {{.YMid}})">duration (s)</text>
{{- range .Marks}}
{{if .Failed}}<path class="mark failed s{{.Series}}" d="{{.Path}}"><title>{{.Title}}</title></path>{{else}}<circle class="mark ok s{{.Series}}" cx="{{.X}}" cy="{{.Y}}" r="3.5"><title>{{.Title}}</title></circle>{{end}}
{{- end}}
</svg>
<ul class="legend">
{{- range .Legend}}
<li><span class="sw s{{.Series}}"></span>{{.Name}} ({{.Count}})</li>
{{- end}}
</ul>
{{end}}
</body>
</html>
`
