package alert

import (
	"cmp"
	"maps"
	"slices"
	"sync"
	"time"
)

// checkKey is what Passed resolves: a flock's notebook ("" outside one).
type checkKey struct{ flock, notebook string }

// failureKey completes a checkKey into the deduplication key.
type failureKey struct{ cellID, errorType string }

// entry is an open (failing) key.
type entry struct {
	failingSince time.Time
	lastAlert    time.Time // zero while never reported
	failures     int       // since failingSince
	suppressed   int       // not reported since lastAlert
	last         Failure
}

// dedup holds the open keys, grouped by check so Passed is one lookup.
type dedup struct {
	mu   sync.Mutex
	open map[checkKey]map[failureKey]*entry
}

// Failed records f and queues an alert unless a failure of the same key was
// reported less than the quiet period ago. It never blocks: when the queue
// is full the message is dropped and counted.
func (a *Alerter) Failed(f Failure) {
	now := a.now()
	ck := checkKey{f.Flock, f.Notebook}
	fk := failureKey{f.CellID, f.ErrorType}
	d := &a.dedup
	d.mu.Lock()
	defer d.mu.Unlock()
	e := d.entry(ck, fk, now)
	e.failures++
	e.last = f
	if !e.lastAlert.IsZero() && now.Sub(e.lastAlert) < a.quiet {
		e.suppressed++
		a.suppressed.Add(1)
		return
	}
	m := Message{Kind: KindFailure, At: now, Failure: f, Suppressed: e.suppressed, LastAlert: e.lastAlert}
	if !a.enqueue(m) {
		e.suppressed++ // not reported: mention it next time
		return
	}
	e.lastAlert = now
	e.suppressed = 0
}

// entry returns the open entry of (ck, fk), opening it if needed. The
// caller holds d.mu.
func (d *dedup) entry(ck checkKey, fk failureKey, now time.Time) *entry {
	byFailure := d.open[ck]
	if byFailure == nil {
		byFailure = map[failureKey]*entry{}
		d.open[ck] = byFailure
	}
	e := byFailure[fk]
	if e == nil {
		e = &entry{failingSince: now}
		byFailure[fk] = e
	}
	return e
}

// Passed tells that a check of flock passed: every open key of (flock,
// notebook) is closed and, if it was reported, resolved by one message.
// notebook "" resolves failures outside notebooks (login, spawn…). It costs
// one map lookup when nothing is open.
func (a *Alerter) Passed(flock, notebook string) {
	now := a.now()
	d := &a.dedup
	d.mu.Lock()
	defer d.mu.Unlock()
	ck := checkKey{flock, notebook}
	byFailure, ok := d.open[ck]
	if !ok {
		return
	}
	delete(d.open, ck)
	keys := slices.SortedFunc(maps.Keys(byFailure), compareFailureKeys)
	for _, k := range keys {
		e := byFailure[k]
		if e.lastAlert.IsZero() {
			continue // never reported: nothing to resolve
		}
		a.enqueue(Message{Kind: KindResolved, At: now, Resolution: e.resolution(now)})
	}
}

func compareFailureKeys(a, b failureKey) int {
	return cmp.Or(cmp.Compare(a.cellID, b.cellID), cmp.Compare(a.errorType, b.errorType))
}

func (e *entry) resolution(now time.Time) Resolution {
	f := e.last
	return Resolution{
		Flock:        f.Flock,
		Business:     f.Business,
		Notebook:     f.Notebook,
		CellID:       f.CellID,
		CellNumber:   f.CellNumber,
		ErrorType:    f.ErrorType,
		Error:        f.Error,
		FailingSince: e.failingSince,
		Resolved:     now,
		Failures:     e.failures,
	}
}

// ForgetFlock drops the open failures of a deleted flock, without a
// resolved message, so a flock created again under its name starts fresh:
// its first failure alerts at once and its passes resolve nothing old.
func (a *Alerter) ForgetFlock(flock string) {
	d := &a.dedup
	d.mu.Lock()
	defer d.mu.Unlock()
	for ck := range d.open {
		if ck.flock == flock {
			delete(d.open, ck)
		}
	}
}

// OpenFailures returns how many keys are failing.
func (a *Alerter) OpenFailures() int {
	d := &a.dedup
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, byFailure := range d.open {
		n += len(byFailure)
	}
	return n
}
