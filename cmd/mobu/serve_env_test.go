package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/client"
)

// TestFlockCommandsBearerToken: against a service with MOBU_API_TOKEN, the
// flock commands send --token, or $MOBU_TOKEN, as the bearer token.
func TestFlockCommandsBearerToken(t *testing.T) {
	s := startService(t, map[string]string{"MOBU_API_TOKEN": "s3cret"}, "shutdownGracePeriod: 5s\n")
	cases := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"no token", nil, nil, 1, "401 Unauthorized"},
		{"wrong --token", nil, []string{"--token", "nope"}, 1, "401 Unauthorized"},
		{"--token", nil, []string{"--token", "s3cret"}, 0, "FLOCK  BUSINESS"},
		{"$MOBU_TOKEN", map[string]string{"MOBU_TOKEN": "s3cret"}, nil, 0, "FLOCK  BUSINESS"},
		{"--token over $MOBU_TOKEN", map[string]string{"MOBU_TOKEN": "s3cret"}, []string{"--token", "nope"}, 1, "401"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := map[string]string{"MOBU_URL": s.url}
			for k, v := range c.env {
				env[k] = v
			}
			args := append([]string{"flock", "list"}, c.args...)
			code, out := mobu(t, context.Background(), env, nil, args...)
			if code != c.code || !strings.Contains(out, c.want) {
				t.Fatalf("mobu %s: exit %d, want %d with %q:\n%s", strings.Join(args, " "), code, c.code, c.want, out)
			}
		})
	}
}

// TestServeConfigFromEnv: without --config, mobu serve reads the file named
// by $MOBU_CONFIG_PATH (its autostart flock runs) and stops cleanly.
func TestServeConfigFromEnv(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mobu.yaml")
	cfg := "shutdownGracePeriod: 5s\nautostart:\n  - {name: fromenv, count: 1, user_spec: {username_prefix: bot-mobu-env}, " +
		"business: {type: EmptyLoop, options: {idle_time: 0.05}}}\n"
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs, addr, done := &lockedBuffer{}, make(chan string, 1), make(chan error, 1)
	w := &addrWatcher{buf: logs, found: addr}
	getenv := func(k string) string { return map[string]string{"MOBU_CONFIG_PATH": path}[k] }
	go func() { done <- run(ctx, []string{"serve", "--listen", "127.0.0.1:0"}, getenv, w, w) }()
	var url string
	select {
	case a := <-addr:
		url = "http://" + a + "/mobu"
	case err := <-done:
		t.Fatalf("mobu serve exited: %v\n%s", err, logs)
	case <-time.After(30 * time.Second):
		t.Fatalf("mobu serve did not start listening:\n%s", logs)
	}
	c, err := client.New(url, "")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the autostart flock from $MOBU_CONFIG_PATH", 30*time.Second, func() (bool, error) {
		sum, err := c.Summary(ctx, "fromenv")
		return err == nil && sum.SuccessCount > 0, err
	})
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("mobu serve: %v\n%s", err, logs)
		}
	case <-time.After(time.Minute):
		t.Fatalf("mobu serve did not stop:\n%s", logs)
	}
}
