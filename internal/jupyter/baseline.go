package jupyter

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
)

// Baseline is a deliberately minimal kernel client used by `mobu bench` as
// the reference: a second websocket to the same kernel, legacy JSON frames,
// generic map decoding, no routing table, one request at a time.
type Baseline struct {
	conn    *websocket.Conn
	session string
}

// OpenBaseline connects the minimal client to the session's kernel.
func (s *Session) OpenBaseline(ctx context.Context) (*Baseline, error) {
	session := uuid.NewString()
	u := s.lab.wsBase + "/api/kernels/" + url.PathEscape(s.KernelID) + "/channels?session_id=" + session
	conn, _, err := websocket.DefaultDialer.DialContext(ctx, u, s.lab.wsHeader(u))
	if err != nil {
		return nil, fmt.Errorf("opening baseline websocket: %w", err)
	}
	return &Baseline{conn: conn, session: session}, nil
}

// Execute sends code and returns the time until both its reply and its idle
// status arrived.
func (b *Baseline) Execute(ctx context.Context, code string) (time.Duration, error) {
	id := uuid.NewString()
	msg := map[string]any{
		"channel":       "shell",
		"header":        map[string]any{"msg_id": id, "msg_type": "execute_request", "session": b.session, "username": "baseline", "date": time.Now().UTC().Format(time.RFC3339Nano), "version": "5.4"},
		"parent_header": map[string]any{}, "metadata": map[string]any{}, "buffers": []any{},
		"content": map[string]any{"code": code, "silent": false, "store_history": false, "user_expressions": map[string]any{}, "allow_stdin": false},
	}
	if dl, ok := ctx.Deadline(); ok {
		b.conn.SetReadDeadline(dl)
	}
	start := time.Now()
	if err := b.conn.WriteJSON(msg); err != nil {
		return 0, err
	}
	reply, idle := false, false
	for !reply || !idle {
		var m map[string]any
		if err := b.conn.ReadJSON(&m); err != nil {
			return 0, err
		}
		parent, _ := m["parent_header"].(map[string]any)
		if parent["msg_id"] != id {
			continue
		}
		h, _ := m["header"].(map[string]any)
		c, _ := m["content"].(map[string]any)
		reply = reply || h["msg_type"] == "execute_reply"
		idle = idle || (h["msg_type"] == "status" && c["execution_state"] == "idle")
	}
	return time.Since(start), nil
}

// Close closes the baseline connection.
func (b *Baseline) Close() error { return b.conn.Close() }
