package events_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mobu-dev/mobu/internal/events"
)

// stopFailing publishes n events to a queue whose sink always fails and
// closes it at once, leaving them in dir.
func stopFailing(t *testing.T, dir string, maxBytes int64, n int) events.Stats {
	t.Helper()
	q := events.NewQueue(&scriptSink{script: failAlways},
		events.QueueOptions{SpoolDir: dir, SpoolMaxBytes: maxBytes, After: newClock(true).After})
	for i := range n {
		q.Publish(ev("old", i))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := q.Close(ctx); err == nil || !strings.Contains(err.Error(), "kept in "+dir) {
		t.Fatalf("Close = %v, want events kept in %s", err, dir)
	}
	s := q.Stats()
	checkBalance(t, s)
	return s
}

// restart delivers what dir holds with a working sink, plus newer events.
func restart(t *testing.T, dir string, newer int) (*scriptSink, events.Stats) {
	t.Helper()
	sink := &scriptSink{}
	q := events.NewQueue(sink, events.QueueOptions{SpoolDir: dir, After: newClock(false).After})
	for i := range newer {
		q.Publish(ev("new", i))
	}
	if err := q.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) != 0 {
		t.Errorf("spool files left after delivery: %v", left)
	}
	checkBalance(t, q.Stats())
	return sink, q.Stats()
}

func TestRestartDeliversPreviousRunFirst(t *testing.T) {
	dir := t.TempDir()
	if s := stopFailing(t, dir, 0, 20); s.Pending != 20 || s.Dropped != 0 {
		t.Fatalf("first run stats %+v, want 20 pending", s)
	}
	sink, s := restart(t, dir, 5)
	if s.Resumed != 20 || s.Written != 25 || s.Published != 5 {
		t.Fatalf("second run stats %+v, want 20 resumed, 25 written", s)
	}
	for i, e := range sink.got {
		user, seq := seqOf(t, e)
		if i < 20 && (user != "old" || seq != i) || i >= 20 && (user != "new" || seq != i-20) {
			t.Fatalf("event %d is %s/%d: the previous run's must come first, in order", i, user, seq)
		}
	}
}

func TestSpoolBoundDropsOldestExactly(t *testing.T) {
	dir := t.TempDir()
	line := spooledLine("old")
	capacity, perSegment := 40, 5 // segments are an eighth of the bound
	s := stopFailing(t, dir, int64(capacity*len(line)), 300)
	// The 296th line starts a segment after evicting the oldest: 35+5 kept.
	if s.Pending != 40 || s.Dropped != 260 || s.Spilled != 300 {
		t.Fatalf("first run stats %+v, want 40 pending, 260 dropped", s)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "segment-*.jsonl"))
	if len(files) != capacity/perSegment {
		t.Errorf("%d segment files, want %d", len(files), capacity/perSegment)
	}
	sink, rs := restart(t, dir, 0)
	if rs.Resumed != 40 || rs.Written != 40 || len(sink.got) != 40 {
		t.Fatalf("second run stats %+v, want the 40 newest delivered", rs)
	}
	for i, e := range sink.got {
		if _, seq := seqOf(t, e); seq != 260+i {
			t.Fatalf("delivered %d at %d, want %d", seq, i, 260+i)
		}
	}
}

func TestResumeSkipsDamagedLines(t *testing.T) {
	dir := t.TempDir()
	var data []byte
	for i, bad := range []bool{false, false, true, false} {
		line, _ := events.MarshalLine(ev("old", i))
		if bad {
			line = []byte("{not json\n")
		}
		data = append(data, line...)
	}
	data = append(data, `{"event":"empty_loop","id":"cut short by a cr`...)
	if err := os.WriteFile(filepath.Join(dir, "segment-00000000000000000007.jsonl"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a segment"), 0o644)
	q := events.NewQueue(&scriptSink{}, events.QueueOptions{SpoolDir: dir})
	if err := q.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := q.Stats()
	if s.Resumed != 4 || s.Written != 3 || s.Dropped != 1 || s.SpoolErrors != 1 {
		t.Fatalf("stats %+v, want 4 resumed, 3 written, 1 dropped with a spool error", s)
	}
	checkBalance(t, s)
	if _, err := os.Stat(filepath.Join(dir, "notes.txt")); err != nil {
		t.Errorf("a file that is no segment was touched: %v", err)
	}
}

func TestSpoolFailureDropsAndCounts(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)
	dir := filepath.Join(t.TempDir(), "spool")
	tests := []struct {
		name     string
		spoolDir string
		lose     func() // breaks the spool once the first event is in it; nil: it never worked
	}{
		{"unusable directory", filepath.Join(file, "spool"), nil},
		{"directory removed", dir, func() { os.RemoveAll(dir) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock(true)
			sink := &scriptSink{script: failFirst(2)}
			q := events.NewQueue(sink, events.QueueOptions{SpoolDir: tt.spoolDir, After: clk.After})
			q.Publish(ev("u", 0)) // write fails: spooled, or dropped without a directory
			<-clk.scheduled
			if tt.lose != nil {
				tt.lose()
				clk.fire() // the retry finds the spool unreadable: dropped
			}
			q.Publish(ev("u", 1)) // write fails again, the spool cannot take it: dropped
			<-clk.scheduled
			q.Publish(ev("u", 2)) // the spool is empty: written at the retry or by Close
			if err := q.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			s := q.Stats()
			if s.Dropped != 2 || s.Written != 1 || s.SpoolErrors == 0 || s.Retries != 2 {
				t.Fatalf("stats %+v, want 2 dropped, 1 written, spool errors counted", s)
			}
			checkBalance(t, s)
		})
	}
}
