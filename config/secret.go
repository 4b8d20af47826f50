package config

import (
	"encoding/json"
	"log/slog"
)

const redacted = "**********"

// Secret is a string that never prints itself: fmt, slog and JSON show a fixed
// mask. Call Reveal where the value is really needed (an auth header).
type Secret string

// Reveal returns the secret value.
func (s Secret) Reveal() string { return string(s) }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s == "" }

// String masks the value for fmt.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString masks the value for %#v.
func (s Secret) GoString() string { return `config.Secret("` + s.String() + `")` }

// LogValue masks the value for log/slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON masks the value in JSON output.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalText masks the value for text encoders (yaml, slog's text handler).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
