package main

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/alert"
	"github.com/mobu-dev/mobu/internal/events"
	"github.com/mobu-dev/mobu/internal/flock"
	"github.com/mobu-dev/mobu/internal/notebook"
	"github.com/mobu-dev/mobu/internal/telemetry"
)

// observability is the service's self-telemetry (Prometheus, traces) and
// its alerts.
type observability struct {
	registry    *prometheus.Registry
	instruments *telemetry.Instruments
	tracing     *telemetry.Tracing           // nil: off
	alerts      *alert.Alerter               // nil: no alert target
	env         func(context.Context) string // the environment's name for the daily status
	cancel      context.CancelFunc
	wg          sync.WaitGroup
}

func newObservability(ctx context.Context, c *config.Config, getenv func(string) string, q *pipeline,
	logger *slog.Logger) (*observability, error) {
	o := &observability{registry: telemetry.NewRegistry(), cancel: func() {},
		env: func(context.Context) string { return c.EnvironmentName }}
	if err := telemetry.RegisterEvents(o.registry, func() any { return q.Stats() }); err != nil {
		return nil, err
	}
	var err error
	if o.instruments, err = telemetry.NewInstruments(o.registry); err != nil {
		return nil, err
	}
	if o.tracing, err = telemetry.TracingFromEnv(ctx, getenv, version); err != nil {
		return nil, err
	}
	if o.tracing != nil {
		logger.Info("tracing notebook runs over OTLP")
	}
	o.alerts = newAlerter(c, logger)
	if o.alerts != nil {
		err = telemetry.RegisterAlerts(o.registry, func() telemetry.AlertStats {
			s := o.alerts.Stats()
			return telemetry.AlertStats{Sent: s.Sent, Failed: s.Failed, Dropped: s.Dropped, Suppressed: s.Suppressed}
		})
	}
	return o, err
}

// newAlerter returns the alerter of the configured targets, nil for none.
func newAlerter(c *config.Config, logger *slog.Logger) *alert.Alerter {
	var targets []alert.Target
	if u := c.SlackURL(); u != "" {
		targets = append(targets, alert.Slack(u))
	}
	if u := c.Alerts.WebhookURL.Reveal(); u != "" {
		targets = append(targets, alert.Webhook(u))
	}
	if len(targets) == 0 {
		return nil
	}
	return alert.New(alert.Config{Targets: targets, Quiet: c.Alerts.QuietPeriod.D(), Logger: logger.With("component", "alerts")})
}

// publisher instruments the events the flocks publish.
func (o *observability) publisher(next events.Publisher) events.Publisher {
	return o.instruments.Publisher(next)
}

// tracer is the notebook tracer, nil when tracing is off.
func (o *observability) tracer() notebook.Tracer {
	if o.tracing == nil {
		return nil
	}
	return o.tracing
}

// alerter is the flocks' alerter, nil without alert targets.
func (o *observability) alerter() flock.Alerter {
	if o.alerts == nil {
		return nil
	}
	return flockAlerts{o.alerts}
}

// flockDeleted forgets a deleted flock's metric series and open alerts, so
// a flock created again under its name starts fresh.
func (o *observability) flockDeleted(name string) {
	o.instruments.Forget(name)
	if o.alerts != nil {
		o.alerts.ForgetFlock(name)
	}
}

// start exposes the flocks' state and starts the alert worker and the
// daily status.
func (o *observability) start(m *flock.Manager, c *config.Config) error {
	if err := telemetry.RegisterFlocks(o.registry, func() []telemetry.FlockState { return flockStates(m) }); err != nil {
		return err
	}
	if o.alerts == nil {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	o.cancel = cancel
	o.alerts.Start(ctx)
	if at, ok := c.Alerts.DailyAt(); ok {
		status := func() alert.Status { return alertStatus(m, o.env(ctx), c) }
		o.wg.Go(func() { o.alerts.DailyStatus(ctx, at, status) })
	}
	return nil
}

// stop delivers queued alerts and pending spans within ctx.
func (o *observability) stop(ctx context.Context) error {
	var errs []error
	if o.alerts != nil {
		errs = append(errs, o.alerts.Stop(ctx))
	}
	o.cancel()
	o.wg.Wait()
	if o.tracing != nil {
		errs = append(errs, o.tracing.Shutdown(ctx))
	}
	return errors.Join(errs...)
}

// flockAlerts adapts the alerter to the flocks' failure records.
type flockAlerts struct{ a *alert.Alerter }

func (f flockAlerts) Failed(flockName string, r flock.FailureRecord) {
	af := alert.Failure{Flock: flockName, Monkey: r.Monkey, User: r.Monkey, Business: r.Business, Phase: r.Phase,
		Notebook: r.Notebook, CellID: r.CellID, CellNumber: r.CellNumber, Code: r.Code, Error: r.Error,
		ErrorType: r.ErrorType, Traceback: r.Traceback, Node: r.Node, TraceID: r.TraceID, Started: r.Started, Failed: r.Time}
	if r.Image != nil {
		af.Image, af.ImageDescription = r.Image.Reference, r.Image.Description
	}
	f.a.Failed(af)
}

func (f flockAlerts) Passed(flockName, nb string) { f.a.Passed(flockName, nb) }

// monkeyCounts tallies a flock's monkeys by state.
func monkeyCounts(f *flock.Flock) map[string]int {
	states := map[string]int{}
	for _, m := range f.Monkeys() {
		states[string(m.Data().State)]++
	}
	return states
}

// flockStates is the flocks' state for Prometheus.
func flockStates(m *flock.Manager) []telemetry.FlockState {
	var out []telemetry.FlockState
	for _, s := range m.Summaries() {
		f, err := m.Get(s.Name)
		if err != nil {
			continue // deleted meanwhile
		}
		out = append(out, telemetry.FlockState{Name: s.Name, States: monkeyCounts(f), Successes: s.SuccessCount,
			Failures: s.FailureCount})
	}
	return out
}

// alertStatus is the daily status message's content: this replica's flocks.
func alertStatus(m *flock.Manager, env string, c *config.Config) alert.Status {
	st := alert.Status{Environment: env, ReplicaIndex: c.ReplicaIndex, ReplicaCount: c.ReplicaCount}
	for _, s := range m.Summaries() {
		fs := alert.FlockStatus{Name: s.Name, Business: s.Business, Monkeys: s.MonkeyCount, Successes: s.SuccessCount,
			Failures: s.FailureCount}
		if f, err := m.Get(s.Name); err == nil {
			states := monkeyCounts(f)
			fs.Running, fs.Errors = states[string(flock.StateRunning)], states[string(flock.StateError)]
		}
		st.Flocks = append(st.Flocks, fs)
	}
	return st
}
