package main

import (
	"context"
	"log/slog"
	"testing"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/ci"
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
		{"no name at all", "", "", true, "Mobu"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep.Down(tt.down)
			c := config.Default()
			c.EnvironmentName, c.SentryEnvironment = tt.explicit, tt.sentry
			env := newEnvironment(c, repertoire.New(rep.BaseURL(), repertoire.Options{}), log)
			if got := env.CheckName(context.Background()); got != tt.want {
				t.Errorf("check name %q, want %q", got, tt.want)
			}
		})
	}
}

// checkNames records the names check runs are created under.
type checkNames struct {
	ci.GitHub // nil: only CreateCheckRun is called
	names     []string
}

func (c *checkNames) CreateCheckRun(_ context.Context, _ ci.Repo, _, name string) (int64, error) {
	c.names = append(c.names, name)
	return int64(len(c.names)), nil
}

// A Repertoire that is down when mobu starts must not fix the check name:
// it is resolved when a check run is created, from the cached client.
func TestCheckNameResolvedWhenCreated(t *testing.T) {
	rep := testrsp.NewRepertoire(t, testrsp.DiscoveryJSON{EnvironmentName: "idfint"})
	rep.Down(true)
	c := config.Default()
	c.SentryEnvironment = "sentry-env"
	rec := &checkNames{}
	gh := namedChecks{GitHub: rec, env: newEnvironment(c, repertoire.New(rep.BaseURL(), repertoire.Options{}),
		slog.New(slog.DiscardHandler))}
	for _, down := range []bool{true, false, false} {
		rep.Down(down)
		if _, err := gh.CreateCheckRun(context.Background(), ci.Repo{}, "abc", "ignored"); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"Mobu (sentry-env)", "Mobu (idfint)", "Mobu (idfint)"}
	if len(rec.names) != 3 || rec.names[0] != want[0] || rec.names[1] != want[1] || rec.names[2] != want[2] {
		t.Errorf("check names %q, want %q", rec.names, want)
	}
	if n := rep.Requests(); n != 2 {
		t.Errorf("%d discovery requests, want 2 (the answer is cached)", n)
	}
}
