package jupyter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
)

// Protocol selects the kernel websocket framing.
type Protocol string

// Kernel websocket protocols.
const (
	ProtocolAuto   Protocol = ""       // offer v1, fall back to legacy JSON
	ProtocolV1     Protocol = "v1"     // require v1 (Nublado)
	ProtocolLegacy Protocol = "legacy" // offer nothing: legacy JSON frames
)

// Lab is a client of one user's Jupyter server.
type Lab struct {
	rest     requester // {origin}{server url}, e.g. http://h/user/bot/
	wsBase   string
	wsHeader func(wsURL string) http.Header // credentials for the kernel websocket upgrade
	dialer   *websocket.Dialer
	log      *slog.Logger
}

func newLab(h *Hub, serverURL, token string) (*Lab, error) {
	u, err := url.Parse(h.origin + "/" + strings.Trim(serverURL, "/"))
	if err != nil || serverURL == "" {
		return nil, fmt.Errorf("lab url %q: %v", serverURL, err)
	}
	ws := *u
	ws.Scheme = map[string]string{"http": "ws", "https": "wss"}[u.Scheme]
	return &Lab{
		rest:     requester{client: h.api.client, base: u.String(), auth: tokenAuth(token)},
		wsBase:   ws.String(),
		wsHeader: func(string) http.Header { return http.Header{"Authorization": {"token " + token}} },
		dialer:   h.dialer,
		log:      h.log,
	}, nil
}

type sessionModel struct {
	ID     string `json:"id"`
	Kernel struct {
		ID string `json:"id"`
	} `json:"kernel"`
}

// createSession starts a kernel behind a new session at path.
func (l *Lab) createSession(ctx context.Context, path, name, kernelName, typ string) (sessionModel, error) {
	body := map[string]any{"path": path, "name": name, "type": typ, "kernel": map[string]string{"name": kernelName}}
	var s sessionModel
	_, err := l.rest.do(ctx, http.MethodPost, "/api/sessions", body, &s)
	if err == nil && (s.ID == "" || s.Kernel.ID == "") {
		err = errors.New("the lab answered without a session or kernel id")
	}
	if err != nil {
		return s, fmt.Errorf("creating kernel session: %w", err)
	}
	return s, nil
}

// deleteSession deletes the session, which shuts its kernel down.
func (l *Lab) deleteSession(ctx context.Context, id string) error {
	_, err := l.rest.do(ctx, http.MethodDelete, "/api/sessions/"+url.PathEscape(id), nil, nil)
	if err != nil && statusOf(err) != http.StatusNotFound {
		return fmt.Errorf("deleting kernel session: %w", err)
	}
	return nil
}

// interrupt sends the kernel a SIGINT through the REST API.
func (l *Lab) interrupt(ctx context.Context, kernelID string) error {
	_, err := l.rest.do(ctx, http.MethodPost, "/api/kernels/"+url.PathEscape(kernelID)+"/interrupt", nil, nil)
	if err != nil {
		return fmt.Errorf("interrupting kernel: %w", err)
	}
	return nil
}

// newPathID is a random session path, as JupyterLab's consoles use.
func newPathID() string { return strings.ReplaceAll(uuid.NewString(), "-", "") }

// dialKernel opens the kernel's channels websocket with the given protocol.
func (l *Lab) dialKernel(ctx context.Context, kernelID string, proto Protocol) (*websocket.Conn, string, error) {
	session := uuid.NewString()
	u := l.wsBase + "/api/kernels/" + url.PathEscape(kernelID) + "/channels?session_id=" + session
	d := *l.dialer
	d.Subprotocols = nil
	if proto != ProtocolLegacy {
		d.Subprotocols = []string{Subprotocol}
	}
	conn, resp, err := d.DialContext(ctx, u, l.wsHeader(u))
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			defer resp.Body.Close()
			req := &http.Request{Method: http.MethodGet, URL: resp.Request.URL}
			return nil, "", fmt.Errorf("opening kernel websocket: %w", newHTTPError(req, resp))
		}
		if ctx.Err() != nil {
			return nil, "", fmt.Errorf("opening kernel websocket: %w", ctx.Err())
		}
		return nil, "", fmt.Errorf("opening kernel websocket: %w: %w", ErrUnreachable, err)
	}
	if proto == ProtocolV1 && conn.Subprotocol() != Subprotocol {
		conn.Close()
		return nil, "", fmt.Errorf("opening kernel websocket: the server did not accept %s", Subprotocol)
	}
	return conn, session, nil
}
