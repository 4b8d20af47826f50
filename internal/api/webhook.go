package api

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mobu-dev/mobu/internal/github"
)

// Webhook configures one GitHub App's webhook route.
type Webhook struct {
	Secret       []byte   // the app's webhook secret (required)
	AcceptedOrgs []string // organizations (or user accounts) whose deliveries are accepted
	// Events are the events Handle processes; others (installation events,
	// which GitHub sends every app, stars…) are acknowledged with 202 and
	// ignored with a log line. Nil hands every event to Handle.
	Events []string
	// Deliveries remembers delivery ids to ignore redeliveries; nil gives
	// the route its own cache (one hour). Sharing it lets the work done
	// after the answer forget a delivery that it could not carry out.
	Deliveries *github.Deliveries
	// Handle processes a verified, new delivery from an accepted owner. It
	// must return at once (work happens elsewhere); an error means the
	// payload is malformed for its event (400), and the delivery id is
	// forgotten so that a redelivery is handled again.
	Handle func(event, delivery string, body []byte) error
}

const maxWebhookBody = 25 << 20 // GitHub caps payloads at 25 MB

// webhook verifies, deduplicates and filters a delivery before handing it on.
func (s *Server) webhook(w *Webhook) echo.HandlerFunc {
	seen := w.Deliveries
	if seen == nil {
		seen = github.NewDeliveries(time.Hour, time.Now)
	}
	return func(c echo.Context) error {
		req := c.Request()
		body, status, msg := verifiedBody(req, w.Secret)
		if status != 0 {
			s.log.Warn("rejected webhook", "path", req.URL.Path, "status", status, "error", msg)
			return answer(c, status, msg)
		}
		event, delivery := req.Header.Get("X-GitHub-Event"), req.Header.Get("X-GitHub-Delivery")
		log := s.log.With("event", event, "delivery", delivery)
		switch {
		case event == "ping":
			return answer(c, http.StatusAccepted, "pong")
		case w.Events != nil && !slices.Contains(w.Events, event):
			log.Info("ignoring a webhook event this app does not handle")
			return answer(c, http.StatusAccepted, fmt.Sprintf("event %q ignored", event))
		case delivery != "" && seen.Seen(delivery):
			log.Info("duplicate webhook delivery ignored")
			return answer(c, http.StatusAccepted, "duplicate delivery ignored")
		}
		status, msg = s.dispatch(log, w, event, delivery, body)
		if status >= 400 {
			seen.Forget(delivery)
		}
		return answer(c, status, msg)
	}
}

// verifiedBody reads a JSON body and checks its signature; a non-zero
// status is the refusal.
func verifiedBody(req *http.Request, secret []byte) ([]byte, int, string) {
	if mt, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type")); mt != "application/json" {
		return nil, http.StatusUnsupportedMediaType, "webhook content type must be application/json"
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, maxWebhookBody+1))
	if err != nil || len(body) > maxWebhookBody {
		return nil, http.StatusRequestEntityTooLarge, "webhook payload too large"
	}
	if err := github.VerifySignature(secret, body, req.Header.Get("X-Hub-Signature-256")); err != nil {
		return nil, http.StatusUnauthorized, "invalid or missing X-Hub-Signature-256"
	}
	return body, 0, ""
}

// dispatch applies the allow-list, when the payload names an owner, and
// hands the delivery to w.Handle.
func (s *Server) dispatch(log *slog.Logger, w *Webhook, event, delivery string, body []byte) (int, string) {
	owner, err := payloadOwner(body)
	if err != nil {
		return http.StatusBadRequest, err.Error()
	}
	if owner != "" && !slices.ContainsFunc(w.AcceptedOrgs, func(o string) bool { return strings.EqualFold(o, owner) }) {
		log.Warn("webhook from an organization that is not accepted", "owner", owner)
		return http.StatusForbidden, fmt.Sprintf("organization %q is not accepted by this mobu", owner)
	}
	if err := w.Handle(event, delivery, body); err != nil {
		log.Warn("webhook payload refused", "error", err)
		return http.StatusBadRequest, err.Error()
	}
	return http.StatusAccepted, "accepted"
}

// payloadOwner is the organization, or for repositories of a user account
// the repository owner; "" when the payload names neither.
func payloadOwner(body []byte) (string, error) {
	var p struct {
		Organization *github.Org       `json:"organization"`
		Repository   github.Repository `json:"repository"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return "", fmt.Errorf("malformed webhook payload: %w", err)
	}
	return github.OwnerLogin(p.Organization, p.Repository), nil
}

// answer writes {"detail": msg}, mobu's shape for webhook answers.
func answer(c echo.Context, status int, msg string) error {
	return writeJSON(c, status, map[string]string{"detail": msg})
}
