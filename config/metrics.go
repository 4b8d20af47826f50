package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// applyEnv reads the Safir variables: METRICS_* and SCHEMA_MANAGER_*
// override the file, KAFKA_* are read only from the environment.
func (m *Metrics) applyEnv(getenv func(string) string) Problems {
	var ps Problems
	if v := getenv("METRICS_ENABLED"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			ps = append(ps, Problem{Loc: []any{"$METRICS_ENABLED"}, Msg: fmt.Sprintf("must be true or false (got %q)", v)})
		}
		m.Enabled = b
	}
	for _, e := range []struct {
		name string
		dst  *string
	}{
		{"METRICS_APPLICATION", &m.Application}, {"METRICS_EVENTS_TOPIC_PREFIX", &m.Events.TopicPrefix},
		{"SCHEMA_MANAGER_REGISTRY_URL", &m.SchemaManager.RegistryURL}, {"SCHEMA_MANAGER_SUFFIX", &m.SchemaManager.Suffix},
		{"KAFKA_SECURITY_PROTOCOL", &m.Kafka.SecurityProtocol}, {"KAFKA_CLUSTER_CA_PATH", &m.Kafka.ClusterCAPath},
		{"KAFKA_CLIENT_CERT_PATH", &m.Kafka.ClientCertPath}, {"KAFKA_CLIENT_KEY_PATH", &m.Kafka.ClientKeyPath},
		{"KAFKA_SASL_MECHANISM", &m.Kafka.SASLMechanism}, {"KAFKA_SASL_USERNAME", &m.Kafka.SASLUsername},
	} {
		if v := getenv(e.name); v != "" {
			*e.dst = v
		}
	}
	setSecret(&m.Kafka.SASLPassword, getenv("KAFKA_SASL_PASSWORD"))
	for s := range strings.SplitSeq(getenv("KAFKA_BOOTSTRAP_SERVERS"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			m.Kafka.BootstrapServers = append(m.Kafka.BootstrapServers, s)
		}
	}
	return ps
}

var (
	securityProtocols = []string{"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"}
	saslMechanisms    = []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}
)

// validate checks the settings that matter when publishing is enabled.
func (m *Metrics) validate(c checker) {
	c.at("encoding").check(m.Encoding == "avro" || m.Encoding == "json", "must be avro or json (got %q)", m.Encoding)
	c.at("spoolMaxBytes").check(m.SpoolMaxBytes > 0, "must be positive (got %d)", m.SpoolMaxBytes)
	c.at("application").check(m.Application != "", "must not be empty")
	if !m.Enabled {
		return
	}
	env := checker{problems: c.problems} // environment variables sit at the root
	env.at("$KAFKA_BOOTSTRAP_SERVERS").check(len(m.Kafka.BootstrapServers) > 0, "required when metrics.enabled is true")
	c.at("schemaManager", "registryUrl").check(m.Encoding != "avro" || m.SchemaManager.RegistryURL != "",
		"required for avro encoding (or SCHEMA_MANAGER_REGISTRY_URL)")
	if p := m.Kafka.SecurityProtocol; p != "" {
		env.at("$KAFKA_SECURITY_PROTOCOL").check(slices.Contains(securityProtocols, p),
			"must be one of %s (got %q)", strings.Join(securityProtocols, ", "), p)
	}
	if s := m.Kafka.SASLMechanism; s != "" {
		env.at("$KAFKA_SASL_MECHANISM").check(slices.Contains(saslMechanisms, s),
			"must be one of %s (got %q)", strings.Join(saslMechanisms, ", "), s)
	}
}

// MetricsFromEnv returns the metrics settings from the defaults and the
// environment alone (for commands without a configuration file).
func MetricsFromEnv(getenv func(string) string) (Metrics, Problems) {
	m := Default().Metrics
	ps := m.applyEnv(getenv)
	var vs Problems
	m.validate(checker{loc: []any{"metrics"}, problems: &vs})
	return m, merge(ps, vs)
}
