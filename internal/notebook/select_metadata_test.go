package notebook

import (
	"strings"
	"testing"
)

// TestSelectMetadataShapes: every shape of metadata.mobu either selects,
// excludes (an application is missing) or makes the notebook invalid with a
// message naming the notebook and the field, with or without an application
// source.
func TestSelectMetadataShapes(t *testing.T) {
	apps := map[string]bool{"tap": true, "sia": false}
	tests := []struct {
		name, metadata string
		excluded       string // rule prefix when excluded (with apps)
		invalid        string // error substring when invalid
	}{
		{"no mobu key", `{}`, "", ""},
		{"mobu null", `{"mobu": null}`, "", ""},
		{"empty mobu", `{"mobu": {}}`, "", ""},
		{"unrelated keys kept", `{"mobu": {"other": 1}}`, "", ""},
		{"enabled", `{"mobu": {"required_applications": ["tap"]}}`, "", ""},
		{"empty list", `{"mobu": {"required_applications": []}}`, "", ""},
		{"disabled", `{"mobu": {"required_applications": ["tap", "sia"]}}`, "metadata: requires applications that are not enabled: sia", ""},
		{"unknown", `{"mobu": {"required_services": ["nope"]}}`, "metadata: requires applications that are not enabled: nope", ""},
		{"null required_applications does not hide required_services",
			`{"mobu": {"required_applications": null, "required_services": ["nope"]}}`, "metadata: requires applications that are not enabled: nope", ""},
		{"both lists count", `{"mobu": {"required_applications": ["tap"], "required_services": ["sia"]}}`,
			"metadata: requires applications that are not enabled: sia", ""},
		{"mobu a string", `{"mobu": "tap"}`, "", `notebook nb.ipynb: metadata.mobu must be an object (got "tap")`},
		{"mobu a list", `{"mobu": ["tap"]}`, "", `notebook nb.ipynb: metadata.mobu must be an object (got ["tap"])`},
		{"mobu a number", `{"mobu": 3}`, "", `notebook nb.ipynb: metadata.mobu must be an object (got 3)`},
		{"required_applications a string", `{"mobu": {"required_applications": "tap"}}`, "",
			`notebook nb.ipynb: metadata.mobu.required_applications must be a list of application names (got "tap")`},
		{"required_applications an object", `{"mobu": {"required_applications": {"tap": true}}}`, "",
			`notebook nb.ipynb: metadata.mobu.required_applications must be a list of application names (got {"tap": true})`},
		{"a name not a string", `{"mobu": {"required_applications": ["tap", 3]}}`, "",
			`metadata.mobu.required_applications must be a list of application names (got ["tap", 3])`},
		{"an empty name", `{"mobu": {"required_applications": [""]}}`, "", `metadata.mobu.required_applications must be a list`},
		{"null name", `{"mobu": {"required_applications": [null]}}`, "", `metadata.mobu.required_applications must be a list`},
		{"bad required_services behind good required_applications",
			`{"mobu": {"required_applications": ["tap"], "required_services": "sia"}}`, "",
			`notebook nb.ipynb: metadata.mobu.required_services must be a list of application names (got "sia")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := writeTree(t, map[string]string{"nb.ipynb": tt.metadata})
			for _, withApps := range []bool{true, false} {
				opts := SelectOptions{}
				if withApps {
					opts.Apps = apps
				}
				sel, err := Select(root, opts)
				if err != nil {
					t.Fatal(err)
				}
				checkMetadataOutcome(t, sel, withApps, tt.excluded, tt.invalid)
			}
		})
	}
}

func checkMetadataOutcome(t *testing.T, sel *Selection, withApps bool, excluded, invalid string) {
	t.Helper()
	switch {
	case invalid != "":
		if len(sel.Invalid) != 1 || !strings.Contains(sel.Invalid[0].Rule, invalid) || len(sel.Selected) != 1 ||
			sel.Selected[0].ParseErr == nil {
			t.Errorf("apps %v: want invalid %q, got invalid %v, selected %v", withApps, invalid, sel.Invalid, sel.Selected)
		}
	case excluded != "" && withApps:
		if len(sel.Selected) != 0 || !hasExclusion(sel.Excluded, "nb.ipynb", excluded) {
			t.Errorf("want excluded by %q, got excluded %v, selected %d", excluded, sel.Excluded, len(sel.Selected))
		}
	default:
		if len(sel.Selected) != 1 || len(sel.Invalid) != 0 || sel.Selected[0].ParseErr != nil {
			t.Errorf("apps %v: want selected, got invalid %v, excluded %v", withApps, sel.Invalid, sel.Excluded)
		}
	}
}
