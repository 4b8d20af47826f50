// Package analysis turns recorded mobu events (JSON lines, from files or the
// Kafka topic) into timing reports: it reads each line into a small
// Measurement, keeps the ones in a time window, groups them by stage,
// notebook, cell, flock or monkey, ranks the groups by total time and renders
// the ranking as a table, CSV, JSON, a time series or one self-contained HTML
// page.
package analysis

import (
	"fmt"
	"time"

	"github.com/mobu-dev/mobu/config"
)

// Grouping says what one row of a report stands for.
type Grouping string

// The groupings. Flock and monkey rows add up the work items that do not
// overlap: notebook and Python executions and the lab stages, never cells
// (they are inside notebooks).
const (
	ByStage    Grouping = "stage"
	ByNotebook Grouping = "notebook"
	ByCell     Grouping = "cell"
	ByFlock    Grouping = "flock"
	ByMonkey   Grouping = "monkey"
)

// Format is an output format.
type Format string

// The formats.
const (
	FormatTable  Format = "table"
	FormatCSV    Format = "csv"
	FormatJSON   Format = "json"
	FormatHTML   Format = "html"
	FormatSeries Format = "series"
)

// ParseGrouping checks a --by value.
func ParseGrouping(s string) (Grouping, error) {
	switch g := Grouping(s); g {
	case ByStage, ByNotebook, ByCell, ByFlock, ByMonkey:
		return g, nil
	}
	return "", fmt.Errorf("unknown grouping %q (stage, notebook, cell, flock or monkey)", s)
}

// ParseFormat checks a --format value.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case FormatTable, FormatCSV, FormatJSON, FormatHTML, FormatSeries:
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q (table, csv, json, html or series)", s)
}

// Window selects events by their timestamp; a zero bound is open. Both
// bounds are included.
type Window struct {
	Since, Until time.Time
}

// Contains reports whether t is in the window.
func (w Window) Contains(t time.Time) bool {
	return (w.Since.IsZero() || !t.Before(w.Since)) && (w.Until.IsZero() || !t.After(w.Until))
}

// String describes the window for report headers.
func (w Window) String() string {
	const layout = time.RFC3339Nano
	switch {
	case w.Since.IsZero() && w.Until.IsZero():
		return "all events"
	case w.Until.IsZero():
		return "since " + w.Since.UTC().Format(layout)
	case w.Since.IsZero():
		return "until " + w.Until.UTC().Format(layout)
	}
	return w.Since.UTC().Format(layout) + " to " + w.Until.UTC().Format(layout)
}

// ParseTime reads a window bound: an RFC 3339 time, or a duration ("1h",
// "30m", "2d") meaning that long before now.
func ParseTime(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	d, err := config.ParseDuration(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time nor a duration", s)
	}
	return now.Add(-d), nil
}

// NewWindow builds a window from --since and --until values ("" = open).
func NewWindow(since, until string, now time.Time) (Window, error) {
	var w Window
	var err error
	if since != "" {
		if w.Since, err = ParseTime(since, now); err != nil {
			return w, fmt.Errorf("--since: %w", err)
		}
	}
	if until != "" {
		if w.Until, err = ParseTime(until, now); err != nil {
			return w, fmt.Errorf("--until: %w", err)
		}
	}
	if !w.Since.IsZero() && !w.Until.IsZero() && w.Until.Before(w.Since) {
		return w, fmt.Errorf("--until %s is before --since %s", until, since)
	}
	return w, nil
}
