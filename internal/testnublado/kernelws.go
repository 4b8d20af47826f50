package testnublado

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/gorilla/websocket"
)

// textFrame is what the TextFrame knob sends: a legacy-protocol JSON message.
const textFrame = `{"channel": "iopub", "header": {"msg_type": "status"}, "parent_header": {}, ` +
	`"metadata": {}, "content": {"execution_state": "idle"}}`

// kernelSocket is GET user/<u>/api/kernels/<id>/channels: Nublado's labs
// (jupyter-server-documents) speak only v1.kernel.websocket.jupyter.org and,
// behind Gafaelfawr, need the bearer token, the lab cookie and X-XSRFToken
// on the upgrade. The socket is proxied to the real single-user server.
func (s *Server) kernelSocket(c *call, u, kernelID string) {
	s.wantMode(c, "same-origin", "websocket")
	if !s.labSession(c, u, true) {
		return
	}
	fail := func(status int, msg string) {
		s.violate(c.r, "%s", msg)
		labAPIError(c.w, status, msg)
	}
	if o := c.r.Header.Get("Origin"); o != "" {
		if ou, err := url.Parse(o); err != nil || ou.Host != c.r.Host {
			fail(http.StatusForbidden, "Cross origin websocket request: Origin "+o+" does not match the host "+c.r.Host)
			return
		}
	}
	if !websocket.IsWebSocketUpgrade(c.r) {
		fail(http.StatusBadRequest, `Can "Upgrade" only to "WebSocket".`)
		return
	}
	if !slices.Contains(websocket.Subprotocols(c.r), v1Protocol) {
		fail(http.StatusBadRequest, "kernel websocket without the "+v1Protocol+
			" subprotocol: Nublado labs (jupyter-server-documents) speak only v1")
		return
	}
	backend, ok := s.dialKernel(c, u, kernelID)
	if !ok {
		return
	}
	up := websocket.Upgrader{Subprotocols: []string{v1Protocol}, CheckOrigin: func(*http.Request) bool { return true }}
	client, err := up.Upgrade(c.w, c.r, nil)
	if err != nil {
		backend.Close() // Upgrade has answered the client
		return
	}
	s.pipe(client, backend, c.r.Method+" "+c.r.URL.Path)
}

// dialKernel opens the real single-user server's kernel socket with the v1
// subprotocol; on failure it answers the client with the server's status.
func (s *Server) dialKernel(c *call, u, kernelID string) (*websocket.Conn, bool) {
	target := "ws://" + s.hubURL.Host + "/user/" + u + "/api/kernels/" + kernelID + "/channels"
	if q := c.r.URL.RawQuery; q != "" {
		target += "?" + q
	}
	h := http.Header{"Authorization": {"token " + s.hub.Token}}
	conn, resp, err := s.dialer.DialContext(c.r.Context(), target, h)
	if err != nil {
		if resp != nil {
			body, _ := io.ReadAll(resp.Body)
			passthrough(c.w, resp.StatusCode, body)
			return nil, false
		}
		labAPIError(c.w, http.StatusBadGateway, "testnublado: kernel socket: "+err.Error())
		return nil, false
	}
	if conn.Subprotocol() != v1Protocol {
		conn.Close()
		labAPIError(c.w, http.StatusBadGateway, "testnublado: the single-user server did not select "+
			v1Protocol+" (a legacy notebook server?)")
		return nil, false
	}
	return conn, true
}

// pipe copies frames both ways until either side closes; then it closes both.
func (s *Server) pipe(client, backend *websocket.Conn, where string) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		client.Close()
		backend.Close()
		return
	}
	s.sockets[client], s.sockets[backend] = true, true
	s.pipes.Add(2)
	s.mu.Unlock()
	done := func() {
		client.Close()
		backend.Close()
		s.mu.Lock()
		delete(s.sockets, client)
		delete(s.sockets, backend)
		s.mu.Unlock()
		s.pipes.Done()
	}
	go func() { defer done(); s.clientToKernel(client, backend, where) }()
	go func() { defer done(); s.kernelToClient(backend, client) }()
}

// clientToKernel forwards the client's frames. A text frame breaks a v1
// connection: the real server fails ("cannot convert 'str' object to
// bytes") and the socket drops without a close frame (1006).
func (s *Server) clientToKernel(client, backend *websocket.Conn, where string) {
	for {
		mt, data, err := client.ReadMessage()
		if err != nil {
			forwardClose(backend, err)
			return
		}
		if mt == websocket.TextMessage {
			s.record(where, "text frame on a v1 kernel websocket (the server fails with "+
				"\"cannot convert 'str' object to bytes\" and drops the connection)")
			return
		}
		if backend.WriteMessage(mt, data) != nil {
			return
		}
	}
}

// kernelToClient forwards the kernel's frames (TextFrame: plus one text
// frame after the first).
func (s *Server) kernelToClient(backend, client *websocket.Conn) {
	for n := 0; ; n++ {
		mt, data, err := backend.ReadMessage()
		if err != nil {
			forwardClose(client, err)
			return
		}
		if client.WriteMessage(mt, data) != nil {
			return
		}
		if n == 0 && s.opts.TextFrame && client.WriteMessage(websocket.TextMessage, []byte(textFrame)) != nil {
			return
		}
	}
}

// forwardClose passes a close frame on to the other side.
func forwardClose(dst *websocket.Conn, err error) {
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code == websocket.CloseAbnormalClosure {
		return
	}
	msg := websocket.FormatCloseMessage(ce.Code, ce.Text)
	dst.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
}
