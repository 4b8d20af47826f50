package telemetry

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/mobu-dev/mobu/internal/events"
)

// stageLabels name the stage label of each timed event.
var stageLabels = map[string]string{
	events.NameLogin: "login", events.NameSpawnLab: "spawn", events.NameStartKernel: "kernel_start",
	events.NameDeleteSession: "session_delete", events.NameDeleteLab: "lab_delete",
	events.NameNotebookExecution: "notebook", events.NamePythonExecution: "python",
}

// Instruments are the per-flock event metrics: stage and cell duration
// histograms and event counters, fed by Publisher.
type Instruments struct {
	stages *prometheus.HistogramVec
	cells  *prometheus.HistogramVec
	counts *prometheus.CounterVec
}

// NewInstruments registers the event metrics with reg.
func NewInstruments(reg prometheus.Registerer) (*Instruments, error) {
	in := &Instruments{
		stages: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "mobu", Name: "stage_duration_seconds",
			Help:    "Duration of lab stages and whole notebook or Python runs, failures included.",
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 14)}, []string{"flock", "stage", "success"}),
		cells: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "mobu", Name: "cell_duration_seconds",
			Help:    "Client-side duration of executed notebook cells (skipped cells excluded).",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 16)}, []string{"flock", "success"}),
		counts: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "mobu", Name: "checks_total",
			Help: "Events published, by flock, event type and outcome."}, []string{"flock", "event", "success"}),
	}
	for _, c := range []prometheus.Collector{in.stages, in.cells, in.counts} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// Publisher observes every event on its way to next.
func (in *Instruments) Publisher(next events.Publisher) events.Publisher {
	return instrumented{in: in, next: next}
}

// Forget drops a deleted flock's series.
func (in *Instruments) Forget(flock string) {
	l := prometheus.Labels{"flock": flock}
	in.stages.DeletePartialMatch(l)
	in.cells.DeletePartialMatch(l)
	in.counts.DeletePartialMatch(l)
}

type instrumented struct {
	in   *Instruments
	next events.Publisher
}

func (p instrumented) Publish(e events.Event) {
	p.in.observe(e)
	p.next.Publish(e)
}

// observe records one event: a count, and its duration when it has one.
func (in *Instruments) observe(e events.Event) {
	flock := ""
	if f := e.Common().Flock; f != nil {
		flock = *f
	}
	var secs *float64
	var ok bool
	switch ev := e.(type) {
	case *events.Stage:
		secs, ok = &ev.Duration, ev.Success
	case *events.NotebookExecution:
		secs, ok = ev.Duration, ev.Success
	case *events.PythonExecution:
		secs, ok = ev.Duration, ev.Success
	case *events.NotebookCellExecution:
		ok = ev.Success
		if ev.Duration != nil && !ev.Skipped {
			in.cells.WithLabelValues(flock, boolLabel(ok)).Observe(*ev.Duration)
		}
	case *events.EmptyLoop:
		ok = ev.Success
	}
	in.counts.WithLabelValues(flock, e.Name(), boolLabel(ok)).Inc()
	if stage, timed := stageLabels[e.Name()]; timed && secs != nil {
		in.stages.WithLabelValues(flock, stage, boolLabel(ok)).Observe(*secs)
	}
}

func boolLabel(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// FlockState is one flock's monkeys by state and its execution counts.
type FlockState struct {
	Name      string
	States    map[string]int // monkeys per state (IDLE, RUNNING, …)
	Successes int64
	Failures  int64
}

// RegisterFlocks exposes the flocks' monkeys and executions, read at scrape
// time from flocks (so deleted flocks disappear).
func RegisterFlocks(reg prometheus.Registerer, flocks func() []FlockState) error {
	return reg.Register(flockCollector{flocks: flocks})
}

var (
	monkeysDesc = prometheus.NewDesc("mobu_flock_monkeys", "Monkeys of this replica by flock and state.",
		[]string{"flock", "state"}, nil)
	executionsDesc = prometheus.NewDesc("mobu_flock_executions_total",
		"Monkey executions by flock and outcome (since the flock started on this replica).", []string{"flock", "outcome"}, nil)
)

type flockCollector struct{ flocks func() []FlockState }

func (c flockCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- monkeysDesc
	ch <- executionsDesc
}

func (c flockCollector) Collect(ch chan<- prometheus.Metric) {
	for _, f := range c.flocks() {
		for state, n := range f.States {
			ch <- prometheus.MustNewConstMetric(monkeysDesc, prometheus.GaugeValue, float64(n), f.Name, state)
		}
		ch <- prometheus.MustNewConstMetric(executionsDesc, prometheus.CounterValue, float64(f.Successes), f.Name, "success")
		ch <- prometheus.MustNewConstMetric(executionsDesc, prometheus.CounterValue, float64(f.Failures), f.Name, "failure")
	}
}

// AlertStats are the alerter's delivery counts.
type AlertStats struct{ Sent, Failed, Dropped, Suppressed uint64 }

// RegisterAlerts exposes the alerter's counts as mobu_alerts_<name>_total.
func RegisterAlerts(reg prometheus.Registerer, stats func() AlertStats) error {
	for name, get := range map[string]func(AlertStats) uint64{
		"sent":       func(s AlertStats) uint64 { return s.Sent },
		"failed":     func(s AlertStats) uint64 { return s.Failed },
		"dropped":    func(s AlertStats) uint64 { return s.Dropped },
		"suppressed": func(s AlertStats) uint64 { return s.Suppressed },
	} {
		c := prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "mobu", Subsystem: "alerts", Name: name + "_total",
			Help: "Alert messages " + name + " (per target for sent and failed)."}, func() float64 { return float64(get(stats())) })
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
