package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/mobu-dev/mobu/internal/events"
	"github.com/mobu-dev/mobu/internal/events/jsonl"
	"github.com/mobu-dev/mobu/internal/testlog"
)

const testTopic = DefaultTopicPrefix + "." + DefaultApplication

// newCluster starts a one-broker kfake cluster on a random loopback port.
func newCluster(t testing.TB, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.Ports(0)}, opts...)...)
	if err != nil {
		t.Fatalf("starting kfake: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

func newFakeRegistry(t testing.TB) *srfake.Registry {
	t.Helper()
	reg := srfake.New()
	t.Cleanup(reg.Close)
	return reg
}

// testLogger writes to the test's output and records warnings.
func testLogger(t testing.TB, logs *testlog.Buffer) *slog.Logger {
	if logs == nil {
		logs = &testlog.Buffer{}
	}
	h := slog.NewTextHandler(&teeWriter{a: t.Output(), b: logs}, &slog.HandlerOptions{Level: slog.LevelDebug})
	return slog.New(h)
}

type teeWriter struct {
	a, b interface{ Write([]byte) (int, error) }
}

func (w *teeWriter) Write(p []byte) (int, error) {
	w.b.Write(p)
	return w.a.Write(p)
}

func testConfig(t testing.TB, c *kfake.Cluster, reg *srfake.Registry) Config {
	cfg := Config{Brokers: c.ListenAddrs(), Logger: testLogger(t, nil)}
	if reg != nil {
		cfg.RegistryURL = reg.URL()
	} else {
		cfg.Encoding = EncodingJSON
	}
	return cfg
}

func openSink(t testing.TB, cfg Config) *Sink {
	t.Helper()
	s, err := Open(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// tailLines reads the topic from the beginning until n lines arrived.
func tailLines(t testing.TB, cfg Config, n int) []string {
	t.Helper()
	var lines []string
	err := Tail(testCtx(t), cfg, TailOptions{FromBeginning: true, Max: n}, func(line []byte) error {
		lines = append(lines, string(line))
		return nil
	})
	if err != nil {
		t.Fatalf("Tail: %v", err)
	}
	if len(lines) != n {
		t.Fatalf("Tail returned %d lines before its context ended, want %d", len(lines), n)
	}
	return lines
}

// tailRaw reads n raw records from the beginning of the topic.
func tailRaw(t testing.TB, cfg Config, n int) []tailRecord {
	t.Helper()
	var recs []tailRecord
	err := tailRecords(testCtx(t), cfg.withDefaults(), TailOptions{Topic: cfg.Topic(), FromBeginning: true}, nil,
		func(r tailRecord) (bool, error) {
			recs = append(recs, r)
			return len(recs) == n, nil
		})
	if err != nil {
		t.Fatalf("tailRecords: %v", err)
	}
	if len(recs) != n {
		t.Fatalf("read %d records before the context ended, want %d", len(recs), n)
	}
	return recs
}

func jsonLine(t testing.TB, e events.Event) string {
	t.Helper()
	line, err := jsonl.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(string(line), "\n")
}

func srClient(t testing.TB, reg *srfake.Registry) *sr.Client {
	t.Helper()
	cl, err := sr.NewClient(sr.URLs(reg.URL()))
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// deadAddr returns a loopback address nothing listens on.
func deadAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func asRejected(t testing.TB, err error) *events.RejectedError {
	t.Helper()
	var rej *events.RejectedError
	if !errors.As(err, &rej) {
		t.Fatalf("Write returned %v, want a *events.RejectedError", err)
	}
	return rej
}

var testTime = time.Date(2026, 11, 21, 12, 0, 0, 123456789, time.UTC)

func base(i int, user string, flock string) events.Base {
	b := events.NewBase(testTime.Add(time.Duration(i)*time.Millisecond+time.Duration(i)), flock, "NotebookRunnerList", user)
	b.ID = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
	b.Application = "mobu"
	return b
}

func f64(v float64) *float64 { return &v }

func notebookBase() events.NotebookBase {
	return events.NotebookBase{Notebook: "tutorials/<intro> & more.ipynb", Repo: "https://github.com/lsst/tutorial-notebooks",
		RepoRef: "main", RepoHash: "4bf92f3577b34da6a3ce929d0e0e4736aaaaaaaa"}
}

// allEvents returns one event of every type and name, with nil and non-nil
// optional fields and values that stress JSON rendering.
func allEvents() []events.Event {
	evs := []events.Event{
		&events.NotebookExecution{Base: base(0, "bot-mobu-1", "demo"), NotebookBase: notebookBase(),
			Duration: f64(12.5), Success: true, TraceID: "trace"},
		&events.NotebookExecution{Base: base(1, "bot-mobu-2", ""), NotebookBase: notebookBase()},
		&events.NotebookCellExecution{Base: base(2, "bot-mobu-1", "demo"), NotebookBase: notebookBase(),
			Duration: f64(0.1), CellID: "cell-1", Success: true, KernelDuration: f64(1e21), CellNumber: 1},
		&events.NotebookCellExecution{Base: base(3, "bot-mobu-1", "demo"), NotebookBase: notebookBase(),
			CellID: "cell-2", CellNumber: 2, Skipped: true},
		&events.PythonExecution{Base: base(4, "bot-mobu-3", "py"), Duration: f64(3), Success: true,
			Code: "print(\"héllo\", 1 < 2 && 3 > 2)\n\t"},
		&events.EmptyLoop{Base: base(5, "bot-mobu-3", "empty"), Success: true},
	}
	for i, name := range []string{events.NameLogin, events.NameSpawnLab, events.NameStartKernel,
		events.NameDeleteSession, events.NameDeleteLab} {
		evs = append(evs, events.NewStage(name, base(6+i, "bot-mobu-2", "demo"), 0.25*float64(i+1), i%2 == 0))
	}
	return evs
}

// deliverAll opens a sink on cfg, checks it and writes one event of every
// type, failing the test (naming how: what) if either step fails.
func deliverAll(t testing.TB, cfg Config, how string) []events.Event {
	t.Helper()
	sink := openSink(t, cfg)
	ctx := testCtx(t)
	if err := sink.Check(ctx); err != nil {
		t.Fatalf("Check%s: %v", how, err)
	}
	evs := allEvents()
	if err := sink.Write(ctx, evs); err != nil {
		t.Fatalf("Write%s: %v", how, err)
	}
	return evs
}
