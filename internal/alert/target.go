package alert

import (
	"context"
	"fmt"
)

// Target is where messages go. Send renders m for the target and delivers
// it, usually with p, which posts with the alerter's retry policy. String
// describes the target for logs and must not reveal secrets.
type Target interface {
	fmt.Stringer
	Send(ctx context.Context, p Poster, m Message) error
}

// renderFunc turns a message into a JSON body.
type renderFunc func(m Message) ([]byte, error)

// httpTarget posts a rendered JSON body to a secret URL.
type httpTarget struct {
	kind   string
	url    string // secret: never logged nor put in errors
	render renderFunc
}

func (t *httpTarget) String() string { return t.kind + " " + RedactURL(t.url) }

// Send implements Target.
func (t *httpTarget) Send(ctx context.Context, p Poster, m Message) error {
	body, err := t.render(m)
	if err != nil {
		return fmt.Errorf("render %s message for %s: %w", m.Kind, t, err)
	}
	if err := p.PostJSON(ctx, t.url, body); err != nil {
		return fmt.Errorf("send %s message to %s: %w", m.Kind, t, err)
	}
	return nil
}

// Slack is a Slack incoming webhook; messages use Block Kit.
func Slack(webhookURL string) Target {
	return &httpTarget{kind: "slack", url: webhookURL, render: renderSlack}
}

// Webhook is a generic JSON webhook; see WebhookFailure, WebhookResolved
// and WebhookStatus for the bodies.
func Webhook(url string) Target {
	return &httpTarget{kind: "webhook", url: url, render: renderWebhook}
}
