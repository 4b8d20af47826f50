package api_test

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mobu-dev/mobu/internal/api"
	"github.com/mobu-dev/mobu/internal/flock"
	"github.com/mobu-dev/mobu/internal/testlog"
)

func TestRequestLog(t *testing.T) {
	var out testlog.Buffer
	s := newServer(t, api.Options{Logger: slog.New(slog.NewTextHandler(&out, nil))})
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/mobu/flocks/nope", nil)
	req.Header.Set("X-Auth-Request-User", "alice")
	s.send(req)
	want := []string{"msg=request", "method=GET", "path=/mobu/flocks/nope", "status=404", "duration=", "user=alice"}
	waitFor(t, "the request log", func() bool {
		for _, w := range want {
			if !strings.Contains(out.String(), w) {
				return false
			}
		}
		return true
	})
}

// failingManager fails every lookup with an unexpected error.
type failingManager struct{ api.Manager }

func (failingManager) Get(string) (*flock.Flock, error) { return nil, errors.New("disk on fire") }

func TestInternalError(t *testing.T) {
	var out testlog.Buffer
	h := api.New(api.Options{Manager: failingManager{}, Logger: slog.New(slog.NewTextHandler(&out, nil))}).Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/mobu/flocks/x", nil))
	if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "disk") {
		t.Errorf("status %d, body %s", rec.Code, rec.Body)
	}
	sameJSON(t, rec.Body.Bytes(), `{"detail":"Internal Server Error"}`)
	if !strings.Contains(out.String(), "disk on fire") {
		t.Errorf("error not logged: %s", out.String())
	}
}
