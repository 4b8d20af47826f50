package ci

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// GitHub's limits on check run output.
const (
	maxOutputChars = 65535    // output.summary and output.text
	maxMessage     = 64 << 10 // an annotation's message
	maxTitle       = 255      // an annotation's title
)

// code is s as an inline code span on one line, whatever backticks it holds.
func code(s string) string {
	s = oneLine(s)
	if s == "" {
		return "` `"
	}
	ticks := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return ticks + s + ticks
}

// cell makes s safe inside a Markdown table cell.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// fence is body as a fenced code block tagged lang (may be empty).
func fence(body, lang string) string {
	ticks := strings.Repeat("`", max(3, longestRun(body, '`')+1))
	return ticks + lang + "\n" + strings.TrimRight(body, "\n") + "\n" + ticks + "\n"
}

func longestRun(s string, c byte) int {
	best, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] != c {
			run = 0
			continue
		}
		run++
		best = max(best, run)
	}
	return best
}

// oneLine joins s's lines with spaces and drops control characters.
func oneLine(s string) string {
	return strings.Join(strings.Fields(clean(s)), " ")
}

// clean drops ANSI escape sequences and control characters other than
// newlines and tabs, and replaces invalid UTF-8.
func clean(s string) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\r\n", "\n"), "\uFFFD")
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] == 0x1b {
			i += escapeLen(s[i:])
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == '\n' || r == '\t' || !unicode.IsControl(r) {
			b.WriteRune(r)
		}
		i += n
	}
	return b.String()
}

// escapeLen is the length of the ANSI escape sequence at the start of s
// (CSI "ESC [ params final" or a two-byte escape).
func escapeLen(s string) int {
	if len(s) < 2 || s[1] != '[' {
		return min(len(s), 2)
	}
	for i := 2; i < len(s); i++ {
		if s[i] >= 0x40 && s[i] <= 0x7e {
			return i + 1
		}
	}
	return len(s)
}

// truncate cuts s to at most n bytes on a rune boundary, ending in "…".
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// keepTail keeps the last maxLines lines (0: any) and at most about
// maxBytes bytes (0: any) of s, starting at a line when it can, and says
// what was cut on a first line.
func keepTail(s string, maxLines, maxBytes int) string {
	s = strings.TrimRight(s, "\n")
	keep := s
	if maxLines > 0 {
		if i := nthLastNewline(keep, maxLines); i >= 0 {
			keep = keep[i+1:]
		}
	}
	if maxBytes > 0 && len(keep) > maxBytes {
		start := len(keep) - maxBytes
		for start < len(keep) && !utf8.RuneStart(keep[start]) {
			start++
		}
		if nl := strings.IndexByte(keep[start:], '\n'); nl >= 0 && start+nl+1 < len(keep) {
			start += nl + 1
		}
		keep = keep[start:]
	}
	if len(keep) == len(s) {
		return s
	}
	cut := s[:len(s)-len(keep)]
	if strings.HasSuffix(cut, "\n") {
		n := strings.Count(cut, "\n")
		return fmt.Sprintf("[… %s cut]\n%s", plural(n, "earlier line"), keep)
	}
	return fmt.Sprintf("[… %s cut]\n%s", plural(utf8.RuneCountInString(cut), "earlier character"), keep)
}

// nthLastNewline is the index of the newline before the last n lines of s,
// or -1 when s has n lines or fewer.
func nthLastNewline(s string, n int) int {
	i := len(s)
	for ; n > 0; n-- {
		i = strings.LastIndexByte(s[:i], '\n')
		if i < 0 {
			return -1
		}
	}
	return i
}

// plural is "1 notebook", "2 notebooks", "1,234 notebooks".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return thousands(n) + " " + noun + "s"
}

// thousands writes n with comma separators.
func thousands(n int) string {
	if n < 0 {
		return "-" + thousands(-n)
	}
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
