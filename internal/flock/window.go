package flock

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"time"
)

// A series keeps its samples in time buckets, each statsWindow/windowBuckets
// wide, so a summary covers a span of time whatever the sample rate. Each
// bucket counts its samples and failures exactly and keeps a uniform random
// sample (a reservoir, Vitter's algorithm R) of at most reservoirSize of its
// successful durations. Percentiles weight every kept duration by
// successes/kept of its bucket, so a busy minute counts as much as it should
// and memory stays bounded: at most windowBuckets+2 buckets of reservoirSize
// durations per series. While no bucket has more successes than
// reservoirSize the percentiles are exact.
const (
	windowBuckets = 30
	reservoirSize = 64
)

// bucket holds the samples that ended in [start, start+width).
type bucket struct {
	start    time.Time
	count    int
	failures int
	ok       int             // successful samples seen
	kept     []time.Duration // uniform sample of the successful durations
}

func (b *bucket) add(d time.Duration, ok bool, rng *rand.Rand) {
	b.count++
	if !ok {
		b.failures++
		return
	}
	b.ok++
	if len(b.kept) < reservoirSize {
		b.kept = append(b.kept, d)
		return
	}
	if j := rng.IntN(b.ok); j < reservoirSize {
		b.kept[j] = d
	}
}

// buckets is a series' buckets, oldest first.
type buckets []*bucket

// add records a sample in its bucket and drops buckets that can no longer
// overlap a window: summaries are asked for at or after the newest sample,
// so at or after the newest bucket's start.
func (bs *buckets) add(x sample, width, window time.Duration, rng *rand.Rand) {
	bs.at(x.at.Truncate(width)).add(x.d, x.ok, rng)
	since := (*bs)[len(*bs)-1].start.Add(-window)
	*bs = slices.DeleteFunc(*bs, func(b *bucket) bool { return !b.start.Add(width).After(since) })
}

// at returns the bucket starting at start, inserting it in order if new.
// Samples arrive nearly in order, so the search starts at the newest.
func (bs *buckets) at(start time.Time) *bucket {
	i := len(*bs)
	for i > 0 && (*bs)[i-1].start.After(start) {
		i--
	}
	if i > 0 && (*bs)[i-1].start.Equal(start) {
		return (*bs)[i-1]
	}
	b := &bucket{start: start}
	*bs = slices.Insert(*bs, i, b)
	return b
}

// timing sums the buckets that overlap [since, …) into t.
func (bs buckets) timing(t *Timing, since time.Time, width time.Duration) {
	var ok []weighted
	for _, b := range bs {
		if !b.start.Add(width).After(since) {
			continue
		}
		t.Count += b.count
		t.Failures += b.failures
		w := float64(b.ok) / float64(max(len(b.kept), 1))
		for _, d := range b.kept {
			ok = append(ok, weighted{d: d, w: w})
		}
	}
	t.P50, t.P95 = weightedQuantile(ok, 0.5).Seconds(), weightedQuantile(ok, 0.95).Seconds()
}

// weighted is a kept duration standing for w samples.
type weighted struct {
	d time.Duration
	w float64
}

// weightedQuantile is report.Quantile (linear interpolation between order
// statistics) over a sample where each x stands for x.w copies of x.d; with
// all weights 1 it equals report.Quantile. 0 for no samples.
func weightedQuantile(xs []weighted, q float64) time.Duration {
	if len(xs) == 0 {
		return 0
	}
	xs = slices.Clone(xs)
	slices.SortFunc(xs, func(a, b weighted) int { return cmp.Compare(a.d, b.d) })
	total := 0.0
	for _, x := range xs {
		total += x.w
	}
	pos, cum := q*(total-1), 0.0
	for i, x := range xs {
		last := cum + x.w - 1 // rank of this value's last copy
		if pos <= last || i == len(xs)-1 {
			return x.d
		}
		if pos < last+1 { // between this value's last copy and the next value
			return x.d + time.Duration((pos-last)*float64(xs[i+1].d-x.d))
		}
		cum += x.w
	}
	return xs[len(xs)-1].d
}
