package testnublado

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// hubDo calls the real hub's REST API with the service token.
func (s *Server) hubDo(ctx context.Context, method, path string, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.hub.URL+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "token "+s.hub.Token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return s.backend.Do(req)
}

// hubRead calls the real hub and reads its whole answer.
func (s *Server) hubRead(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	resp, err := s.hubDo(ctx, method, path, body)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	return resp.StatusCode, answer, err
}

// ensureHubUser creates u on the real hub unless it exists (Nublado's login
// creates the JupyterHub user).
func (s *Server) ensureHubUser(ctx context.Context, u string) error {
	status, body, err := s.hubRead(ctx, http.MethodPost, "/hub/api/users/"+u, nil)
	if err == nil && status != http.StatusCreated && status != http.StatusConflict {
		err = fmt.Errorf("status %d: %s", status, body)
	}
	if err != nil {
		return fmt.Errorf("testnublado: creating user %s on the hub: %w", u, err)
	}
	return nil
}

// hubModel returns the real hub's user model of u.
func (s *Server) hubModel(ctx context.Context, u string) (int, map[string]any, []byte, error) {
	status, body, err := s.hubRead(ctx, http.MethodGet, "/hub/api/users/"+u, nil)
	if err != nil || status != http.StatusOK {
		return status, nil, body, err
	}
	model, err := decodeObject(body)
	return status, model, body, err
}

func decodeObject(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

// encodeJSON marshals without HTML escaping (html_message stays readable).
func encodeJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return []byte("null")
	}
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// labReady reports whether u's default server is ready on the real hub.
func (s *Server) labReady(ctx context.Context, u string) bool {
	_, model, _, err := s.hubModel(ctx, u)
	if err != nil || model == nil {
		return false
	}
	servers, _ := model["servers"].(map[string]any)
	server, _ := servers[""].(map[string]any)
	return server["ready"] == true
}

// userModel is GET hub/api/users/<u>: the real hub's model, URLs moved under
// the base path; with HangDelete a deleted server stays listed.
func (s *Server) userModel(c *call, u string) {
	if !s.hubAPIAuth(c, u) {
		return
	}
	status, model, body, err := s.hubModel(c.r.Context(), u)
	switch {
	case err != nil && status == 0:
		hubAPIError(c.w, http.StatusBadGateway, "testnublado: hub: "+err.Error())
	case model == nil:
		passthrough(c.w, status, body)
	default:
		s.rewriteModel(u, model)
		passthrough(c.w, http.StatusOK, encodeJSON(model))
	}
}

func (s *Server) rewriteModel(u string, model map[string]any) {
	servers, ok := model["servers"].(map[string]any)
	if !ok {
		servers = map[string]any{}
		model["servers"] = servers
	}
	s.mu.Lock()
	kept, hang := s.hanging[u]
	s.mu.Unlock()
	if hang { // the hung delete: listed as stopping whatever the hub says
		if server, err := decodeObject(kept); err == nil {
			servers[""] = server
		}
	}
	for _, v := range servers {
		if m, ok := v.(map[string]any); ok {
			s.rewriteURLs(u, m, "url", "progress_url")
		}
	}
	s.rewriteURLs(u, model, "server")
}

// rewriteURLs maps the real hub's /user/… and /hub/… paths in m[keys] into
// the fake's URL space.
func (s *Server) rewriteURLs(u string, m map[string]any, keys ...string) {
	for _, k := range keys {
		v, _ := m[k].(string)
		switch {
		case strings.HasPrefix(v, "/user/"):
			m[k] = s.labOrigin(u) + basePath + v
		case strings.HasPrefix(v, "/hub/"):
			m[k] = basePath + v
		}
	}
}

func passthrough(w http.ResponseWriter, status int, body []byte) {
	if len(body) > 0 {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	w.Write(body)
}

// deleteServer is DELETE hub/api/users/<u>/server: the real hub's answer, or
// with HangDelete 202 while the lab keeps running and its server entry
// stays listed as stopping, never going away.
func (s *Server) deleteServer(c *call, u string) {
	if !s.hubAPIAuth(c, u) {
		return
	}
	s.mu.Lock()
	hang := s.opts.HangDelete
	s.mu.Unlock()
	if hang {
		s.keepServer(c.r.Context(), u)
		c.w.WriteHeader(http.StatusAccepted)
		return
	}
	status, body, err := s.hubRead(c.r.Context(), http.MethodDelete, "/hub/api/users/"+u+"/server", nil)
	if err != nil {
		hubAPIError(c.w, http.StatusBadGateway, "testnublado: hub: "+err.Error())
		return
	}
	passthrough(c.w, status, body)
}

// HangDeletes turns HangDelete on or off while the server runs. Turned off,
// labs whose delete hung are still running, and the next delete stops them.
func (s *Server) HangDeletes(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.HangDelete = on
	if !on {
		clear(s.hanging)
	}
}

// keepServer remembers u's server entry as "pending stop" (HangDelete).
func (s *Server) keepServer(ctx context.Context, u string) {
	_, model, _, err := s.hubModel(ctx, u)
	if err != nil || model == nil {
		return
	}
	servers, _ := model["servers"].(map[string]any)
	server, ok := servers[""].(map[string]any)
	if !ok {
		return
	}
	server["ready"], server["pending"] = false, "stop"
	s.mu.Lock()
	s.hanging[u] = encodeJSON(server)
	s.mu.Unlock()
}

// progress is GET hub/api/users/<u>/server/progress: the real hub's event
// stream with the ready event's url moved under the base path, or with
// SpawnFails a failed spawn.
func (s *Server) progress(c *call, u string) {
	if !s.hubAPIAuth(c, u) {
		return
	}
	if a := c.r.Header.Get("Accept"); !strings.Contains(a, "text/event-stream") {
		s.violate(c.r, "Accept %q, want text/event-stream", a)
	}
	s.mu.Lock()
	failed := s.failed[u]
	if t, ok := s.posted[u]; ok {
		if _, seen := s.settled[u]; !seen {
			s.settled[u] = time.Since(t)
		}
	}
	s.mu.Unlock()
	if failed {
		s.failedProgress(c.w, u)
		return
	}
	resp, err := s.hubDo(c.r.Context(), http.MethodGet, "/hub/api/users/"+u+"/server/progress", nil)
	if err != nil {
		hubAPIError(c.w, http.StatusBadGateway, "testnublado: hub: "+err.Error())
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		passthrough(c.w, resp.StatusCode, body)
		return
	}
	s.streamEvents(c.w, u, resp.Body)
}

// streamEvents copies an event stream line by line, flushing each line.
func (s *Server) streamEvents(w http.ResponseWriter, u string, body io.Reader) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	rd := bufio.NewReader(body)
	for {
		line, err := rd.ReadString('\n')
		if line != "" {
			io.WriteString(w, s.rewriteEvent(u, line))
			if flusher != nil {
				flusher.Flush()
			}
		}
		if err != nil {
			return
		}
	}
}

// rewriteEvent rewrites the url of a "data: {...}" line.
func (s *Server) rewriteEvent(u, line string) string {
	data, ok := strings.CutPrefix(line, "data:")
	if !ok {
		return line
	}
	ev, err := decodeObject([]byte(data))
	if err != nil {
		return line
	}
	s.rewriteURLs(u, ev, "url")
	return "data: " + string(encodeJSON(ev)) + "\n"
}

// failedProgress streams a failed spawn like KubeSpawner's.
func (s *Server) failedProgress(w http.ResponseWriter, u string) {
	events := []string{
		`{"progress": 0, "message": "Server requested"}`,
		`{"progress": 50, "message": "Spawning server..."}`,
		fmt.Sprintf(`{"progress": 100, "failed": true, "message": "Spawn failed: lab for %s failed to start (testnublado SpawnFails)"}`, u),
	}
	s.streamEvents(w, u, strings.NewReader("\n\n"+"data: "+strings.Join(events, "\n\ndata: ")+"\n\n"))
}
