package kafka

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/sr"
)

// BadMessage is a message Tail cannot render as an event line.
type BadMessage struct {
	Topic     string
	Partition int
	Offset    int64
	Reason    string
}

// Position names the message as mobu report lists bad input:
// kafka:<topic>/<partition>@<offset>.
func (b BadMessage) Position() string {
	return fmt.Sprintf("kafka:%s/%d@%d", b.Topic, b.Partition, b.Offset)
}

// decoder renders message values in the JSON lines sink's shape:
// {"event": <record name>, <fields in schema order>}.
type decoder struct {
	api      avro.API
	reg      *registry // nil: Avro messages cannot be decoded
	log      *slog.Logger
	schemas  map[int]*avro.RecordSchema // nil entry: unusable id, see unusable
	unusable map[int]string             // why an id is unusable
	warned   map[int]bool               // unusable ids already warned about
	topic    string
	onBad    func(BadMessage) // nil: a warning per message (per id for unusable ids)
}

func newDecoder(reg *registry, log *slog.Logger) *decoder {
	return &decoder{api: avro.Config{TagKey: "json"}.Freeze(), reg: reg, log: log,
		schemas: map[int]*avro.RecordSchema{}, unusable: map[int]string{}, warned: map[int]bool{}}
}

// line renders one message. It returns nil for a message it cannot render,
// after handing it to onBad (or a warning), and an error only when the
// registry cannot be reached.
func (d *decoder) line(ctx context.Context, rec tailRecord) ([]byte, error) {
	line, id, reason, err := d.render(ctx, rec.value)
	if reason != "" {
		d.bad(BadMessage{Topic: d.topic, Partition: rec.partition, Offset: rec.offset, Reason: reason}, id)
	}
	return line, err
}

// render renders value; reason says why it cannot, id is its schema id
// when the whole id is unusable (-1 otherwise).
func (d *decoder) render(ctx context.Context, value []byte) (line []byte, id int, reason string, err error) {
	id, payload, err := new(sr.ConfluentHeader).DecodeID(value)
	if err != nil {
		return rawJSON(value)
	}
	rec, err := d.record(ctx, id)
	if err != nil {
		return nil, -1, "", err
	}
	if rec == nil {
		return nil, id, d.unusable[id], nil
	}
	var fields map[string]any
	if err := d.api.Unmarshal(rec, payload, &fields); err != nil {
		return nil, -1, fmt.Sprintf("does not decode with its schema (id %d): %v", id, err), nil
	}
	restoreNanoseconds(fields)
	if line, err = renderRecord(rec, fields); err != nil {
		return nil, -1, fmt.Sprintf("does not render as JSON (schema id %d): %v", id, err), nil
	}
	return line, -1, "", nil
}

// bad hands b to onBad or, without one, warns (once per unusable id).
func (d *decoder) bad(b BadMessage, id int) {
	if d.onBad != nil {
		d.onBad(b)
		return
	}
	if id >= 0 {
		if d.warned[id] {
			return
		}
		d.warned[id] = true
	}
	d.log.Warn("skipping a message: "+b.Reason, "partition", b.Partition, "offset", b.Offset)
}

// rawJSON passes through a JSON message (the json encoding), compacted to
// one line; anything else cannot be rendered.
func rawJSON(value []byte) ([]byte, int, string, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, value); err != nil {
		return nil, -1, fmt.Sprintf("neither Confluent-framed Avro nor JSON (%d bytes)", len(value)), nil
	}
	return buf.Bytes(), -1, "", nil
}

// record returns the record schema with this id, fetched once; nil (with
// the reason in d.unusable) when it cannot be used.
func (d *decoder) record(ctx context.Context, id int) (*avro.RecordSchema, error) {
	if rec, seen := d.schemas[id]; seen {
		return rec, nil
	}
	if d.reg == nil {
		d.schemas[id], d.unusable[id] = nil, fmt.Sprintf("no schema registry configured to decode schema id %d", id)
		return nil, nil
	}
	text, err := d.reg.schema(ctx, id)
	if isNotFound(err) {
		d.schemas[id], d.unusable[id] = nil, fmt.Sprintf("schema id the registry does not know (%d)", id)
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	s, err := avro.ParseWithCache(text, "", &avro.SchemaCache{})
	rec, ok := s.(*avro.RecordSchema)
	if err != nil || !ok {
		d.unusable[id] = fmt.Sprintf("schema id %d is not an Avro record (%v)", id, err)
	}
	d.schemas[id] = rec
	return rec, nil
}

// restoreNanoseconds gives "timestamp" back the nanoseconds timestamp-millis
// dropped, from "timestamp_ns" (the same clock reading in every event), so
// the line matches the JSON lines sink's. The zone is UTC.
func restoreNanoseconds(fields map[string]any) {
	ts, ok := fields["timestamp"].(time.Time)
	ns, nsOK := fields["timestamp_ns"].(int64)
	if !ok || !nsOK {
		return
	}
	if exact := time.Unix(0, ns); exact.Truncate(time.Millisecond).Equal(ts) {
		fields["timestamp"] = exact
	}
}

func renderRecord(rec *avro.RecordSchema, fields map[string]any) ([]byte, error) {
	buf := make([]byte, 0, 512)
	buf = append(buf, `{"event":`...)
	buf, _ = appendJSON(buf, rec.Name())
	for _, f := range rec.Fields() {
		buf = append(buf, ',')
		buf, _ = appendJSON(buf, f.Name())
		buf = append(buf, ':')
		var err error
		if buf, err = appendJSON(buf, plainValue(f.Type(), fields[f.Name()])); err != nil {
			return nil, fmt.Errorf("field %s: %w", f.Name(), err)
		}
	}
	return append(buf, '}'), nil
}

// plainValue unwraps a union value decoded as {"<type>": value} and puts
// times in UTC, so values marshal as encoding/json marshals the Go structs.
func plainValue(s avro.Schema, v any) any {
	if m, ok := v.(map[string]any); ok && len(m) == 1 && s.Type() == avro.Union {
		for _, inner := range m {
			v = inner
		}
	}
	if t, ok := v.(time.Time); ok {
		return t.UTC()
	}
	return v
}

func appendJSON(buf []byte, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return buf, err
	}
	return append(buf, b...), nil
}
