package jupyter

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

// TestRealKernelFaults covers what goes wrong inside a running lab.
func TestRealKernelFaults(t *testing.T) {
	t.Parallel()
	u := labUser(t, "bot-mobu-faults", UserOptions{Kernel: KernelOptions{InterruptWait: 20 * time.Second}})

	t.Run("aborted", func(t *testing.T) {
		s := mustOpenSession(t, u)
		// Two requests sent back to back: the second queues behind the
		// failing first one, so the kernel aborts it (stop_on_error defaults
		// to true).
		var calls []*call
		for _, code := range []string{"import time; time.sleep(0.5); 1/0", "print('never')"} {
			c, err := s.send(context.Background(), "execute_request", executeRequest{Code: code, UserExpressions: map[string]any{}, StopOnError: true})
			if err != nil {
				t.Fatal(err)
			}
			calls = append(calls, c)
		}
		results := make([]*Result, 2)
		for i, c := range calls {
			<-c.done
			var err error
			if results[i], err = c.result(); err != nil {
				t.Fatal(err)
			}
		}
		if results[0].Status != "error" || results[1].Status != "aborted" {
			t.Fatalf("statuses %q and %q, want error and aborted", results[0].Status, results[1].Status)
		}
	})

	t.Run("an error never aborts a later cell", func(t *testing.T) {
		s := mustOpenSession(t, u)
		// The race behind "aborted", made certain: the next cell is already
		// queued when the failing one (built as Execute builds it) raises.
		// With stop_on_error true it would come back aborted, as can a cell
		// sent just after an error or an interrupt on a loaded machine.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		first, err := s.send(ctx, "execute_request", newExecuteRequest("import time; time.sleep(0.5); 1/0"))
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.Execute(ctx, "print('next')", ExecOptions{})
		if err != nil || res.Status != "ok" || res.Output != "next\n" {
			t.Fatalf("queued cell: %+v, %v", res, err)
		}
		<-first.done
		if res, err := first.result(); err != nil || res.Status != "error" || res.EName != "ZeroDivisionError" {
			t.Fatalf("failing cell: %+v, %v", res, err)
		}
	})

	t.Run("timeout interrupts", func(t *testing.T) {
		s := mustOpenSession(t, u)
		res, err := s.Execute(context.Background(), "while True: pass", ExecOptions{Timeout: time.Second})
		if !errors.Is(err, ErrCellTimeout) || errors.Is(err, ErrKernelDied) {
			t.Fatalf("err = %v, want a cell timeout with an answered interrupt", err)
		}
		if res == nil || !res.Interrupted || res.EName != "KeyboardInterrupt" {
			t.Fatalf("result %+v", res)
		}
		if res := mustExec(t, s, "1+1", 0); res.Status != "ok" {
			t.Fatalf("kernel unusable after interrupt: %+v", res)
		}
	})

	t.Run("kernel death", func(t *testing.T) {
		s := mustOpenSession(t, u)
		mustExec(t, s, "print('alive')", 0)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, err := s.Execute(ctx, "import os; os._exit(1)", ExecOptions{})
		if !errors.Is(err, ErrKernelDied) || !strings.Contains(err.Error(), "kernel died") {
			t.Fatalf("err = %v, want kernel died", err)
		}
	})

	t.Run("huge output", func(t *testing.T) {
		s := mustOpenSession(t, u)
		res := mustExec(t, s, "import sys\nfor i in range(10):\n    sys.stdout.write('x' * 1_000_000)\nprint('end')", 0)
		if res.Status != "ok" || len(res.Output) > 64<<10 || res.OutputBytes == 0 {
			t.Fatalf("status %s, kept %d of %d bytes", res.Status, len(res.Output), res.OutputBytes)
		}
	})
}

func TestRealSpawnFaults(t *testing.T) {
	t.Run("spawn fails", func(t *testing.T) {
		t.Parallel()
		u := newTestHub(t, "").User("bot-mobu-failspawn", UserOptions{})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := u.Login(ctx); err != nil {
			t.Fatal(err)
		}
		err := u.Spawn(ctx)
		if !errors.Is(err, ErrSpawnFailed) || !strings.Contains(err.Error(), "exited at once") {
			t.Fatalf("err = %v, want a spawn failure with the hub's message", err)
		}
		if err := u.DeleteLab(ctx); err != nil {
			t.Fatalf("cleanup after failed spawn: %v", err)
		}
	})
	t.Run("spawn times out", func(t *testing.T) {
		t.Parallel()
		u := newTestHub(t, "").User("bot-mobu-hangspawn", UserOptions{})
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := u.Login(ctx); err != nil {
			t.Fatal(err)
		}
		sctx, scancel := context.WithTimeout(ctx, 3*time.Second)
		defer scancel()
		err := u.Spawn(sctx)
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "not ready") {
			t.Fatalf("err = %v, want a deadline while waiting for the lab", err)
		}
		// The hub refuses to stop a pending spawn; DeleteLab waits it out.
		if err := u.DeleteLab(ctx); err != nil {
			t.Fatalf("cleanup after spawn timeout: %v", err)
		}
		if s, err := u.hub.server(ctx, u.name, ""); err != nil || s != nil {
			t.Fatalf("server still listed after DeleteLab: %+v, %v", s, err)
		}
	})
}

func TestRealHubAuthAndReachability(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	bad := newTestHub(t, "not-a-valid-token").User("bot-mobu-badtoken", UserOptions{})
	err := bad.Login(ctx)
	if statusOf(err) != 403 || !strings.Contains(err.Error(), "token") {
		t.Fatalf("bad token: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	h, err := NewHub(HubConfig{URL: "http://" + addr, Token: "x"})
	if err != nil {
		t.Fatal(err)
	}
	err = h.User("bot-mobu-nohub", UserOptions{}).Login(ctx)
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("unreachable hub: %v", err)
	}
}
