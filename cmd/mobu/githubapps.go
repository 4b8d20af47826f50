package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/api"
	"github.com/mobu-dev/mobu/internal/ci"
	"github.com/mobu-dev/mobu/internal/cirun"
	"github.com/mobu-dev/mobu/internal/events"
	"github.com/mobu-dev/mobu/internal/flock"
	"github.com/mobu-dev/mobu/internal/ghapps"
	"github.com/mobu-dev/mobu/internal/github"
	"github.com/mobu-dev/mobu/internal/payload"
)

// githubApps are the configured GitHub Apps' webhooks and the CI manager.
type githubApps struct {
	refresh, ci *api.Webhook
	manager     *ci.Manager // nil without the CI app
	runner      *cirun.Runner
	cancel      context.CancelFunc
}

func newGitHubApps(c *config.Config, flocks *flock.Manager, sources *payload.Factory, labs flock.LabFactory,
	pub events.Publisher, env *environment, logger *slog.Logger) (*githubApps, error) {
	g := &githubApps{cancel: func() {}}
	if r := c.GitHubRefreshApp; r != nil {
		g.refresh = &api.Webhook{Secret: []byte(r.WebhookSecret.Reveal()), AcceptedOrgs: r.AcceptedGitHubOrgs,
			Events: ghapps.RefreshEvents(), Handle: ghapps.RefreshHandler(flocks, logger.With("app", "refresh"))}
	}
	cc := c.GitHubCIApp
	if cc == nil {
		return g, nil
	}
	if labs == nil {
		logger.Error("githubCiApp is configured but there is no lab driver; the CI app stays off")
		return g, nil
	}
	app, err := github.NewApp(github.AppConfig{AppID: cc.ID, PrivateKey: []byte(cc.PrivateKey.Reveal()), APIURL: cc.APIURL,
		Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("githubCiApp: %w", err)
	}
	users := map[string]config.User{}
	var names []string
	for _, u := range cc.Users {
		users[u.Username], names = u, append(names, u.Username)
	}
	log := logger.With("app", "ci")
	g.runner = &cirun.Runner{Cache: sources.Cache, Apps: sources.Apps, Labs: labs, Users: users, Scopes: cc.Scopes,
		Publisher: pub, CellTimeout: cc.CellTimeout.D(), Logger: log}
	seen := github.NewDeliveries(time.Hour, nil) // a job dropped without a check run forgets its delivery
	g.manager = ci.NewManager(ci.Options{Users: names, GitHub: namedChecks{GitHub: ghapps.Checks{App: app}, env: env},
		Runner: g.runner, Logger: log, StateFile: cc.StateFile, Dropped: func(j ci.Job) { seen.Forget(j.Delivery) },
		Sweep: startupSweep(c, app, env, log)})
	g.ci = &api.Webhook{Secret: []byte(cc.WebhookSecret.Reveal()), AcceptedOrgs: cc.AcceptedGitHubOrgs,
		Events: ghapps.CIEvents(), Deliveries: seen, Handle: ghapps.CIHandler(g.manager, log)}
	return g, nil
}

// startupSweep configures the CI manager's startup sweep, which re-queues
// the checks a mobu that died left pending. It runs only with one replica:
// with several, it could take over the checks another replica is running.
func startupSweep(c *config.Config, app *github.App, env *environment, log *slog.Logger) *ci.SweepOptions {
	if c.ReplicaCount != 1 {
		log.Warn("several replicas: no startup sweep of dangling CI checks", "replica_count", c.ReplicaCount)
		return nil
	}
	return &ci.SweepOptions{Lister: namedLister{Lister: ghapps.Lister{App: app}, env: env},
		AcceptedOrgs: c.GitHubCIApp.AcceptedGitHubOrgs}
}

// namedLister looks for the check runs under the name that check runs are
// created with now.
type namedLister struct {
	ci.Lister
	env *environment
}

func (l namedLister) PendingCheckRuns(ctx context.Context, r ci.Repo, sha, _ string) ([]int64, error) {
	return l.Lister.PendingCheckRuns(ctx, r, sha, l.env.CheckName(ctx))
}

// start resumes persisted CI jobs and starts the CI workers and, in the
// background, the startup sweep.
func (g *githubApps) start() error {
	if g.manager == nil {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	g.cancel = cancel
	return g.manager.Start(ctx)
}

// stop concludes queued and running checks ("mobu stopped, re-run this
// check") within ctx, then releases the workers.
func (g *githubApps) stop(ctx context.Context) error {
	defer g.cancel()
	if g.manager == nil {
		return nil
	}
	return errors.Join(g.manager.Stop(ctx), g.runner.Close())
}

// summary is the CI part of GET {prefix}/summary (null without the app).
func (g *githubApps) summary() any {
	if g.manager == nil {
		return nil
	}
	return g.manager.Summary()
}
