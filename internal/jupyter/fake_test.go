package jupyter

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// fakeKernel is a websocket server speaking the kernel protocol, whose replies
// are scripted per test: handle gets each request and a reply function.
type fakeKernel struct {
	t         testing.TB
	v1        bool // select the v1 subprotocol when offered
	handle    func(req *message, r *replier)
	srv       *httptest.Server
	mu        sync.Mutex
	conns     []*websocket.Conn
	interrupt chan struct{}
}

type replier struct {
	conn *websocket.Conn
	v1   bool
	mu   *sync.Mutex
	req  *message
}

// send writes one message whose parent is the request (parent=false: none).
func (r *replier) send(channel, msgType string, content any, metadata map[string]any, parent bool) {
	date := time.Now().UTC().Format(time.RFC3339Nano)
	if d, ok := metadata["_date"]; ok {
		date = d.(string)
		delete(metadata, "_date")
	}
	h, _ := json.Marshal(header{MsgID: "k-" + msgType, MsgType: msgType, Session: "kernel", Date: date})
	p := []byte("{}")
	if parent {
		p, _ = json.Marshal(map[string]string{"msg_id": r.req.Header.MsgID, "msg_type": r.req.Header.MsgType})
	}
	if metadata == nil {
		metadata = map[string]any{}
	}
	md, _ := json.Marshal(metadata)
	c, _ := json.Marshal(content)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.v1 {
		r.conn.WriteMessage(websocket.BinaryMessage, encodeV1(channel, h, p, md, c))
		return
	}
	b, _ := encodeLegacy(channel, h, p, md, c)
	r.conn.WriteMessage(websocket.TextMessage, b)
}

func (r *replier) idle() {
	r.send("iopub", "status", map[string]string{"execution_state": "idle"}, nil, true)
}
func (r *replier) busy() {
	r.send("iopub", "status", map[string]string{"execution_state": "busy"}, nil, true)
}
func (r *replier) reply() {
	r.send("shell", replyType(r.req), map[string]any{"status": "ok", "execution_count": 1}, nil, true)
}

func replyType(m *message) string { return strings.TrimSuffix(m.Header.MsgType, "_request") + "_reply" }

func newFakeKernel(t testing.TB, v1 bool, handle func(*message, *replier)) *fakeKernel {
	f := &fakeKernel{t: t, v1: v1, handle: handle, interrupt: make(chan struct{}, 10)}
	up := websocket.Upgrader{}
	if v1 {
		up.Subprotocols = []string{Subprotocol}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/kernels/k1/interrupt", func(w http.ResponseWriter, r *http.Request) {
		f.interrupt <- struct{}{}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /api/kernels/k1/channels", func(w http.ResponseWriter, r *http.Request) {
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		f.mu.Lock()
		f.conns = append(f.conns, conn)
		f.mu.Unlock()
		f.serve(conn)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		f.mu.Lock()
		for _, c := range f.conns {
			c.Close()
		}
		f.mu.Unlock()
		f.srv.Close()
	})
	return f
}

func (f *fakeKernel) serve(conn *websocket.Conn) {
	var wmu sync.Mutex
	v1 := conn.Subprotocol() == Subprotocol
	for {
		typ, data, err := conn.ReadMessage()
		if err != nil {
			return
		}
		m, err := decodeFrame(v1, typ == websocket.BinaryMessage, data)
		if err != nil {
			f.t.Errorf("fake kernel got an undecodable frame: %v", err)
			return
		}
		r := &replier{conn: conn, v1: v1, mu: &wmu, req: m}
		if m.Header.MsgType == "kernel_info_request" {
			r.busy()
			r.reply()
			r.idle()
			continue
		}
		go f.handle(m, r)
	}
}

// connect dials the fake and waits for kernel_info like OpenSession does.
func (f *fakeKernel) connect(t testing.TB, proto Protocol, opts KernelOptions) *Kernel {
	t.Helper()
	lab := &Lab{rest: requester{client: f.srv.Client(), base: f.srv.URL, auth: tokenAuth("tok")},
		wsHeader: func(string) http.Header { return http.Header{"Authorization": {"token tok"}} },
		wsBase:   "ws" + strings.TrimPrefix(f.srv.URL, "http"), dialer: websocket.DefaultDialer}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, session, err := lab.dialKernel(ctx, "k1", proto)
	if err != nil {
		t.Fatal(err)
	}
	k := newKernel(conn, session, func(ctx context.Context) error { return lab.interrupt(ctx, "k1") }, opts)
	t.Cleanup(func() { k.Close() })
	if err := k.waitReady(ctx, time.Second); err != nil {
		t.Fatal(err)
	}
	return k
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func defaultDialer() *websocket.Dialer { return websocket.DefaultDialer }
