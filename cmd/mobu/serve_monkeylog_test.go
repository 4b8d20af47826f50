package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// monkeyLogConfig runs one NubladoPythonLoop monkey against a hub that
// refuses connections: its login fails and it logs the failure.
const monkeyLogConfig = `
shutdownGracePeriod: 10s
jupyterhub: {url: "http://127.0.0.1:1"}
%s
autostart:
  - name: filed
    count: 1
    users: [{username: bot-mobu-filed}]
    business: {type: NubladoPythonLoop, options: {code: "1"}}
`

// TestServeMonkeyLogFiles: from the configuration to a file on disk, with
// monkeyLogDir and with the default directory under $TMPDIR.
func TestServeMonkeyLogFiles(t *testing.T) {
	explicit := filepath.Join(t.TempDir(), "logs")
	tmp := t.TempDir()
	cases := []struct{ name, settings, dir string }{
		{"monkeyLogDir", "logMonkeysToFile: true\nmonkeyLogDir: " + explicit, explicit},
		{"default dir", "logMonkeysToFile: true", filepath.Join(tmp, "mobu-monkey-logs")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := map[string]string{"MOBU_HUB_TOKEN": "t", "TMPDIR": tmp}
			s := startService(t, env, strings.Replace(monkeyLogConfig, "%s", c.settings, 1))
			path := filepath.Join(c.dir, "filed-bot-mobu-filed.log")
			waitFor(t, "the monkey's failure in "+path, time.Minute, func() (bool, error) {
				data, err := os.ReadFile(path)
				return strings.Contains(string(data), "ERROR execution failed"), err
			})
			if err := s.stop(t); err != nil {
				t.Fatalf("mobu serve: %v\n%s", err, s.logs)
			}
		})
	}
}
