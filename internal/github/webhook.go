package github

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"time"
)

// ErrBadSignature is a webhook delivery whose X-Hub-Signature-256 is
// missing, malformed or wrong.
var ErrBadSignature = errors.New("webhook: bad or missing X-Hub-Signature-256 signature")

const signaturePrefix = "sha256="

// VerifySignature checks header, the X-Hub-Signature-256 value
// ("sha256=<hex HMAC-SHA256 of body>"), against body in constant time. The
// SHA-1 X-Hub-Signature is never accepted (go-github's ValidatePayload
// falls back to it). An empty secret is a configuration error, anything
// wrong with the header ErrBadSignature; neither error echoes the secret
// or the expected signature.
func VerifySignature(secret []byte, body []byte, header string) error {
	if len(secret) == 0 {
		return errors.New("webhook: secret is empty (configuration)")
	}
	hexSig, ok := strings.CutPrefix(header, signaturePrefix)
	if !ok || len(hexSig) != 2*sha256.Size {
		return ErrBadSignature
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return ErrBadSignature
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return ErrBadSignature
	}
	return nil
}

// maxDeliveries bounds the dedup cache even under a flood of distinct ids;
// past it the oldest entries go first.
const maxDeliveries = 100_000

// Deliveries remembers X-GitHub-Delivery ids for a TTL, to drop
// redeliveries (which keep the id). It is safe for concurrent use; expired
// ids are evicted as new ones arrive, so memory stays bounded.
type Deliveries struct {
	ttl time.Duration
	now func() time.Time

	mu    sync.Mutex
	seen  map[string]time.Time // id → when first seen
	order []delivery           // insertion order, oldest first, from head
	head  int
}

type delivery struct {
	id string
	at time.Time
}

// NewDeliveries returns a cache remembering ids for ttl; now is its clock
// (time.Now when nil).
func NewDeliveries(ttl time.Duration, now func() time.Time) *Deliveries {
	if now == nil {
		now = time.Now
	}
	return &Deliveries{ttl: ttl, now: now, seen: make(map[string]time.Time)}
}

// Seen reports whether id was seen within the TTL; if not, it records id.
// An empty id is never recorded and never seen.
func (d *Deliveries) Seen(id string) bool {
	if id == "" {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	d.evict(now)
	if at, ok := d.seen[id]; ok && now.Sub(at) < d.ttl {
		return true
	}
	d.seen[id] = now
	d.order = append(d.order, delivery{id: id, at: now})
	return false
}

// Forget drops id, so that its next delivery is not a duplicate (for a
// delivery whose handling failed).
func (d *Deliveries) Forget(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.seen, id)
}

// evict drops expired entries and, past maxDeliveries, the oldest ones.
func (d *Deliveries) evict(now time.Time) {
	for d.head < len(d.order) {
		e := d.order[d.head]
		if now.Sub(e.at) < d.ttl && len(d.order)-d.head < maxDeliveries {
			break
		}
		if at, ok := d.seen[e.id]; ok && at.Equal(e.at) {
			delete(d.seen, e.id)
		}
		d.order[d.head] = delivery{}
		d.head++
	}
	// Compact once the dead prefix is at least half the slice.
	if d.head > 0 && d.head*2 >= len(d.order) {
		d.order = append(d.order[:0], d.order[d.head:]...)
		d.head = 0
	}
}

// Len is the number of ids currently remembered.
func (d *Deliveries) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.seen)
}
