// Package testhub runs a throw-away local JupyterHub for integration tests.
//
// It drives scripts/localhub (see that script for the hub configuration): the hub
// listens on 127.0.0.1 only, keeps its state in a fresh temporary directory, and
// has a service token with the scopes a mobu runner needs (admin:users,
// admin:servers, tokens, access:servers, list:users). Bot usernames pick the
// single-user behaviour: "legacy" gives classic notebook 6.4 (legacy websocket
// frames only), any other name jupyter_server 1.23 (legacy and v1 protocols),
// "failspawn" a spawn that fails within about a second, and "hangspawn" a server
// that never answers (the hub gives up after 30 s).
//
// The hub answers POST /hub/api/users/{name}/server with 202 at once
// (slow_spawn_timeout 0); spawn results arrive on the progress stream.
//
// It needs Debian's jupyterhub, python3-ipykernel and python3-jupyter-server.
package testhub

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	jupyterhubPath = "/usr/bin/jupyterhub"
	installHint    = "apt-get install -y jupyterhub python3-ipykernel python3-jupyter-server"
	// stopTimeout bounds `localhub stop`; the script itself waits at most ~15 s.
	stopTimeout = 60 * time.Second
)

// Options tunes the hub.
type Options struct {
	// NoDelay makes the single-user servers set TCP_NODELAY on kernel websockets
	// (localhub --nodelay). Without it Nagle's algorithm adds ~40 ms per cell on
	// the server-to-client leg.
	NoDelay bool
}

// Hub is a running local JupyterHub.
type Hub struct {
	// URL is the hub's base URL, e.g. http://127.0.0.1:PORT (no trailing slash).
	URL string
	// Token is the API token of the "mobu" service; send it as
	// "Authorization: token <Token>".
	Token string
	// Dir holds the hub's config, database, logs and user homes. Stop removes it.
	Dir string

	script   string
	stopOnce sync.Once
	stopErr  error
}

// Start starts a hub in a new temporary directory and returns once its REST API
// answers. The caller must call Stop. ctx bounds the startup only (the script
// itself gives up after 60 s); cancelling it later does not stop the hub.
func Start(ctx context.Context, opts Options) (*Hub, error) {
	if _, err := os.Stat(jupyterhubPath); err != nil {
		return nil, fmt.Errorf("jupyterhub not installed (%s missing): %s", jupyterhubPath, installHint)
	}
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	script := filepath.Join(root, "scripts", "localhub")
	if _, err := os.Stat(script); err != nil {
		return nil, fmt.Errorf("testhub: hub script not found: %w", err)
	}
	dir, err := os.MkdirTemp("", "testhub-")
	if err != nil {
		return nil, fmt.Errorf("testhub: creating hub directory: %w", err)
	}
	h := &Hub{Dir: dir, script: script}

	args := []string{"start", dir}
	if opts.NoDelay {
		args = append(args, "--nodelay")
	}
	cmd := exec.CommandContext(ctx, script, args...)
	cmd.Dir = root
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	// Own process group, so cancelling ctx also kills the script's readiness
	// poller; the hub runs in its own session and is stopped below.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	started := time.Now()
	runErr := cmd.Run()
	elapsed := time.Since(started).Round(time.Millisecond)
	if runErr == nil {
		runErr = h.parse(stdout.String())
	}
	if runErr != nil {
		// The script may have been killed halfway (ctx), leaving a hub behind.
		stopErr := h.Stop()
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = "(no output on stderr)"
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			runErr = fmt.Errorf("%w (after %s)", ctxErr, elapsed)
		}
		return nil, errors.Join(
			fmt.Errorf("testhub: %s start failed: %w\n%s", script, runErr, msg),
			stopErr,
		)
	}
	return h, nil
}

// parse reads the "export MOBU_HUB_URL=…" and "export MOBU_HUB_TOKEN=…" lines
// printed by localhub start.
func (h *Hub) parse(out string) error {
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		key, value, ok := strings.Cut(strings.TrimPrefix(strings.TrimSpace(sc.Text()), "export "), "=")
		if !ok {
			continue
		}
		switch key {
		case "MOBU_HUB_URL":
			h.URL = strings.TrimRight(value, "/")
		case "MOBU_HUB_TOKEN":
			h.Token = value
		}
	}
	if h.URL == "" || h.Token == "" {
		return fmt.Errorf("unexpected output, want MOBU_HUB_URL= and MOBU_HUB_TOKEN= lines, got %q", out)
	}
	return nil
}

// Stop stops the hub and everything it spawned, then removes Dir. It is safe to
// call more than once; later calls return the first result.
func (h *Hub) Stop() error {
	h.stopOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, h.script, "stop", h.Dir)
		cmd.WaitDelay = 5 * time.Second
		out, err := cmd.CombinedOutput()
		if err != nil {
			h.stopErr = fmt.Errorf("testhub: %s stop %s: %w\n%s\nhub log tail:\n%s",
				h.script, h.Dir, err, strings.TrimSpace(string(out)), h.LogTail(30))
			// Keep Dir for post-mortem when processes may have survived.
			return
		}
		if err := os.RemoveAll(h.Dir); err != nil {
			h.stopErr = fmt.Errorf("testhub: removing %s: %w", h.Dir, err)
		}
	})
	return h.stopErr
}

// LogTail returns the last n lines of the hub log (hub, proxy, single-user servers
// and kernels all write there), for test failure messages.
func (h *Hub) LogTail(n int) string {
	data, err := os.ReadFile(filepath.Join(h.Dir, "hub.log"))
	if err != nil {
		return fmt.Sprintf("(hub log unavailable: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if n >= 0 && len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// repoRoot walks up from the working directory to the directory holding go.mod.
func repoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("testhub: %w", err)
	}
	for dir := wd; ; {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("testhub: no go.mod in %s or any parent", wd)
		}
		dir = parent
	}
}
