package jupyter

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// reorderRelay sits between the client and a real lab's kernel websocket and
// holds back, per request, either the execute_reply until the idle status has
// been forwarded (idleFirst) or the idle until the reply has (replyFirst), so
// both arrival orders are exercised deterministically with a real kernel.
type reorderRelay struct {
	upstream  string // ws base of the real lab
	token     string
	idleFirst bool
	mu        sync.Mutex
	forwarded map[string]string // parent msg_id → "idle" or "reply", whichever went out first
}

func (r *reorderRelay) record(parent, first string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.forwarded[parent]; !ok {
		r.forwarded[parent] = first
	}
}

// counts returns how many requests got idle first and reply first.
func (r *reorderRelay) counts() (idleFirst, replyFirst int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, first := range r.forwarded {
		if first == "idle" {
			idleFirst++
		} else {
			replyFirst++
		}
	}
	return
}

func (r *reorderRelay) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	up := websocket.Upgrader{Subprotocols: websocket.Subprotocols(req)}
	d := websocket.Dialer{Subprotocols: websocket.Subprotocols(req)}
	target := r.upstream + strings.TrimPrefix(req.URL.Path, "/relay") + "?" + req.URL.RawQuery
	server, resp, err := d.Dial(target, http.Header{"Authorization": {"token " + r.token}})
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	client, err := up.Upgrade(w, req, nil)
	if err != nil {
		server.Close()
		return
	}
	go func() { // client → server, unchanged
		for {
			typ, data, err := client.ReadMessage()
			if err != nil || server.WriteMessage(typ, data) != nil {
				server.Close()
				return
			}
		}
	}()
	r.pumpDown(server, client)
}

// pumpDown forwards server → client, reordering reply and idle per parent.
func (r *reorderRelay) pumpDown(server, client *websocket.Conn) {
	defer client.Close()
	v1 := server.Subprotocol() == Subprotocol
	type frame struct {
		typ  int
		data []byte
	}
	held := map[string]frame{}
	seen := map[string]bool{} // the message that releases the held one went out
	for {
		typ, data, err := server.ReadMessage()
		if err != nil {
			return
		}
		m, err := decodeFrame(v1, typ == websocket.BinaryMessage, data)
		if err != nil || m.ParentID == "" {
			client.WriteMessage(typ, data)
			continue
		}
		isReply := strings.HasSuffix(m.Header.MsgType, "_reply")
		isIdle := m.Header.MsgType == "status" && strings.Contains(string(m.Content), `"idle"`)
		holdThis, releaser := isReply, isIdle
		if !r.idleFirst {
			holdThis, releaser = isIdle, isReply
		}
		kind := map[bool]string{true: "reply", false: "idle"}[isReply]
		switch {
		case holdThis && !seen[m.ParentID]:
			held[m.ParentID] = frame{typ, data}
			continue
		case releaser:
			r.record(m.ParentID, kind)
			client.WriteMessage(typ, data)
			seen[m.ParentID] = true
			if f, ok := held[m.ParentID]; ok {
				client.WriteMessage(f.typ, f.data)
				delete(held, m.ParentID)
			}
			continue
		}
		client.WriteMessage(typ, data)
	}
}

func TestRealReplyIdleEitherOrder(t *testing.T) {
	t.Parallel()
	u := labUser(t, "bot-mobu-order", UserOptions{})
	for _, idleFirst := range []bool{true, false} {
		name := map[bool]string{true: "idle before reply", false: "reply before idle"}[idleFirst]
		t.Run(name, func(t *testing.T) {
			relay := &reorderRelay{upstream: u.lab.wsBase, token: u.token.Token, idleFirst: idleFirst,
				forwarded: map[string]string{}}
			srv := httptest.NewServer(relay)
			defer srv.Close()
			saved := u.lab.wsBase // subtests run one at a time
			u.lab.wsBase = "ws" + strings.TrimPrefix(srv.URL, "http") + "/relay"
			s := mustOpenSession(t, u)
			u.lab.wsBase = saved
			for i := range 5 {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				res, err := s.Execute(ctx, "print('cell', "+string(rune('0'+i))+")", ExecOptions{})
				cancel()
				if err != nil || res.Status != "ok" || res.Output != "cell "+string(rune('0'+i))+"\n" {
					t.Fatalf("cell %d: %+v, %v", i, res, err)
				}
			}
			idle, reply := relay.counts()
			forced, other := idle, reply
			if !idleFirst {
				forced, other = reply, idle
			}
			// ≥ 6: our kernel_info and 5 cells (the server's own kernel_info
			// requests on connect add idles of foreign parents).
			if forced < 6 || other != 0 {
				t.Fatalf("relay forwarded idle first %d times and reply first %d times", idle, reply)
			}
		})
	}
}
