package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/analysis"
	"github.com/mobu-dev/mobu/internal/events/kafka"
)

const reportUsage = `usage: mobu report [--by stage|notebook|cell|flock|monkey] [--since D|TIME] [--until D|TIME]
                   [--format table|csv|json|html|series] [-o FILE] INPUT…

Reads mobu events and ranks the groups of the chosen kind by total time, slowest first: total, max,
average, p50, p95, count and failures. INPUT is a JSON lines file, a directory (every *.jsonl below it),
or kafka: (kafka:TOPIC) to read what the events topic holds now, with the variables of "mobu events
tail". --since and --until take an RFC 3339 time or a duration before now ("1h", "30m"). Corrupt
lines are skipped and listed on stderr. See docs/reports.md.

Flags:
`

// reportFlags are the parsed command line of mobu report.
type reportFlags struct {
	opts   analysis.Options
	out    string
	inputs []string
}

func reportCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return runReport(ctx, args, getenv, stdout, stderr, time.Now)
}

// runReport is reportCommand with the clock --since and --until durations
// count back from.
func runReport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer,
	now func() time.Time) error {
	f, help, err := parseReportFlags(args, stderr, now())
	if help || err != nil {
		return err
	}
	inputs, names, err := reportInputs(f.inputs, getenv, stderr)
	if err != nil {
		return err
	}
	c := analysis.NewCollector(f.opts)
	for _, in := range inputs {
		if err := c.Read(ctx, in); err != nil {
			return fmt.Errorf("report: %w", err)
		}
	}
	rep := c.Report()
	rep.Inputs = names // what the user named, not every file of a directory
	if err := rep.WriteBadLines(stderr); err != nil {
		return err
	}
	if rep.Empty() && (f.opts.Format != analysis.FormatTable || f.out != "") {
		fmt.Fprintln(stderr, "mobu report:", rep.EmptyMessage())
	}
	return writeReport(rep, f, stdout)
}

func parseReportFlags(args []string, stderr io.Writer, now time.Time) (reportFlags, bool, error) {
	var f reportFlags
	fs := flag.NewFlagSet("mobu report", flag.ContinueOnError)
	by := fs.String("by", string(analysis.ByStage), "`grouping`: stage, notebook, cell, flock or monkey")
	since := fs.String("since", "", "only events completed at or after `TIME` (RFC 3339, or a duration before now)")
	until := fs.String("until", "", "only events completed at or before `TIME` (RFC 3339, or a duration before now)")
	format := fs.String("format", string(analysis.FormatTable), "output `format`: table, csv, json, html or series")
	fs.StringVar(&f.out, "o", "", "write the report to `FILE` instead of stdout")
	fs.Usage = func() { fmt.Fprint(fs.Output(), reportUsage); fs.PrintDefaults() }
	pos, help, err := parseInterspersed(fs, args, stderr)
	if help || err != nil {
		return f, help, err
	}
	f.inputs = pos
	if len(pos) == 0 {
		return f, false, usageErr("report: no input (a JSON lines file, a directory or kafka:; mobu report -h for help)")
	}
	if f.opts.By, err = analysis.ParseGrouping(*by); err == nil {
		if f.opts.Format, err = analysis.ParseFormat(*format); err == nil {
			f.opts.Window, err = analysis.NewWindow(*since, *until, now)
		}
	}
	if err != nil {
		return f, false, usageErr("report: %w", err)
	}
	return f, false, nil
}

// reportInputs resolves the INPUT arguments and names them for the report
// header; a file or directory that cannot be read is a runtime error, a
// Kafka input without settings a usage error.
func reportInputs(args []string, getenv func(string) string, stderr io.Writer) ([]analysis.Input, []string, error) {
	var inputs []analysis.Input
	var names []string
	for _, arg := range args {
		if strings.HasPrefix(arg, "kafka:") {
			in, err := kafkaInput(arg, getenv, stderr)
			if err != nil {
				return nil, nil, err
			}
			inputs, names = append(inputs, in), append(names, in.Name)
			continue
		}
		ins, err := analysis.FileInputs(arg)
		if err != nil {
			return nil, nil, fmt.Errorf("report: %w", err)
		}
		name := arg
		if len(ins) != 1 || ins[0].Name != arg {
			name = fmt.Sprintf("%s (%d files)", arg, len(ins))
		}
		inputs, names = append(inputs, ins...), append(names, name)
	}
	return inputs, names, nil
}

// writeReport renders the report to stdout or, with -o, to a file that is
// removed again if rendering fails.
func writeReport(rep *analysis.Report, f reportFlags, stdout io.Writer) error {
	if f.out == "" {
		return analysis.Render(stdout, rep, f.opts.Format)
	}
	file, err := os.Create(f.out)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	w := bufio.NewWriter(file)
	err = analysis.Render(w, rep, f.opts.Format)
	err = errors.Join(err, w.Flush(), file.Close())
	if err != nil {
		os.Remove(f.out)
		return fmt.Errorf("report: writing %s: %w", f.out, err)
	}
	return nil
}

// kafkaInput reads the events topic (kafka:, or kafka:TOPIC) from its start
// up to the end it has when the read starts, with the settings of
// `mobu events tail`.
func kafkaInput(spec string, getenv func(string) string, stderr io.Writer) (analysis.Input, error) {
	m, ps := config.MetricsFromEnv(getenv)
	if ps != nil && m.Enabled {
		return analysis.Input{}, usageErr("report: %s: %w", spec, ps)
	}
	if len(m.Kafka.BootstrapServers) == 0 {
		return analysis.Input{}, usageErr("report: %s needs KAFKA_BOOTSTRAP_SERVERS", spec)
	}
	topic := strings.TrimPrefix(spec, "kafka:")
	if topic == "" {
		topic = m.Events.TopicPrefix + "." + m.Application
	}
	cfg := kafkaConfig(m, newLogger(stderr, false))
	var bad []analysis.BadLine // written by the tail, read once it is closed
	opts := kafka.TailOptions{Topic: topic, FromBeginning: true, UntilEnd: true, OnBad: func(b kafka.BadMessage) {
		bad = append(bad, analysis.BadLine{Input: b.Position(), Reason: b.Reason})
	}}
	return analysis.Input{Name: "kafka:" + topic, Open: func(ctx context.Context) (io.ReadCloser, error) {
		bad = nil
		return openTail(ctx, cfg, opts), nil
	}, Skipped: func() []analysis.BadLine { return bad }}, nil
}

// tailReader is the topic as JSON lines; Close stops the tail and waits for
// it.
type tailReader struct {
	*io.PipeReader
	cancel context.CancelFunc
	done   <-chan struct{}
}

func openTail(ctx context.Context, cfg kafka.Config, opts kafka.TailOptions) io.ReadCloser {
	ctx, cancel := context.WithCancel(ctx)
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := kafka.Tail(ctx, cfg, opts, func(line []byte) error {
			_, err := pw.Write(append(line, '\n'))
			return err
		})
		pw.CloseWithError(err) // nil: end of file
	}()
	return &tailReader{PipeReader: pr, cancel: cancel, done: done}
}

func (r *tailReader) Close() error {
	r.cancel()
	r.PipeReader.Close()
	<-r.done
	return nil
}
