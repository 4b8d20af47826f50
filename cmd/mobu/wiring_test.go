package main

import (
	"context"
	"log/slog"
	"testing"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/repertoire"
	"github.com/mobu-dev/mobu/internal/testrsp"
)

func TestEnvironmentNameFromRepertoire(t *testing.T) {
	rep := testrsp.NewRepertoire(t, testrsp.DiscoveryJSON{EnvironmentName: "idfdev"})
	log := slog.New(slog.DiscardHandler)
	tests := []struct {
		name, explicit, sentry string
		down                   bool
		want                   string
	}{
		{"from Repertoire", "", "sentry-env", false, "Mobu (idfdev)"},
		{"explicit wins", "mine", "sentry-env", false, "Mobu (mine)"},
		{"Repertoire down: sentryEnvironment", "", "sentry-env", true, "Mobu (sentry-env)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep.Down(tt.down)
			c := config.Default()
			c.GitHubCIApp, c.EnvironmentName, c.SentryEnvironment = &config.GitHubCIApp{}, tt.explicit, tt.sentry
			environmentName(context.Background(), c, repertoire.New(rep.BaseURL(), repertoire.Options{}), log)
			if got := c.CheckName(); got != tt.want {
				t.Errorf("check name %q, want %q", got, tt.want)
			}
		})
	}
}
