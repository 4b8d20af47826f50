package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFlockCommands drives a running service (EmptyLoop flocks, no hub) with
// the mobu flock commands, as an operator would.
func TestFlockCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the service")
	}
	s := startService(t, map[string]string{}, "shutdownGracePeriod: 5s\n")
	env := map[string]string{"MOBU_URL": s.url}
	dir := t.TempDir()
	spec := filepath.Join(dir, "spec.yaml")
	os.WriteFile(spec, []byte(`
name: cli
count: 2
user_spec: {username_prefix: bot-mobu-cli}
business:
  type: EmptyLoop
  options: {idle_time: 0.02}
`), 0o644)
	ctx := context.Background()
	steps := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"flock", "start", "-f", spec}, 0, "started flock cli with 2 monkey(s)"},
		{[]string{"flock", "list"}, 0, "cli    EmptyLoop"},
		{[]string{"flock", "pause", "cli"}, 0, "cli: pause done"},
		{[]string{"flock", "list"}, 0, "paused"},
		{[]string{"flock", "resume", "cli"}, 0, "cli: resume done"},
		{[]string{"flock", "refresh", "cli"}, 0, "cli: refresh done"},
		{[]string{"flock", "report", "cli", "-o", filepath.Join(dir, "report")}, 0, "wrote the report of flock cli (2 monkeys)"},
		{[]string{"flock", "stop", "cli"}, 0, "cli: stop done"},
		{[]string{"flock", "stop", "cli"}, 1, "404 Not Found: flock: Flock cli not found"},
		{[]string{"flock", "start", "-f", filepath.Join(dir, "missing.yaml")}, 2, "no such file"},
		{[]string{"flock", "stop"}, 2, "give exactly one flock name"},
		{[]string{"flock", "frob", "x"}, 2, `unknown command "frob"`},
	}
	for _, st := range steps {
		code, out := mobu(t, ctx, env, nil, st.args...)
		if code != st.code || !strings.Contains(out, st.want) {
			t.Fatalf("mobu %s: exit %d, want %d with %q:\n%s", strings.Join(st.args, " "), code, st.code, st.want, out)
		}
	}
	// The report holds the flock, its summary and each monkey's data and log.
	for _, f := range []string{"flock.json", "summary.json", "monkeys/bot-mobu-cli1.json", "monkeys/bot-mobu-cli2.log"} {
		if _, err := os.Stat(filepath.Join(dir, "report", f)); err != nil {
			t.Fatalf("report lacks %s: %v", f, err)
		}
	}
	var sum struct {
		Name         string `json:"name"`
		SuccessCount int    `json:"success_count"`
	}
	data, _ := os.ReadFile(filepath.Join(dir, "report", "summary.json"))
	if json.Unmarshal(data, &sum) != nil || sum.Name != "cli" {
		t.Fatalf("summary.json: %s", data)
	}
	// A bad spec is refused by the service with the field path.
	os.WriteFile(spec, []byte("name: bad\ncount: 1\nusers: [{username: alice}]\nbusiness: {type: EmptyLoop}\n"), 0o644)
	code, out := mobu(t, ctx, env, nil, "flock", "start", "-f", spec)
	if code != 1 || !strings.Contains(out, "422") || !strings.Contains(out, `users.0.username: must start with bot-mobu (got "alice")`) {
		t.Fatalf("bad spec: exit %d\n%s", code, out)
	}
}
