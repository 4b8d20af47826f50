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
	// UntilEnd stops once every partition has been read up to the end it had
	// when the tail started: with FromBeginning, what the topic holds now.
	UntilEnd bool
	// OnBad, if set, takes each message that cannot be rendered, in order
	// with the lines, instead of a warning.
	OnBad func(BadMessage)
}

// Tail reads every partition of the topic (without a consumer group) and
// calls out with each message rendered as the JSON lines sink renders the
// event, without the newline: Avro records are decoded with the registry,
// JSON messages pass through, anything else goes to opts.OnBad or is
// skipped with a warning. It returns nil when ctx ends, Max lines were
// written, Idle elapsed or, with UntilEnd, the topic was read up to its end.
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
	dec.topic, dec.onBad = opts.Topic, opts.OnBad
	n := 0
	return tailRecords(ctx, cfg, opts, started, func(rec tailRecord) (bool, error) {
		line, err := dec.line(ctx, rec)
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
	starts, err := listOffsets(ctx, client, opts.Topic, opts.FromBeginning)
	ends := map[int]int64{}
	if err == nil && opts.UntilEnd {
		ends, err = listOffsets(ctx, client, opts.Topic, false)
	}
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
		end := int64(-1) // follow
		if opts.UntilEnd {
			end = off // a partition missing from ends has nothing to read
			if e, ok := ends[p]; ok {
				end = e
			}
		}
		wg.Go(func() {
			if err := fetchPartition(ctx, client, opts.Topic, p, off, end, records); err != nil {
				errc <- fmt.Errorf("tailing %s partition %d on %s: %w", opts.Topic, p, brokers, auth.explain(err))
			}
		})
	}
	if opts.UntilEnd {
		go func() { wg.Wait(); close(records) }() // every partition read to its end (or failed)
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
		case rec, ok := <-records:
			if !ok {
				select { // a fetch error is sent before its partition ends
				case err := <-errc:
					return err
				default:
					return nil
				}
			}
			if stop, err := handle(rec); stop || err != nil {
				return err
			}
			if timer != nil {
				timer.Reset(idle)
			}
		}
	}
}

// listOffsets returns the first (or the next to be written) offset of each
// partition of topic.
func listOffsets(ctx context.Context, client *kafka.Client, topic string, first bool) (map[int]int64, error) {
	parts, err := topicPartitions(ctx, client, topic)
	if err != nil {
		return nil, err
	}
	reqs := make([]kafka.OffsetRequest, len(parts))
	for i, p := range parts {
		reqs[i] = kafka.LastOffsetOf(p)
		if first {
			reqs[i] = kafka.FirstOffsetOf(p)
		}
	}
	res, err := client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: reqs}})
	if err != nil {
		return nil, fmt.Errorf("listing offsets: %w", err)
	}
	offsets := make(map[int]int64, len(parts))
	for _, po := range res.Topics[topic] {
		if po.Error != nil {
			return nil, fmt.Errorf("listing offsets of partition %d: %w", po.Partition, po.Error)
		}
		offsets[po.Partition] = po.LastOffset
		if first {
			offsets[po.Partition] = po.FirstOffset
		}
	}
	return offsets, nil
}

// fetchPartition sends the records of one partition from offset on until
// ctx ends or, for end ≥ 0, until offset reaches end (or a fetch below it
// brings nothing new); it returns fetch errors.
func fetchPartition(ctx context.Context, client *kafka.Client, topic string, partition int, offset, end int64,
	out chan<- tailRecord) error {
	for end < 0 || offset < end {
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
		next, err := sendRecords(ctx, res, partition, offset, out)
		if err != nil || ctx.Err() != nil || (end >= 0 && next == offset) {
			return err
		}
		offset = next
	}
	return nil
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
