package kafka

import (
	"context"
	"errors"
	"fmt"

	"github.com/segmentio/kafka-go"
)

// Check is the best-effort startup check: the brokers answer, the topic
// exists (or is created when CreateTopic is set) and the schema registry
// answers. It reports every problem; events wait in the caller's spool
// meanwhile, so a failed check need not stop mobu.
func (s *Sink) Check(ctx context.Context) error {
	var errs []error
	if err := s.checkTopic(ctx); err != nil {
		errs = append(errs, err)
	}
	if s.enc.reg != nil {
		if err := s.enc.reg.ping(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (s *Sink) checkTopic(ctx context.Context) error {
	partitions, err := topicPartitions(ctx, s.client, s.cfg.Topic())
	switch {
	case err == nil:
		s.log.Debug("kafka topic found", "partitions", len(partitions))
		return nil
	case !errors.Is(err, kafka.UnknownTopicOrPartition):
		return fmt.Errorf("kafka brokers %s: %w", s.brokers(), s.auth.explain(err))
	case !s.cfg.CreateTopic:
		return s.missingTopic()
	}
	return s.createTopic(ctx)
}

func (s *Sink) createTopic(ctx context.Context) error {
	res, err := s.client.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{
		Topic: s.cfg.Topic(), NumPartitions: s.cfg.Partitions, ReplicationFactor: s.cfg.ReplicationFactor,
	}}})
	if err == nil {
		err = res.Errors[s.cfg.Topic()]
	}
	switch {
	case errors.Is(err, kafka.TopicAlreadyExists):
		return nil
	case err != nil:
		return fmt.Errorf("creating topic %s on %s: %w", s.cfg.Topic(), s.brokers(), s.auth.explain(err))
	}
	s.log.Info("created kafka topic", "partitions", s.cfg.Partitions, "replication_factor", s.cfg.ReplicationFactor)
	return nil
}

// topicPartitions returns the partition ids of topic, or an error wrapping
// kafka.UnknownTopicOrPartition when it does not exist.
func topicPartitions(ctx context.Context, client *kafka.Client, topic string) ([]int, error) {
	meta, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return nil, fmt.Errorf("reading metadata of topic %s: %w", topic, err)
	}
	for _, t := range meta.Topics {
		if t.Name != topic {
			continue
		}
		if t.Error != nil {
			return nil, fmt.Errorf("topic %s: %w", topic, t.Error)
		}
		ids := make([]int, 0, len(t.Partitions))
		for _, p := range t.Partitions {
			ids = append(ids, p.ID)
		}
		if len(ids) == 0 {
			return nil, fmt.Errorf("topic %s has no partitions: %w", topic, kafka.UnknownTopicOrPartition)
		}
		return ids, nil
	}
	return nil, fmt.Errorf("topic %s: %w", topic, kafka.UnknownTopicOrPartition)
}
