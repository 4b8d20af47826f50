// Package report renders run results for people and tools: live progress lines, an end-of-run summary, and JUnit XML.
package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mobu-dev/mobu/internal/notebook"
)

// FormatDuration formats d for reports with a precision that suits its size:
// 0.012s below a second, 3.21s below ten seconds, 12.3s below a minute, then
// 1m02s and 1h02m03s.
func FormatDuration(d time.Duration) string {
	if d < 0 {
		return "-" + FormatDuration(-d)
	}
	if r := d.Round(time.Millisecond); r < time.Second {
		return fmt.Sprintf("%.3fs", r.Seconds())
	}
	if r := d.Round(10 * time.Millisecond); r < 10*time.Second {
		return fmt.Sprintf("%.2fs", r.Seconds())
	}
	if r := d.Round(100 * time.Millisecond); r < time.Minute {
		return fmt.Sprintf("%.1fs", r.Seconds())
	}
	s := int64(d.Round(time.Second) / time.Second)
	if s < 3600 {
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	}
	return fmt.Sprintf("%dh%02dm%02ds", s/3600, s/60%60, s%60)
}

// cellLine describes one cell's outcome on one line, without indentation:
// "✓ [2/3] cell a1b2c3  0.012s (kernel 0.003s)". total <= 0 shows "[2]".
func cellLine(cr notebook.CellResult, total int) string {
	pos := fmt.Sprintf("[%d/%d]", cr.Cell.Number, total)
	if total <= 0 {
		pos = fmt.Sprintf("[%d]", cr.Cell.Number)
	}
	mark, detail := "✓", timing(cr)
	switch cr.Status {
	case notebook.CellPassed:
	case notebook.CellExpected:
		detail = timing(cr, "raised as expected")
	case notebook.CellFailed:
		mark, detail = "✗", strings.TrimSpace(timing(cr)+"  failed")
	case notebook.CellSkipped:
		mark, detail = "–", "skipped (skip-execution)"
	case notebook.CellEmpty:
		mark, detail = "–", "empty (not sent)"
	default:
		mark, detail = "?", string(cr.Status)
	}
	return fmt.Sprintf("%s %s cell %s  %s", mark, pos, oneLine(cr.Cell.ID), detail)
}

// timing is "0.012s (kernel 0.003s, notes...)", or "" when the kernel
// never answered.
func timing(cr notebook.CellResult, notes ...string) string {
	if !cr.Ran {
		return ""
	}
	var extra []string
	if cr.HasKernelDuration {
		extra = append(extra, "kernel "+FormatDuration(cr.KernelDuration))
	}
	extra = append(extra, notes...)
	s := FormatDuration(cr.Duration)
	if len(extra) > 0 {
		s += " (" + strings.Join(extra, ", ") + ")"
	}
	return s
}

// lines splits text into lines, ignoring one trailing newline; "" has none.
func lines(text string) []string {
	text = strings.TrimSuffix(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	if text == "" {
		return nil
	}
	return strings.Split(text, "\n")
}

// lastLines returns at most the last n lines of text and how many were cut.
func lastLines(text string, n int) (kept []string, cut int) {
	all := lines(text)
	if len(all) <= n {
		return all, 0
	}
	return all[len(all)-n:], len(all) - n
}

// firstLine is the first line of s.
func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return strings.TrimSuffix(first, "\r")
}

// oneLine replaces line breaks so that s cannot break a line-based layout.
func oneLine(s string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}

// hangIndent indents every line of s after the first by indent.
func hangIndent(s, indent string) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+indent)
}

// stripControl drops the characters XML 1.0 does not allow (control
// characters other than tab, newline and carriage return, surrogates, U+FFFE
// and U+FFFF) and replaces invalid UTF-8 with U+FFFD. It keeps terminals
// safe too: a stray escape character cannot move the cursor.
func stripControl(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20, r >= 0xD800 && r <= 0xDFFF, r == 0xFFFE, r == 0xFFFF:
			return -1
		}
		return r
	}, s)
}

// errWriter remembers the first write error so that callers can write
// freely and check once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) {
	fmt.Fprintf(e, format, args...)
}
