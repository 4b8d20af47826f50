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

// decoder renders message values in the JSON lines sink's shape:
// {"event": <record name>, <fields in schema order>}.
type decoder struct {
	api     avro.API
	reg     *registry // nil: Avro messages cannot be decoded
	log     *slog.Logger
	schemas map[int]*avro.RecordSchema // nil entry: unusable id, already warned about
}

func newDecoder(reg *registry, log *slog.Logger) *decoder {
	return &decoder{api: avro.Config{TagKey: "json"}.Freeze(), reg: reg, log: log,
		schemas: make(map[int]*avro.RecordSchema)}
}

// line renders one message value. It returns nil for a message to skip
// (after a warning) and an error only when the registry cannot be reached.
func (d *decoder) line(ctx context.Context, value []byte) ([]byte, error) {
	id, payload, err := new(sr.ConfluentHeader).DecodeID(value)
	if err != nil {
		return d.rawJSON(value), nil
	}
	rec, err := d.record(ctx, id)
	if rec == nil || err != nil {
		return nil, err
	}
	var fields map[string]any
	if err := d.api.Unmarshal(rec, payload, &fields); err != nil {
		d.log.Warn("skipping a message that does not decode with its schema", "schema_id", id, "error", err)
		return nil, nil
	}
	restoreNanoseconds(fields)
	line, err := renderRecord(rec, fields)
	if err != nil {
		d.log.Warn("skipping a message that does not render as JSON", "schema_id", id, "error", err)
		return nil, nil
	}
	return line, nil
}

// rawJSON passes through a JSON message (the json encoding), compacted to
// one line; anything else is skipped.
func (d *decoder) rawJSON(value []byte) []byte {
	var buf bytes.Buffer
	if err := json.Compact(&buf, value); err != nil {
		d.log.Warn("skipping a message that is neither Confluent-framed Avro nor JSON", "bytes", len(value))
		return nil
	}
	return buf.Bytes()
}

// record returns the record schema with this id, fetched once; nil (after
// one warning) when it cannot be used.
func (d *decoder) record(ctx context.Context, id int) (*avro.RecordSchema, error) {
	if rec, seen := d.schemas[id]; seen {
		return rec, nil
	}
	if d.reg == nil {
		d.log.Warn("skipping Avro messages: no schema registry configured", "schema_id", id)
		d.schemas[id] = nil
		return nil, nil
	}
	text, err := d.reg.schema(ctx, id)
	if isNotFound(err) {
		d.log.Warn("skipping messages whose schema id the registry does not know", "schema_id", id)
		d.schemas[id] = nil
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	s, err := avro.ParseWithCache(text, "", &avro.SchemaCache{})
	rec, ok := s.(*avro.RecordSchema)
	if err != nil || !ok {
		d.log.Warn("skipping messages whose schema is not an Avro record", "schema_id", id, "error", err)
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
