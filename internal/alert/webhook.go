package alert

import (
	"encoding/json"
	"fmt"
	"time"
)

// webhookTracebackLimit bounds the traceback of a webhook body (its end is
// kept), in characters.
const webhookTracebackLimit = 64 << 10

// WebhookTime is a time in a webhook body: RFC 3339 in UTC, null when zero.
type WebhookTime time.Time

// MarshalJSON implements json.Marshaler.
func (t WebhookTime) MarshalJSON() ([]byte, error) {
	if time.Time(t).IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(time.Time(t).UTC().Format(time.RFC3339))
}

// WebhookFailure is the body of a failure for the generic webhook. Every
// field is always present.
type WebhookFailure struct {
	Type             string      `json:"type"` // "failure"
	At               WebhookTime `json:"at"`
	Flock            string      `json:"flock"`
	Monkey           string      `json:"monkey"`
	User             string      `json:"user"`
	Business         string      `json:"business"`
	Phase            string      `json:"phase"`
	Notebook         string      `json:"notebook"`
	CellID           string      `json:"cell_id"`
	CellNumber       int         `json:"cell_number"`
	Code             string      `json:"code"`
	Error            string      `json:"error"`
	ErrorType        string      `json:"error_type"`
	Traceback        string      `json:"traceback"` // ANSI escapes stripped
	Image            string      `json:"image"`
	ImageDescription string      `json:"image_description"`
	Node             string      `json:"node"`
	TraceID          string      `json:"trace_id"`
	Started          WebhookTime `json:"started"`
	Failed           WebhookTime `json:"failed"`
	Suppressed       int         `json:"suppressed"`
	LastAlert        WebhookTime `json:"last_alert"`
}

// WebhookResolved is the body of a resolved message.
type WebhookResolved struct {
	Type            string      `json:"type"` // "resolved"
	At              WebhookTime `json:"at"`
	Flock           string      `json:"flock"`
	Business        string      `json:"business"`
	Notebook        string      `json:"notebook"`
	CellID          string      `json:"cell_id"`
	CellNumber      int         `json:"cell_number"`
	ErrorType       string      `json:"error_type"`
	Error           string      `json:"error"`
	FailingSince    WebhookTime `json:"failing_since"`
	Resolved        WebhookTime `json:"resolved"`
	DurationSeconds float64     `json:"duration_seconds"`
	Failures        int         `json:"failures"`
}

// WebhookStatus is the body of a status message.
type WebhookStatus struct {
	Type        string              `json:"type"` // "status"
	At          WebhookTime         `json:"at"`
	Environment string              `json:"environment"`
	Replica     *WebhookReplica     `json:"replica,omitempty"` // only with several replicas
	Flocks      []WebhookFlockState `json:"flocks"`
	Total       WebhookFlockState   `json:"total"`
}

// WebhookReplica says which of several replicas sent a status (index 0-based).
type WebhookReplica struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// WebhookFlockState is one flock of a status message; SuccessRate is
// between 0 and 1, null without runs.
type WebhookFlockState struct {
	Name        string   `json:"name"`
	Business    string   `json:"business"`
	Monkeys     int      `json:"monkeys"`
	Running     int      `json:"running"`
	Errors      int      `json:"errors"`
	Successes   int64    `json:"successes"`
	Failures    int64    `json:"failures"`
	SuccessRate *float64 `json:"success_rate"`
}

// renderWebhook is the renderFunc of the generic webhook target.
func renderWebhook(m Message) ([]byte, error) {
	switch m.Kind {
	case KindFailure:
		return json.Marshal(webhookFailure(m))
	case KindResolved:
		return json.Marshal(webhookResolved(m))
	case KindStatus:
		return json.Marshal(webhookStatus(m))
	}
	return nil, fmt.Errorf("unknown message kind %q", m.Kind)
}

func webhookFailure(m Message) WebhookFailure {
	f := m.Failure
	return WebhookFailure{
		Type: string(KindFailure), At: WebhookTime(m.At),
		Flock: f.Flock, Monkey: f.Monkey, User: f.User, Business: f.Business,
		Phase: f.Phase, Notebook: f.Notebook, CellID: f.CellID, CellNumber: f.CellNumber,
		Code: f.Code, Error: f.Error, ErrorType: f.ErrorType,
		Traceback: tail(stripANSI(f.Traceback), webhookTracebackLimit),
		Image:     f.Image, ImageDescription: f.ImageDescription, Node: f.Node, TraceID: f.TraceID,
		Started: WebhookTime(f.Started), Failed: WebhookTime(f.Failed),
		Suppressed: m.Suppressed, LastAlert: WebhookTime(m.LastAlert),
	}
}

func webhookResolved(m Message) WebhookResolved {
	r := m.Resolution
	return WebhookResolved{
		Type: string(KindResolved), At: WebhookTime(m.At),
		Flock: r.Flock, Business: r.Business, Notebook: r.Notebook,
		CellID: r.CellID, CellNumber: r.CellNumber, ErrorType: r.ErrorType, Error: r.Error,
		FailingSince: WebhookTime(r.FailingSince), Resolved: WebhookTime(r.Resolved),
		DurationSeconds: r.Duration().Seconds(), Failures: r.Failures,
	}
}

func webhookStatus(m Message) WebhookStatus {
	flocks := make([]WebhookFlockState, 0, len(m.Status.Flocks))
	for _, f := range m.Status.Flocks {
		flocks = append(flocks, webhookFlock(f))
	}
	w := WebhookStatus{
		Type: string(KindStatus), At: WebhookTime(m.At), Environment: m.Status.Environment,
		Flocks: flocks, Total: webhookFlock(m.Status.Total()),
	}
	if m.Status.ReplicaCount > 1 {
		w.Replica = &WebhookReplica{Index: m.Status.ReplicaIndex, Count: m.Status.ReplicaCount}
	}
	return w
}

func webhookFlock(f FlockStatus) WebhookFlockState {
	w := WebhookFlockState{
		Name: f.Name, Business: f.Business, Monkeys: f.Monkeys, Running: f.Running,
		Errors: f.Errors, Successes: f.Successes, Failures: f.Failures,
	}
	if rate, ok := f.SuccessRate(); ok {
		w.SuccessRate = &rate
	}
	return w
}

// tail keeps the last limit characters of s, after "…" when cut.
func tail(s string, limit int) string {
	if runes(s) <= limit {
		return s
	}
	r := []rune(s)
	return ellipsis + string(r[len(r)-limit+1:])
}
