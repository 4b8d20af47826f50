package jupyter

import (
	"encoding/binary"
	"encoding/json"
	"testing"
)

func TestV1RoundTrip(t *testing.T) {
	h := []byte(`{"msg_id":"m1","msg_type":"execute_request","session":"s","date":"d"}`)
	b := encodeV1("shell", h, []byte(`{"msg_id":"p1"}`), []byte(`{"a":1}`), []byte(`{"code":"1+1"}`))
	if n := binary.LittleEndian.Uint64(b); n != 6 {
		t.Fatalf("offset count %d, want 6", n)
	}
	if first := binary.LittleEndian.Uint64(b[8:]); first != 56 {
		t.Fatalf("first offset %d, want 56", first)
	}
	m, err := decodeV1(b)
	if err != nil {
		t.Fatal(err)
	}
	if m.Channel != "shell" || m.Header.MsgID != "m1" || m.ParentID != "p1" || string(m.Content) != `{"code":"1+1"}` ||
		string(m.Metadata) != `{"a":1}` {
		t.Fatalf("decoded %+v", m)
	}
}

func TestLegacyFrames(t *testing.T) {
	text, err := encodeLegacy("shell", []byte(`{"msg_id":"m1","msg_type":"x"}`), []byte(`{}`), []byte(`{}`), []byte(`{"k":2}`))
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]json.RawMessage
	json.Unmarshal(text, &raw)
	if string(raw["channel"]) != `"shell"` || string(raw["buffers"]) != `[]` {
		t.Fatalf("legacy frame %s", text)
	}
	m, err := decodeLegacy(text, false)
	if err != nil || m.Header.MsgID != "m1" || m.ParentID != "" || string(m.Content) != `{"k":2}` {
		t.Fatalf("decoded %+v, %v", m, err)
	}
	// Binary legacy: count 2 (JSON + one buffer), offsets, JSON, buffer.
	js := []byte(`{"channel":"iopub","header":{"msg_id":"m2","msg_type":"display_data"},"parent_header":{"msg_id":"p"},"content":{}}`)
	buf := make([]byte, 12)
	binary.BigEndian.PutUint32(buf, 2)
	binary.BigEndian.PutUint32(buf[4:], 12)
	binary.BigEndian.PutUint32(buf[8:], uint32(12+len(js)))
	buf = append(append(buf, js...), 0xff, 0x00)
	m, err = decodeLegacy(buf, true)
	if err != nil || m.Header.MsgID != "m2" || m.ParentID != "p" || m.Channel != "iopub" {
		t.Fatalf("binary legacy %+v, %v", m, err)
	}
}

func TestBadFrames(t *testing.T) {
	le := func(vals ...uint64) []byte {
		b := make([]byte, 8*len(vals))
		for i, v := range vals {
			binary.LittleEndian.PutUint64(b[8*i:], v)
		}
		return b
	}
	for name, b := range map[string][]byte{
		"short":          {1, 2},
		"huge count":     le(1 << 40),
		"too few parts":  le(2, 24, 24),
		"offset past":    le(6, 56, 56, 56, 56, 56, 999),
		"offset reverse": append(le(6, 56, 57, 56, 56, 56, 56), '{'),
		"bad header":     append(le(6, 56, 56, 57, 57, 57, 57, 57), 'x'),
	} {
		if _, err := decodeV1(b); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
	for name, b := range map[string][]byte{"short": {0, 0, 0, 1}, "zero count": make([]byte, 8), "garbage": []byte("nope")} {
		if _, err := decodeLegacy(b, name != "garbage"); err == nil {
			t.Errorf("legacy %s: decoded without error", name)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(encodeV1("iopub", []byte(`{"msg_id":"a"}`), []byte(`{}`), []byte(`{}`), []byte(`{}`)), true)
	f.Add([]byte(`{"header":{"msg_id":"a"},"parent_header":{}}`), false)
	f.Fuzz(func(t *testing.T, b []byte, v1 bool) {
		if v1 {
			decodeV1(b)
		} else {
			decodeLegacy(b, len(b) > 0 && b[0] == 0)
		}
	})
}
