package monkeylog

import (
	"encoding"
	"fmt"
	"log/slog"
	"reflect"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"
)

const (
	lineTime  = "2006-01-02 15:04:05"           // record times, always UTC
	valueTime = "2006-01-02T15:04:05.000Z07:00" // time attributes, as slog.TextHandler
)

// appendHeader appends "2026-11-21 19:02:31 INFO  message". The level is
// padded to five characters. A message with control characters (such as a
// newline) is quoted so that each record stays on one line.
func appendHeader(buf []byte, t time.Time, level slog.Level, msg string) []byte {
	if t.IsZero() {
		t = time.Now()
	}
	buf = t.UTC().AppendFormat(buf, lineTime)
	buf = append(buf, ' ')
	start := len(buf)
	buf = append(buf, level.String()...)
	for len(buf)-start < 5 {
		buf = append(buf, ' ')
	}
	buf = append(buf, ' ')
	for i := 0; i < len(msg); i++ {
		if msg[i] < ' ' {
			return strconv.AppendQuote(buf, msg)
		}
	}
	return append(buf, msg...)
}

// appendAttr appends " key=value" for a, with prefix before the key. Group
// values are flattened to " prefix.group.key=value"; empty attributes and
// empty groups are omitted, as slog requires.
func appendAttr(buf []byte, prefix string, a slog.Attr) []byte {
	a.Value = a.Value.Resolve()
	kind := a.Value.Kind()
	if a.Key == "" && kind == slog.KindAny && a.Value.Any() == nil {
		return buf
	}
	if kind == slog.KindGroup {
		if a.Key != "" {
			prefix += a.Key + "."
		}
		for _, ga := range a.Value.Group() {
			buf = appendAttr(buf, prefix, ga)
		}
		return buf
	}
	buf = append(buf, ' ')
	if (prefix == "" && a.Key == "") || !safe(prefix) || !safe(a.Key) {
		buf = strconv.AppendQuote(buf, prefix+a.Key)
	} else {
		buf = append(buf, prefix...)
		buf = append(buf, a.Key...)
	}
	buf = append(buf, '=')
	return appendValue(buf, a.Value)
}

// appendValue formats v like slog.TextHandler.
func appendValue(buf []byte, v slog.Value) []byte {
	switch v.Kind() {
	case slog.KindString:
		return appendString(buf, v.String())
	case slog.KindInt64:
		return strconv.AppendInt(buf, v.Int64(), 10)
	case slog.KindUint64:
		return strconv.AppendUint(buf, v.Uint64(), 10)
	case slog.KindFloat64:
		return strconv.AppendFloat(buf, v.Float64(), 'g', -1, 64)
	case slog.KindBool:
		return strconv.AppendBool(buf, v.Bool())
	case slog.KindDuration:
		return append(buf, v.Duration().String()...)
	case slog.KindTime:
		return v.Time().AppendFormat(buf, valueTime)
	default:
		return appendAny(buf, v.Any())
	}
}

func appendAny(buf []byte, x any) []byte {
	if rv := reflect.ValueOf(x); rv.Kind() == reflect.Pointer && rv.IsNil() {
		return append(buf, "<nil>"...)
	}
	switch x := x.(type) {
	case encoding.TextMarshaler:
		data, err := x.MarshalText()
		if err != nil {
			return appendString(buf, "!ERROR:"+err.Error())
		}
		return appendString(buf, string(data))
	case []byte:
		return strconv.AppendQuote(buf, string(x))
	}
	return appendString(buf, fmt.Sprintf("%+v", x))
}

// appendString appends s, quoted with strconv.Quote if slog.TextHandler
// would quote it.
func appendString(buf []byte, s string) []byte {
	if s == "" || !safe(s) {
		return strconv.AppendQuote(buf, s)
	}
	return append(buf, s...)
}

// safe reports whether s has none of the characters that make
// slog.TextHandler quote a string: space, '=', '"', control characters,
// Unicode spaces, non-printable runes and invalid UTF-8.
func safe(s string) bool {
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b <= ' ' || b == '=' || b == '"' {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return false
		}
		i += size
	}
	return true
}
