package kafka

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"sync"
	"time"

	"github.com/hamba/avro/v2"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/mobu-dev/mobu/internal/events"
)

const (
	// messageOverhead is what kafka-go adds to key and value when it sizes a
	// message; batchHeadroom keeps a full batch under the broker's limit.
	messageOverhead = 22
	batchHeadroom   = 128
	minMessageBytes = 1 << 10
)

// codecKey identifies an event shape: the Stage type has several names.
type codecKey struct {
	name string
	typ  reflect.Type
}

// codec is one event shape's schema and registration state.
type codec struct {
	subject string
	text    string
	schema  avro.Schema
	id      int       // schema id, 0 until registered
	header  []byte    // Confluent framing of id
	err     error     // permanent failure: no schema, or the registry refused it
	retryAt time.Time // when a registry refusal may be retried; zero for no schema
}

// encoder turns events into Kafka messages, registering schemas on first use.
type encoder struct {
	cfg    Config
	api    avro.API
	reg    *registry // nil for the json encoding
	now    func() time.Time
	mu     sync.Mutex
	codecs map[codecKey]*codec
}

// encodedBatch holds the messages to send and what was rejected on the way.
type encodedBatch struct {
	msgs     []kafka.Message
	index    []int // batch index of each message
	rejected map[int]error
}

func newEncoder(cfg Config, reg *registry) *encoder {
	return &encoder{
		cfg: cfg, reg: reg, now: time.Now, codecs: make(map[codecKey]*codec),
		api: avro.Config{TagKey: "json"}.Freeze(),
	}
}

// maxMessage is the largest key+value sent; see messageOverhead.
func (e *encoder) maxMessage() int { return e.cfg.MaxMessageBytes - batchHeadroom - messageOverhead }

// encodeBatch encodes every event. A non-nil error is transient (the registry
// could not be reached) and nothing must be sent.
func (e *encoder) encodeBatch(ctx context.Context, batch []events.Event) (*encodedBatch, error) {
	out := &encodedBatch{msgs: make([]kafka.Message, 0, len(batch)), index: make([]int, 0, len(batch))}
	reject := func(i int, err error) {
		if out.rejected == nil {
			out.rejected = make(map[int]error)
		}
		out.rejected[i] = err
	}
	w := avro.NewWriter(nil, 384*len(batch), avro.WithWriterConfig(e.api))
	for i, ev := range batch {
		key, value, rej, err := e.encode(ctx, w, ev)
		switch {
		case err != nil:
			return nil, err
		case rej != nil:
			reject(i, rej)
		case len(key)+len(value) > e.maxMessage():
			reject(i, fmt.Errorf("event %s of %s is larger than the %s message limit",
				ev.Name(), formatBytes(len(value)), formatBytes(e.cfg.MaxMessageBytes)))
		default:
			out.msgs = append(out.msgs, kafka.Message{Key: key, Value: value})
			out.index = append(out.index, i)
		}
	}
	return out, nil
}

// encode returns one event's key and value, or why it is rejected, or a
// transient error.
func (e *encoder) encode(ctx context.Context, w *avro.Writer, ev events.Event) (key, value []byte, rejected, err error) {
	if e.reg == nil {
		line, err := events.MarshalLine(ev)
		if err != nil {
			return nil, nil, err, nil
		}
		return []byte(ev.Common().Username), line[:len(line)-1], nil, nil
	}
	c, rejected, err := e.codecFor(ctx, ev)
	if rejected != nil || err != nil {
		return nil, nil, rejected, err
	}
	start := len(w.Buffer())
	w.Write([]byte(ev.Common().Username))
	keyEnd := len(w.Buffer())
	w.Write(c.header)
	w.WriteVal(c.schema, ev)
	if w.Error != nil {
		rejected = fmt.Errorf("encoding %s event as Avro: %w", ev.Name(), w.Error)
		w.Error = nil // the bytes written so far are left unused in the buffer
		return nil, nil, rejected, nil
	}
	buf := w.Buffer()
	return buf[start:keyEnd:keyEnd], buf[keyEnd:len(buf):len(buf)], nil, nil
}

// codecFor returns the registered codec of ev's shape, registering it on
// first use. rejected is a permanent failure; err a transient one.
func (e *encoder) codecFor(ctx context.Context, ev events.Event) (c *codec, rejected, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	k := codecKey{name: ev.Name(), typ: reflect.TypeOf(ev)}
	c = e.codecs[k]
	if c == nil {
		c = e.newCodec(ev)
		e.codecs[k] = c
	}
	switch {
	case c.id != 0:
		return c, nil, nil
	case c.err != nil && (c.retryAt.IsZero() || e.now().Before(c.retryAt)):
		return nil, c.err, nil
	}
	id, err := e.reg.register(ctx, c.subject, c.text)
	var refused *schemaRejectedError
	switch {
	case errors.As(err, &refused):
		c.err, c.retryAt = err, e.now().Add(rejectRetry)
		e.cfg.Logger.Warn("schema registry refused an event schema; its events are dropped",
			"subject", c.subject, "retry_in", rejectRetry, "error", err)
		return nil, err, nil
	case err != nil:
		return nil, nil, err
	}
	c.header, _ = new(sr.ConfluentHeader).AppendEncode(nil, id, nil) // never fails
	c.id, c.err = id, nil
	e.cfg.Logger.Debug("registered event schema", "subject", c.subject, "id", id)
	return c, nil, nil
}

func (e *encoder) newCodec(ev events.Event) *codec {
	c := &codec{subject: e.cfg.subject(ev.Name())}
	text, err := Schema(ev, e.cfg.Topic())
	if err == nil {
		c.text = text
		c.schema, err = avro.ParseWithCache(text, "", &avro.SchemaCache{})
	}
	if err != nil {
		c.err = fmt.Errorf("no Avro schema for subject %s: %w", c.subject, err)
	}
	return c
}

// formatBytes renders a size as "512 B", "3.5 KiB" or "2.3 MiB".
func formatBytes(n int) string {
	unit, div := "B", 1.0
	switch {
	case n >= 1<<20:
		unit, div = "MiB", 1<<20
	case n >= 1<<10:
		unit, div = "KiB", 1<<10
	default:
		return strconv.Itoa(n) + " B"
	}
	s := strconv.FormatFloat(float64(n)/div, 'f', 1, 64)
	if len(s) > 2 && s[len(s)-2:] == ".0" {
		s = s[:len(s)-2]
	}
	return s + " " + unit
}
