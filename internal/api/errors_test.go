package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/mobu-dev/mobu/internal/api"
)

// sameJSON compares JSON documents, ignoring layout and key order.
func sameJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	decode(t, got, &g)
	decode(t, []byte(want), &w)
	if !reflect.DeepEqual(g, w) {
		t.Errorf("got %s\nwant %s", got, want)
	}
}

// validation is FastAPI's 422 body.
type validation struct {
	Detail []struct {
		Type  string `json:"type"`
		Loc   []any  `json:"loc"`
		Msg   string `json:"msg"`
		Input any    `json:"input"`
	} `json:"detail"`
}

func TestUnprocessable(t *testing.T) {
	s := newServer(t, api.Options{})
	spec := func(old, new string) string { return strings.Replace(specJSON, old, new, 1) }
	tests := []struct {
		name, body, typ, loc, msg string
	}{
		{"malformed", `{"name":`, "json_invalid", `["body"]`, "JSON decode error"},
		{"empty", ``, "json_invalid", `["body"]`, "JSON decode error"},
		{"two values", `{} {}`, "json_invalid", `["body"]`, "JSON decode error"},
		{"wrong type", spec(`"count":3`, `"count":"three"`), "value_error", `["body","count"]`, ""},
		{"unknown business", spec(`"EmptyLoop"`, `"Bogus"`), "value_error", `["body","business","type"]`, "Bogus"},
		{"unsupported business", spec(`"EmptyLoop","options":{"idle_time":0.05}`, `"NubladoPythonLoop"`),
			"value_error", `["body","business","type"]`, "not supported"},
		{"users and user_spec", spec(`"scopes"`, `"users":[{"username":"bot-mobu-a"}],"scopes"`),
			"value_error", `["body"]`, "both users and user_spec"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.mustDo(http.MethodPut, "/mobu/flocks", tt.body, http.StatusUnprocessableEntity)
			var v validation
			decode(t, r.body, &v)
			if len(v.Detail) == 0 || !bytes.Contains(r.body, []byte(`"input": null`)) {
				t.Fatalf("body %s", r.body)
			}
			for _, d := range v.Detail {
				loc, _ := json.Marshal(d.Loc)
				if d.Type == tt.typ && string(loc) == tt.loc && strings.Contains(d.Msg, tt.msg) {
					return
				}
			}
			t.Errorf("no %s at %s with %q in %s", tt.typ, tt.loc, tt.msg, r.body)
		})
	}
	s.mustDo(http.MethodGet, "/mobu/flocks/test", "", http.StatusNotFound)
}

func TestBodyTooLarge(t *testing.T) {
	s := newServer(t, api.Options{BodyLimit: "1K"})
	big := `{"name":"` + strings.Repeat("x", 2048) + `"}`
	sameJSON(t, s.mustDo(http.MethodPut, "/mobu/flocks", big, http.StatusRequestEntityTooLarge).body,
		`{"detail":"Request Entity Too Large"}`)
	// Without a Content-Length the limit applies while reading.
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/mobu/run", io.MultiReader(strings.NewReader(big)))
	req.ContentLength = -1
	if r := s.send(req); r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked: status %d, body %s", r.status, r.body)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	s := newServer(t, api.Options{})
	r := s.mustDo(http.MethodPatch, "/mobu/flocks", "", http.StatusMethodNotAllowed)
	sameJSON(t, r.body, `{"detail":"Method Not Allowed"}`)
	if allow := r.header.Get("Allow"); !strings.Contains(allow, "PUT") {
		t.Errorf("Allow %q", allow)
	}
}

func TestToken(t *testing.T) {
	s := newServer(t, api.Options{Token: "sesame"})
	s.startFlock() // with the right token
	tests := []struct {
		name, path, auth string
		status           int
	}{
		{"none", "/mobu/flocks", "", 401},
		{"wrong", "/mobu/flocks", "Bearer open", 401},
		{"wrong scheme", "/mobu/flocks", "Basic sesame", 401},
		{"right", "/mobu/flocks", "Bearer sesame", 200},
		{"deep", "/mobu/flocks/test/monkeys/bot-mobu-test1", "", 401},
		{"root", "/", "", 200},
		{"index", "/mobu/", "", 200},
		{"openapi", "/mobu/openapi.json", "", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, s.URL+tt.path, nil)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			r := s.send(req)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if r.status == 401 && (!bytes.Contains(r.body, []byte(`"type": "invalid_token"`)) ||
				r.header.Get("WWW-Authenticate") == "") {
				t.Errorf("401 body %s, headers %v", r.body, r.header)
			}
		})
	}
}
