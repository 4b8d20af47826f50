package events

import (
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	now := time.Unix(1700000000, 5)
	good := func() *NotebookCellExecution {
		e := &NotebookCellExecution{
			Base:         NewBase(now, "", "NotebookRunnerList", "bot-mobu-x"),
			NotebookBase: NotebookBase{Notebook: "a.ipynb", Repo: "/r", RepoHash: "unknown"},
			CellID:       "c1", CellNumber: 1, Success: true, TraceID: "t",
		}
		e.ID, e.Application = "id", "mobu"
		return e
	}
	neg := -1.0
	tests := []struct {
		name   string
		mutate func(*NotebookCellExecution)
		want   string
	}{
		{"ok", func(*NotebookCellExecution) {}, ""},
		{"no cell id", func(e *NotebookCellExecution) { e.CellID = "" }, "cell_id is empty"},
		{"bad number", func(e *NotebookCellExecution) { e.CellNumber = 0 }, "cell_number must be ≥ 1"},
		{"no user", func(e *NotebookCellExecution) { e.Username = "" }, "username is empty"},
		{"no hash", func(e *NotebookCellExecution) { e.RepoHash = "" }, "repo_hash is empty"},
		{"neg", func(e *NotebookCellExecution) { e.KernelDuration = &neg }, "kernel_duration must be a non-negative"},
		{"ts", func(e *NotebookCellExecution) { e.TimestampNS++ }, "timestamp and timestamp_ns"},
	}
	for _, tt := range tests {
		e := good()
		tt.mutate(e)
		err := e.Validate()
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: Validate() = %v, want %q", tt.name, err, tt.want)
		}
	}
	if NewStage("nublado_bogus", good().Base, 1, true).Validate() == nil {
		t.Error("unknown stage name accepted")
	}
}
