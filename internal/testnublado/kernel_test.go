package testnublado

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

const cellTimeout = 90 * time.Second

// encodeV1 lays a message out as a v1.kernel.websocket.jupyter.org frame:
// u64 LE offset count n, n u64 LE offsets, then channel, header,
// parent_header, metadata, content.
func encodeV1(channel string, parts ...any) []byte {
	raw := [][]byte{[]byte(channel)}
	for _, p := range parts {
		b, err := json.Marshal(p)
		if err != nil {
			panic(err)
		}
		raw = append(raw, b)
	}
	n := len(raw) + 1
	buf := make([]byte, 8*(1+n))
	binary.LittleEndian.PutUint64(buf, uint64(n))
	off := 8 * (1 + n)
	for i, p := range raw {
		binary.LittleEndian.PutUint64(buf[8*(1+i):], uint64(off))
		off += len(p)
	}
	binary.LittleEndian.PutUint64(buf[8*n:], uint64(off))
	for _, p := range raw {
		buf = append(buf, p...)
	}
	return buf
}

// kernelMsg is a decoded v1 frame (the parts a cell runner needs).
type kernelMsg struct {
	Channel string
	Type    string
	Parent  string
	Content map[string]any
}

func decodeV1(b []byte) (kernelMsg, error) {
	if len(b) < 8 {
		return kernelMsg{}, errors.New("short v1 frame")
	}
	n := binary.LittleEndian.Uint64(b)
	if n < 6 || uint64(len(b)) < 8*(1+n) {
		return kernelMsg{}, fmt.Errorf("bad v1 offset count %d", n)
	}
	part := func(k int) []byte {
		return b[binary.LittleEndian.Uint64(b[8*(1+k):]):binary.LittleEndian.Uint64(b[8*(2+k):])]
	}
	var h, p struct {
		MsgID   string `json:"msg_id"`
		MsgType string `json:"msg_type"`
	}
	m := kernelMsg{Channel: string(part(0))}
	err := errors.Join(json.Unmarshal(part(1), &h), json.Unmarshal(part(2), &p), json.Unmarshal(part(4), &m.Content))
	m.Type, m.Parent = h.MsgType, p.MsgID
	return m, err
}

// execute runs code on the socket and returns its stdout once both the
// execute_reply and the idle status for it have arrived. A text frame is a
// protocol error on v1 and is returned as such.
func execute(ws *websocket.Conn, session, code string) (string, error) {
	msgID := rand.Text()
	header := map[string]any{"msg_id": msgID, "msg_type": "execute_request", "session": session,
		"username": "bot", "version": "5.4", "date": time.Now().UTC().Format(time.RFC3339Nano)}
	content := map[string]any{"code": code, "silent": false, "store_history": false,
		"user_expressions": map[string]any{}, "allow_stdin": false}
	if err := ws.WriteMessage(websocket.BinaryMessage,
		encodeV1("shell", header, map[string]any{}, map[string]any{}, content)); err != nil {
		return "", err
	}
	ws.SetReadDeadline(time.Now().Add(cellTimeout))
	var out string
	for replied, idle := false, false; !replied || !idle; {
		mt, data, err := ws.ReadMessage()
		if err != nil {
			return out, err
		}
		if mt != websocket.BinaryMessage {
			return out, fmt.Errorf("protocol error: text frame on a v1 socket: %.60s", data)
		}
		m, err := decodeV1(data)
		if err != nil || m.Parent != msgID {
			continue
		}
		switch {
		case m.Type == "stream" && m.Content["name"] == "stdout":
			out += fmt.Sprint(m.Content["text"])
		case m.Type == "execute_reply":
			replied = true
			if m.Content["status"] != "ok" {
				return out, fmt.Errorf("cell failed: %v", m.Content)
			}
		case m.Type == "status" && m.Content["execution_state"] == "idle":
			idle = true
		}
	}
	return out, nil
}

// openKernel creates a console session on the lab and opens its v1 socket.
func (b *bot) openKernel() (*websocket.Conn, string) {
	b.t.Helper()
	sess := b.api(http.StatusCreated, http.MethodPost, "user/"+b.user+"/api/sessions", map[string]any{
		"kernel": map[string]any{"name": "python3"}, "name": "(no notebook)", "path": rand.Text(), "type": "console"})
	kernel, _ := sess["kernel"].(map[string]any)
	kernelID, _ := kernel["id"].(string)
	sessionID, _ := sess["id"].(string)
	ws, resp, err := b.dialKernel(kernelID, v1Protocol)
	if err != nil {
		b.t.Fatalf("kernel socket: %v (%v)\nviolations: %q", err, resp, b.srv.Violations())
	}
	b.t.Cleanup(func() { ws.Close() })
	if ws.Subprotocol() != v1Protocol {
		b.t.Fatalf("kernel socket selected %q, want %s", ws.Subprotocol(), v1Protocol)
	}
	return ws, sessionID
}

// closeKernel closes the socket cleanly and deletes the session.
func (b *bot) closeKernel(t testing.TB, ws *websocket.Conn, sessionID string) {
	t.Helper()
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	if err := ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(5*time.Second)); err != nil {
		t.Errorf("closing kernel socket: %v", err)
	}
	ws.Close()
	b.api(http.StatusNoContent, http.MethodDelete, "user/"+b.user+"/api/sessions/"+sessionID, nil)
}
