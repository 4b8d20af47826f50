package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
)

// fetchWait is how long one fetch waits on the broker for new records.
const fetchWait = 500 * time.Millisecond

// TailOptions selects what Tail reads.
type TailOptions struct {
	Topic         string        // default cfg.Topic()
	FromBeginning bool          // read the whole topic, not only new messages
	Max           int           // stop after this many lines; 0 = unlimited
	Idle          time.Duration // stop after this long without a message; 0 = never
}

// Tail reads every partition of the topic (without a consumer group) and
// calls out with each message rendered as the JSON lines sink renders the
// event, without the newline: Avro records are decoded with the registry,
// JSON messages pass through, anything else is skipped with a warning. It
// returns nil when ctx ends, Max lines were written or Idle elapsed.
func Tail(ctx context.Context, cfg Config, opts TailOptions, out func(line []byte) error) error {
	return tail(ctx, cfg, opts, nil, out)
}

// tail is Tail with a hook called once the start offsets are known.
func tail(ctx context.Context, cfg Config, opts TailOptions, started func(), out func(line []byte) error) error {
	cfg = cfg.withDefaults()
	if opts.Topic == "" {
		opts.Topic = cfg.Topic()
	}
	dec, err := newTailDecoder(cfg)
	if err != nil {
		return err
	}
	defer dec.reg.close()
	n := 0
	return tailRecords(ctx, cfg, opts, started, func(rec tailRecord) (bool, error) {
		line, err := dec.line(ctx, rec.value)
		if err != nil || line == nil {
			return false, err
		}
		if err := out(line); err != nil {
			return true, err
		}
		n++
		return opts.Max > 0 && n >= opts.Max, nil
	})
}

func newTailDecoder(cfg Config) (*decoder, error) {
	var reg *registry
	if cfg.RegistryURL != "" {
		var err error
		if reg, err = newRegistry(cfg.RegistryURL, cfg.WriteTimeout); err != nil {
			return nil, err
		}
	}
	return newDecoder(reg, cfg.Logger), nil
}

// tailRecord is one consumed message.
type tailRecord struct {
	partition  int
	offset     int64
	key, value []byte
}

// tailRecords calls handle with every message of opts.Topic from one
// goroutine, until handle says stop or fails, ctx ends or opts.Idle passes.
func tailRecords(ctx context.Context, cfg Config, opts TailOptions, started func(), handle func(tailRecord) (bool, error)) error {
	tlsConf, err := cfg.validate()
	if err != nil {
		return err
	}
	auth, err := newSASLAuth(cfg)
	if err != nil {
		return err
	}
	transport := newTransport(cfg, tlsConf, auth)
	defer transport.CloseIdleConnections()
	client := &kafka.Client{Addr: kafka.TCP(cfg.Brokers...), Transport: transport, Timeout: cfg.WriteTimeout + fetchWait}
	brokers := strings.Join(cfg.Brokers, ",")
	starts, err := startOffsets(ctx, client, opts)
	if err != nil {
		return fmt.Errorf("tailing %s on %s: %w", opts.Topic, brokers, auth.explain(err))
	}
	if started != nil {
		started()
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	records := make(chan tailRecord, 256)
	errc := make(chan error, len(starts))
	for p, off := range starts {
		wg.Go(func() {
			if err := fetchPartition(ctx, client, opts.Topic, p, off, records); err != nil {
				errc <- fmt.Errorf("tailing %s partition %d on %s: %w", opts.Topic, p, brokers, auth.explain(err))
			}
		})
	}
	return consume(ctx, opts.Idle, records, errc, handle)
}

func consume(ctx context.Context, idle time.Duration, records <-chan tailRecord, errc <-chan error,
	handle func(tailRecord) (bool, error)) error {
	var timer *time.Timer
	var timeout <-chan time.Time
	if idle > 0 {
		timer = time.NewTimer(idle)
		defer timer.Stop()
		timeout = timer.C
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			return err
		case <-timeout:
			return nil
		case rec := <-records:
			if stop, err := handle(rec); stop || err != nil {
				return err
			}
			if timer != nil {
				timer.Reset(idle)
			}
		}
	}
}

// startOffsets returns the offset to start reading each partition at.
func startOffsets(ctx context.Context, client *kafka.Client, opts TailOptions) (map[int]int64, error) {
	parts, err := topicPartitions(ctx, client, opts.Topic)
	if err != nil {
		return nil, err
	}
	reqs := make([]kafka.OffsetRequest, len(parts))
	for i, p := range parts {
		reqs[i] = kafka.LastOffsetOf(p)
		if opts.FromBeginning {
			reqs[i] = kafka.FirstOffsetOf(p)
		}
	}
	res, err := client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{opts.Topic: reqs}})
	if err != nil {
		return nil, fmt.Errorf("listing offsets: %w", err)
	}
	starts := make(map[int]int64, len(parts))
	for _, po := range res.Topics[opts.Topic] {
		if po.Error != nil {
			return nil, fmt.Errorf("listing offsets of partition %d: %w", po.Partition, po.Error)
		}
		starts[po.Partition] = po.LastOffset
		if opts.FromBeginning {
			starts[po.Partition] = po.FirstOffset
		}
	}
	return starts, nil
}

// fetchPartition sends the records of one partition from offset on until
// ctx ends; it returns fetch errors.
func fetchPartition(ctx context.Context, client *kafka.Client, topic string, partition int, offset int64, out chan<- tailRecord) error {
	for {
		res, err := client.Fetch(ctx, &kafka.FetchRequest{
			Topic: topic, Partition: partition, Offset: offset, MinBytes: 1, MaxBytes: 8 << 20, MaxWait: fetchWait,
		})
		if ctx.Err() != nil {
			return nil
		}
		if err == nil {
			err = res.Error
		}
		if err != nil {
			return err
		}
		if offset, err = sendRecords(ctx, res, partition, offset, out); err != nil || ctx.Err() != nil {
			return err
		}
	}
}

func sendRecords(ctx context.Context, res *kafka.FetchResponse, partition int, offset int64, out chan<- tailRecord) (int64, error) {
	if res.Records == nil {
		return offset, nil
	}
	if c, ok := res.Records.(io.Closer); ok {
		defer c.Close()
	}
	for {
		rec, err := res.Records.ReadRecord()
		if errors.Is(err, io.EOF) {
			return offset, nil
		} else if err != nil {
			return offset, fmt.Errorf("reading records at offset %d: %w", offset, err)
		}
		if rec.Offset < offset {
			continue // fetches start at batch boundaries
		}
		tr := tailRecord{partition: partition, offset: rec.Offset}
		if tr.key, err = readBytes(rec.Key); err == nil {
			tr.value, err = readBytes(rec.Value)
		}
		if err != nil {
			return offset, fmt.Errorf("reading record at offset %d: %w", rec.Offset, err)
		}
		select {
		case out <- tr:
		case <-ctx.Done():
			return offset, nil
		}
		offset = rec.Offset + 1
	}
}

func readBytes(b kafka.Bytes) ([]byte, error) {
	if b == nil {
		return nil, nil
	}
	defer b.Close()
	return io.ReadAll(b)
}
