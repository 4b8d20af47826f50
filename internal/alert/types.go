package alert

import (
	"fmt"
	"time"
)

// Failure is one failed check, as reported by a monkey.
type Failure struct {
	Flock    string
	Monkey   string
	User     string
	Business string
	// Phase is the step that failed: login, spawn, kernel, cell, parse,
	// delete… ("" when unknown).
	Phase string
	// Notebook is the notebook's path; "" for failures outside a notebook
	// (login, spawn…).
	Notebook   string
	CellID     string
	CellNumber int
	// Code is the failing cell's source.
	Code string
	// Error is a one-line description of the error.
	Error string
	// ErrorType is the exception name (ZeroDivisionError) or a phase-level
	// kind ("spawn timeout").
	ErrorType string
	// Traceback may contain ANSI escapes; they are stripped when rendered.
	Traceback        string
	Image            string
	ImageDescription string
	Node             string
	TraceID          string
	Started          time.Time
	Failed           time.Time
}

// Status is the content of the daily status message.
type Status struct {
	Environment string
	// ReplicaIndex (0-based) and ReplicaCount say which replica sends it:
	// each replica reports only its own share of the monkeys, so with more
	// than one the message names its replica.
	ReplicaIndex, ReplicaCount int
	Flocks                     []FlockStatus
}

// replica is "replica 2 of 3" for the second of three replicas, "" when the
// service runs alone.
func (s Status) replica() string {
	if s.ReplicaCount <= 1 {
		return ""
	}
	return fmt.Sprintf("replica %d of %d", s.ReplicaIndex+1, s.ReplicaCount)
}

// FlockStatus is one flock's line in the status message.
type FlockStatus struct {
	Name      string
	Business  string
	Monkeys   int
	Running   int // monkeys currently running
	Errors    int // monkeys currently in error
	Successes int64
	Failures  int64
}

// SuccessRate is Successes / (Successes + Failures), between 0 and 1; ok is
// false when there were no runs at all.
func (f FlockStatus) SuccessRate() (rate float64, ok bool) {
	return successRate(f.Successes, f.Failures)
}

// Total sums the flocks of s into one line named "Overall".
func (s Status) Total() FlockStatus {
	t := FlockStatus{Name: "Overall"}
	for _, f := range s.Flocks {
		t.Monkeys += f.Monkeys
		t.Running += f.Running
		t.Errors += f.Errors
		t.Successes += f.Successes
		t.Failures += f.Failures
	}
	return t
}

func successRate(successes, failures int64) (float64, bool) {
	runs := successes + failures
	if runs <= 0 {
		return 0, false
	}
	return float64(successes) / float64(runs), true
}

// Kind says what a Message is about.
type Kind string

// The kinds of messages.
const (
	KindFailure  Kind = "failure"
	KindResolved Kind = "resolved"
	KindStatus   Kind = "status"
)

// Message is what the alerter hands to every Target. Only the fields of its
// Kind are set.
type Message struct {
	Kind Kind
	// At is when the alerter produced the message.
	At time.Time

	// Failure is the failure being reported (KindFailure).
	Failure Failure
	// Suppressed counts the failures of the same key that were not reported
	// since LastAlert (KindFailure).
	Suppressed int
	// LastAlert is when the key was last reported; zero if never
	// (KindFailure).
	LastAlert time.Time

	// Resolution describes a recovered check (KindResolved).
	Resolution Resolution

	// Status is the status report (KindStatus).
	Status Status
}

// Resolution is a failing check that passed again.
type Resolution struct {
	Flock      string
	Business   string
	Notebook   string
	CellID     string
	CellNumber int
	ErrorType  string
	// Error is the last failure's error line.
	Error string
	// FailingSince is when the first failure was recorded.
	FailingSince time.Time
	// Resolved is when the check passed again.
	Resolved time.Time
	// Failures counts the failures between FailingSince and Resolved.
	Failures int
}

// Duration is how long the check was failing.
func (r Resolution) Duration() time.Duration {
	return r.Resolved.Sub(r.FailingSince)
}
