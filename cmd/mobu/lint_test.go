package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateLint = flag.Bool("update", false, "rewrite the golden files of `mobu lint` tests")

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
			checkLintGolden(t, filepath.Join(dir, tt.name+".golden"), got)
		})
	}
}

// checkLintGolden compares got with the golden file, rewriting it with -update.
func checkLintGolden(t *testing.T, path, got string) {
	t.Helper()
	if *updateLint {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run with -update to accept):\n--- got ---\n%s--- want ---\n%s", path, got, want)
	}
}

func TestLintExamplesClean(t *testing.T) {
	code, got := lintRun(t, t.Context(), "../../examples/notebooks")
	if code != 0 || strings.Contains(got, ": cell ") || !strings.Contains(got, "0 notebooks with stored outputs (0 cells); ") {
		t.Errorf("bundled examples are not clean (clear their outputs and execution counts):\n%s", got)
	}
}
