package analysis

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/testbrowser"
)

// writePage renders r as html into a file and returns its file:// URL and
// content.
func writePage(t *testing.T, r *Report) (string, string) {
	t.Helper()
	var b bytes.Buffer
	if err := Render(&b, r, FormatHTML); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return "file://" + path, b.String()
}

// The page as Chromium shows it: title, ranking, stage breakdown and one
// mark per executed cell in the window, with nothing fetched from anywhere.
func TestHTMLInBrowser(t *testing.T) {
	b := testbrowser.Start(t)
	tests := []struct {
		name            string
		by              Grouping
		since           string
		first           string
		marks, failures int
		bars            map[string]stageBar // some stages' bars, as shown
	}{
		// 9 cell executions with durations but one null, and two skipped cells: 8 marks, b.ipynb#b2 failed.
		// Spawns total 59 s (the longest), lab deletes 31 s (testdata/golden/stage.txt).
		{"all", ByStage, "", "spawn", 8, 1, map[string]stageBar{
			"spawn": {"59.0s (5 events, 1 failed)", 1}, "lab delete": {"31.0s (4 events, 1 failed)", 31.0 / 59},
			"login": {"2.50s (4 events, 0 failed)", 2.5 / 59}}},
		// From 12:01: a2's two timed cells and run's two.
		{"window", ByCell, "2026-03-10T12:01:00Z", "c.ipynb#x2", 4, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := NewWindow(tt.since, "", time.Now())
			if err != nil {
				t.Fatal(err)
			}
			url, page := writePage(t, collect(t, Options{By: tt.by, Window: w, Format: FormatHTML}, fixture))
			if strings.Contains(page, "http://") || strings.Contains(page, "https://") {
				t.Errorf("the page refers to the network:\n%s", page)
			}
			text := b.Text(t, url, "#cells")
			if title := testbrowser.Eval[string](t, b, `document.title`); title != "mobu report by "+string(tt.by) {
				t.Errorf("title %q", title)
			}
			if !strings.Contains(text, "mobu report by "+string(tt.by)) || !strings.Contains(text, "Window: "+w.String()) {
				t.Errorf("page text lacks the heading or window:\n%s", text)
			}
			first := testbrowser.Eval[string](t, b, `document.querySelector("#ranking tbody tr td.name").innerText`)
			if first != tt.first {
				t.Errorf("first ranked row %q, want %q", first, tt.first)
			}
			stages := testbrowser.Eval[[]string](t, b, `[...document.querySelectorAll("#stages th")].map(e => e.innerText)`)
			if got := strings.Join(stages, ","); got != strings.Join(stageOrder(), ",") {
				t.Errorf("stage breakdown labels %s", got)
			}
			for name, want := range tt.bars {
				checkBar(t, b, name, want)
			}
			marks := testbrowser.Eval[int](t, b, `document.querySelectorAll("#cells .mark").length`)
			failed := testbrowser.Eval[int](t, b, `document.querySelectorAll("#cells .mark.failed").length`)
			if marks != tt.marks || failed != tt.failures {
				t.Errorf("%d marks (%d failed), want %d (%d)", marks, failed, tt.marks, tt.failures)
			}
			external := testbrowser.Eval[int](t, b,
				`document.querySelectorAll("[src], [href], link, script, iframe, object, embed").length`)
			if external != 0 {
				t.Errorf("%d elements that could load a resource", external)
			}
			ticks := testbrowser.Eval[int](t, b, `[...document.querySelectorAll("#cells text")].length`)
			if ticks < 6 {
				t.Errorf("only %d axis labels", ticks)
			}
		})
	}
}

// stageBar is a stage's bar in the breakdown: the value shown beside it
// and its rendered width as a fraction of its track's content box.
type stageBar struct {
	value string
	width float64
}

// checkBar compares the rendered bar of stage name with want.
func checkBar(t *testing.T, b *testbrowser.Browser, name string, want stageBar) {
	t.Helper()
	row := `[...document.querySelectorAll("#stages tr")].find(r => r.querySelector("th").innerText === ` +
		strconv.Quote(name) + `)`
	value := testbrowser.Eval[string](t, b, row+`.querySelector("td.value").innerText`)
	width := testbrowser.Eval[float64](t, b, `(r => { const td = r.querySelector("td.track"), cs = getComputedStyle(td); `+
		`return r.querySelector(".bar").getBoundingClientRect().width / `+
		`(td.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight)); })(`+row+`)`)
	if value != want.value || math.Abs(width-want.width) > 0.02 {
		t.Errorf("%s bar: %q at %.3f of its track, want %q at %.3f", name, value, width, want.value, want.width)
	}
}

// Names from events are text, never markup.
func TestHTMLEscapes(t *testing.T) {
	c := NewCollector(Options{By: ByCell, Format: FormatHTML})
	at := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	c.Add(&Measurement{Event: "notebook_cell_execution", Time: at, Flock: NoFlock, Username: "bot-mobu-x",
		Notebook: `<img src=x onerror=alert(1)>.ipynb`, CellID: `"><b>c</b>`, CellNumber: 1, Duration: time.Second,
		Timed: true, Success: true})
	url, page := writePage(t, c.Report())
	if strings.Contains(page, "<img") || strings.Contains(page, "<b>") {
		t.Fatalf("markup from an event reached the page:\n%s", page)
	}
	b := testbrowser.Start(t)
	text := b.Text(t, url, "#cells")
	if !strings.Contains(text, `<img src=x onerror=alert(1)>.ipynb#"><b>c</b>`) {
		t.Errorf("the name is not shown as text:\n%s", text)
	}
	if n := testbrowser.Eval[int](t, b, `document.querySelectorAll("img, b").length`); n != 0 {
		t.Errorf("%d injected elements", n)
	}
}
