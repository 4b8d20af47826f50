package config

import (
	"strings"
	"testing"
)

// TestMonkeyLogDir: logMonkeysToFile without monkeyLogDir writes under
// $TMPDIR (mobu's default is true, with temporary files); a directory
// without logMonkeysToFile is a warning, since no file is written.
func TestMonkeyLogDir(t *testing.T) {
	cases := []struct {
		yaml, tmpdir, wantDir, wantWarning string
	}{
		{"logMonkeysToFile: true\n", "/scratch", "/scratch/mobu-monkey-logs", ""},
		{"logMonkeysToFile: true\n", "", "/tmp/mobu-monkey-logs", ""},
		{"log_monkeys_to_file: true\nmonkeyLogDir: /var/log/mobu\n", "/scratch", "/var/log/mobu", ""},
		{"logMonkeysToFile: false\n", "/scratch", "", ""},
		{"monkeyLogDir: /var/log/mobu\n", "", "/var/log/mobu", "monkeyLogDir is set but logMonkeysToFile is false"},
	}
	for _, c := range cases {
		l := Load([]byte(c.yaml), env("TMPDIR", c.tmpdir))
		if len(l.Problems) > 0 {
			t.Fatalf("%q: %v", c.yaml, l.Problems)
		}
		warnings := strings.Join(l.Warnings, "\n")
		if l.Config.MonkeyLogDir != c.wantDir || (c.wantWarning == "") != (warnings == "") ||
			!strings.Contains(warnings, c.wantWarning) {
			t.Errorf("%q with TMPDIR=%q: dir %q, warnings %q; want %q, %q", c.yaml, c.tmpdir,
				l.Config.MonkeyLogDir, warnings, c.wantDir, c.wantWarning)
		}
	}
}
