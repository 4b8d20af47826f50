package flock

import (
	"context"
	"errors"
	"testing"

	"github.com/mobu-dev/mobu/internal/events"
)

// TestStartAfterStopAll: once StopAll has begun, the manager is closed: a
// flock registered afterwards (a late PUT or autostart) is refused, and
// none of its monkeys runs, since nothing would stop them.
func TestStartAfterStopAll(t *testing.T) {
	h := newHarness(t, nil)
	spec := flockSpec(t, `
name: late
count: 2
user_spec: {username_prefix: bot-mobu-late}
business: {type: EmptyLoop, options: {idle_time: 0.01}}`)
	h.m.StopAll()
	f, err := h.m.Start(context.Background(), spec)
	if !errors.Is(err, ErrShuttingDown) || f != nil {
		t.Fatalf("Start after StopAll: %v, %v; want ErrShuttingDown", f, err)
	}
	if names := h.m.Names(); len(names) != 0 {
		t.Fatalf("flocks after a refused start: %v", names)
	}
	if n := h.pub.count(events.NameEmptyLoop); n != 0 {
		t.Fatalf("%d executions by monkeys of a refused flock", n)
	}
	h.m.StopAll() // idempotent
}

// TestRegisterAfterClose: a flock whose monkeys were built before StopAll
// closed the manager is not registered.
func TestRegisterAfterClose(t *testing.T) {
	h := newHarness(t, nil)
	f := &Flock{cfg: flockSpec(t, "name: x\ncount: 1\nusers: [{username: bot-mobu-x}]\nbusiness: {type: EmptyLoop}")}
	h.m.StopAll()
	if _, err := h.m.register(f); !errors.Is(err, ErrShuttingDown) {
		t.Fatalf("register after StopAll: %v", err)
	}
	if _, err := h.m.Get("x"); !errors.Is(err, ErrFlockNotFound) {
		t.Fatalf("Get: %v", err)
	}
}
