package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/events"
	"github.com/mobu-dev/mobu/internal/events/jsonl"
	"github.com/mobu-dev/mobu/internal/events/kafka"
)

// pipeline is where events go: Kafka when metrics are enabled, a JSON lines
// file when asked, both (the same events, same ids), or nowhere (events are
// still validated). Each destination has its own reliable queue.
type pipeline struct {
	queues  []*events.Queue
	main    *events.Queue // the one whose counts are reported (Kafka if enabled)
	file    *events.Queue // the JSON lines file's, when it is a second destination
	discard bool          // no destination: main's sink discards what it is given
}

// openPipeline builds the destinations. A Kafka problem that makes the
// configuration unusable (TLS files, bad settings) is an error; a broker or
// registry that is down is only logged, and events wait in the spool.
func openPipeline(ctx context.Context, m config.Metrics, eventsPath string, appendFile bool, logger *slog.Logger) (*pipeline, error) {
	p := &pipeline{}
	if m.Enabled {
		sink, err := kafka.Open(ctx, kafkaConfig(m, logger))
		if err != nil {
			return nil, fmt.Errorf("event publishing to Kafka: %w", err)
		}
		checkKafka(ctx, sink, logger)
		p.add(events.NewQueue(sink, events.QueueOptions{Application: m.Application, SpoolDir: m.SpoolDir,
			SpoolMaxBytes: m.SpoolMaxBytes, Logger: logger}))
	}
	if eventsPath != "" {
		sink, err := jsonl.Create(eventsPath, appendFile)
		if err != nil {
			p.close(ctx)
			return nil, err
		}
		q := events.NewQueue(sink, events.QueueOptions{Application: m.Application, Logger: logger})
		if p.main != nil {
			p.file = q
		}
		p.add(q)
	}
	if len(p.queues) == 0 {
		p.add(events.NewQueue(discardSink{}, events.QueueOptions{Application: m.Application, Logger: logger}))
		p.discard = true
	}
	return p, nil
}

// checkKafka reports at startup, within 5 s, whether the broker, topic and
// registry answer; publishing works either way (events wait while they do
// not).
func checkKafka(ctx context.Context, sink *kafka.Sink, logger *slog.Logger) {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := sink.Check(cctx); err != nil {
		logger.Error("Kafka is not ready; events are kept until it is", "error", err)
		return
	}
	logger.Info("publishing events to Kafka")
}

func (p *pipeline) add(q *events.Queue) {
	p.queues = append(p.queues, q)
	if p.main == nil {
		p.main = q
	}
}

// Publish implements events.Publisher: never blocks.
func (p *pipeline) Publish(e events.Event) {
	for _, q := range p.queues {
		q.Publish(e)
	}
}

// Stats are the counts of the main destination, and of the file beside it.
func (p *pipeline) Stats() events.DeliveryStats {
	s := events.DeliveryStats{Stats: p.main.Stats()}
	if p.discard {
		s.Discarded, s.Written = s.Written, 0
	}
	if p.file != nil {
		f := p.file.Stats()
		s.FileWritten, s.FileDropped = &f.Written, &f.Dropped
	}
	return s
}

// undelivered counts events that did not reach every destination.
func (p *pipeline) undelivered() (n uint64) {
	for _, q := range p.queues {
		s := q.Stats()
		n += s.Dropped + s.Rejected + s.Invalid + s.Pending + s.Queued + s.InFlight
	}
	return n
}

// close flushes every destination within ctx.
func (p *pipeline) close(ctx context.Context) error {
	var errs []error
	for _, q := range p.queues {
		errs = append(errs, q.Close(ctx))
	}
	return errors.Join(errs...)
}
