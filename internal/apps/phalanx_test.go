package apps

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

const (
	defaultsPath = "environments/values.yaml"
	valuesPath   = "environments/values-idfdev.yaml"
)

// realDefaults is shaped like Phalanx's environments/values.yaml: comments,
// other top-level keys, and applications mapped to booleans.
const realDefaults = `# Settings for each environment.

# -- Name of the environment
name: ""
butlerServerRepositories: {}

applications:
  # -- Enable the Argo CD application.
  argocd: true

  # -- Enable the mobu application
  mobu: false

  # -- Enable the portal application
  portal: false

  # -- Enable the tap application
  tap: false

revisions: {}
controlSystem:
  appNamespace: ""
`

// realValues is shaped like environments/values-idfdev.yaml.
const realValues = `name: "idfdev"
fqdn: "data-dev.lsst.cloud"
onepassword:
  connectUrl: "https://roundtable-dev.lsst.cloud/1password"

applications:
  argocd: false
  ghostwriter: true
  mobu: true
  tap: true
`

// writeFiles creates files (path → content) under a new temporary working
// directory.
func writeFiles(t *testing.T, files map[string]string) {
	t.Helper()
	t.Chdir(t.TempDir())
	for path, content := range files {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestPhalanxFiles(t *testing.T) {
	both := PhalanxFiles{Values: valuesPath, Defaults: defaultsPath}
	tests := []struct {
		name  string
		files map[string]string
		want  map[string]bool
	}{
		{"values override defaults", map[string]string{defaultsPath: realDefaults, valuesPath: realValues},
			map[string]bool{"argocd": false, "ghostwriter": true, "mobu": true, "portal": false, "tap": true}},
		{"enabled mappings", map[string]string{defaultsPath: "applications:\n  tap: {enabled: false}\n  portal:\n    enabled: true\n    extra: 1\n",
			valuesPath: "applications:\n  tap:\n    enabled: true\n"},
			map[string]bool{"tap": true, "portal": true}},
		{"shapes mixed across files", map[string]string{defaultsPath: "applications:\n  tap: true\n  mobu: {enabled: true}\n",
			valuesPath: "applications:\n  tap: {enabled: false}\n  mobu: false\n"},
			map[string]bool{"tap": false, "mobu": false}},
		{"yaml boolean spellings", map[string]string{defaultsPath: "applications:\n  a: True\n  b: FALSE\n",
			valuesPath: "applications: {c: false, d: true}\n"},
			map[string]bool{"a": true, "b": false, "c": false, "d": true}},
		{"aliases", map[string]string{defaultsPath: "on: &on true\napplications:\n  tap: *on\n  portal: {enabled: *on}\n",
			valuesPath: "applications: {}\n"},
			map[string]bool{"tap": true, "portal": true}},
		{"null or empty applications", map[string]string{defaultsPath: "applications:\n  # tap: true\n", valuesPath: "applications: {}\n"},
			map[string]bool{}},
		{"old top-level enabled keys ignored", map[string]string{defaultsPath: "applications: {tap: true}\nmobu:\n  enabled: true\n",
			valuesPath: "portal: {enabled: true}\napplications: {}\n"},
			map[string]bool{"tap": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			writeFiles(t, tt.files)
			got, err := both.Applications(t.Context())
			checkResult(t, got, err, tt.want, "")
		})
	}
}

func TestPhalanxFilesValuesOnly(t *testing.T) {
	writeFiles(t, map[string]string{valuesPath: realValues})
	got, err := PhalanxFiles{Values: valuesPath}.Applications(t.Context())
	checkResult(t, got, err, map[string]bool{"argocd": false, "ghostwriter": true, "mobu": true, "tap": true}, "")
}

func TestPhalanxFilesRereads(t *testing.T) {
	writeFiles(t, map[string]string{valuesPath: "applications: {tap: true}\n"})
	p := PhalanxFiles{Values: valuesPath}
	first, err := p.Applications(t.Context())
	checkResult(t, first, err, map[string]bool{"tap": true}, "")
	if err := os.WriteFile(valuesPath, []byte("applications: {tap: false, portal: true}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	second, err := p.Applications(t.Context())
	checkResult(t, second, err, map[string]bool{"tap": false, "portal": true}, "")
}

func TestPhalanxFilesCanceled(t *testing.T) {
	writeFiles(t, map[string]string{valuesPath: realValues, defaultsPath: realDefaults})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	got, err := PhalanxFiles{Values: valuesPath, Defaults: defaultsPath}.Applications(ctx)
	checkResult(t, got, err, nil, "phalanx applications: reading environments/values.yaml: context canceled")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("%v does not wrap context.Canceled", err)
	}
}
