package analysis

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mobu-dev/mobu/internal/report"
)

// Render writes r in format f.
func Render(w io.Writer, r *Report, f Format) error {
	switch f {
	case FormatTable:
		return writeTable(w, r)
	case FormatCSV:
		return writeCSV(w, r)
	case FormatJSON:
		return writeJSON(w, r)
	case FormatSeries:
		return writeSeries(w, r)
	case FormatHTML:
		return writeHTML(w, r)
	}
	return fmt.Errorf("unknown format %q", f)
}

// Title is the report's one-line title.
func (r *Report) Title() string { return "mobu report by " + string(r.By) }

// CountsLine sums up what was read, for headers.
func (r *Report) CountsLine() string {
	c := r.Counts
	s := fmt.Sprintf("%d read, %d in window", c.Events, c.InWindow)
	if c.Unknown > 0 {
		s += fmt.Sprintf(", %d with an unknown name ignored", c.Unknown)
	}
	if c.Bad > 0 {
		s += fmt.Sprintf(", %d bad lines skipped", c.Bad)
	}
	return s
}

// human formats a time statistic; "-" for a row without timed events.
func human(row Row, d time.Duration) string {
	if row.Timed == 0 {
		return "-"
	}
	return report.FormatDuration(d)
}

// seconds formats d as seconds with millisecond precision.
func seconds(d time.Duration) string { return strconv.FormatFloat(secondsValue(d), 'f', 3, 64) }

func secondsValue(d time.Duration) float64 { return math.Round(d.Seconds()*1000) / 1000 }

func writeTable(w io.Writer, r *Report) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\ninput:  %s\nwindow: %s\nevents: %s\n\n", r.Title(), strings.Join(r.Inputs, ", "),
		r.Window, r.CountsLine())
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "TOTAL\tMAX\tAVG\tP50\tP95\tCOUNT\tFAILURES\t"
	if r.By == ByCell {
		head += "CELL\t"
	}
	fmt.Fprintln(tw, head+"  NAME")
	for _, row := range r.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t", human(row, row.Total), human(row, row.Max),
			human(row, row.Avg), human(row, row.P50), human(row, row.P95), row.Count, row.Failures)
		if r.By == ByCell {
			fmt.Fprintf(tw, "#%d\t", row.CellNumber)
		}
		fmt.Fprintln(tw, "  "+row.Name)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if r.Empty() {
		fmt.Fprintf(&b, "(%s)\n", r.EmptyMessage())
	}
	_, err := w.Write(b.Bytes())
	return err
}

func writeCSV(w io.Writer, r *Report) error {
	cw := csv.NewWriter(w)
	head := []string{"name", "total", "max", "avg", "p50", "p95", "count", "failures"}
	if r.By == ByCell {
		head = append(head[:1], append([]string{"cell_number"}, head[1:]...)...)
	}
	cw.Write(head)
	for _, row := range r.Rows {
		rec := []string{row.Name, seconds(row.Total), seconds(row.Max), seconds(row.Avg), seconds(row.P50),
			seconds(row.P95), strconv.Itoa(row.Count), strconv.Itoa(row.Failures)}
		if r.By == ByCell {
			rec = append(rec[:1], append([]string{strconv.Itoa(row.CellNumber)}, rec[1:]...)...)
		}
		cw.Write(rec)
	}
	cw.Flush()
	return cw.Error()
}

// jsonRow is a row in the json format: times in seconds.
type jsonRow struct {
	Name     string  `json:"name"`
	Total    float64 `json:"total"`
	Max      float64 `json:"max"`
	Avg      float64 `json:"avg"`
	P50      float64 `json:"p50"`
	P95      float64 `json:"p95"`
	Count    int     `json:"count"`
	Failures int     `json:"failures"`
}

func writeJSON(w io.Writer, r *Report) error {
	var b bytes.Buffer
	b.WriteString("[")
	for i, row := range r.Rows {
		line, err := json.Marshal(jsonRow{Name: row.Name, Total: secondsValue(row.Total), Max: secondsValue(row.Max),
			Avg: secondsValue(row.Avg), P50: secondsValue(row.P50), P95: secondsValue(row.P95),
			Count: row.Count, Failures: row.Failures})
		if err != nil {
			return fmt.Errorf("encoding row %q: %w", row.Name, err)
		}
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n  ")
		b.Write(line)
	}
	if len(r.Rows) > 0 {
		b.WriteString("\n")
	}
	b.WriteString("]\n")
	_, err := w.Write(b.Bytes())
	return err
}

func writeSeries(w io.Writer, r *Report) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"timepoint", "measurement", "label", "monkey"})
	for _, p := range r.Series {
		cw.Write([]string{strconv.FormatInt(p.Time.UnixNano(), 10), seconds(p.Duration), p.Label, p.Monkey})
	}
	cw.Flush()
	return cw.Error()
}
