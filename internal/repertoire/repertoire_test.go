package repertoire_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/repertoire"
	"github.com/mobu-dev/mobu/internal/testrsp"
)

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func sampleDiscovery() testrsp.DiscoveryJSON {
	return testrsp.DiscoveryJSON{
		Applications:    []string{"gafaelfawr", "mobu", "nublado", "tap"},
		EnvironmentName: "data.example.com",
		GafaelfawrURL:   "https://data.example.com/auth/api/v1",
		NubladoURL:      "https://nb.data.example.com/nb",
	}
}

func newClient(t *testing.T, d testrsp.DiscoveryJSON) (*repertoire.Client, *testrsp.Repertoire, *clock, *bytes.Buffer) {
	t.Helper()
	rp := testrsp.NewRepertoire(t, d)
	clk := &clock{now: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	var log bytes.Buffer // only written by Discover, under the client's lock
	c := repertoire.New(rp.BaseURL()+"/", repertoire.Options{
		Logger: slog.New(slog.NewTextHandler(&log, nil)), Now: clk.Now,
	})
	return c, rp, clk, &log
}

func TestDiscoverParses(t *testing.T) {
	sample := sampleDiscovery()
	c, rp, _, _ := newClient(t, sample)
	d, err := c.Discover(t.Context())
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	want := &repertoire.Discovery{
		Applications: sample.Applications, EnvironmentName: "data.example.com",
		GafaelfawrURL: "https://data.example.com/auth/api/v1", NubladoURL: "https://nb.data.example.com/nb",
	}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("Discover = %+v\nwant %+v", d, want)
	}
	if n := rp.Requests(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	d.Applications[0] = "changed" // the cache must not share memory with callers
	if d2, _ := c.Discover(t.Context()); d2.Applications[0] != "gafaelfawr" {
		t.Errorf("cache modified through a returned value")
	}
}

func TestDiscoverOlderShapeAndExtraFields(t *testing.T) {
	c, rp, _, _ := newClient(t, sampleDiscovery())
	rp.SetRaw(`{"applications": ["nublado"], "environment_name": null, "future": {"x": 1},
		"services": {"internal": {"gafaelfawr": {"url": "https://h/auth/api/v1", "extra": true}},
		"ui": {}, "data": {}}}`)
	d, err := c.Discover(t.Context())
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	want := &repertoire.Discovery{Applications: []string{"nublado"}, GafaelfawrURL: "https://h/auth/api/v1"}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("Discover = %+v\nwant %+v", d, want)
	}
}

func TestDiscoverCachesForTTL(t *testing.T) {
	c, rp, clk, _ := newClient(t, sampleDiscovery())
	if _, err := c.Discover(t.Context()); err != nil {
		t.Fatal(err)
	}
	changed := sampleDiscovery()
	changed.Applications = []string{"nublado"}
	rp.Set(changed)
	clk.Advance(repertoire.DefaultTTL) // still fresh at exactly the TTL, as in rubin.repertoire
	d, err := c.Discover(t.Context())
	if err != nil || rp.Requests() != 1 || len(d.Applications) != 4 {
		t.Fatalf("within TTL: %v, %d requests, %v", err, rp.Requests(), d)
	}
	clk.Advance(time.Millisecond)
	d, err = c.Discover(t.Context())
	if err != nil || rp.Requests() != 2 || len(d.Applications) != 1 {
		t.Fatalf("after TTL: %v, %d requests, %v", err, rp.Requests(), d)
	}
}

func TestDiscoverServesStaleDuringOutage(t *testing.T) {
	c, rp, clk, log := newClient(t, sampleDiscovery())
	if _, err := c.Discover(t.Context()); err != nil {
		t.Fatal(err)
	}
	rp.Down(true)
	clk.Advance(repertoire.DefaultTTL + time.Minute)
	for i := range 2 {
		d, err := c.Discover(t.Context())
		if err != nil || d.NubladoURL != sampleDiscovery().NubladoURL {
			t.Fatalf("during outage: %v, %+v", err, d)
		}
		if n := rp.Requests(); n != 2+i {
			t.Errorf("%d requests, want %d (each call after the TTL tries again)", n, 2+i)
		}
	}
	if s := log.String(); !strings.Contains(s, "level=WARN") || !strings.Contains(s, "503 Service Unavailable") {
		t.Errorf("no warning logged:\n%s", s)
	}
	rp.Down(false)
	if _, err := c.Discover(t.Context()); err != nil || rp.Requests() != 4 {
		t.Errorf("after outage: %v, %d requests", err, rp.Requests())
	}
	if _, err := c.Discover(t.Context()); err != nil || rp.Requests() != 4 {
		t.Errorf("fresh answer not cached: %v, %d requests", err, rp.Requests())
	}
}

func TestDiscoverErrors(t *testing.T) {
	for _, tc := range []struct {
		name, raw string
		down      bool
		want      string
	}{
		{"down", "", true, ": 503 Service Unavailable"},
		{"malformed", `{"applications": [`, false, ": decoding discovery: unexpected end of JSON input"},
		{"not an object", `["nublado"]`, false, ": decoding discovery: json: cannot unmarshal array"},
		{"no services", `{"applications": ["nublado"]}`, false, `: discovery has no "services"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, rp, _, _ := newClient(t, sampleDiscovery())
			rp.Down(tc.down)
			if tc.raw != "" {
				rp.SetRaw(tc.raw)
			}
			_, err := c.Discover(t.Context())
			prefix := "discovering services: GET " + rp.BaseURL() + "/discovery"
			if err == nil || !strings.HasPrefix(err.Error(), prefix+tc.want) {
				t.Errorf("err = %v\nwant %s%s", err, prefix, tc.want)
			}
			if _, err := c.Applications(t.Context()); err == nil {
				t.Errorf("Applications succeeded")
			}
		})
	}
}

func TestDiscoverCanceled(t *testing.T) {
	c, _, _, _ := newClient(t, sampleDiscovery())
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := c.Discover(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestApplications(t *testing.T) {
	c, _, _, _ := newClient(t, sampleDiscovery())
	apps, err := c.Applications(t.Context())
	if err != nil {
		t.Fatalf("Applications: %v", err)
	}
	want := map[string]bool{"gafaelfawr": true, "mobu": true, "nublado": true, "tap": true}
	if !maps.Equal(apps, want) {
		t.Errorf("Applications = %v, want %v", apps, want)
	}
	if apps["portal"] {
		t.Errorf("unlisted application reported enabled")
	}
}

// TestRefreshReadsAfresh: within the TTL, Discover keeps the cached answer
// but Refresh (and so Applications, which a flock refresh calls) reads
// again; when Repertoire is down, Refresh falls back to the cached answer.
func TestRefreshReadsAfresh(t *testing.T) {
	c, rp, _, log := newClient(t, sampleDiscovery())
	if _, err := c.Discover(t.Context()); err != nil {
		t.Fatal(err)
	}
	changed := sampleDiscovery()
	changed.Applications = append(changed.Applications, "portal")
	rp.Set(changed)
	if d, _ := c.Discover(t.Context()); slices.Contains(d.Applications, "portal") {
		t.Fatal("Discover read again within the TTL")
	}
	apps, err := c.Applications(t.Context())
	if err != nil || !apps["portal"] || rp.Requests() != 2 {
		t.Fatalf("Applications after a change: %v, %v, %d requests", apps, err, rp.Requests())
	}
	if d, _ := c.Discover(t.Context()); !slices.Contains(d.Applications, "portal") || rp.Requests() != 2 {
		t.Errorf("the fresh answer was not cached: %v, %d requests", d.Applications, rp.Requests())
	}
	rp.Down(true)
	d, err := c.Refresh(t.Context())
	if err != nil || !slices.Contains(d.Applications, "portal") || rp.Requests() != 3 {
		t.Fatalf("Refresh during an outage: %v, %v, %d requests", d, err, rp.Requests())
	}
	if !strings.Contains(log.String(), "using cached data") {
		t.Errorf("no warning logged:\n%s", log)
	}
}
