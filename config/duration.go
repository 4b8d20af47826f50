package config

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Duration is a time.Duration written the way Safir's HumanTimedelta reads it:
// a number (or numeric string) of seconds, or integer groups of weeks, days,
// hours, minutes and seconds in that order ("5m30s", "1h", "4h 3minutes").
// Go duration strings ("1.5s", "250ms") are accepted as well.
type Duration time.Duration

var humanDuration = regexp.MustCompile(`^\s*` +
	`(?:(?P<w>\d+)\s*(?:weeks|week|w))?\s*` +
	`(?:(?P<d>\d+)\s*(?:days|day|d))?\s*` +
	`(?:(?P<h>\d+)\s*(?:hours|hour|hr|h))?\s*` +
	`(?:(?P<m>\d+)\s*(?:minutes|minute|mins|min|m))?\s*` +
	`(?:(?P<s>\d+)\s*(?:seconds|second|secs|sec|s))?\s*$`)

var durationUnits = map[string]time.Duration{
	"w": 7 * 24 * time.Hour, "d": 24 * time.Hour, "h": time.Hour, "m": time.Minute, "s": time.Second,
}

// ParseDuration parses a human duration; see Duration.
func ParseDuration(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, fmt.Errorf("empty duration")
	}
	if secs, err := strconv.ParseFloat(t, 64); err == nil {
		return secondsToDuration(secs, s)
	}
	if m := humanDuration.FindStringSubmatch(t); m != nil {
		var total time.Duration
		for i, name := range humanDuration.SubexpNames() {
			if name == "" || m[i] == "" {
				continue
			}
			n, err := strconv.ParseInt(m[i], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("invalid duration %q: %w", s, err)
			}
			total += time.Duration(n) * durationUnits[name]
		}
		return total, nil
	}
	if d, err := time.ParseDuration(t); err == nil {
		if d < 0 {
			return 0, fmt.Errorf("invalid duration %q: must not be negative", s)
		}
		return d, nil
	}
	return 0, fmt.Errorf("invalid duration %q: want seconds or a form like 5m30s, 1h, 2d", s)
}

func secondsToDuration(secs float64, orig string) (time.Duration, error) {
	if secs < 0 || secs != secs || secs > float64(1<<62)/float64(time.Second) {
		return 0, fmt.Errorf("invalid duration %q: must be a non-negative number of seconds", orig)
	}
	return time.Duration(secs * float64(time.Second)), nil
}

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String renders the duration the Go way ("5m30s").
func (d Duration) String() string { return time.Duration(d).String() }

// Seconds returns the duration in (fractional) seconds.
func (d Duration) Seconds() float64 { return time.Duration(d).Seconds() }

// UnmarshalYAML accepts a number of seconds or a human duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: duration must be a number or a string", n.Line)
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes float seconds, as mobu echoes durations.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(d.Seconds())
}

// UnmarshalJSON accepts float seconds or a human duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var raw any
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	var v time.Duration
	var err error
	switch x := raw.(type) {
	case float64:
		v, err = secondsToDuration(x, string(b))
	case string:
		v, err = ParseDuration(x)
	default:
		err = fmt.Errorf("duration must be a number of seconds or a string, got %s", b)
	}
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}
