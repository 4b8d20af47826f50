package flock

// ring keeps the latest max items, overwriting the oldest.
type ring[T any] struct {
	max  int
	buf  []T
	next int // where the next item goes once full (0 while filling)
}

func (r *ring[T]) add(x T) {
	if len(r.buf) < r.max {
		r.buf = append(r.buf, x)
		return
	}
	r.buf[r.next] = x
	r.next = (r.next + 1) % r.max
}

// newest returns the i-th newest item (0 is the latest); i < len(r.buf).
func (r *ring[T]) newest(i int) T {
	return r.buf[(r.next-1-i+2*len(r.buf))%len(r.buf)]
}
