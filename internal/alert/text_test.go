package alert

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	if got := escape("a < b && c > d"); got != "a &lt; b &amp;&amp; c &gt; d" {
		t.Errorf("escape = %q", got)
	}
	if got := escape("plain"); got != "plain" {
		t.Errorf("escape = %q", got)
	}
}

func TestEscapeTail(t *testing.T) {
	tests := []struct {
		in    string
		limit int
		want  string
	}{
		{"short", 10, "short"},
		{"abcdefghij", 5, "…ghij"},
		{"a<b<c", 6, "…&lt;c"}, // never half an entity
		{"a<b<c", 5, "…c"},
		{"ééééé", 3, "…éé"},
	}
	for _, tt := range tests {
		got := escapeTail(tt.in, tt.limit)
		if got != tt.want || utf8.RuneCountInString(got) > tt.limit {
			t.Errorf("escapeTail(%q, %d) = %q, want %q", tt.in, tt.limit, got, tt.want)
		}
	}
}

func TestEscapeHead(t *testing.T) {
	tests := []struct {
		in    string
		limit int
		want  string
	}{
		{"short", 10, "short"},
		{"abcdefghij", 5, "abcd…"},
		{"a&b", 6, "a…"},
		{"a&b", 7, "a&amp;b"},
	}
	for _, tt := range tests {
		if got := escapeHead(tt.in, tt.limit); got != tt.want {
			t.Errorf("escapeHead(%q, %d) = %q, want %q", tt.in, tt.limit, got, tt.want)
		}
	}
}

func TestStripANSI(t *testing.T) {
	tests := map[string]string{
		"\x1b[0;31mZeroDivisionError\x1b[0m: x":      "ZeroDivisionError: x",
		"\x1b[1;32m--> \x1b[39m1\x1b[39m x = 1/0":    "--> 1 x = 1/0",
		"\x1b]8;;http://x\x07link\x1b]8;;\x1b\\ end": "link end",
		"keep [brackets] and é":                      "keep [brackets] and é",
		"cut \x1b[31":                                "cut ",
		"\x1b(Bcharset":                              "charset",
	}
	for in, want := range tests {
		if got := stripANSI(in); got != want {
			t.Errorf("stripANSI(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFormatSince(t *testing.T) {
	now := t0()
	if got := formatSince(now.Add(-time.Hour), now); got != "13:02 UTC" {
		t.Errorf("same day: %q", got)
	}
	if got := formatSince(now.Add(-24*time.Hour), now); got != "2024-04-30 14:02 UTC" {
		t.Errorf("day before: %q", got)
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		65 * time.Minute: "1h 5m", 90 * time.Second: "1m 30s", 1500 * time.Millisecond: "2s", 50 * time.Hour: "50h 0m",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestTail(t *testing.T) {
	if got := tail(strings.Repeat("a", 10)+"end", 5); got != "…aend" {
		t.Errorf("tail = %q", got)
	}
}
