package jupyter

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
)

// Subprotocol is the binary kernel websocket protocol offered on dial.
const Subprotocol = "v1.kernel.websocket.jupyter.org"

// message is a kernel message as read from or written to the websocket.
// Reading decodes only what routing needs; Metadata and Content stay raw.
type message struct {
	Channel  string
	Header   header
	ParentID string
	Metadata json.RawMessage
	Content  json.RawMessage
}

type header struct {
	MsgID    string `json:"msg_id"`
	MsgType  string `json:"msg_type"`
	Session  string `json:"session"`
	Username string `json:"username"`
	Date     string `json:"date"`
	Version  string `json:"version"`
}

type parentHeader struct {
	MsgID string `json:"msg_id"`
}

// decodeFrame decodes a websocket frame of either protocol. binary tells the
// frame type; a text frame on a v1 connection is a protocol error.
func decodeFrame(v1, binary bool, b []byte) (*message, error) {
	switch {
	case v1 && !binary:
		return nil, errTextOnV1
	case v1:
		return decodeV1(b)
	}
	return decodeLegacy(b, binary)
}

var errTextOnV1 = errors.New("kernel websocket protocol error: text frame on a v1 connection")

// encodeV1 lays a message out as v1 binary: a little-endian u64 offset count n,
// n u64 offsets, then channel, header, parent_header, metadata and content.
func encodeV1(channel string, h, parent, metadata, content []byte) []byte {
	parts := [][]byte{[]byte(channel), h, parent, metadata, content}
	n := len(parts) + 1
	size := 8 * (1 + n)
	for _, p := range parts {
		size += len(p)
	}
	buf := make([]byte, 8*(1+n), size)
	binary.LittleEndian.PutUint64(buf, uint64(n))
	off := 8 * (1 + n)
	for i, p := range parts {
		binary.LittleEndian.PutUint64(buf[8*(1+i):], uint64(off))
		off += len(p)
	}
	binary.LittleEndian.PutUint64(buf[8*n:], uint64(off))
	for _, p := range parts {
		buf = append(buf, p...)
	}
	return buf
}

// decodeV1 splits a v1 binary frame into its parts (buffers are ignored).
func decodeV1(b []byte) (*message, error) {
	if len(b) < 8 {
		return nil, errors.New("v1 frame shorter than its offset count")
	}
	n := binary.LittleEndian.Uint64(b)
	if n < 6 || n > 1<<16 || uint64(len(b)) < 8*(1+n) {
		return nil, fmt.Errorf("v1 frame with bad offset count %d for %d bytes", n, len(b))
	}
	offs := make([]uint64, n)
	for i := range offs {
		offs[i] = binary.LittleEndian.Uint64(b[8*(1+i):])
		if offs[i] > uint64(len(b)) || (i > 0 && offs[i] < offs[i-1]) || offs[i] < 8*(1+n) {
			return nil, fmt.Errorf("v1 frame with bad offset %d", offs[i])
		}
	}
	part := func(k int) []byte { return b[offs[k]:offs[k+1]] }
	m := &message{Channel: string(part(0)), Metadata: part(3), Content: part(4)}
	if err := json.Unmarshal(part(1), &m.Header); err != nil {
		return nil, fmt.Errorf("v1 frame header: %w", err)
	}
	var p parentHeader
	if err := json.Unmarshal(part(2), &p); err != nil {
		return nil, fmt.Errorf("v1 frame parent_header: %w", err)
	}
	m.ParentID = p.MsgID
	return m, nil
}

type legacyMsg struct {
	Channel      string          `json:"channel"`
	Header       json.RawMessage `json:"header"`
	ParentHeader json.RawMessage `json:"parent_header"`
	Metadata     json.RawMessage `json:"metadata"`
	Content      json.RawMessage `json:"content"`
	Buffers      []any           `json:"buffers"`
}

// encodeLegacy renders a message as one JSON text frame.
func encodeLegacy(channel string, h, parent, metadata, content []byte) ([]byte, error) {
	return json.Marshal(legacyMsg{Channel: channel, Header: h, ParentHeader: parent,
		Metadata: metadata, Content: content, Buffers: []any{}})
}

// decodeLegacy reads a legacy JSON frame (text), or a legacy binary frame with
// buffers (big-endian u32 count and offsets, JSON first).
func decodeLegacy(b []byte, binaryFrame bool) (*message, error) {
	if binaryFrame {
		if len(b) < 8 {
			return nil, errors.New("legacy binary frame too short")
		}
		n := binary.BigEndian.Uint32(b)
		if n < 1 || uint64(len(b)) < 4*(1+uint64(n)) {
			return nil, fmt.Errorf("legacy binary frame with bad buffer count %d", n)
		}
		start := binary.BigEndian.Uint32(b[4:])
		end := uint32(len(b))
		if n > 1 {
			end = binary.BigEndian.Uint32(b[8:])
		}
		if start > end || end > uint32(len(b)) {
			return nil, errors.New("legacy binary frame with bad offsets")
		}
		b = b[start:end]
	}
	var l legacyMsg
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("legacy frame: %w", err)
	}
	m := &message{Channel: l.Channel, Metadata: l.Metadata, Content: l.Content}
	if err := json.Unmarshal(l.Header, &m.Header); err != nil {
		return nil, fmt.Errorf("legacy frame header: %w", err)
	}
	if len(l.ParentHeader) > 0 {
		var p parentHeader
		if err := json.Unmarshal(l.ParentHeader, &p); err != nil {
			return nil, fmt.Errorf("legacy frame parent_header: %w", err)
		}
		m.ParentID = p.MsgID
	}
	return m, nil
}
