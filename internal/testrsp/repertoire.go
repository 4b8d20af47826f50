package testrsp

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
)

// repertoirePrefix is where Phalanx mounts Repertoire.
const repertoirePrefix = "/repertoire"

// DiscoveryJSON is what the fake Repertoire announces.
type DiscoveryJSON struct {
	Applications    []string
	EnvironmentName string // "" is served as null
	// GafaelfawrURL is Gafaelfawr's v1 API base (e.g. Gafaelfawr.URL()).
	// Like Repertoire, the fake serves it as services.internal.gafaelfawr
	// .versions.v1.url, with .url the same minus "/v1". "" leaves it out.
	GafaelfawrURL string
	// NubladoURL is served as services.ui.nublado.url; "" leaves it out.
	NubladoURL string
}

// Repertoire is a fake of Repertoire's service discovery. It is safe for
// concurrent use.
type Repertoire struct {
	srv *httptest.Server

	mu       sync.Mutex
	d        DiscoveryJSON
	raw      *string
	down     bool
	requests int
}

// NewRepertoire starts a fake Repertoire on 127.0.0.1 serving d;
// t.Cleanup stops it.
func NewRepertoire(t testing.TB, d DiscoveryJSON) *Repertoire {
	t.Helper()
	rp := &Repertoire{d: cloneDiscovery(d)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+repertoirePrefix+"/discovery", rp.discovery)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"detail": "Not Found"})
	})
	rp.srv = startServer(t, mux)
	return rp
}

// BaseURL is Repertoire's base, http://127.0.0.1:PORT/repertoire, as in
// REPERTOIRE_BASE_URL.
func (rp *Repertoire) BaseURL() string { return rp.srv.URL + repertoirePrefix }

// Set replaces what the fake announces.
func (rp *Repertoire) Set(d DiscoveryJSON) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	rp.d, rp.raw = cloneDiscovery(d), nil
}

// SetRaw makes the fake answer discovery with body verbatim (for malformed
// answers); Set undoes it.
func (rp *Repertoire) SetRaw(body string) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	rp.raw = &body
}

// Down makes discovery answer 503 (true) or work again (false).
func (rp *Repertoire) Down(down bool) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	rp.down = down
}

// Requests is how many discovery requests the fake received.
func (rp *Repertoire) Requests() int {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	return rp.requests
}

func (rp *Repertoire) discovery(w http.ResponseWriter, _ *http.Request) {
	rp.mu.Lock()
	rp.requests++
	d, raw, down := rp.d, rp.raw, rp.down
	rp.mu.Unlock()
	switch {
	case down:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>\n"))
	case raw != nil:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(*raw))
	default:
		writeJSON(w, http.StatusOK, discoveryBody(d))
	}
}

// discoveryBody builds Repertoire's Discovery model (rubin.repertoire
// _models.py), with a dataset and extra services as a real one has.
func discoveryBody(d DiscoveryJSON) map[string]any {
	host := "https://data.example.com"
	internal := map[string]any{
		"mobu": map[string]any{"url": host + "/mobu", "openapi": host + "/mobu/openapi.json"},
	}
	if d.GafaelfawrURL != "" {
		internal["gafaelfawr"] = map[string]any{
			"url":      strings.TrimSuffix(d.GafaelfawrURL, "/v1"),
			"openapi":  strings.TrimSuffix(d.GafaelfawrURL, "/api/v1") + "/openapi.json",
			"versions": map[string]any{"v1": map[string]any{"url": d.GafaelfawrURL}},
		}
	}
	ui := map[string]any{"argocd": map[string]any{"url": host + "/argo-cd"}}
	if d.NubladoURL != "" {
		ui["nublado"] = map[string]any{"url": d.NubladoURL}
	}
	var env any
	if d.EnvironmentName != "" {
		env = d.EnvironmentName
	}
	apps := d.Applications
	if apps == nil {
		apps = []string{}
	}
	return map[string]any{
		"applications":       apps,
		"datasets":           map[string]any{"dp1": exampleDataset(host)},
		"environment_name":   env,
		"influxdb_databases": map[string]any{},
		"services":           map[string]any{"internal": internal, "ui": ui},
	}
}

func exampleDataset(host string) map[string]any {
	return map[string]any{
		"butler_config": host + "/api/butler/repo/dp1/butler.yaml",
		"description":   "Data Preview 1",
		"docs_url":      "https://dp1.example.com/",
		"services": map[string]any{
			"tap": map[string]any{
				"url":      host + "/api/tap",
				"openapi":  host + "/api/tap/openapi.json",
				"versions": map[string]any{"tap-1.1": map[string]any{"url": host + "/api/tap"}},
			},
		},
	}
}

func cloneDiscovery(d DiscoveryJSON) DiscoveryJSON {
	d.Applications = slices.Clone(d.Applications)
	return d
}
