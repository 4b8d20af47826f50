package jupyter

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func execCode(m *message) string {
	var c executeRequest
	if err := jsonUnmarshal(m.Content, &c); err != nil {
		return ""
	}
	return c.Code
}

func TestExecuteDoneRule(t *testing.T) {
	// Each ordering of reply, idle and output must complete only with both
	// the reply and the idle, and collect everything sent before.
	orders := map[string]func(r *replier){
		"reply then idle": func(r *replier) {
			r.busy()
			r.send("iopub", "stream", map[string]string{"name": "stdout", "text": "héllo ✓\n"}, nil, true)
			r.reply()
			r.idle()
		},
		"idle then reply": func(r *replier) {
			r.busy()
			r.send("iopub", "stream", map[string]string{"name": "stdout", "text": "héllo ✓\n"}, nil, true)
			r.idle()
			r.reply()
		},
		"reply before output": func(r *replier) {
			r.busy()
			r.reply()
			r.send("iopub", "stream", map[string]string{"name": "stdout", "text": "héllo ✓\n"}, nil, true)
			r.idle()
		},
	}
	for _, v1 := range []bool{true, false} {
		for name, script := range orders {
			t.Run(fmt.Sprintf("%s/v1=%v", name, v1), func(t *testing.T) {
				f := newFakeKernel(t, v1, func(m *message, r *replier) { script(r) })
				k := f.connect(t, ProtocolAuto, KernelOptions{})
				if got := k.Protocol(); (got == ProtocolV1) != v1 {
					t.Fatalf("protocol %q, want v1=%v", got, v1)
				}
				res, err := k.Execute(context.Background(), "print('héllo ✓')", ExecOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if res.Status != "ok" || res.Output != "héllo ✓\n" {
					t.Fatalf("result %+v", res)
				}
			})
		}
	}
}

func TestExecuteWaitsForIdle(t *testing.T) {
	release := make(chan struct{})
	f := newFakeKernel(t, true, func(m *message, r *replier) {
		r.reply()
		<-release
		r.idle()
	})
	k := f.connect(t, ProtocolAuto, KernelOptions{})
	done := make(chan error, 1)
	go func() { _, err := k.Execute(context.Background(), "x", ExecOptions{}); done <- err }()
	select {
	case err := <-done:
		t.Fatalf("Execute returned before idle: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestExecuteErrorAndKernelTime(t *testing.T) {
	f := newFakeKernel(t, false, func(m *message, r *replier) {
		r.send("iopub", "error", map[string]any{"ename": "Rewritten", "evalue": "x", "traceback": []string{}}, nil, true)
		r.send("shell", "execute_reply", map[string]any{"status": "error", "ename": "ZeroDivisionError",
			"evalue": "division by zero", "traceback": []string{"\x1b[0;31mZeroDivisionError\x1b[0m: division by zero"}},
			map[string]any{"started": "2026-11-21T10:00:00.000000Z", "_date": "2026-11-21T10:00:00.501250Z"}, true)
		r.idle()
	})
	k := f.connect(t, ProtocolAuto, KernelOptions{})
	res, err := k.Execute(context.Background(), "1/0", ExecOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != "error" || res.EName != "ZeroDivisionError" || res.Traceback[0] != "ZeroDivisionError: division by zero" {
		t.Fatalf("result %+v", res)
	}
	if !res.HasKernelDuration || res.KernelDuration != 501250*time.Microsecond {
		t.Fatalf("kernel duration %v (%v)", res.KernelDuration, res.HasKernelDuration)
	}
}

func TestExecuteAbortedAndIopubFallback(t *testing.T) {
	f := newFakeKernel(t, true, func(m *message, r *replier) {
		if execCode(m) == "queued" {
			r.send("shell", "execute_reply", map[string]any{"status": "aborted"}, nil, true)
			r.idle()
			return
		}
		r.send("iopub", "error", map[string]any{"ename": "ValueError", "evalue": "bad", "traceback": []string{"tb"}}, nil, true)
		r.send("shell", "execute_reply", map[string]any{"status": "error"}, nil, true)
		r.idle()
	})
	k := f.connect(t, ProtocolAuto, KernelOptions{})
	res, err := k.Execute(context.Background(), "queued", ExecOptions{})
	if err != nil || res.Status != "aborted" {
		t.Fatalf("aborted: %+v, %v", res, err)
	}
	res, err = k.Execute(context.Background(), "raise", ExecOptions{})
	if err != nil || res.EName != "ValueError" || len(res.Traceback) != 1 {
		t.Fatalf("iopub fallback: %+v, %v", res, err)
	}
}

func TestExecuteOutputKeepsTail(t *testing.T) {
	f := newFakeKernel(t, true, func(m *message, r *replier) {
		for i := range 100 {
			r.send("iopub", "stream", map[string]string{"name": "stdout", "text": fmt.Sprintf("%04d%s\n", i, strings.Repeat("x", 95))}, nil, true)
		}
		r.reply()
		r.idle()
	})
	k := f.connect(t, ProtocolAuto, KernelOptions{MaxOutput: 1000})
	res, err := k.Execute(context.Background(), "spam", ExecOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.OutputBytes != 10000 || len(res.Output) != 1000 || !strings.HasSuffix(res.Output, "\n") ||
		!strings.HasPrefix(res.Output, "0090") {
		t.Fatalf("output %d bytes (total %d), starts %q", len(res.Output), res.OutputBytes, res.Output[:10])
	}
}

func TestKernelDeath(t *testing.T) {
	tests := map[string]func(r *replier){
		"restarting": func(r *replier) {
			r.busy()
			r.send("iopub", "status", map[string]string{"execution_state": "restarting"}, nil, false)
		},
		"dead": func(r *replier) {
			r.send("iopub", "status", map[string]string{"execution_state": "dead"}, nil, false)
		},
		"socket closed": func(r *replier) { r.conn.Close() },
	}
	for name, script := range tests {
		t.Run(name, func(t *testing.T) {
			f := newFakeKernel(t, true, func(m *message, r *replier) { script(r) })
			k := f.connect(t, ProtocolAuto, KernelOptions{})
			_, err := k.Execute(context.Background(), "import os; os._exit(1)", ExecOptions{})
			if !errors.Is(err, ErrKernelDied) {
				t.Fatalf("err = %v, want ErrKernelDied", err)
			}
		})
	}
}

func TestTextFrameOnV1IsProtocolError(t *testing.T) {
	f := newFakeKernel(t, true, func(m *message, r *replier) {
		r.mu.Lock()
		r.conn.WriteMessage(1, []byte(`{"header":{}}`))
		r.mu.Unlock()
	})
	k := f.connect(t, ProtocolAuto, KernelOptions{})
	_, err := k.Execute(context.Background(), "x", ExecOptions{})
	if err == nil || !strings.Contains(err.Error(), "text frame on a v1 connection") {
		t.Fatalf("err = %v", err)
	}
	if _, err := k.Execute(context.Background(), "y", ExecOptions{}); err == nil {
		t.Fatal("Execute after a protocol error succeeded")
	}
}

func TestTimeoutInterrupts(t *testing.T) {
	f := newFakeKernel(t, true, nil)
	f.handle = func(m *message, r *replier) {
		r.busy()
		if execCode(m) == "hang" {
			return // ignores the interrupt too
		}
		<-f.interrupt
		r.send("shell", "execute_reply", map[string]any{"status": "error", "ename": "KeyboardInterrupt"}, nil, true)
		r.idle()
	}
	k := f.connect(t, ProtocolAuto, KernelOptions{InterruptWait: 200 * time.Millisecond})
	res, err := k.Execute(context.Background(), "while True: pass", ExecOptions{Timeout: 50 * time.Millisecond})
	if !errors.Is(err, ErrCellTimeout) || errors.Is(err, ErrKernelDied) || res == nil || !res.Interrupted ||
		res.EName != "KeyboardInterrupt" {
		t.Fatalf("interrupted: %+v, %v", res, err)
	}
	_, err = k.Execute(context.Background(), "hang", ExecOptions{Timeout: 50 * time.Millisecond})
	if !errors.Is(err, ErrCellTimeout) || !errors.Is(err, ErrKernelDied) {
		t.Fatalf("unanswered interrupt: %v", err)
	}
	if _, err := k.Execute(context.Background(), "1", ExecOptions{}); !errors.Is(err, ErrKernelDied) {
		t.Fatalf("Execute on an unresponsive kernel: %v", err)
	}
}

func TestConcurrentExecutesRouteByParent(t *testing.T) {
	f := newFakeKernel(t, false, func(m *message, r *replier) {
		code := execCode(m)
		if code == "slow" {
			time.Sleep(30 * time.Millisecond) // the fast call overtakes this one
		}
		r.send("iopub", "stream", map[string]string{"name": "stdout", "text": code}, nil, true)
		r.reply()
		r.idle()
	})
	k := f.connect(t, ProtocolAuto, KernelOptions{})
	var wg sync.WaitGroup
	for _, code := range []string{"slow", "fast", "a", "b"} {
		wg.Go(func() {
			res, err := k.Execute(context.Background(), code, ExecOptions{})
			if err != nil || res.Output != code {
				t.Errorf("%s: %+v, %v", code, res, err)
			}
		})
	}
	wg.Wait()
}

func TestExecuteContextCancel(t *testing.T) {
	f := newFakeKernel(t, true, func(m *message, r *replier) {})
	k := f.connect(t, ProtocolAuto, KernelOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := k.Execute(ctx, "x", ExecOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if len(k.pending) != 0 {
		t.Fatalf("%d calls left pending", len(k.pending))
	}
}

func TestRequireV1(t *testing.T) {
	f := newFakeKernel(t, false, nil)
	lab := &Lab{rest: requester{client: f.srv.Client(), base: f.srv.URL, auth: tokenAuth("")},
		wsHeader: func(string) http.Header { return nil }, wsBase: "ws" + strings.TrimPrefix(f.srv.URL, "http"),
		dialer: defaultDialer()}
	_, _, err := lab.dialKernel(context.Background(), "k1", ProtocolV1)
	if err == nil || !strings.Contains(err.Error(), "did not accept") {
		t.Fatalf("err = %v", err)
	}
}

// TestExecuteRequestFields checks the wire content of every execute_request:
// no history, no stdin, not silent, and never stop_on_error (see
// newExecuteRequest for why).
func TestExecuteRequestFields(t *testing.T) {
	got := make(chan map[string]any, 2)
	f := newFakeKernel(t, true, func(m *message, r *replier) {
		var req map[string]any
		jsonUnmarshal(m.Content, &req)
		got <- req
		r.reply()
		r.idle()
	})
	k := f.connect(t, ProtocolAuto, KernelOptions{})
	for _, code := range []string{"1/0", "1+1"} {
		if _, err := k.Execute(context.Background(), code, ExecOptions{Timeout: time.Minute}); err != nil {
			t.Fatal(err)
		}
		req := <-got
		want := map[string]any{"code": code, "silent": false, "store_history": false,
			"allow_stdin": false, "stop_on_error": false, "user_expressions": map[string]any{}}
		if fmt.Sprint(req) != fmt.Sprint(want) {
			t.Errorf("execute_request content\n %v\nwant\n %v", req, want)
		}
	}
}
