package events_test

import (
	"bufio"
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/events"
)

func TestLineRoundTrip(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 123456789, time.FixedZone("CET", 3600))
	base := func(flock string) events.Base {
		b := events.NewBase(now, flock, "NotebookRunnerList", "bot-mobu-1")
		b.ID, b.Application = "id-1", "mobu"
		return b
	}
	d, kd := 0.1+0.2, 1e-9
	nb := events.NotebookBase{Notebook: "a/b.ipynb", Repo: "https://github.com/x/y", RepoRef: "main", RepoHash: "abc"}
	tests := []struct {
		name string
		e    events.Event
	}{
		{"notebook", &events.NotebookExecution{Base: base("f"), NotebookBase: nb, Duration: &d, Success: true, TraceID: "t"}},
		{"notebook null duration", &events.NotebookExecution{Base: base(""), NotebookBase: nb}},
		{"cell", &events.NotebookCellExecution{Base: base("f"), NotebookBase: nb, Duration: &d, CellID: "c\"1\n",
			KernelDuration: &kd, TraceID: "t", CellNumber: 3, Skipped: true}},
		{"python", &events.PythonExecution{Base: base("f"), Duration: &d, Success: true, Code: "print('é')\n"}},
		{"empty loop", &events.EmptyLoop{Base: base(""), Success: true}},
		{"login", events.NewStage(events.NameLogin, base("f"), 0.5, true)},
		{"spawn", events.NewStage(events.NameSpawnLab, base("f"), 12.25, false)},
		{"kernel", events.NewStage(events.NameStartKernel, base(""), 1, true)},
		{"delete session", events.NewStage(events.NameDeleteSession, base("f"), 0, true)},
		{"delete lab", events.NewStage(events.NameDeleteLab, base("f"), 3, true)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.e.Validate(); err != nil {
				t.Fatalf("test event invalid: %v", err)
			}
			line := mustMarshal(t, tt.e)
			back, err := events.UnmarshalLine(line)
			if err != nil {
				t.Fatal(err)
			}
			if reflect.TypeOf(back) != reflect.TypeOf(tt.e) || back.Name() != tt.e.Name() || back.Validate() != nil {
				t.Fatalf("decoded %T %q (valid: %v), want %T %q", back, back.Name(), back.Validate(), tt.e, tt.e.Name())
			}
			if again := mustMarshal(t, back); !bytes.Equal(again, line) {
				t.Fatalf("round trip differs:\n got %s\nwant %s", again, line)
			}
		})
	}
}

func TestLineRoundTripGolden(t *testing.T) {
	f, err := os.Open("jsonl/testdata/events.golden.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := append(sc.Bytes(), '\n')
		e, err := events.UnmarshalLine(line)
		if err != nil {
			t.Fatal(err)
		}
		if again := mustMarshal(t, e); !bytes.Equal(again, line) {
			t.Errorf("round trip differs:\n got %s\nwant %s", again, line)
		}
	}
}

func TestUnmarshalLineErrors(t *testing.T) {
	tests := []struct{ name, line, want string }{
		{"empty", "", "decoding event line"},
		{"bad json", `{"event":"empty_loop",`, "decoding event line"},
		{"not an object", `[1]`, "decoding event line"},
		{"no name", `{"id":"x"}`, `no "event" name`},
		{"unknown name", `{"event":"nublado_bogus"}`, `unknown event name "nublado_bogus"`},
		{"bad field", `{"event":"empty_loop","success":"yes"}`, "decoding empty_loop event"},
	}
	for _, tt := range tests {
		e, err := events.UnmarshalLine([]byte(tt.line))
		if err == nil || !strings.Contains(err.Error(), tt.want) || e != nil {
			t.Errorf("%s: UnmarshalLine = %v, %v; want error containing %q", tt.name, e, err, tt.want)
		}
	}
}

func mustMarshal(t *testing.T, e events.Event) []byte {
	t.Helper()
	line, err := events.MarshalLine(e)
	if err != nil {
		t.Fatal(err)
	}
	return line
}
