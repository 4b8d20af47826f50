package apps

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Discovery reads the enabled applications from Repertoire service
// discovery: GET URL answers a JSON object whose "applications" is a list of
// application names (or of objects with a "name").
type Discovery struct {
	URL    string
	Client *http.Client // nil: a client with a 10 s timeout
}

// discoveryTimeout bounds a request made with the default client.
const discoveryTimeout = 10 * time.Second

// maxDiscoveryBody bounds the response body read.
const maxDiscoveryBody = 8 << 20

// Applications fetches the list; it asks the server again on every call.
// Discovery lists enabled applications only, so every name maps to true.
func (d Discovery) Applications(ctx context.Context) (map[string]bool, error) {
	if d.URL == "" {
		return nil, errors.New("discover applications: no URL given")
	}
	body, err := d.fetch(ctx)
	if err != nil {
		return nil, fmt.Errorf("discover applications from %s: %w", d.URL, err)
	}
	names, err := parseDiscovery(body)
	if err != nil {
		return nil, fmt.Errorf("discover applications from %s: %w", d.URL, err)
	}
	apps := make(map[string]bool, len(names))
	for _, name := range names {
		apps[name] = true
	}
	return apps, nil
}

// fetch GETs the discovery document and returns its body.
func (d Discovery) fetch(ctx context.Context) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	client := d.Client
	if client == nil {
		client = &http.Client{Timeout: discoveryTimeout}
	}
	resp, err := client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // the URL is named by the caller
		}
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDiscoveryBody+1))
	if err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %s%s", resp.Status, bodyExcerpt(body))
	}
	if len(body) > maxDiscoveryBody {
		return nil, fmt.Errorf("response larger than %d bytes", maxDiscoveryBody)
	}
	return body, nil
}

// parseDiscovery returns the application names of a discovery document.
func parseDiscovery(body []byte) ([]string, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil || doc == nil {
		if err == nil {
			err = errors.New("not a JSON object")
		}
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	raw, ok := doc["applications"]
	if !ok {
		return nil, errors.New(`no "applications" key in the response`)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil || items == nil {
		return nil, fmt.Errorf("applications: must be a list (got %s)", excerpt(raw))
	}
	names := make([]string, len(items))
	for i, item := range items {
		name, err := applicationName(item)
		if err != nil {
			return nil, fmt.Errorf("applications[%d]: %w", i, err)
		}
		names[i] = name
	}
	return names, nil
}

// applicationName reads one entry: "name" or {"name": "name", ...}.
func applicationName(item json.RawMessage) (string, error) {
	var name string
	var obj struct {
		Name *string `json:"name"`
	}
	switch {
	case bytes.HasPrefix(item, []byte(`"`)) && json.Unmarshal(item, &name) == nil:
	case bytes.HasPrefix(item, []byte("{")) && json.Unmarshal(item, &obj) == nil && obj.Name != nil:
		name = *obj.Name
	default:
		return "", fmt.Errorf("must be a name or an object with a string name (got %s)", excerpt(item))
	}
	if strings.TrimSpace(name) == "" {
		return "", errors.New("empty application name")
	}
	return name, nil
}

// bodyExcerpt is ": " and the start of an error response body, if any.
func bodyExcerpt(body []byte) string {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return ""
	}
	return ": " + excerpt(body)
}

// excerpt shortens raw JSON or text for an error message.
func excerpt(b []byte) string {
	const maxLen = 200
	s := []rune(strings.Join(strings.Fields(string(b)), " "))
	if len(s) > maxLen {
		return string(s[:maxLen]) + "…"
	}
	return string(s)
}
