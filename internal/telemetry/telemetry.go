// Package telemetry exposes mobu's own metrics to Prometheus: Go runtime and
// process collectors, and event delivery counters read from the event queue
// at scrape time. The registry is created here and injected where needed;
// nothing registers globally.
package telemetry

import (
	"encoding/json"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// NewRegistry returns a registry with the Go runtime and process collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Handler serves the registry in the Prometheus text format.
func Handler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}

// gauges are the delivery stats that go up and down; the others only grow.
var gauges = map[string]string{
	"pending":   "Events waiting in the on-disk spool for the broker.",
	"queued":    "Events waiting in the in-memory queue.",
	"in_flight": "Events taken from the queue and not yet written or spooled.",
}

var counters = map[string]string{
	"published":    "Events accepted for delivery.",
	"written":      "Events delivered to the sink.",
	"failed":       "Events in batches whose delivery failed (and were retried).",
	"retries":      "Failed delivery attempts.",
	"spilled":      "Events written to the on-disk spool during an outage.",
	"dropped":      "Events lost: the queue was full, the spool overflowed, or mobu was stopping.",
	"rejected":     "Events the sink refused for good (too large, schema rejected).",
	"invalid":      "Events that failed validation and were never queued.",
	"resumed":      "Events found in the spool directory at start (left by an earlier run).",
	"spool_errors": "Spool file operations that failed.",
	"discarded":    "Valid events given to no destination (neither Kafka nor a file is configured).",
	"file_written": "Events written to the JSON lines file when it is a second destination beside Kafka.",
	"file_dropped": "Events the JSON lines file lost when it is a second destination beside Kafka.",
}

// RegisterEvents exposes the event queue's counters as
// mobu_events_<name>_total counters and mobu_events_<name> gauges. stats
// returns the queue's Stats (any JSON-tagged struct of integers).
func RegisterEvents(reg prometheus.Registerer, stats func() any) error {
	read := func(name string) float64 {
		var m map[string]float64
		b, _ := json.Marshal(stats())
		json.Unmarshal(b, &m)
		return m[name]
	}
	for name, help := range counters {
		c := prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "mobu", Subsystem: "events",
			Name: name + "_total", Help: help}, func() float64 { return read(name) })
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	for name, help := range gauges {
		g := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "mobu", Subsystem: "events", Name: name, Help: help},
			func() float64 { return read(name) })
		if err := reg.Register(g); err != nil {
			return err
		}
	}
	return nil
}
