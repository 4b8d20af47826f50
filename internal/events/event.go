// Package events defines the events mobu publishes (Sasquatch / Safir app
// metrics compatible), their JSON line codec, a Publisher (Queue) that never
// blocks its caller and keeps events in an on-disk spool while the backend is
// down, and the Sink interface that event backends (JSON lines, Kafka)
// implement.
package events

import (
	"errors"
	"fmt"
	"time"
)

// Event is one published event. Concrete types embed Base.
type Event interface {
	// Name is the event type, e.g. "notebook_cell_execution".
	Name() string
	// Common returns the shared fields so a publisher can stamp them.
	Common() *Base
	// Validate reports a missing or bad field.
	Validate() error
}

// Base holds the fields every event has, in mobu's registered order.
type Base struct {
	ID          string    `json:"id"`
	Application string    `json:"application"`
	Timestamp   time.Time `json:"timestamp"`
	TimestampNS int64     `json:"timestamp_ns"`
	Flock       *string   `json:"flock"`
	Business    string    `json:"business"`
	Username    string    `json:"username"`
}

// NewBase returns a Base for an event completed at now. flock is "" for runs
// outside a flock (one-shot runs, CI), which publish a null flock.
func NewBase(now time.Time, flock, business, username string) Base {
	now = now.UTC() // Avro timestamps carry no zone: keep every sink's view identical
	b := Base{Timestamp: now, TimestampNS: now.UnixNano(), Business: business, Username: username}
	if flock != "" {
		b.Flock = &flock
	}
	return b
}

// Common returns b itself.
func (b *Base) Common() *Base { return b }

func (b *Base) validate() error {
	var errs []error
	if b.ID == "" {
		errs = append(errs, errors.New("id is empty"))
	}
	if b.Application == "" {
		errs = append(errs, errors.New("application is empty"))
	}
	if b.Timestamp.IsZero() || b.TimestampNS != b.Timestamp.UnixNano() {
		errs = append(errs, errors.New("timestamp and timestamp_ns must be set to the same instant"))
	}
	if b.Business == "" {
		errs = append(errs, errors.New("business is empty"))
	}
	if b.Username == "" {
		errs = append(errs, errors.New("username is empty"))
	}
	return errors.Join(errs...)
}

// Seconds converts a duration to the float seconds events carry.
func Seconds(d time.Duration) float64 { return d.Seconds() }

// OptSeconds converts a duration to nullable float seconds; ok=false gives null.
func OptSeconds(d time.Duration, ok bool) *float64 {
	if !ok {
		return nil
	}
	s := d.Seconds()
	return &s
}

func checkDuration(name string, d *float64) error {
	if d != nil && (*d < 0 || *d != *d) {
		return fmt.Errorf("%s must be a non-negative number of seconds, got %v", name, *d)
	}
	return nil
}
