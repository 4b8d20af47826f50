package kafka

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hamba/avro/v2"

	"github.com/mobu-dev/mobu/internal/events"
	"github.com/mobu-dev/mobu/internal/golden"
)

// The registered shapes are reviewed through testdata/<event>.avsc.
func TestSchemaGolden(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range allEvents() {
		if seen[e.Name()] {
			continue
		}
		seen[e.Name()] = true
		text, err := Schema(e, testTopic)
		if err != nil {
			t.Fatalf("Schema(%s): %v", e.Name(), err)
		}
		if _, err := avro.ParseWithCache(text, "", &avro.SchemaCache{}); err != nil {
			t.Errorf("Schema(%s) does not parse as Avro: %v", e.Name(), err)
		}
		pretty := reviewable(t, text)
		golden.Check(t, e.Name()+".avsc", pretty.Bytes())
	}
	if len(seen) != 9 {
		t.Errorf("covered %d event names, want 9", len(seen))
	}
}

// reviewable renders a record schema with one field per line.
func reviewable(t *testing.T, text string) *bytes.Buffer {
	var rec struct {
		Fields []json.RawMessage `json:"fields"`
	}
	if err := json.Unmarshal([]byte(text), &rec); err != nil {
		t.Fatal(err)
	}
	head, _, _ := strings.Cut(text, `"fields":[`)
	var out bytes.Buffer
	out.WriteString(head + "\"fields\":[\n")
	for i, f := range rec.Fields {
		out.WriteString("  ")
		out.Write(f)
		if i < len(rec.Fields)-1 {
			out.WriteByte(',')
		}
		out.WriteByte('\n')
	}
	out.WriteString("]}\n")
	if !json.Valid(out.Bytes()) {
		t.Fatalf("reviewable form of %s is not JSON", text)
	}
	return &out
}

// The record starts with the base fields in mobu's registered order.
func TestSchemaFieldOrder(t *testing.T) {
	text, err := Schema(&events.NotebookCellExecution{}, testTopic)
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Name, Namespace string
		Fields          []struct{ Name string }
	}
	if err := json.Unmarshal([]byte(text), &rec); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range rec.Fields {
		names = append(names, f.Name)
	}
	want := "id application timestamp timestamp_ns flock business username notebook repo repo_ref repo_hash duration cell_id success"
	if got := strings.Join(names, " "); !strings.HasPrefix(got, want) || rec.Name != events.NameNotebookCellExecution || rec.Namespace != testTopic {
		t.Errorf("record %s.%s fields %q, want prefix %q", rec.Namespace, rec.Name, got, want)
	}
}

type badEvent struct {
	events.Base
	Tags []string `json:"tags"`
}

func (*badEvent) Name() string    { return "bad_event" }
func (*badEvent) Validate() error { return nil }

type mappedEvent struct {
	events.Base
	Skip    string    `json:"-"`
	hidden  int       //nolint:unused // must be ignored
	When    time.Time `json:"when"`
	Count32 int32     `json:"count32"`
	Ratio   float32   `json:"ratio"`
	Opt     *bool     `json:"opt,omitempty"`
	NoTag   int64
}

func (*mappedEvent) Name() string    { return "mapped_event" }
func (*mappedEvent) Validate() error { return nil }

func TestSchemaTypes(t *testing.T) {
	if _, err := Schema(&badEvent{}, testTopic); err == nil || !strings.Contains(err.Error(), "tags") {
		t.Errorf("Schema of a []string field = %v, want an error naming the field", err)
	}
	text, err := Schema(&mappedEvent{}, testTopic)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`{"name":"when","type":{"type":"long","logicalType":"timestamp-millis"}}`,
		`{"name":"count32","type":"int"}`, `{"name":"ratio","type":"float"}`,
		`{"name":"opt","type":["null","boolean"],"default":null}`, `{"name":"NoTag","type":"long"}`,
		`{"name":"id","type":{"type":"string","logicalType":"uuid"}}`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("schema lacks %s:\n%s", want, text)
		}
	}
	if strings.Contains(text, "Skip") || strings.Contains(text, "hidden") {
		t.Errorf("schema has skipped fields: %s", text)
	}
}
