package main

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestInterruptible sends real signals to this process: the first cancels
// the context (clean-up runs), the second exits with status 130.
func TestInterruptible(t *testing.T) {
	var stderr lockedBuffer
	exited := make(chan int, 1)
	ctx, stop := interruptible(context.Background(), &stderr, func(code int) { exited <- code })
	defer stop()
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("first signal did not cancel the context")
	}
	if !strings.Contains(stderr.String(), "interrupted, cleaning up") {
		t.Errorf("stderr %q lacks the clean-up notice", stderr.String())
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-exited:
		if code != 130 {
			t.Errorf("second signal exited %d, want 130", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("second signal did not exit")
	}
}

// TestInterruptibleStop checks that stop releases the watcher and cancels.
func TestInterruptibleStop(t *testing.T) {
	ctx, stop := interruptible(context.Background(), &lockedBuffer{}, func(int) { t.Error("exit called") })
	stop()
	if ctx.Err() == nil {
		t.Error("context not cancelled by stop")
	}
}
