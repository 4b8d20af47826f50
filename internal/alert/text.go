package alert

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ellipsis marks where text was cut.
const ellipsis = "…"

// escape escapes the characters that Slack's mrkdwn treats as control
// characters: &, < and >.
func escape(s string) string {
	if !strings.ContainsAny(s, "&<>") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		b.WriteString(escapeRune(r))
	}
	return b.String()
}

func escapeRune(r rune) string {
	switch r {
	case '&':
		return "&amp;"
	case '<':
		return "&lt;"
	case '>':
		return "&gt;"
	}
	return string(r)
}

// escapedLen is the length in characters of r once escaped.
func escapedLen(r rune) int {
	return utf8.RuneCountInString(escapeRune(r))
}

// escapeTail escapes s and, if that makes more than limit characters, keeps
// the end: "…" followed by as many whole characters as fit.
func escapeTail(s string, limit int) string {
	if textLen(s, escapedLen) <= limit {
		return escape(s)
	}
	budget := limit - utf8.RuneCountInString(ellipsis)
	start := len(s)
	for start > 0 {
		r, size := utf8.DecodeLastRuneInString(s[:start])
		n := escapedLen(r)
		if n > budget {
			break
		}
		budget -= n
		start -= size
	}
	return ellipsis + escape(s[start:])
}

// escapeHead escapes s and, if that makes more than limit characters, keeps
// the start followed by "…".
func escapeHead(s string, limit int) string {
	return truncateHead(s, limit, escapedLen, escapeRune)
}

// cutHead keeps at most limit characters of plain text s, ending with "…"
// when it was cut.
func cutHead(s string, limit int) string {
	return truncateHead(s, limit, func(rune) int { return 1 }, func(r rune) string { return string(r) })
}

func truncateHead(s string, limit int, size func(rune) int, render func(rune) string) string {
	var b strings.Builder
	if textLen(s, size) <= limit {
		for _, r := range s {
			b.WriteString(render(r))
		}
		return b.String()
	}
	budget := limit - utf8.RuneCountInString(ellipsis)
	for _, r := range s {
		n := size(r)
		if n > budget {
			break
		}
		budget -= n
		b.WriteString(render(r))
	}
	return b.String() + ellipsis
}

// textLen is the length in characters of s rendered with size.
func textLen(s string, size func(rune) int) int {
	n := 0
	for _, r := range s {
		n += size(r)
	}
	return n
}

// stripANSI removes terminal escape sequences (colours in Jupyter
// tracebacks): CSI (ESC [ … final), OSC (ESC ] … BEL or ESC \) and
// plain escapes (ESC intermediates final).
func stripANSI(s string) string {
	if !strings.Contains(s, "\x1b") && !strings.Contains(s, "\u009b") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		if n := ansiLen(s[i:]); n > 0 {
			i += n
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// ansiLen is the length of the escape sequence s starts with, 0 if none.
func ansiLen(s string) int {
	switch {
	case strings.HasPrefix(s, "\u009b"):
		return len("\u009b") + csiLen(s[len("\u009b"):])
	case len(s) < 2 || s[0] != 0x1b:
		return 0
	case s[1] == '[':
		return 2 + csiLen(s[2:])
	case s[1] == ']':
		return 2 + oscLen(s[2:])
	default:
		return 1 + escLen(s[1:])
	}
}

// escLen is the length of a plain escape's intermediate bytes (ESC ( B)
// and final byte.
func escLen(s string) int {
	i := 0
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f {
		i++
	}
	if i < len(s) {
		i++
	}
	return i
}

// csiLen is the length of a CSI sequence's parameters and final byte.
func csiLen(s string) int {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 0x40 && c <= 0x7e: // final byte
			return i + 1
		case c < 0x20 || c > 0x7e: // malformed: drop the introducer only
			return i
		}
	}
	return len(s)
}

// oscLen is the length of an OSC sequence's payload and terminator.
func oscLen(s string) int {
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == 0x07:
			return i + 1
		case s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\':
			return i + 2
		}
	}
	return len(s)
}

// formatTime renders t in UTC to the second, "" for the zero time.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// formatSince renders a past time briefly: "14:02 UTC" on the day of now,
// "2024-05-01 14:02 UTC" before.
func formatSince(t, now time.Time) string {
	t, now = t.UTC(), now.UTC()
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		return t.Format("15:04 UTC")
	}
	return t.Format("2006-01-02 15:04 UTC")
}

// formatDuration rounds d for people: "1h5m0s" becomes "1h 5m".
func formatDuration(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	switch {
	case h > 0:
		return strconv.Itoa(h) + "h " + strconv.Itoa(m) + "m"
	case m > 0:
		return strconv.Itoa(m) + "m " + strconv.Itoa(s) + "s"
	default:
		return strconv.Itoa(s) + "s"
	}
}
