package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/events/kafka"
)

// kafkaConfig maps the metrics settings (file + Safir environment) onto the
// Kafka sink's configuration.
func kafkaConfig(m config.Metrics, logger *slog.Logger) kafka.Config {
	return kafka.Config{
		Brokers: m.Kafka.BootstrapServers, SecurityProtocol: m.Kafka.SecurityProtocol,
		CAPath: m.Kafka.ClusterCAPath, CertPath: m.Kafka.ClientCertPath, KeyPath: m.Kafka.ClientKeyPath,
		SASLMechanism: m.Kafka.SASLMechanism, SASLUsername: m.Kafka.SASLUsername, SASLPassword: m.Kafka.SASLPassword.Reveal(),
		RegistryURL: m.SchemaManager.RegistryURL, SubjectSuffix: m.SchemaManager.Suffix,
		TopicPrefix: m.Events.TopicPrefix, Application: m.Application, Encoding: m.Encoding,
		CreateTopic: m.Events.CreateTopic, Logger: logger, Labels: kafkaLabels(),
	}
}

// kafkaLabels names settings in errors by the variables operators set.
func kafkaLabels() map[string]string {
	return map[string]string{
		"Brokers": "KAFKA_BOOTSTRAP_SERVERS", "SecurityProtocol": "KAFKA_SECURITY_PROTOCOL",
		"CAPath": "KAFKA_CLUSTER_CA_PATH", "CertPath": "KAFKA_CLIENT_CERT_PATH", "KeyPath": "KAFKA_CLIENT_KEY_PATH",
		"SASLMechanism": "KAFKA_SASL_MECHANISM", "SASLUsername": "KAFKA_SASL_USERNAME", "SASLPassword": "KAFKA_SASL_PASSWORD",
		"RegistryURL": "SCHEMA_MANAGER_REGISTRY_URL",
	}
}

const eventsUsage = `usage: mobu events tail [--brokers H:P,…] [--registry URL] [--topic T] [--from-beginning] [--max N] [--timeout D]

Consumes the events topic and prints one JSON object per line, in the shape of the JSON lines sink (with an
"event" field), decoding Avro with the schema registry. Defaults come from the Safir variables
KAFKA_BOOTSTRAP_SERVERS, KAFKA_SECURITY_PROTOCOL (and the TLS/SASL ones), SCHEMA_MANAGER_REGISTRY_URL,
METRICS_EVENTS_TOPIC_PREFIX and METRICS_APPLICATION.

Flags:
`

func eventsCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "tail" {
		fmt.Fprint(stderr, eventsUsage)
		return &exitError{code: 2}
	}
	m, ps := config.MetricsFromEnv(getenv)
	if ps != nil {
		if m.Enabled { // only the settings tail uses matter; they are checked below
			return usageErr("events tail: %w", ps)
		}
	}
	fs := flag.NewFlagSet("mobu events tail", flag.ContinueOnError)
	brokers := fs.String("brokers", strings.Join(m.Kafka.BootstrapServers, ","), "Kafka bootstrap `servers`, comma-separated")
	fs.StringVar(&m.SchemaManager.RegistryURL, "registry", m.SchemaManager.RegistryURL, "schema registry `URL`")
	topic := fs.String("topic", m.Events.TopicPrefix+"."+m.Application, "topic to read")
	fromStart := fs.Bool("from-beginning", false, "read the topic from its start instead of only new events")
	limit := fs.Int("max", 0, "stop after `N` events (0: no limit)")
	var idle time.Duration
	durationVar(fs, &idle, "timeout", 0, "stop after this long without an event (0: never)")
	fs.Usage = func() { fmt.Fprint(fs.Output(), eventsUsage); fs.PrintDefaults() }
	if help, err := parseFlags(fs, args[1:], stderr); help || err != nil {
		return err
	}
	m.Kafka.BootstrapServers = nil
	for b := range strings.SplitSeq(*brokers, ",") {
		if b = strings.TrimSpace(b); b != "" {
			m.Kafka.BootstrapServers = append(m.Kafka.BootstrapServers, b)
		}
	}
	if len(m.Kafka.BootstrapServers) == 0 {
		return usageErr("events tail: no brokers (--brokers or KAFKA_BOOTSTRAP_SERVERS)")
	}
	cfg := kafkaConfig(m, newLogger(stderr, false))
	opts := kafka.TailOptions{Topic: *topic, FromBeginning: *fromStart, Max: *limit, Idle: idle}
	return kafka.Tail(ctx, cfg, opts, func(line []byte) error {
		_, err := stdout.Write(append(line, '\n'))
		return err
	})
}
