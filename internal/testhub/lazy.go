package testhub

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

// Lazy shares one hub between the tests of a test binary: the first Get
// starts it, TestMain calls Stop after m.Run. It also caps concurrent spawns,
// which are CPU bound (about 4 at once on 2 cores).
type Lazy struct {
	Options Options
	once    sync.Once
	mu      sync.Mutex
	hub     *Hub
	err     error
	slots   chan struct{}
}

// Get returns the hub, starting it on first use. Under -short it skips the
// test; when the hub cannot start it fails the test with the reason (it never
// skips silently).
func (l *Lazy) Get(t testing.TB) *Hub {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: needs a local JupyterHub (not run with -short)")
	}
	l.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		hub, err := Start(ctx, l.Options)
		l.mu.Lock()
		l.hub, l.err = hub, err
		l.mu.Unlock()
	})
	if l.err != nil {
		t.Fatalf("cannot start the local JupyterHub: %v", l.err)
	}
	return l.hub
}

// SpawnSlot blocks until fewer than 4 spawns are under way and returns the
// function that frees the slot.
func (l *Lazy) SpawnSlot() func() {
	l.mu.Lock()
	if l.slots == nil {
		l.slots = make(chan struct{}, 4)
	}
	slots := l.slots
	l.mu.Unlock()
	slots <- struct{}{}
	return func() { <-slots }
}

// Run runs the tests and then stops the hub; a TestMain is
// os.Exit(testHub.Run(m)).
func (l *Lazy) Run(m *testing.M) int {
	code := m.Run()
	l.Stop()
	return code
}

// Stop stops the hub if it was started; errors go to stderr.
func (l *Lazy) Stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.hub != nil {
		if err := l.hub.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping test hub:", err)
		}
	}
}
