package report

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/golden"
	"github.com/mobu-dev/mobu/internal/notebook"
)

func TestFormatDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0.000s"},
		{12 * time.Millisecond, "0.012s"},
		{999*time.Millisecond + 600*time.Microsecond, "1.00s"},
		{3210 * time.Millisecond, "3.21s"},
		{9996 * time.Millisecond, "10.0s"},
		{12345 * time.Millisecond, "12.3s"},
		{59960 * time.Millisecond, "1m00s"},
		{62 * time.Second, "1m02s"},
		{62*time.Minute + 3*time.Second, "1h02m03s"},
		{-1500 * time.Millisecond, "-1.50s"},
	} {
		if got := FormatDuration(tc.d); got != tc.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestSummaryGolden(t *testing.T) {
	for _, tc := range []struct {
		golden string
		batch  *notebook.BatchResult
		wall   time.Duration
	}{
		{"summary.golden", fixtureBatch(), 72*time.Second + 400*time.Millisecond},
		{"summary_spawn_failed.golden", spawnFailedBatch(), 10*time.Minute + 800*time.Millisecond},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteSummary(&buf, tc.batch, tc.wall); err != nil {
				t.Fatal(err)
			}
			if bytes.ContainsAny(buf.Bytes(), "\x00\x0b\x1b") {
				t.Error("summary holds control characters")
			}
			golden.Check(t, tc.golden, buf.Bytes())
		})
	}
}

func TestSummaryTruncates(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteSummary(&buf, fixtureBatch(), time.Second); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"    | [6 earlier lines cut]\n    | x = 7\n",                 // 26 code lines, last 20 kept
		"    | [11 earlier lines cut]\n    |   frame 10\n",           // 41 traceback lines, last 30 kept
		"    | [4 earlier lines cut]\n    | progress 5\n",            // 14 output lines, last 10 kept
		"    | ValueError: température invalide: −3 °C\n  output:\n", // traceback ends before the output
		"\n2 passed, 3 failed in 1.00s\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
	if strings.Contains(out, "x = 6\n") || strings.Contains(out, "frame 9\n") || strings.Contains(out, "progress 4\n") {
		t.Error("summary keeps lines that should be cut")
	}
}

func TestSummaryOnlyPassed(t *testing.T) {
	b := fixtureBatch()
	b.Notebooks, b.Cleanup = b.Notebooks[:1], nil
	b.Stages = nil
	var buf bytes.Buffer
	if err := WriteSummary(&buf, b, 1500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, absent := range []string{"Failures", "Stages", "cleanup error"} {
		if strings.Contains(out, absent) {
			t.Errorf("summary of a clean run shows %q:\n%s", absent, out)
		}
	}
	if !strings.HasSuffix(out, "\n1 passed, 0 failed in 1.50s\n") {
		t.Errorf("bad last line:\n%s", out)
	}
}

type failingWriter struct{ n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.n--; w.n < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestWriteErrors(t *testing.T) {
	for n := range 3 {
		if err := WriteSummary(&failingWriter{n: n}, fixtureBatch(), time.Second); err == nil {
			t.Errorf("WriteSummary after %d writes: no error", n)
		}
		if err := WriteJUnit(&failingWriter{n: n}, fixtureBatch(), "mobu", time.Time{}); err == nil {
			t.Errorf("WriteJUnit after %d writes: no error", n)
		}
	}
}
