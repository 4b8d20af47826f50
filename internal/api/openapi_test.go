package api_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/mobu-dev/mobu/internal/api"
)

var echoParam = regexp.MustCompile(`:([A-Za-z_]+)`)

// openAPI is the part of the document the tests check.
type openAPI struct {
	Info       struct{ Title, Version string } `json:"info"`
	Paths      map[string]map[string]operation `json:"paths"`
	Components struct {
		Parameters map[string]struct {
			Name string `json:"name"`
			In   string `json:"in"`
		} `json:"parameters"`
	} `json:"components"`
}

type operation struct {
	Parameters []struct {
		Ref string `json:"$ref"`
	} `json:"parameters"`
	Responses map[string]any `json:"responses"`
}

// TestOpenAPICoversRoutes fails if a registered route is missing from the
// document or the document lists one that is not registered.
func TestOpenAPICoversRoutes(t *testing.T) {
	for _, prefix := range []string{"", "/x/mobu"} {
		t.Run("prefix "+prefix, func(t *testing.T) {
			hook := &api.Webhook{Secret: []byte("s"), Handle: func(string, string, []byte) error { return nil }}
			h := api.New(api.Options{Prefix: prefix, Metadata: meta, RefreshWebhook: hook, CIWebhook: hook}).Handler()
			rec := httptest.NewRecorder()
			if prefix == "" {
				prefix = "/mobu"
			}
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, prefix+"/openapi.json", nil))
			var doc openAPI
			decode(t, rec.Body.Bytes(), &doc)
			if doc.Info.Title != "mobu" || doc.Info.Version != "1.2.3" {
				t.Errorf("info %+v", doc.Info)
			}
			registered := map[string]bool{}
			for _, r := range h.(*echo.Echo).Routes() {
				if r.Method == echo.RouteNotFound {
					continue
				}
				key := strings.ToLower(r.Method) + " " + echoParam.ReplaceAllString(r.Path, "{$1}")
				registered[key] = true
				if _, ok := doc.Paths[echoParam.ReplaceAllString(r.Path, "{$1}")][strings.ToLower(r.Method)]; !ok {
					t.Errorf("route %s %s is not in the OpenAPI document", r.Method, r.Path)
				}
			}
			for path, ops := range doc.Paths {
				for method, op := range ops {
					if !registered[method+" "+path] {
						t.Errorf("the OpenAPI document lists %s %s, which is not a route", method, path)
					}
					checkOperation(t, &doc, path, op)
				}
			}
		})
	}
}

// checkOperation checks that the operation declares its path parameters
// and some responses.
func checkOperation(t *testing.T, doc *openAPI, path string, op operation) {
	t.Helper()
	var declared []string
	for _, p := range op.Parameters {
		param, ok := doc.Components.Parameters[strings.TrimPrefix(p.Ref, "#/components/parameters/")]
		if !ok {
			t.Errorf("%s: unknown parameter %q", path, p.Ref)
		}
		if param.In == "path" {
			declared = append(declared, param.Name)
		}
	}
	for _, m := range regexp.MustCompile(`\{(\w+)\}`).FindAllStringSubmatch(path, -1) {
		if !slices.Contains(declared, m[1]) {
			t.Errorf("%s: path parameter %s not declared", path, m[1])
		}
	}
	if len(op.Responses) == 0 {
		t.Errorf("%s: no responses", path)
	}
}

// TestOpenAPIRefs checks that every $ref in the document resolves.
func TestOpenAPIRefs(t *testing.T) {
	rec := httptest.NewRecorder()
	api.New(api.Options{}).Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/mobu/openapi.json", nil))
	var doc map[string]any
	decode(t, rec.Body.Bytes(), &doc)
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok && resolve(doc, ref) == nil {
				t.Errorf("unresolved $ref %s", ref)
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(doc)
}

func resolve(doc map[string]any, ref string) any {
	var cur any = doc
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[part]
	}
	return cur
}
