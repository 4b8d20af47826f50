package client

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Summary mirrors the service's flock summary.
type Summary struct {
	Name         string     `json:"name"`
	Business     string     `json:"business"`
	StartTime    *time.Time `json:"start_time"`
	MonkeyCount  int        `json:"monkey_count"`
	SuccessCount int64      `json:"success_count"`
	FailureCount int64      `json:"failure_count"`
	SuccessRate  float64    `json:"success_rate"`
	Paused       bool       `json:"paused"`
}

func flockPath(name string) string { return "/flocks/" + url.PathEscape(name) }

// StartFlock PUTs a flock spec (JSON) and returns the service's FlockData.
func (c *Client) StartFlock(ctx context.Context, spec []byte) (json.RawMessage, error) {
	var out json.RawMessage
	return out, c.do(ctx, http.MethodPut, "/flocks", spec, &out)
}

// Flocks lists flock names.
func (c *Client) Flocks(ctx context.Context) ([]string, error) {
	var out []string
	return out, c.do(ctx, http.MethodGet, "/flocks", nil, &out)
}

// Flock returns a flock's data (config and monkeys) as JSON.
func (c *Client) Flock(ctx context.Context, name string) (json.RawMessage, error) {
	var out json.RawMessage
	return out, c.do(ctx, http.MethodGet, flockPath(name), nil, &out)
}

// Summary returns a flock's summary.
func (c *Client) Summary(ctx context.Context, name string) (Summary, error) {
	var out Summary
	return out, c.do(ctx, http.MethodGet, flockPath(name)+"/summary", nil, &out)
}

// SummaryJSON returns a flock's summary as JSON, timings included.
func (c *Client) SummaryJSON(ctx context.Context, name string) (json.RawMessage, error) {
	var out json.RawMessage
	return out, c.do(ctx, http.MethodGet, flockPath(name)+"/summary", nil, &out)
}

// StopFlock deletes a flock (its monkeys stop and delete their labs).
func (c *Client) StopFlock(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodDelete, flockPath(name), nil, nil)
}

// Act posts refresh, pause or resume to a flock.
func (c *Client) Act(ctx context.Context, name, action string) error {
	return c.do(ctx, http.MethodPost, flockPath(name)+"/"+action, nil, nil)
}

// Monkeys lists a flock's monkey names.
func (c *Client) Monkeys(ctx context.Context, flock string) ([]string, error) {
	var out []string
	return out, c.do(ctx, http.MethodGet, flockPath(flock)+"/monkeys", nil, &out)
}

// Monkey returns a monkey's data as JSON.
func (c *Client) Monkey(ctx context.Context, flock, monkey string) (json.RawMessage, error) {
	var out json.RawMessage
	return out, c.do(ctx, http.MethodGet, flockPath(flock)+"/monkeys/"+url.PathEscape(monkey), nil, &out)
}

// MonkeyLog copies a monkey's retained log to w.
func (c *Client) MonkeyLog(ctx context.Context, flock, monkey string, w io.Writer) error {
	resp, err := c.send(ctx, http.MethodGet, flockPath(flock)+"/monkeys/"+url.PathEscape(monkey)+"/log", nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(w, resp.Body)
	return err
}
