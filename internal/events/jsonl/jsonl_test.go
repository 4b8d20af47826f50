package jsonl

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/events"
	"github.com/mobu-dev/mobu/internal/golden"
)

func TestMarshalGolden(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 123456789, time.UTC)
	kd, d := 0.5012, 0.5108
	nb := events.NotebookBase{Notebook: "sleep.ipynb", Repo: "/examples", RepoHash: "unknown"}
	all := []events.Event{
		&events.NotebookCellExecution{Base: events.NewBase(now, "", "NotebookRunnerList", "bot-mobu-run"),
			NotebookBase: nb, Duration: &d, CellID: "sleep", Success: true, KernelDuration: &kd,
			TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", CellNumber: 2},
		&events.NotebookExecution{Base: events.NewBase(now, "demo", "NotebookRunnerList", "bot-mobu-run"),
			NotebookBase: nb, Duration: &d, Success: false, TraceID: "4bf92f3577b34da6a3ce929d0e0e4736"},
		events.NewStage(events.NameSpawnLab, events.NewBase(now, "", "NotebookRunnerList", "bot-mobu-run"), 3.25, true),
	}
	var buf bytes.Buffer
	s := New(&buf)
	for i, e := range all {
		e.Common().ID = "00000000-0000-4000-8000-00000000000" + string(rune('0'+i))
		e.Common().Application = "mobu"
	}
	if err := s.Write(context.Background(), all); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "events.golden.jsonl", buf.Bytes())
}

func TestCreateTruncatesOrAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "e.jsonl")
	for i, appendTo := range []bool{false, true, false} {
		s, err := Create(path, appendTo)
		if err != nil {
			t.Fatal(err)
		}
		e := &events.EmptyLoop{Base: events.NewBase(time.Now(), "f", "EmptyLoop", "u"), Success: true}
		s.Write(context.Background(), []events.Event{e})
		s.Close()
		data, _ := os.ReadFile(path)
		lines := bytes.Count(data, []byte("\n"))
		if want := []int{1, 2, 1}[i]; lines != want {
			t.Fatalf("step %d (append %v): %d lines, want %d", i, appendTo, lines, want)
		}
	}
	if _, err := Create(filepath.Join(t.TempDir(), "no", "such", "dir.jsonl"), false); err == nil {
		t.Fatal("Create in a missing directory succeeded")
	}
}
