package events

import (
	"bufio"
	"fmt"
	"os"
)

// reader reads the oldest spool segment ahead of delivery. ahead holds the
// decoded lines [done, done+len(ahead)) of rseg; nil entries are lines that
// could not be decoded. It is bounded by the chunk size asked of peek.
type reader struct {
	rseg  *segment
	rf    *os.File
	rb    *bufio.Reader
	ahead []Event
	chunk []Event
	took  int // ahead entries the last peek returned
}

// peek returns up to n of the oldest spooled events, all from one segment,
// without removing them; commit removes them once delivered. It returns
// nothing only when the spool is empty.
func (s *spool) peek(n int) []Event {
	s.took = 0
	for s.count > 0 {
		seg := s.segs[0]
		if seg.done == seg.lines {
			s.removeHead()
			continue
		}
		if err := s.readAhead(seg, n); err != nil {
			lost := seg.lines - seg.done
			s.removeHead()
			s.addPending(-lost)
			s.lose(lost, err)
			continue
		}
		s.took = min(n, len(s.ahead))
		s.chunk = s.chunk[:0]
		for _, e := range s.ahead[:s.took] {
			if e != nil {
				s.chunk = append(s.chunk, e)
			}
		}
		if len(s.chunk) > 0 {
			return s.chunk
		}
		s.commit() // only undecodable lines: drop them and go on
	}
	return nil
}

// commit removes what the last peek returned (and the undecodable lines
// between), deleting the segment once all of it is done.
func (s *spool) commit() {
	if s.took == 0 {
		return
	}
	seg := s.segs[0]
	var bad uint64
	for _, e := range s.ahead[:s.took] {
		if e == nil {
			bad++
		}
	}
	s.st.dropped.Add(bad)
	s.addPending(-s.took)
	seg.done += s.took
	k := copy(s.ahead, s.ahead[s.took:])
	clear(s.ahead[k:])
	s.ahead = s.ahead[:k]
	s.took = 0
	if seg.done == seg.lines {
		s.removeHead()
	}
}

// skip removes the n oldest lines without reading them (they were delivered
// from memory).
func (s *spool) skip(n int) {
	for n > 0 && len(s.segs) > 0 {
		seg := s.segs[0]
		if s.rseg == seg {
			s.closeReader()
		}
		k := min(n, seg.lines-seg.done)
		seg.done += k
		s.addPending(-k)
		n -= k
		if seg.done == seg.lines {
			s.removeHead()
		}
	}
}

// readAhead decodes lines of seg until n are ahead or the segment ends. A
// segment that cannot be opened is an error; a short one loses its missing
// lines.
func (s *spool) readAhead(seg *segment, n int) error {
	if s.rseg != seg {
		if err := s.openReader(seg); err != nil {
			return err
		}
	}
	for len(s.ahead) < n && seg.done+len(s.ahead) < seg.lines {
		line, err := s.rb.ReadBytes('\n')
		if err != nil {
			missing := seg.lines - seg.done - len(s.ahead)
			seg.lines -= missing
			s.addPending(-missing)
			s.lose(missing, fmt.Errorf("reading spool segment %s: %w", seg.path, err))
			return nil
		}
		e, err := UnmarshalLine(line)
		if err != nil {
			s.fail(fmt.Errorf("reading spool segment %s: %w", seg.path, err))
		}
		s.ahead = append(s.ahead, e)
	}
	return nil
}

// openReader starts reading seg after its done lines.
func (s *spool) openReader(seg *segment) error {
	s.closeReader()
	f, err := os.Open(seg.path)
	if err != nil {
		return fmt.Errorf("reading spool segment: %w", err)
	}
	s.rseg, s.rf, s.rb = seg, f, bufio.NewReaderSize(f, 64<<10)
	for range seg.done {
		if err := skipLine(s.rb); err != nil {
			s.closeReader()
			return fmt.Errorf("reading spool segment %s: %w", seg.path, err)
		}
	}
	return nil
}

// skipLine reads past the next newline without keeping the line.
func skipLine(rb *bufio.Reader) error {
	for {
		_, err := rb.ReadSlice('\n')
		if err != bufio.ErrBufferFull {
			return err
		}
	}
}

func (s *spool) closeReader() {
	if s.rf != nil {
		s.rf.Close()
	}
	clear(s.ahead)
	s.rseg, s.rf, s.rb, s.ahead, s.took = nil, nil, nil, s.ahead[:0], 0
}
