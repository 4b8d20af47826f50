package flock

import (
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/mobu-dev/mobu/internal/notebook"
)

// FailureRecord is one failed execution with what it takes to act on it:
// where it failed, the cell's code and traceback, the lab and the trace.
type FailureRecord struct {
	Time       time.Time `json:"time"`    // when it failed
	Started    time.Time `json:"started"` // when the failed startup or execution began
	Monkey     string    `json:"monkey"`
	Business   string    `json:"business"`
	Phase      string    `json:"phase,omitempty"`
	Notebook   string    `json:"notebook,omitempty"`
	CellID     string    `json:"cell_id,omitempty"`
	CellNumber int       `json:"cell_number,omitempty"`
	Code       string    `json:"code,omitempty"`
	Error      string    `json:"error"`
	ErrorType  string    `json:"error_type"` // exception name, or "<phase> error"
	Traceback  string    `json:"traceback,omitempty"`
	Image      *LabImage `json:"image,omitempty"`
	Node       string    `json:"node,omitempty"`
	TraceID    string    `json:"trace_id,omitempty"`
}

// Alerter is told of failures and recoveries. Both calls must return at
// once: they run on the monkeys' goroutines.
type Alerter interface {
	// Failed reports a monkey's failed startup or execution.
	Failed(flock string, f FailureRecord)
	// Passed reports that a notebook of the flock ran cleanly, or with
	// notebook "" that a monkey's whole execution did.
	Passed(flock, notebook string)
}

// newFailureRecord describes err, with the details of a notebook failure
// when err carries one.
func newFailureRecord(m *Monkey, err error, started, now time.Time) FailureRecord {
	r := FailureRecord{Time: now, Started: started, Monkey: m.name, Business: m.typ, Error: err.Error(), ErrorType: "error"}
	var f *notebook.Failure
	if errors.As(err, &f) {
		r.Phase, r.Notebook, r.CellID, r.CellNumber = string(f.Phase), f.Notebook, f.CellID, f.CellNumber
		r.Code, r.Traceback, r.TraceID = f.Code, f.Traceback, f.TraceID
		r.ErrorType, r.Error = f.EName, f.Cause()
	} else if pe := (*phaseError)(nil); errors.As(err, &pe) {
		r.Phase = pe.phase
	}
	if se := (*notebook.StageError)(nil); r.TraceID == "" && errors.As(err, &se) {
		r.TraceID = se.TraceID // the lab session's trace of a login, spawn or lab delete
	}
	if r.ErrorType == "" || r.ErrorType == "error" {
		r.ErrorType = strings.TrimSpace(r.Phase + " error")
	}
	if l, ok := m.biz.(interface{ lastLab() (*LabImage, string) }); ok {
		r.Image, r.Node = l.lastLab()
	}
	return r
}

// phaseError names the lab lifecycle step that failed ("login: …").
type phaseError struct {
	phase string
	err   error
}

func (e *phaseError) Error() string { return e.phase + ": " + e.err.Error() }
func (e *phaseError) Unwrap() error { return e.err }

const failuresKept = 50 // per flock, newest first in the API

// failureLog keeps a flock's most recent failures.
type failureLog struct {
	mu   sync.Mutex
	ring ring[FailureRecord]
}

func newFailureLog() *failureLog { return &failureLog{ring: ring[FailureRecord]{max: failuresKept}} }

func (l *failureLog) add(r FailureRecord) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ring.add(r)
}

// recent returns up to n failures, newest first.
func (l *failureLog) recent(n int) []FailureRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]FailureRecord, 0, min(n, len(l.ring.buf)))
	for i := range min(n, len(l.ring.buf)) {
		out = append(out, l.ring.newest(i))
	}
	return out
}
