package kafka

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/mobu-dev/mobu/internal/events"
)

// stallProduce makes the broker take produce requests and not answer them
// until the returned heal is called (then it handles them): a broker that
// is up but hung, so a Write blocks until its timeout.
func stallProduce(t *testing.T, c *kfake.Cluster) (heal func()) {
	release := make(chan struct{})
	var once sync.Once
	heal = func() { once.Do(func() { close(release) }) }
	t.Cleanup(heal)
	c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		c.SleepControl(func() { <-release })
		return nil, nil, false
	})
	return heal
}

// A broker that takes produce requests and does not answer keeps a Write
// hung (here longer than any wait of the test); meanwhile ten times the in-memory queue's size is published. Nothing is
// dropped (the writer moves the queue to the spool), and once the broker
// answers every event is on the topic exactly once, in order per user.
func TestHungBrokerLosesNothing(t *testing.T) {
	const size, perUser = 100, 250 // 4 users: 1,000 events
	c := newCluster(t, kfake.SeedTopics(3, testTopic))
	cfg := testConfig(t, c, newFakeRegistry(t))
	hung := cfg
	hung.WriteTimeout = 2 * time.Minute // the stall ends only with heal
	q := events.NewQueue(openSink(t, hung), events.QueueOptions{Size: size, RetryMin: 20 * time.Millisecond,
		RetryMax: 200 * time.Millisecond, SpoolDir: t.TempDir(), Logger: testLogger(t, nil)})
	t.Cleanup(func() { q.Close(testCtx(t)) })
	heal := stallProduce(t, c) // after the queue: a failed test heals, then closes it
	users := []string{"bot-mobu-a", "bot-mobu-b", "bot-mobu-c", "bot-mobu-d"}
	q.Publish(cellEvent(users[0], 0))
	waitStats(t, q, "a write to hang", func(s events.Stats) bool { return s.InFlight == 1 })
	for seq := range perUser {
		for _, u := range users {
			if u != users[0] || seq > 0 {
				q.Publish(cellEvent(u, seq))
			}
		}
		if seq%10 == 9 { // 40 events: the queue stays below high-water mark + 40 < size
			waitQueue(t, q, size/2)
		}
	}
	if s := q.Stats(); s.Dropped != 0 || s.Written != 0 || s.Spilled == 0 {
		t.Fatalf("while the broker hangs: %+v, want events spilled, none dropped", s)
	}
	heal()
	total := uint64(len(users) * perUser)
	s := waitStats(t, q, "delivery", func(s events.Stats) bool { return s.Pending == 0 && s.Written == total })
	if s.Dropped != 0 {
		t.Fatalf("stats after the stall: %+v", s)
	}
	checkExactlyOnceInOrder(t, cfg, users, perUser)
}

// waitQueue fails the test unless the writer brings the queue below n
// within 10 s while the broker hangs.
func waitQueue(t *testing.T, q *events.Queue, n uint64) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); q.Stats().Queued >= n; {
		if time.Now().After(deadline) {
			t.Fatalf("the queue was not moved to the spool while the broker hangs: %+v", q.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// checkExactlyOnceInOrder reads the whole topic and checks it holds every
// user's events 1..perUser once each, in order.
func checkExactlyOnceInOrder(t *testing.T, cfg Config, users []string, perUser int) {
	t.Helper()
	lines := tailAll(t, cfg)
	if len(lines) != len(users)*perUser {
		t.Fatalf("the topic holds %d records, want %d (each event once)", len(lines), len(users)*perUser)
	}
	perUserSeqs, distinct := received(t, cfg, len(lines))
	if distinct != len(lines) {
		t.Fatalf("%d distinct events in %d records", distinct, len(lines))
	}
	for _, u := range users {
		for i, seq := range perUserSeqs[u] {
			if seq != i+1 {
				t.Fatalf("%s: record %d has sequence %d: order lost", u, i, seq)
			}
		}
		if len(perUserSeqs[u]) != perUser {
			t.Errorf("%s: %d events, want %d", u, len(perUserSeqs[u]), perUser)
		}
	}
}

// Shutting down while the broker hangs is bounded by Close's deadline: the
// hung write is abandoned, its event kept in the spool for the next run.
func TestCloseWhileBrokerHangsKeepsItsDeadline(t *testing.T) {
	c := newCluster(t, kfake.SeedTopics(1, testTopic))
	cfg := testConfig(t, c, newFakeRegistry(t))
	cfg.WriteTimeout = 2 * time.Minute // longer than the test may wait
	spool := t.TempDir()
	q := events.NewQueue(openSink(t, cfg), events.QueueOptions{SpoolDir: spool, Logger: testLogger(t, nil)})
	heal := stallProduce(t, c)
	defer heal()
	q.Publish(cellEvent("bot-mobu-a", 0))
	waitStats(t, q, "a write to hang", func(s events.Stats) bool { return s.InFlight == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	closed := make(chan error, 1)
	go func() { closed <- q.Close(ctx) }()
	select {
	case err := <-closed:
		if err == nil || !strings.Contains(err.Error(), "1 events not delivered (kept in "+spool) {
			t.Errorf("Close() = %v, want the undelivered event reported as kept in the spool", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Close ignored its deadline while the broker hangs")
	}
	// The next run finds the event in the spool.
	q2 := events.NewQueue(discard{}, events.QueueOptions{SpoolDir: spool, Logger: testLogger(t, nil)})
	defer q2.Close(testCtx(t))
	if s := q2.Stats(); s.Resumed != 1 {
		t.Errorf("next run resumed %d events from the spool, want 1", s.Resumed)
	}
}

// discard is a sink that takes everything.
type discard struct{}

func (discard) Write(context.Context, []events.Event) error { return nil }
func (discard) Close() error                                { return nil }
