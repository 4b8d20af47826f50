// Package golden compares test output with files under testdata. Set
// MOBU_UPDATE_GOLDEN=1 to rewrite them from the current output instead
// (an environment variable rather than a flag, so it works with ./...).
package golden

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// UpdateEnv names the environment variable that rewrites golden files.
const UpdateEnv = "MOBU_UPDATE_GOLDEN"

// Check compares got with testdata/name, after rewriting that file first
// when UpdateEnv is "1". A difference is reported with both texts.
func Check(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if os.Getenv(UpdateEnv) == "1" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with %s=1 to create it)", err, UpdateEnv)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run with %s=1 to accept):\n--- got\n%s\n--- want\n%s", path, UpdateEnv, got, want)
	}
}
