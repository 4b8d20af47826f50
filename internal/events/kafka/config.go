// Package kafka is the events sink that publishes mobu's events to Kafka the
// way Rubin's Sasquatch (Safir app metrics) expects them: one topic per
// application, Avro records framed with the Confluent header and registered
// in a Confluent-compatible schema registry, or plain JSON lines. It also
// reads the topic back (Tail) in the JSON lines sink's shape.
package kafka

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Defaults for Config fields left zero.
const (
	DefaultTopicPrefix     = "lsst.square.metrics.events"
	DefaultApplication     = "mobu"
	DefaultBatchTimeout    = 5 * time.Millisecond
	DefaultWriteTimeout    = 10 * time.Second
	DefaultMaxMessageBytes = 1 << 20
)

// Security protocols, SASL mechanisms and encodings Config accepts.
const (
	ProtocolPlaintext     = "PLAINTEXT"
	ProtocolSSL           = "SSL"
	ProtocolSASLPlaintext = "SASL_PLAINTEXT"
	ProtocolSASLSSL       = "SASL_SSL"

	MechanismPlain       = "PLAIN"
	MechanismSCRAMSHA256 = "SCRAM-SHA-256"
	MechanismSCRAMSHA512 = "SCRAM-SHA-512"

	EncodingAvro = "avro"
	EncodingJSON = "json"
)

// avroName is what every dotted part of an Avro namespace or name must match.
var avroName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Config configures the Kafka sink and Tail. Zero fields take the defaults
// documented on them.
type Config struct {
	Brokers          []string // bootstrap servers, host:port
	SecurityProtocol string   // PLAINTEXT (default) | SSL | SASL_PLAINTEXT | SASL_SSL
	// TLS files (Strimzi KafkaAccess layout ca.crt, user.crt, user.key). CAPath
	// is required for SSL; the client certificate and key go together.
	CAPath, CertPath, KeyPath string
	// Labels renames fields in configuration errors after their real source,
	// e.g. "CAPath" → "KAFKA_CLUSTER_CA_PATH".
	Labels                     map[string]string
	SASLMechanism              string // PLAIN | SCRAM-SHA-256 | SCRAM-SHA-512 (default)
	SASLUsername, SASLPassword string
	RegistryURL                string        // Confluent-compatible schema registry; required for avro
	SubjectSuffix              string        // appended to every subject, e.g. "_dev"
	TopicPrefix                string        // default "lsst.square.metrics.events"
	Application                string        // default "mobu"
	Encoding                   string        // "avro" (default) | "json"
	CreateTopic                bool          // Check creates a missing topic
	Partitions                 int           // partitions of a created topic; default 1
	ReplicationFactor          int           // replicas of a created topic; default -1 (the broker's default)
	BatchTimeout               time.Duration // how long kafka-go waits to fill a batch; default 5 ms
	WriteTimeout               time.Duration // bounds one Write, registry calls included; default 10 s
	// MaxMessageBytes bounds a message with its framing (keep it at most the
	// broker's message.max.bytes); larger events are rejected. Default 1 MiB.
	MaxMessageBytes int
	Logger          *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.SecurityProtocol == "" {
		c.SecurityProtocol = ProtocolPlaintext
	}
	c.SecurityProtocol = strings.ToUpper(c.SecurityProtocol)
	if c.SASLMechanism == "" {
		c.SASLMechanism = MechanismSCRAMSHA512
	}
	c.SASLMechanism = strings.ToUpper(c.SASLMechanism)
	if c.TopicPrefix == "" {
		c.TopicPrefix = DefaultTopicPrefix
	}
	if c.Application == "" {
		c.Application = DefaultApplication
	}
	if c.Encoding == "" {
		c.Encoding = EncodingAvro
	}
	c.Encoding = strings.ToLower(c.Encoding)
	if c.Partitions == 0 {
		c.Partitions = 1
	}
	if c.ReplicationFactor == 0 {
		c.ReplicationFactor = -1
	}
	if c.BatchTimeout == 0 {
		c.BatchTimeout = DefaultBatchTimeout
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.MaxMessageBytes == 0 {
		c.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Topic is the events topic, <TopicPrefix>.<Application>.
func (c Config) Topic() string {
	c = c.withDefaults()
	return c.TopicPrefix + "." + c.Application
}

// Validate reports every problem with the configuration, reading the TLS
// files to check they parse. Secrets never appear in its errors.
func (c Config) Validate() error {
	_, err := c.withDefaults().validate()
	return err
}

// validate checks a defaulted configuration and returns its TLS settings
// (nil without TLS).
func (c Config) validate() (*tls.Config, error) {
	errs := c.checkBrokers()
	errs = append(errs, c.checkNames()...)
	errs = append(errs, c.checkEncoding()...)
	errs = append(errs, c.checkLimits()...)
	errs = append(errs, c.checkSASL()...)
	tlsConf, tlsErrs := c.loadTLS()
	errs = append(errs, tlsErrs...)
	if len(errs) > 0 {
		for i, err := range errs {
			errs[i] = c.relabel(err)
		}
		return nil, fmt.Errorf("kafka events configuration: %w", errors.Join(errs...))
	}
	return tlsConf, nil
}

var fieldNames = regexp.MustCompile(`\b(Brokers|SecurityProtocol|CAPath|CertPath|KeyPath|SASLMechanism|SASLUsername|SASLPassword|RegistryURL)\b`)

// relabel names fields the way the operator set them (Labels), keeping the
// error for errors.Is.
func (c Config) relabel(err error) error {
	if len(c.Labels) == 0 {
		return err
	}
	msg := fieldNames.ReplaceAllStringFunc(err.Error(), func(f string) string {
		if l, ok := c.Labels[f]; ok {
			return l
		}
		return f
	})
	return &labeledError{msg: msg, err: err}
}

type labeledError struct {
	msg string
	err error
}

func (e *labeledError) Error() string { return e.msg }
func (e *labeledError) Unwrap() error { return e.err }

func (c Config) checkBrokers() []error {
	if len(c.Brokers) == 0 {
		return []error{errors.New("Brokers is empty: at least one host:port is needed")}
	}
	var errs []error
	for _, b := range c.Brokers {
		if _, port, err := net.SplitHostPort(b); err != nil || port == "" {
			errs = append(errs, fmt.Errorf("Brokers %q is not host:port", b))
		}
	}
	return errs
}

func (c Config) checkNames() []error {
	var errs []error
	for _, part := range strings.Split(c.Topic(), ".") {
		if !avroName.MatchString(part) {
			errs = append(errs, fmt.Errorf("topic %q: part %q must match %s", c.Topic(), part, avroName))
			break
		}
	}
	if c.SubjectSuffix != "" && !avroName.MatchString("x"+strings.ReplaceAll(c.SubjectSuffix, ".", "_")) {
		errs = append(errs, fmt.Errorf("SubjectSuffix %q may only hold letters, digits, '_' and '.'", c.SubjectSuffix))
	}
	return errs
}

func (c Config) checkEncoding() []error {
	switch c.Encoding {
	case EncodingJSON:
		return nil
	case EncodingAvro:
	default:
		return []error{fmt.Errorf("Encoding %q is not %q or %q", c.Encoding, EncodingAvro, EncodingJSON)}
	}
	if c.RegistryURL == "" {
		return []error{errors.New("RegistryURL is empty: the avro encoding needs a schema registry")}
	}
	u, err := url.Parse(c.RegistryURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return []error{fmt.Errorf("RegistryURL %q is not an http(s) URL", redactURL(c.RegistryURL))}
	}
	return nil
}

func (c Config) checkLimits() []error {
	var errs []error
	if c.BatchTimeout < 0 || c.WriteTimeout < 0 {
		errs = append(errs, errors.New("BatchTimeout and WriteTimeout must not be negative"))
	}
	if c.MaxMessageBytes < minMessageBytes {
		errs = append(errs, fmt.Errorf("MaxMessageBytes %d is below the minimum of %d", c.MaxMessageBytes, minMessageBytes))
	}
	if c.Partitions < 1 {
		errs = append(errs, fmt.Errorf("Partitions %d must be at least 1", c.Partitions))
	}
	if c.ReplicationFactor < -1 {
		errs = append(errs, fmt.Errorf("ReplicationFactor %d must be -1 (broker default) or at least 1", c.ReplicationFactor))
	}
	return errs
}

func (c Config) checkSASL() []error {
	switch c.SecurityProtocol {
	case ProtocolPlaintext, ProtocolSSL:
		return nil
	case ProtocolSASLPlaintext, ProtocolSASLSSL:
	default:
		return []error{fmt.Errorf("SecurityProtocol %q is not one of %s, %s, %s, %s", c.SecurityProtocol,
			ProtocolPlaintext, ProtocolSSL, ProtocolSASLPlaintext, ProtocolSASLSSL)}
	}
	var errs []error
	switch c.SASLMechanism {
	case MechanismPlain, MechanismSCRAMSHA256, MechanismSCRAMSHA512:
	default:
		errs = append(errs, fmt.Errorf("SASLMechanism %q is not one of %s, %s, %s", c.SASLMechanism,
			MechanismPlain, MechanismSCRAMSHA256, MechanismSCRAMSHA512))
	}
	if c.SASLUsername == "" {
		errs = append(errs, fmt.Errorf("SASLUsername is empty (needed by %s)", c.SecurityProtocol))
	}
	if c.SASLPassword == "" {
		errs = append(errs, fmt.Errorf("SASLPassword is empty (needed by %s)", c.SecurityProtocol))
	}
	return errs
}

func (c Config) usesTLS() bool {
	return c.SecurityProtocol == ProtocolSSL || c.SecurityProtocol == ProtocolSASLSSL
}

func (c Config) usesSASL() bool {
	return c.SecurityProtocol == ProtocolSASLPlaintext || c.SecurityProtocol == ProtocolSASLSSL
}

func (c Config) subject(name string) string {
	return c.Topic() + "." + name + c.SubjectSuffix
}

// redactURL drops any user information from a URL so it can be shown.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	if u.User != nil {
		u.User = url.User("REDACTED")
	}
	return u.String()
}
