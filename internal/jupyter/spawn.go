package jupyter

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/mobu-dev/mobu/internal/ctxtime"
)

// ErrSpawnFailed is returned when the hub reports that a lab failed to start.
var ErrSpawnFailed = errors.New("lab spawn failed")

// Progress is one event of the hub's spawn progress stream.
type Progress struct {
	Percent int    `json:"progress"`
	Message string `json:"message"`
	Ready   bool   `json:"ready"`
	Failed  bool   `json:"failed"`
	URL     string `json:"url"`
}

// startServer asks the hub to start the server. It returns once the hub has
// accepted (201 ready or 202 pending, or the server is already up or
// starting), waiting out 429 Retry-After and pending stops until ctx ends.
func (h *Hub) startServer(ctx context.Context, user, server string, options map[string]any) error {
	var body any
	if len(options) > 0 {
		body = options
	}
	for {
		_, err := h.api.do(ctx, http.MethodPost, serverPath(user, server), body, nil)
		if err == nil {
			return nil
		}
		var he *HTTPError
		if !errors.As(err, &he) {
			return fmt.Errorf("starting lab of %s: %w", user, err)
		}
		switch {
		case he.Status == http.StatusTooManyRequests:
			wait := 30 * time.Second // JupyterHub sends 30–60 s
			if he.HasRetryAfter {
				wait = max(he.RetryAfter, 500*time.Millisecond)
			}
			h.log.Info("hub is busy, retrying spawn", "user", user, "retry_after", wait)
			if err := ctxtime.Sleep(ctx, wait); err != nil {
				return fmt.Errorf("starting lab of %s: hub answered 429 and %w before Retry-After", user, err)
			}
		case he.Status == http.StatusBadRequest && strings.Contains(he.Message, "already running"),
			he.Status == http.StatusBadRequest && strings.Contains(he.Message, "pending spawn"):
			return nil
		case he.Status == http.StatusBadRequest && strings.Contains(he.Message, "pending stop"):
			if err := h.waitServer(ctx, user, server, func(s *serverModel) bool { return s == nil }); err != nil {
				return fmt.Errorf("starting lab of %s: waiting for the previous lab to stop: %w", user, err)
			}
		default:
			return fmt.Errorf("starting lab of %s: %w", user, err)
		}
	}
}

// waitReady follows the progress stream until the lab is ready or failed and
// returns the server's URL path. onProgress, if set, sees every event.
func (h *Hub) waitReady(ctx context.Context, user, server string, onProgress func(Progress)) (string, error) {
	resp, err := h.api.send(ctx, http.MethodGet, serverPath(user, server)+"/progress", nil, "text/event-stream")
	if statusOf(err) == http.StatusBadRequest {
		// Neither starting nor failed: it may be ready already.
		s, serr := h.server(ctx, user, server)
		if serr == nil && s != nil && s.Ready {
			return s.URL, nil
		}
		return "", fmt.Errorf("waiting for lab of %s: %w", user, err)
	}
	if err != nil {
		return "", fmt.Errorf("waiting for lab of %s: %w", user, err)
	}
	defer resp.Body.Close()
	return readProgress(ctx, resp.Body, user, onProgress)
}

// readProgress follows a spawn progress stream to ready (returning the
// server's URL path) or failed.
func readProgress(ctx context.Context, body io.Reader, user string, onProgress func(Progress)) (string, error) {
	var last Progress
	err := readSSE(body, func(data []byte) bool {
		var p Progress
		if json.Unmarshal(data, &p) != nil {
			return true // skip unparsable events
		}
		last = p
		if onProgress != nil {
			onProgress(p)
		}
		return !p.Ready && !p.Failed
	})
	switch {
	case last.Ready:
		return last.URL, nil
	case last.Failed:
		return "", fmt.Errorf("%w: %s", ErrSpawnFailed, last.Message)
	case ctx.Err() != nil:
		return "", fmt.Errorf("lab of %s not ready: %w (last progress %d%%: %q)", user, ctx.Err(), last.Percent, last.Message)
	case err != nil:
		return "", fmt.Errorf("reading spawn progress of %s: %w", user, err)
	}
	return "", fmt.Errorf("%w: progress stream ended before the lab was ready (last %d%%: %q)",
		ErrSpawnFailed, last.Percent, last.Message)
}

// readSSE calls fn with the data of each server-sent event until fn returns
// false or the stream ends.
func readSSE(r io.Reader, fn func([]byte) bool) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	var data []byte
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 {
			if len(data) > 0 && !fn(data) {
				return nil
			}
			data = data[:0]
			continue
		}
		if v, ok := strings.CutPrefix(string(line), "data:"); ok {
			if len(data) > 0 {
				data = append(data, '\n')
			}
			data = append(data, strings.TrimPrefix(v, " ")...)
		}
	}
	if len(data) > 0 {
		fn(data)
	}
	return sc.Err()
}

// stopServer asks the hub to stop the server and waits until it is gone. A
// pending spawn is waited out first (JupyterHub refuses to stop it).
func (h *Hub) stopServer(ctx context.Context, user, server string) error {
	for {
		_, err := h.api.do(ctx, http.MethodDelete, serverPath(user, server), nil, nil)
		var he *HTTPError
		switch {
		case err == nil:
		case errors.As(err, &he) && he.Status == http.StatusNotFound:
			return nil
		case errors.As(err, &he) && he.Status == http.StatusBadRequest && strings.Contains(he.Message, "pending spawn"):
			h.log.Info("lab spawn still pending, waiting to stop it", "user", user)
			notSpawning := func(s *serverModel) bool { return s == nil || s.Pending == nil || *s.Pending != "spawn" }
			if err := h.waitServer(ctx, user, server, notSpawning); err != nil {
				return fmt.Errorf("stopping lab of %s: waiting for its pending spawn to end: %w", user, err)
			}
			continue
		default:
			return fmt.Errorf("stopping lab of %s: %w", user, err)
		}
		if err := h.waitServer(ctx, user, server, func(s *serverModel) bool { return s == nil }); err != nil {
			return fmt.Errorf("stopping lab of %s: %w", user, err)
		}
		return nil
	}
}

// waitServer polls the user's server model with backoff until done holds.
func (h *Hub) waitServer(ctx context.Context, user, server string, done func(*serverModel) bool) error {
	wait := 100 * time.Millisecond
	for {
		s, err := h.server(ctx, user, server)
		if err != nil {
			return err
		}
		if done(s) {
			return nil
		}
		if err := ctxtime.Sleep(ctx, wait); err != nil {
			state := "running"
			if s.Pending != nil {
				state = "pending " + *s.Pending
			}
			return fmt.Errorf("lab still %s: %w", state, err)
		}
		wait = min(wait*2, 2*time.Second)
	}
}
