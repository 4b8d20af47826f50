package main

import (
	"context"
	"fmt"
	"io"

	"github.com/mobu-dev/mobu/config"
)

// configCommand is `mobu config check FILE`.
func configCommand(_ context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) != 2 || args[0] != "check" {
		fmt.Fprintln(stderr, "usage: mobu config check FILE")
		return &exitError{code: 2}
	}
	l, err := config.LoadFile(args[1], getenv)
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	for _, w := range l.Warnings {
		fmt.Fprintln(stdout, "warning:", w)
	}
	if len(l.Problems) > 0 {
		fmt.Fprintf(stdout, "%s: %d problem(s):\n", args[1], len(l.Problems))
		for _, p := range l.Problems {
			fmt.Fprintln(stdout, "  "+p.Error())
		}
		return &exitError{code: 1}
	}
	fmt.Fprintf(stdout, "%s: OK (%d autostart flock(s), lab driver: %s)\n", args[1], len(l.Config.Flocks),
		driverName(l.Config))
	return nil
}

// driverName describes the lab driver a config selects.
func driverName(c *config.Config) string {
	switch c.Driver() {
	case "jupyterhub":
		return "JupyterHub"
	case "nublado":
		if c.Nublado != nil && c.Nublado.URL != "" {
			return "Nublado at " + c.Nublado.URL
		}
		return "Nublado via Repertoire"
	}
	return "none"
}
