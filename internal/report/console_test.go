package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/mobu-dev/mobu/internal/golden"
	"github.com/mobu-dev/mobu/internal/notebook"
)

// replay drives c as a Batch would for b (OnStage, OnNotebook, OnCell,
// OnResult), spawn progress included.
func replay(c *Console, b *notebook.BatchResult) {
	c.Header("bot-mobu-run", "https://hub.example.org", len(b.Notebooks))
	st := 0
	next := func(nb string, names ...string) {
		for st < len(b.Stages) && b.Stages[st].Notebook == nb && (len(names) == 0 || contains(names, b.Stages[st].Stage)) {
			if b.Stages[st].Stage == notebook.StageSpawn {
				for _, p := range []struct {
					pct int
					msg string
				}{{0, "Server requested"}, {0, "Server requested"}, {50, "Pulling image «lab:w_2026_47»"},
					{50, "Pulling image «lab:w_2026_47»"}, {75, ""}, {100, "Server ready"}} {
					c.Progress(p.pct, p.msg)
				}
			}
			c.Stage(b.Stages[st])
			st++
		}
	}
	next("", notebook.StageLogin, notebook.StageSpawn)
	for _, r := range b.Notebooks {
		switch {
		case r.Passed() || r.Failure.Phase == notebook.PhaseCell:
			c.NotebookStart(r.Path, r.Total)
		case r.Failure.Phase == notebook.PhaseKernel:
			c.NotebookStart(r.Path, 2) // Batch knows the count; the Result does not
		}
		next(r.Path, notebook.StageKernelStart)
		for _, cr := range r.Cells {
			c.Cell(cr)
		}
		next(r.Path, notebook.StageSessionDelete)
		c.NotebookDone(r)
	}
	next("")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestConsoleGolden(t *testing.T) {
	for _, tc := range []struct {
		golden string
		batch  *notebook.BatchResult
	}{
		{"console.golden", fixtureBatch()},
		{"console_spawn_failed.golden", spawnFailedBatch()},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			var buf bytes.Buffer
			replay(NewConsole(&buf), tc.batch)
			if bytes.Contains(buf.Bytes(), []byte("\x1b")) || bytes.Contains(buf.Bytes(), []byte("\x00")) {
				t.Error("console output holds control characters")
			}
			golden.Check(t, tc.golden, buf.Bytes())
		})
	}
}

// TestConsoleFitsCallbacks checks at compile time that the methods plug
// into the callbacks of Batch and Runner.
func TestConsoleFitsCallbacks(t *testing.T) {
	c := NewConsole(io.Discard)
	_ = notebook.Batch{OnStage: c.Stage, OnNotebook: c.NotebookStart, OnResult: c.NotebookDone,
		Runner: &notebook.Runner{OnCell: c.Cell}}
}

func TestConsoleLines(t *testing.T) {
	var buf bytes.Buffer
	c := NewConsole(&buf)
	c.Cell(ran("early", 2, notebook.CellPassed, ms(5), 0)) // no NotebookStart: no total
	c.NotebookStart("one.ipynb", 1)
	c.NotebookStart("later.ipynb", 4)
	c.Cell(notebook.CellResult{Cell: notebook.Cell{ID: "x", Number: 4}, Status: notebook.CellFailed})
	c.Progress(10, "a")
	c.Stage(notebook.StageResult{Stage: notebook.StageSpawn, Duration: ms(400)})
	c.Progress(10, "a") // a new spawn shows its progress again
	want := strings.Join([]string{
		"    ✓ [2] cell early  0.005s",
		"▶ one.ipynb (1 code cell)",
		"▶ later.ipynb (4 code cells)",
		"    ✗ [4/4] cell x  failed",
		"  spawn  10% a",
		"  spawn            0.400s",
		"  spawn  10% a",
	}, "\n") + "\n"
	if buf.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", buf.String(), want)
	}
}

// TestConsoleConcurrent calls every method from several goroutines; run it
// with -race. Every line must come out whole.
func TestConsoleConcurrent(t *testing.T) {
	var buf bytes.Buffer
	c := NewConsole(&buf)
	b := fixtureBatch()
	const workers, rounds = 8, 50
	var wg sync.WaitGroup
	for g := range workers {
		wg.Go(func() {
			for i := range rounds {
				path := fmt.Sprintf("nb-%d.ipynb", g)
				c.Header("u", "https://hub", i)
				c.Progress(i, fmt.Sprintf("g%d", g))
				c.Stage(b.Stages[i%len(b.Stages)])
				c.NotebookStart(path, 3)
				c.Cell(b.Notebooks[0].Cells[i%3])
				c.NotebookDone(b.Notebooks[i%len(b.Notebooks)])
			}
		})
	}
	wg.Wait()
	counts := map[string]int{}
	for _, line := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "mobu: running "):
			counts["header"]++
		case strings.HasPrefix(line, "▶ nb-") && strings.HasSuffix(line, ".ipynb (3 code cells)"):
			counts["start"]++
		case strings.HasPrefix(line, "    ✓ [") && strings.Contains(line, "] cell "):
			counts["cell"]++
		case strings.HasPrefix(line, "  spawn ") && strings.HasSuffix(line, "%"), strings.Contains(line, "% g"):
			counts["progress"]++
		case strings.HasPrefix(line, "  ✓ passed in "), strings.HasPrefix(line, "  ✗ failed: "):
			counts["done"]++
		case strings.HasPrefix(line, "  "), strings.HasPrefix(line, "▶ examples/"):
			counts["other"]++ // stages, error continuation lines, NotebookDone's ▶ lines
		default:
			t.Fatalf("mangled line %q", line)
		}
	}
	for _, kind := range []string{"header", "start", "cell", "progress", "done"} {
		if counts[kind] != workers*rounds {
			t.Errorf("%d %s lines, want %d", counts[kind], kind, workers*rounds)
		}
	}
}
