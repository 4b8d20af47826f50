package api_test

import (
	"cmp"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/api"
	"github.com/mobu-dev/mobu/internal/ci"
	"github.com/mobu-dev/mobu/internal/events"
	"github.com/mobu-dev/mobu/internal/flock"
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

// schemaFields names a schema (or a nested object in one, as
// "Schema/property[/items]") and the Go type that is serialised there;
// response says every field the type always writes must be required.
var schemaFields = []struct {
	path     string
	v        any
	response bool
}{
	{"Metadata", api.Metadata{}, true},
	{"FlockData", api.FlockData{}, true},
	{"CombinedSummary", api.CombinedSummary{}, true},
	{"CombinedSummary/events", events.DeliveryStats{}, true},
	{"CombinedSummary/ci_manager", ci.Summary{}, true},
	{"CIWorker", ci.WorkerSummary{}, true},
	{"CIJob", ci.JobSummary{}, true},
	{"MonkeyData", flock.MonkeyData{}, true},
	{"UserData", flock.UserData{}, true},
	{"Group", flock.Group{}, true},
	{"BusinessData", flock.BusinessData{}, true},
	{"BusinessData/image", flock.LabImage{}, true},
	{"CellRef", flock.CellRef{}, true},
	{"FlockSummary", flock.Summary{}, true},
	{"Timing", flock.Timing{}, true},
	{"Timing/recent/items", flock.Point{}, true},
	{"FailureRecord", flock.FailureRecord{}, true},
	{"FailureRecord/image", flock.LabImage{}, true},
	{"SolitaryResult", flock.SolitaryResult{}, true},
	// Request bodies (echoed back in FlockData.config): optional on input.
	{"FlockConfig", config.Flock{}, false},
	{"User", config.User{}, false},
	{"UserSpec", config.UserSpec{}, false},
	{"Business", config.Business{}, false},
	{"SolitaryConfig", config.Solitary{}, false},
}

// TestOpenAPIFieldsMatchGo fails when a response or request struct gains,
// loses or renames a JSON field without the document following, or when a
// field that is always written is not marked required.
func TestOpenAPIFieldsMatchGo(t *testing.T) {
	var doc map[string]any
	decode(t, openAPIBytes(t), &doc)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	for _, sf := range schemaFields {
		t.Run(sf.path, func(t *testing.T) {
			schema := schemaAt(t, schemas, sf.path)
			props, _ := schema["properties"].(map[string]any)
			required := map[string]bool{}
			for _, r := range asSlice(schema["required"]) {
				required[r.(string)] = true
			}
			fields := jsonFields(reflect.TypeOf(sf.v))
			for name, omitempty := range fields {
				if _, ok := props[name]; !ok {
					t.Errorf("Go field %q is not a property of %s", name, sf.path)
				}
				if sf.response && !omitempty && !required[name] {
					t.Errorf("%s.%s is always written but not required", sf.path, name)
				}
			}
			for name := range props {
				if _, ok := fields[name]; !ok {
					t.Errorf("%s lists %q, which %T does not have", sf.path, name, sf.v)
				}
			}
			for name := range required {
				if omitempty, ok := fields[name]; ok && omitempty {
					t.Errorf("%s requires %q, which %T omits when empty", sf.path, name, sf.v)
				}
			}
		})
	}
}

func openAPIBytes(t *testing.T) []byte {
	t.Helper()
	rec := httptest.NewRecorder()
	api.New(api.Options{}).Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/mobu/openapi.json", nil))
	return rec.Body.Bytes()
}

// schemaAt follows "Schema/property/items…", resolving $refs.
func schemaAt(t *testing.T, schemas map[string]any, path string) map[string]any {
	t.Helper()
	parts := strings.Split(path, "/")
	cur, _ := schemas[parts[0]].(map[string]any)
	for _, p := range parts[1:] {
		if cur == nil {
			break
		}
		if p != "items" {
			cur, _ = cur["properties"].(map[string]any)
		}
		cur, _ = cur[p].(map[string]any)
		if ref, ok := cur["$ref"].(string); ok {
			cur, _ = schemas[strings.TrimPrefix(ref, "#/components/schemas/")].(map[string]any)
		}
	}
	if cur == nil {
		t.Fatalf("no schema at %s", path)
	}
	return cur
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// jsonFields returns the JSON names encoding/json writes for struct type
// typ, with whether each is omitempty; embedded structs are flattened.
func jsonFields(typ reflect.Type) map[string]bool {
	out := map[string]bool{}
	for f := range typ.Fields() {
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			maps.Copy(out, jsonFields(f.Type))
			continue
		}
		out[cmp.Or(name, f.Name)] = slices.Contains(strings.Split(opts, ","), "omitempty")
	}
	return out
}
