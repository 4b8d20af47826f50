package kafka

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/mobu-dev/mobu/internal/events"
)

// Sink publishes events to the events topic. It implements events.Sink.
type Sink struct {
	cfg       Config
	log       *slog.Logger
	auth      *saslAuth // nil without SASL
	transport *kafka.Transport
	conns     *conns // the transport's connections, cut at Close
	writer    *kafka.Writer
	client    *kafka.Client // admin and metadata requests, for Check
	enc       *encoder
}

var _ events.Sink = (*Sink)(nil)

// Open validates cfg and prepares the sink. It does not contact the brokers
// or the registry, so mobu starts while Kafka is down; Check reports whether
// they can be reached.
func Open(ctx context.Context, cfg Config) (*Sink, error) {
	cfg = cfg.withDefaults()
	tlsConf, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	var reg *registry
	if cfg.Encoding == EncodingAvro {
		if reg, err = newRegistry(cfg.RegistryURL, cfg.WriteTimeout); err != nil {
			return nil, err
		}
	}
	auth, err := newSASLAuth(cfg)
	if err != nil {
		return nil, err
	}
	transport, cs := newTransport(cfg, tlsConf, auth), &conns{}
	transport.Dial = cs.dial
	cfg.Logger = cfg.Logger.With("topic", cfg.Topic())
	return &Sink{
		cfg: cfg, log: cfg.Logger, auth: auth, transport: transport, conns: cs, enc: newEncoder(cfg, reg),
		client: &kafka.Client{Addr: kafka.TCP(cfg.Brokers...), Transport: transport, Timeout: cfg.WriteTimeout},
		writer: newWriter(cfg, transport, cfg.Logger),
	}, nil
}

// newWriter returns the kafka-go writer: synchronous, acknowledged by every
// in-sync replica, keyed by username, never creating the topic.
func newWriter(cfg Config, transport *kafka.Transport, log *slog.Logger) *kafka.Writer {
	return &kafka.Writer{
		Addr:                   kafka.TCP(cfg.Brokers...),
		Topic:                  cfg.Topic(),
		Balancer:               &kafka.Hash{}, // key = username: one user's events stay in order
		BatchSize:              500,           // the events queue's batch size
		BatchBytes:             int64(cfg.MaxMessageBytes - batchHeadroom),
		BatchTimeout:           cfg.BatchTimeout, // kafka-go's default is 1 s
		ReadTimeout:            cfg.WriteTimeout,
		WriteTimeout:           cfg.WriteTimeout,
		RequiredAcks:           kafka.RequireAll, // kafka-go's default is none
		AllowAutoTopicCreation: false,
		MaxAttempts:            3,
		WriteBackoffMin:        50 * time.Millisecond,
		WriteBackoffMax:        time.Second,
		Transport:              transport,
		ErrorLogger: kafka.LoggerFunc(func(format string, args ...any) {
			log.Debug("kafka writer: " + fmt.Sprintf(format, args...))
		}),
	}
}

// newTransport returns the connection pool shared by the writer, admin
// requests and Tail, with the configured TLS and SASL.
func newTransport(cfg Config, tlsConf *tls.Config, auth *saslAuth) *kafka.Transport {
	return &kafka.Transport{
		DialTimeout: min(cfg.WriteTimeout, 5*time.Second),
		ClientID:    cfg.Application,
		TLS:         tlsConf,
		SASL:        auth.mechanism(),
	}
}

// Write implements events.Sink. It returns nil when every event was
// delivered, an *events.RejectedError when the listed events can never be
// (schema refused, too large, refused by the broker) and all the others were,
// or another error, naming the topic and brokers, when nothing can be
// delivered now (registry or broker unreachable, topic missing). After that
// transient error some events may have been delivered: a retry duplicates
// them (at least once).
func (s *Sink) Write(ctx context.Context, batch []events.Event) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.WriteTimeout)
	defer cancel()
	enc, err := s.enc.encodeBatch(ctx, batch)
	if err != nil {
		return fmt.Errorf("writing %d events to topic %s: %w", len(batch), s.cfg.Topic(), err)
	}
	if len(enc.msgs) > 0 {
		if err := s.writer.WriteMessages(ctx, enc.msgs...); err != nil {
			if err := s.mapWriteError(err, enc); err != nil {
				return err
			}
		}
	}
	if len(enc.rejected) > 0 {
		return &events.RejectedError{Rejected: enc.rejected}
	}
	return nil
}

// mapWriteError turns per-message broker refusals into rejections and
// returns the transient error of the write, if any.
func (s *Sink) mapWriteError(err error, enc *encodedBatch) error {
	var werrs kafka.WriteErrors
	if !errors.As(err, &werrs) || len(werrs) != len(enc.msgs) {
		return s.transient(len(enc.msgs), err)
	}
	var first error
	for i, werr := range werrs {
		switch {
		case werr == nil:
		case permanentProduceError(werr):
			if enc.rejected == nil {
				enc.rejected = make(map[int]error)
			}
			enc.rejected[enc.index[i]] = fmt.Errorf("broker refused the event on topic %s: %w", s.cfg.Topic(), werr)
		case first == nil:
			first = werr
		}
	}
	if first != nil {
		return s.transient(werrs.Count(), first)
	}
	return nil
}

func (s *Sink) transient(n int, err error) error {
	if errors.Is(err, kafka.UnknownTopicOrPartition) {
		return fmt.Errorf("writing %d events: %w", n, s.missingTopic())
	}
	return fmt.Errorf("writing %d events to topic %s on %s: %w", n, s.cfg.Topic(), s.brokers(), s.auth.explain(err))
}

func (s *Sink) missingTopic() error {
	return fmt.Errorf("topic %s does not exist on %s (mobu does not create topics unless metrics.events.createTopic is set): %w",
		s.cfg.Topic(), s.brokers(), kafka.UnknownTopicOrPartition)
}

func (s *Sink) brokers() string { return strings.Join(s.cfg.Brokers, ",") }

// permanentProduceError reports broker errors that retrying cannot fix.
func permanentProduceError(err error) bool {
	for _, perm := range []kafka.Error{kafka.MessageSizeTooLarge, kafka.InvalidMessage, kafka.InvalidMessageSize,
		kafka.RecordListTooLarge, kafka.InvalidRecord, kafka.InvalidTimestamp} {
		if errors.Is(err, perm) {
			return true
		}
	}
	return false
}

// Close ends the sink's broker connections and closes the writer. Every
// Write has returned by then, so there is nothing left to flush, and a hung
// broker cannot hold Close past the caller's shutdown deadline.
func (s *Sink) Close() error {
	s.conns.closeAll()
	err := s.writer.Close()
	s.transport.CloseIdleConnections()
	s.enc.reg.close()
	if err != nil {
		return fmt.Errorf("closing kafka writer for topic %s: %w", s.cfg.Topic(), err)
	}
	return nil
}
