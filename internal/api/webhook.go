package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
	// Handle processes a verified, new delivery from an accepted owner. It
	// must return at once (work happens elsewhere); an error means the
	// payload is malformed for its event (400).
	Handle func(event, delivery string, body []byte) error
}

const maxWebhookBody = 25 << 20 // GitHub caps payloads at 25 MB

// webhook verifies, deduplicates and filters a delivery before handing it on.
func (s *Server) webhook(w *Webhook) echo.HandlerFunc {
	seen := github.NewDeliveries(time.Hour, time.Now)
	return func(c echo.Context) error {
		req := c.Request()
		if mt, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type")); mt != "application/json" {
			return answer(c, http.StatusUnsupportedMediaType, "webhook content type must be application/json")
		}
		body, err := io.ReadAll(io.LimitReader(req.Body, maxWebhookBody+1))
		if err != nil || len(body) > maxWebhookBody {
			return answer(c, http.StatusRequestEntityTooLarge, "webhook payload too large")
		}
		if err := github.VerifySignature(w.Secret, body, req.Header.Get("X-Hub-Signature-256")); err != nil {
			s.log.Warn("rejected webhook", "path", req.URL.Path, "error", err)
			return answer(c, http.StatusUnauthorized, "invalid or missing X-Hub-Signature-256")
		}
		event, delivery := req.Header.Get("X-GitHub-Event"), req.Header.Get("X-GitHub-Delivery")
		log := s.log.With("event", event, "delivery", delivery)
		switch {
		case event == "ping":
			return answer(c, http.StatusAccepted, "pong")
		case delivery != "" && seen.Seen(delivery):
			log.Info("duplicate webhook delivery ignored")
			return answer(c, http.StatusAccepted, "duplicate delivery ignored")
		}
		owner, err := payloadOwner(body)
		if err != nil {
			return answer(c, http.StatusBadRequest, err.Error())
		}
		if !slices.ContainsFunc(w.AcceptedOrgs, func(o string) bool { return strings.EqualFold(o, owner) }) {
			log.Warn("webhook from an organization that is not accepted", "owner", owner)
			return answer(c, http.StatusForbidden, fmt.Sprintf("organization %q is not accepted by this mobu", owner))
		}
		if err := w.Handle(event, delivery, body); err != nil {
			return answer(c, http.StatusBadRequest, err.Error())
		}
		return answer(c, http.StatusAccepted, "accepted")
	}
}

// payloadOwner is the organization, or for repositories of a user account
// the repository owner.
func payloadOwner(body []byte) (string, error) {
	var p struct {
		Organization *github.Org       `json:"organization"`
		Repository   github.Repository `json:"repository"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return "", fmt.Errorf("malformed webhook payload: %w", err)
	}
	owner := github.OwnerLogin(p.Organization, p.Repository)
	if owner == "" {
		return "", errors.New("webhook payload names no organization or repository owner")
	}
	return owner, nil
}

// answer writes {"detail": msg}, mobu's shape for webhook answers.
func answer(c echo.Context, status int, msg string) error {
	return writeJSON(c, status, map[string]string{"detail": msg})
}
