package github

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Lengths are measured in bytes of UTF-8. GitHub documents its limits in
// characters; a string of at most n bytes has at most n characters (and at
// most n UTF-16 units), so a byte bound is safe however GitHub counts.

// truncateMiddle returns s, made valid UTF-8, if it fits in limit bytes;
// otherwise its head and tail around a marker saying how many characters
// were cut, cut on character boundaries, in at most limit bytes. The tail
// is kept because a failure's cause is usually at the end of a log.
func truncateMiddle(s string, limit int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= limit {
		return s
	}
	// The marker's length with the widest count it can hold.
	room := limit - len(marker(len(s)))
	if room < 2 {
		return truncateEnd(s, limit)
	}
	head := room / 2
	for head > 0 && !utf8.RuneStart(s[head]) {
		head--
	}
	tail := len(s) - (room - head)
	for tail < len(s) && !utf8.RuneStart(s[tail]) {
		tail++
	}
	return s[:head] + marker(utf8.RuneCountInString(s[head:tail])) + s[tail:]
}

func marker(omitted int) string {
	return fmt.Sprintf("\n\n… %s characters truncated …\n\n", strconv.Itoa(omitted))
}

// truncateEnd returns s, made valid UTF-8, cut on a character boundary to
// at most limit bytes with a trailing "…" when it does not fit.
func truncateEnd(s string, limit int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= limit {
		return s
	}
	const ellipsis = "…"
	cut := limit - len(ellipsis)
	if cut < 0 {
		return ""
	}
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}
