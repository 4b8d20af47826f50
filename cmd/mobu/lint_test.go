package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mobu-dev/mobu/internal/golden"
)

// lintRun runs `mobu lint args...` in-process and renders its exit status
// and output as a golden-file transcript.
func lintRun(t *testing.T, ctx context.Context, args ...string) (int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	getenv := func(string) string { return "" }
	// The lead wires "lint" into run; until then call the command directly.
	code := exitCode(lintCommand(ctx, args, getenv, &stdout, &stderr), &stderr)
	return code, fmt.Sprintf("$ %s\n-- stdout --\n%s-- stderr --\n%s-- exit %d --\n",
		strings.Join(append([]string{"mobu lint"}, args...), " "), stdout.String(), stderr.String(), code)
}

func TestLint(t *testing.T) {
	const dir = "testdata/lint"
	canceled, cancel := context.WithCancel(t.Context())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		args []string
		code int
	}{
		{"clean", nil, []string{dir + "/clean.ipynb"}, 0},
		{"outputs", nil, []string{dir + "/outputs.ipynb"}, 1},
		{"counts", nil, []string{dir + "/counts.ipynb", dir + "/clean.ipynb"}, 1},
		{"invalid", nil, []string{dir + "/invalid.ipynb", dir + "/outputs.ipynb", dir + "/clean.ipynb"}, 2},
		{"bad-outputs", nil, []string{dir + "/bad-outputs.ipynb"}, 2},
		{"directory", nil, []string{dir}, 2},
		{"duplicates", nil, []string{dir + "/counts.ipynb", "./" + dir + "/counts.ipynb"}, 1},
		{"missing", nil, []string{dir + "/missing.ipynb", dir + "/outputs.ipynb", dir + "/clean.ipynb"}, 2},
		{"not-notebook", nil, []string{dir + "/clean.golden"}, 2},
		{"no-args", nil, nil, 2},
		{"help", nil, []string{"-h"}, 0},
		{"bad-flag", nil, []string{"-x", dir}, 2},
		{"canceled", canceled, []string{dir + "/clean.ipynb"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := tt.ctx
			if ctx == nil {
				ctx = t.Context()
			}
			code, got := lintRun(t, ctx, tt.args...)
			if code != tt.code {
				t.Errorf("exit status %d, want %d", code, tt.code)
			}
			golden.Check(t, filepath.Join("lint", tt.name+".golden"), []byte(got))
		})
	}
}

func TestLintExamplesClean(t *testing.T) {
	code, got := lintRun(t, t.Context(), "../../examples/notebooks")
	if code != 0 || strings.Contains(got, ": cell ") || !strings.Contains(got, "0 notebooks with stored outputs (0 cells); ") {
		t.Errorf("bundled examples are not clean (clear their outputs and execution counts):\n%s", got)
	}
}
