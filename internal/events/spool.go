package events

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
)

// segmentMaxBytes bounds one spool segment file; smaller spools use an
// eighth of their bound so eviction stays fine-grained.
const segmentMaxBytes = 4 << 20

// segmentName matches spool segment files; the number orders them.
var segmentName = regexp.MustCompile(`^segment-(\d{20})\.jsonl$`)

// segment is one spool file of JSON lines (MarshalLine), oldest first.
type segment struct {
	seq   uint64
	path  string
	size  int64 // bytes in the file
	lines int   // complete lines in the file
	done  int   // lines delivered, rejected or dropped, from the start
}

// spool is the on-disk FIFO of events waiting for the sink. Only the writer
// goroutine uses it; counters are shared with Stats.
type spool struct {
	dir      string // "" until a private one is made, or when SpoolDir is unusable
	temp     bool   // dir is private: made when first needed, removed by close
	maxBytes int64
	segMax   int64
	log      *slog.Logger
	st       *counters
	segs     []*segment
	total    int64 // bytes in segs
	count    int   // undelivered lines in segs (mirrored in st.pending)
	next     uint64
	w        *os.File // appends to the last segment while non-nil
	buf      []byte
	failing  bool // the last spool operation failed (logged once)
	busy     int  // the oldest lines, being written now: never evicted
	reader
}

// openSpool uses dir (a private temp dir, made when first needed, if empty)
// and resumes the segments a previous run left there.
func openSpool(dir string, maxBytes int64, log *slog.Logger, st *counters) *spool {
	s := &spool{maxBytes: maxBytes, segMax: min(segmentMaxBytes, max(maxBytes/8, 1)), log: log, st: st}
	if dir == "" {
		s.temp = true // made at the first append
		return s
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		s.fail(fmt.Errorf("creating spool directory: %w", err))
		return s
	}
	s.dir = dir
	if err := s.resume(); err != nil {
		s.fail(err)
	}
	return s
}

// resume adopts the segments already in dir, oldest first.
func (s *spool) resume() error {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("reading spool directory: %w", err)
	}
	var errs []error
	for _, de := range entries {
		m := segmentName.FindStringSubmatch(de.Name())
		if m == nil || !de.Type().IsRegular() {
			continue
		}
		seq, _ := strconv.ParseUint(m[1], 10, 64)
		seg := &segment{seq: seq, path: filepath.Join(s.dir, de.Name())}
		s.next = max(s.next, seq+1)
		if err := seg.countLines(); err != nil {
			errs = append(errs, err)
			continue
		}
		if seg.lines == 0 {
			os.Remove(seg.path)
			continue
		}
		s.segs = append(s.segs, seg)
		s.total += seg.size
		s.addPending(seg.lines)
		s.st.resumed.Add(uint64(seg.lines))
	}
	if s.count > 0 {
		s.log.Info("resuming spooled events from a previous run", "count", s.count, "dir", s.dir)
	}
	s.makeRoom(0)
	return errors.Join(errs...)
}

// countLines sets size and lines from the file; a trailing partial line (a
// write interrupted by a crash) is not counted.
func (seg *segment) countLines() error {
	f, err := os.Open(seg.path)
	if err != nil {
		return fmt.Errorf("reading spool segment: %w", err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		n, err := f.Read(buf)
		seg.size += int64(n)
		seg.lines += bytes.Count(buf[:n], []byte{'\n'})
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading spool segment %s: %w", seg.path, err)
		}
	}
}

// append adds a batch at the end, evicting the oldest segments to stay
// within maxBytes. Events it cannot store are dropped and counted.
func (s *spool) append(batch []Event) {
	if s.dir == "" && s.temp {
		d, err := os.MkdirTemp("", "mobu-events-spool-")
		if err != nil {
			s.lose(len(batch), fmt.Errorf("creating spool directory: %w", err))
			return
		}
		s.dir = d
	}
	if s.dir == "" {
		s.lose(len(batch), errors.New("no usable spool directory"))
		return
	}
	n := 0
	for i, e := range batch {
		line, err := MarshalLine(e)
		if err == nil && int64(len(line)) > s.maxBytes {
			err = fmt.Errorf("%s event of %d bytes is larger than the spool", e.Name(), len(line))
		}
		if err != nil {
			s.lose(1, err)
			continue
		}
		if s.w == nil || s.tailBytes()+int64(len(line)) > s.segMax && s.tailBytes() > 0 {
			s.flush(n)
			n = 0
			if err := s.rotate(); err != nil {
				s.lose(len(batch)-i, err)
				return
			}
		}
		s.makeRoom(int64(len(s.buf) + len(line)))
		s.buf = append(s.buf, line...)
		n++
	}
	s.flush(n)
}

// tailBytes is the size the segment being appended to will have once
// flushed.
func (s *spool) tailBytes() int64 { return s.segs[len(s.segs)-1].size + int64(len(s.buf)) }

// rotate starts a new segment for appends.
func (s *spool) rotate() error {
	if s.w != nil {
		s.w.Close()
		s.w = nil
	}
	seg := &segment{seq: s.next, path: filepath.Join(s.dir, fmt.Sprintf("segment-%020d.jsonl", s.next))}
	s.next++
	f, err := os.OpenFile(seg.path, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("creating spool segment: %w", err)
	}
	s.w = f
	s.segs = append(s.segs, seg)
	return nil
}

// flush writes the n buffered lines to the last segment.
func (s *spool) flush(n int) {
	if len(s.buf) == 0 {
		return
	}
	seg := s.segs[len(s.segs)-1]
	if _, err := s.w.Write(s.buf); err != nil {
		s.w.Truncate(seg.size) // best effort: readers stop at seg.lines anyway
		s.w.Close()
		s.w = nil
		s.lose(n, fmt.Errorf("writing spool segment: %w", err))
	} else {
		seg.size += int64(len(s.buf))
		seg.lines += n
		s.total += int64(len(s.buf))
		s.st.spilled.Add(uint64(n))
		s.addPending(n)
		s.recovered()
	}
	s.buf = s.buf[:0]
}

// makeRoom evicts the oldest segments, except those holding lines being
// written and the one being appended to, until need more bytes fit.
func (s *spool) makeRoom(need int64) {
	for s.total+need > s.maxBytes {
		i := s.evictable()
		if i < 0 {
			return
		}
		lost := s.segs[i].lines - s.segs[i].done
		s.removeAt(i)
		s.addPending(-lost)
		s.st.dropped.Add(uint64(lost))
		s.log.Warn("event spool full: dropped its oldest events", "count", lost, "max_bytes", s.maxBytes)
	}
}

// evictable returns the index of the oldest segment makeRoom may evict, or
// -1.
func (s *spool) evictable() int {
	busy := s.busy
	for i, seg := range s.segs {
		if i == len(s.segs)-1 && s.w != nil {
			return -1
		}
		if busy > 0 {
			busy -= seg.lines - seg.done
			continue
		}
		return i
	}
	return -1
}

// removeHead deletes the oldest segment.
func (s *spool) removeHead() { s.removeAt(0) }

// removeAt deletes the i-th oldest segment.
func (s *spool) removeAt(i int) {
	seg := s.segs[i]
	if s.rseg == seg {
		s.closeReader()
	}
	if i == len(s.segs)-1 && s.w != nil {
		s.w.Close()
		s.w = nil
	}
	if err := os.Remove(seg.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		s.fail(fmt.Errorf("removing spool segment: %w", err))
	}
	s.total -= seg.size
	s.segs = slices.Delete(s.segs, i, i+1)
}

// close releases the files; a private directory is removed and the events
// still in it are counted as dropped.
func (s *spool) close() {
	s.closeReader()
	if s.w != nil {
		s.w.Close()
		s.w = nil
	}
	if s.temp {
		if s.dir != "" {
			os.RemoveAll(s.dir)
		}
		s.st.dropped.Add(uint64(s.count))
		s.addPending(-s.count)
	}
}

func (s *spool) addPending(n int) {
	s.count += n
	s.st.pending.Add(int64(n))
}

// lose drops n events because of err.
func (s *spool) lose(n int, err error) {
	s.st.dropped.Add(uint64(n))
	s.fail(err)
}

// fail counts a spool error; the first of a series is logged.
func (s *spool) fail(err error) {
	s.st.spoolErrors.Add(1)
	if !s.failing {
		s.log.Error("event spool failed: dropping events it cannot keep", "dir", s.dir, "error", err)
	}
	s.failing = true
}

func (s *spool) recovered() {
	if s.failing {
		s.log.Info("event spool works again", "dir", s.dir)
	}
	s.failing = false
}
