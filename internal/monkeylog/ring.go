package monkeylog

import "sort"

// entry is one recorded line: its sequence number and its text without the
// trailing newline.
type entry struct {
	seq  uint64
	text string
}

// ring is a bounded FIFO of entries that grows its backing array lazily, up to
// max, so an idle Log costs little memory.
type ring struct {
	buf   []entry
	start int // index of the oldest entry once buf is full
	max   int
}

// push appends e, evicting the oldest entry when the ring is full.
func (r *ring) push(e entry) {
	if len(r.buf) < r.max {
		if len(r.buf) == cap(r.buf) {
			r.grow()
		}
		r.buf = append(r.buf, e)
		return
	}
	r.buf[r.start] = e
	r.start++
	if r.start == r.max {
		r.start = 0
	}
}

// grow doubles the backing array (starting at 4), capped at max. It is only
// called before the ring first fills, so entries are still in order from 0.
func (r *ring) grow() {
	n := min(max(2*cap(r.buf), 4), r.max)
	buf := make([]entry, len(r.buf), n)
	copy(buf, r.buf)
	r.buf = buf
}

// len reports how many entries the ring holds.
func (r *ring) len() int { return len(r.buf) }

// at returns the i-th oldest entry.
func (r *ring) at(i int) entry {
	i += r.start
	if i >= len(r.buf) {
		i -= len(r.buf)
	}
	return r.buf[i]
}

// after returns the logical index of the first entry with seq > seq.
// Entries are in increasing seq order.
func (r *ring) after(seq uint64) int {
	return sort.Search(r.len(), func(i int) bool { return r.at(i).seq > seq })
}
