package kafka

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/mobu-dev/mobu/internal/events"
)

// outage makes a kfake broker close every connection while it is on, like a
// broker that went down, without losing what it stored before.
type outage struct{ on atomic.Bool }

func newOutage(c *kfake.Cluster) *outage {
	o := &outage{}
	c.Control(func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if o.on.Load() {
			return nil, errors.New("simulated broker outage"), true
		}
		return nil, nil, false
	})
	return o
}

// cellEvent is user's seq-th event; the sequence rides in cell_number.
func cellEvent(user string, seq int) events.Event {
	d := 0.01
	return &events.NotebookCellExecution{Base: events.NewBase(time.Now(), "outage", "NotebookRunnerList", user),
		NotebookBase: events.NotebookBase{Notebook: "a.ipynb", Repo: "r", RepoHash: "unknown"},
		Duration:     &d, CellID: "c", Success: true, TraceID: "t", CellNumber: seq + 1}
}

func waitStats(t *testing.T, q *events.Queue, what string, cond func(events.Stats) bool) events.Stats {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		s := q.Stats()
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s: %+v", what, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// received tails n records and returns, per user, the sequence numbers of
// distinct events in arrival order (a retried batch may repeat events).
func received(t *testing.T, cfg Config, n int) (map[string][]int, int) {
	t.Helper()
	seen := map[string]bool{}
	perUser := map[string][]int{}
	for _, line := range tailLines(t, cfg, n) {
		var e struct {
			ID       string `json:"id"`
			Username string `json:"username"`
			Seq      int    `json:"cell_number"`
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatal(err)
		}
		if !seen[e.ID] {
			seen[e.ID] = true
			perUser[e.Username] = append(perUser[e.Username], e.Seq)
		}
	}
	return perUser, len(seen)
}

func quietQueue(t *testing.T, c *kfake.Cluster, cfg Config, spoolMax int64) *events.Queue {
	sink := openSink(t, cfg)
	q := events.NewQueue(sink, events.QueueOptions{RetryMin: 20 * time.Millisecond, RetryMax: 200 * time.Millisecond,
		SpoolDir: t.TempDir(), SpoolMaxBytes: spoolMax, Logger: testLogger(t, nil)})
	t.Cleanup(func() { q.Close(testCtx(t)) })
	return q
}

func TestOutageLosesNothingWithinTheBound(t *testing.T) {
	c := newCluster(t, kfake.SeedTopics(3, testTopic))
	cfg := testConfig(t, c, newFakeRegistry(t))
	o := newOutage(c)
	q := quietQueue(t, c, cfg, 64<<20)
	users := []string{"bot-mobu-a", "bot-mobu-b", "bot-mobu-c", "bot-mobu-d"}
	publish := func(from, to int) {
		for seq := from; seq < to; seq++ {
			for _, u := range users {
				q.Publish(cellEvent(u, seq))
			}
		}
	}
	publish(0, 50)
	waitStats(t, q, "200 events before the outage", func(s events.Stats) bool { return s.Written == 200 })
	o.on.Store(true)
	publish(50, 300)
	waitStats(t, q, "events spooled during the outage", func(s events.Stats) bool {
		return s.Retries >= 2 && s.Pending+s.Written+s.Dropped == 1200 && s.Queued == 0 && s.InFlight == 0
	})
	o.on.Store(false)
	s := waitStats(t, q, "the spool to drain", func(s events.Stats) bool { return s.Pending == 0 && s.Written >= 1200 })
	if s.Dropped != 0 || s.Spilled == 0 {
		t.Fatalf("stats after the outage: %+v", s)
	}
	perUser, distinct := received(t, cfg, int(s.Written))
	if distinct != 1200 {
		t.Fatalf("%d distinct events arrived, want 1200", distinct)
	}
	for _, u := range users {
		for i, seq := range perUser[u] {
			if seq != i+1 {
				t.Fatalf("%s: event %d has sequence %d: order lost (%v)", u, i, seq, perUser[u][:min(len(perUser[u]), 20)])
			}
		}
	}
}

func TestOutageBeyondTheBoundDropsAndCountsTheOldest(t *testing.T) {
	c := newCluster(t, kfake.SeedTopics(1, testTopic))
	cfg := testConfig(t, c, newFakeRegistry(t))
	o := newOutage(c)
	q := quietQueue(t, c, cfg, 32<<10) // a few dozen events
	o.on.Store(true)
	// 10,000 monkeys publish at once while the broker is down: none blocks.
	var wg sync.WaitGroup
	for i := range 10000 {
		wg.Go(func() { q.Publish(cellEvent(fmt.Sprintf("bot-mobu-%05d", i), 0)) })
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("publishing blocked during the outage")
	}
	waitStats(t, q, "the writer to settle", func(s events.Stats) bool {
		return s.Queued == 0 && s.InFlight == 0 && s.Written+s.Pending+s.Dropped == s.Published
	})
	o.on.Store(false)
	s := waitStats(t, q, "the spool to drain", func(s events.Stats) bool {
		return s.Pending == 0 && s.Written+s.Dropped == s.Published
	})
	if s.Published != 10000 || s.Dropped == 0 || s.Written == 0 {
		t.Fatalf("stats: %+v (the bound must have dropped some, the rest delivered)", s)
	}
	if _, distinct := received(t, cfg, int(s.Written)); uint64(distinct) != s.Published-s.Dropped {
		t.Fatalf("%d distinct events arrived, want published %d − dropped %d", distinct, s.Published, s.Dropped)
	}
}
