package analysis

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/events"
)

func TestParseLine(t *testing.T) {
	at := time.Date(2026, 3, 10, 12, 0, 13, 0, time.UTC)
	// A line as the JSON lines sink writes it, through the events codec.
	d := 0.5
	e := &events.NotebookCellExecution{Base: events.NewBase(at, "alpha", "NotebookRunnerList", "bot-mobu-a1"),
		NotebookBase: events.NotebookBase{Notebook: "a.ipynb", Repo: "r", RepoHash: "unknown"},
		Duration:     &d, CellID: "c1", Success: true, CellNumber: 2}
	e.ID, e.Application = "id", "mobu"
	sink, err := events.MarshalLine(e)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseLine(sink)
	want := Measurement{Event: events.NameNotebookCellExecution, Time: at, Flock: "alpha", Username: "bot-mobu-a1",
		Notebook: "a.ipynb", CellID: "c1", CellNumber: 2, Duration: 500 * time.Millisecond, Timed: true, Success: true}
	if err != nil || m != want {
		t.Fatalf("ParseLine(sink line) = %+v, %v\nwant %+v", m, err, want)
	}

	tests := []struct {
		line string
		want Measurement
		err  string
	}{
		{`{"event":"nublado_spawn_lab","timestamp":"2026-03-10T12:00:13Z","flock":null,"username":"u","duration":8,"success":false}`,
			Measurement{Event: events.NameSpawnLab, Time: at, Flock: NoFlock, Username: "u", Duration: 8 * time.Second, Timed: true}, ""},
		{`{"event":"notebook_execution","timestamp_ns":1773144013000000000,"flock":"beta","duration":null,"success":false}`,
			Measurement{Event: events.NameNotebookExecution, Time: at, Flock: "beta"}, ""},
		{`{"event":"nublado_frobnicate","timestamp":"2026-03-10T12:00:13Z"}`, Measurement{}, "unknown event name"},
		{`{"event":"nublado_login","timestamp":"2026-03-10T12:00:13Z","dura`, Measurement{}, "truncated JSON"},
		{"\x00\x00garbage", Measurement{}, "invalid JSON"},
		{`{"timestamp":"2026-03-10T12:00:13Z"}`, Measurement{}, `no "event" name`},
		{`{"event":"nublado_login","duration":1}`, Measurement{}, "no timestamp"},
		{`{"event":"nublado_login","timestamp":"2026-03-10T12:00:13Z","duration":-1}`, Measurement{}, "out of range"},
		{`{"event":"nublado_login","timestamp":"2026-03-10T12:00:13Z","duration":"1"}`, Measurement{}, "invalid event"},
	}
	for _, tt := range tests {
		m, err := ParseLine([]byte(tt.line))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseLine(%s) error %v, want %q", tt.line, err, tt.err)
			}
			continue
		}
		if err != nil || m != tt.want {
			t.Errorf("ParseLine(%s) = %+v, %v\nwant %+v", tt.line, m, err, tt.want)
		}
	}
	if _, err := ParseLine([]byte(`{"event":"x","timestamp_ns":1}`)); !errors.Is(err, ErrUnknownEvent) {
		t.Errorf("unknown event: %v, want ErrUnknownEvent", err)
	}
}

// Each grouping takes its events: cells only for cell (never flock or
// monkey, they are inside notebooks), skipped cells and empty loops nowhere.
func TestKey(t *testing.T) {
	cell := Measurement{Event: events.NameNotebookCellExecution, Flock: "f", Username: "u", Notebook: "n.ipynb", CellID: "c"}
	skipped := cell
	skipped.Skipped = true
	nb := Measurement{Event: events.NameNotebookExecution, Flock: "f", Username: "u", Notebook: "n.ipynb"}
	spawn := Measurement{Event: events.NameSpawnLab, Flock: NoFlock, Username: "u"}
	py := Measurement{Event: events.NamePythonExecution, Flock: "f", Username: "u"}
	loop := Measurement{Event: events.NameEmptyLoop, Flock: "f", Username: "u"}
	tests := []struct {
		m    Measurement
		want map[Grouping]string // absent: not counted
	}{
		{cell, map[Grouping]string{ByStage: StageCell, ByCell: "n.ipynb#c"}},
		{skipped, map[Grouping]string{}},
		{nb, map[Grouping]string{ByStage: StageNotebook, ByNotebook: "n.ipynb", ByFlock: "f", ByMonkey: "u"}},
		{spawn, map[Grouping]string{ByStage: StageSpawn, ByFlock: NoFlock, ByMonkey: "u"}},
		{py, map[Grouping]string{ByStage: StagePython, ByFlock: "f", ByMonkey: "u"}},
		{loop, map[Grouping]string{}},
	}
	for _, tt := range tests {
		for _, g := range []Grouping{ByStage, ByNotebook, ByCell, ByFlock, ByMonkey} {
			key, ok := tt.m.Key(g)
			want, wantOK := tt.want[g]
			if ok != wantOK || key != want {
				t.Errorf("%s (skipped %v) by %s = %q, %v; want %q, %v", tt.m.Event, tt.m.Skipped, g, key, ok, want, wantOK)
			}
		}
	}
}
