package analysis

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/mobu-dev/mobu/internal/events"
)

// NoFlock names the flock of events published outside a flock (null flock).
const NoFlock = "(none)"

// Stage row names, in lab lifecycle order.
const (
	StageLogin         = "login"
	StageSpawn         = "spawn"
	StageKernelStart   = "kernel start"
	StageNotebook      = "notebook"
	StageCell          = "cell"
	StagePython        = "python"
	StageSessionDelete = "session delete"
	StageLabDelete     = "lab delete"
)

// ErrUnknownEvent is returned by ParseLine for a well-formed line whose event
// name this version does not know; such lines are counted and ignored.
var ErrUnknownEvent = errors.New("unknown event name")

// Measurement is what a report needs of one event.
type Measurement struct {
	Event      string    // event name, e.g. events.NameSpawnLab
	Time       time.Time // when the measured thing completed
	Flock      string    // NoFlock for a null flock
	Username   string
	Notebook   string // notebook events only
	CellID     string // cell events only
	CellNumber int    // cell events only
	Duration   time.Duration
	Timed      bool // false when the event's duration is null (or it has none)
	Success    bool
	Skipped    bool // a skipped cell
}

// line is the union of the event fields a Measurement reads.
type line struct {
	Event       *string   `json:"event"`
	Timestamp   time.Time `json:"timestamp"`
	TimestampNS int64     `json:"timestamp_ns"`
	Flock       *string   `json:"flock"`
	Username    string    `json:"username"`
	Notebook    string    `json:"notebook"`
	CellID      string    `json:"cell_id"`
	CellNumber  int       `json:"cell_number"`
	Duration    *float64  `json:"duration"`
	Success     bool      `json:"success"`
	Skipped     bool      `json:"skipped"`
}

// ParseLine reads one JSON line in the shape of the JSON lines sink (and of
// `mobu events tail`). The error says why a line is unusable; it wraps
// ErrUnknownEvent for an event name it does not know.
func ParseLine(b []byte) (Measurement, error) {
	var l line
	if err := json.Unmarshal(b, &l); err != nil {
		var syn *json.SyntaxError
		switch {
		case errors.As(err, &syn) && strings.Contains(err.Error(), "unexpected end"):
			return Measurement{}, errors.New("truncated JSON")
		case errors.As(err, &syn):
			return Measurement{}, fmt.Errorf("invalid JSON: %w", err)
		}
		return Measurement{}, fmt.Errorf("invalid event: %w", err)
	}
	if l.Event == nil || *l.Event == "" {
		return Measurement{}, errors.New(`no "event" name`)
	}
	if !knownEvent(*l.Event) {
		return Measurement{}, fmt.Errorf("%w %q", ErrUnknownEvent, *l.Event)
	}
	m := Measurement{Event: *l.Event, Flock: NoFlock, Username: l.Username, Notebook: l.Notebook,
		CellID: l.CellID, CellNumber: l.CellNumber, Success: l.Success, Skipped: l.Skipped}
	switch {
	case l.TimestampNS != 0:
		m.Time = time.Unix(0, l.TimestampNS).UTC()
	case !l.Timestamp.IsZero():
		m.Time = l.Timestamp.UTC()
	default:
		return Measurement{}, errors.New("no timestamp")
	}
	if l.Flock != nil && *l.Flock != "" {
		m.Flock = *l.Flock
	}
	if l.Duration != nil {
		s := *l.Duration
		if s < 0 || s > math.MaxInt64/1e9 {
			return Measurement{}, fmt.Errorf("duration %v out of range", s)
		}
		m.Duration, m.Timed = time.Duration(math.Round(s*1e9)), true
	}
	return m, nil
}

func knownEvent(name string) bool {
	switch name {
	case events.NameNotebookExecution, events.NameNotebookCellExecution, events.NamePythonExecution,
		events.NameSpawnLab, events.NameDeleteLab, events.NameLogin, events.NameStartKernel,
		events.NameDeleteSession, events.NameEmptyLoop:
		return true
	}
	return false
}

// Stage returns the stage row of m, or false for an event in no stage
// (empty loops, skipped cells).
func (m *Measurement) Stage() (string, bool) {
	switch m.Event {
	case events.NameLogin:
		return StageLogin, true
	case events.NameSpawnLab:
		return StageSpawn, true
	case events.NameStartKernel:
		return StageKernelStart, true
	case events.NameDeleteSession:
		return StageSessionDelete, true
	case events.NameDeleteLab:
		return StageLabDelete, true
	case events.NameNotebookExecution:
		return StageNotebook, true
	case events.NameNotebookCellExecution:
		return StageCell, !m.Skipped
	case events.NamePythonExecution:
		return StagePython, true
	}
	return "", false
}

// Key returns the row m belongs to under g, or false when g ignores it.
func (m *Measurement) Key(g Grouping) (string, bool) {
	stage, ok := m.Stage()
	if !ok {
		return "", false
	}
	switch {
	case g == ByStage:
		return stage, true
	case g == ByNotebook && stage == StageNotebook:
		return m.Notebook, true
	case g == ByCell && stage == StageCell:
		return m.Notebook + "#" + m.CellID, true
	case g == ByFlock && stage != StageCell:
		return m.Flock, true
	case g == ByMonkey && stage != StageCell:
		return m.Username, true
	}
	return "", false
}

// stageOrder is the lifecycle order of the stage rows.
func stageOrder() []string {
	return []string{StageLogin, StageSpawn, StageKernelStart, StageNotebook, StageCell, StagePython,
		StageSessionDelete, StageLabDelete}
}
