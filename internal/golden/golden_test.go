package golden

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder catches what Check reports instead of failing this test.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper()                   {}
func (r *recorder) Errorf(f string, a ...any) { r.errs = append(r.errs, f) }
func (r *recorder) Fatalf(f string, a ...any) { r.errs = append(r.errs, f) }
func (r *recorder) Fatal(a ...any)            { r.errs = append(r.errs, "fatal") }

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.MkdirAll("testdata", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("testdata", "a.golden"), []byte("one\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &recorder{TB: t}
	Check(r, "a.golden", []byte("one\n"))
	if len(r.errs) != 0 {
		t.Fatalf("equal output reported: %v", r.errs)
	}
	Check(r, "a.golden", []byte("two\n"))
	if len(r.errs) != 1 || !strings.Contains(r.errs[0], "differs") {
		t.Fatalf("different output: %v, want one difference", r.errs)
	}
	r.errs = nil
	Check(r, "missing.golden", nil)
	if len(r.errs) != 1 || !strings.Contains(r.errs[0], "to create it") {
		t.Fatalf("missing file: %v", r.errs)
	}
	t.Setenv(UpdateEnv, "1")
	r.errs = nil
	Check(r, "sub/new.golden", []byte("three\n"))
	got, err := os.ReadFile(filepath.Join("testdata", "sub", "new.golden"))
	if len(r.errs) != 0 || err != nil || string(got) != "three\n" {
		t.Fatalf("update: errs %v, file %q, %v", r.errs, got, err)
	}
}
