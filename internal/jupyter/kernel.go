package jupyter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
)

// Errors of a kernel connection.
var (
	ErrKernelDied   = errors.New("kernel died")
	ErrCellTimeout  = errors.New("cell timed out")
	ErrKernelClosed = errors.New("kernel connection closed")
)

// KernelOptions tunes a kernel connection.
type KernelOptions struct {
	Protocol      Protocol
	InterruptWait time.Duration // after a timeout's interrupt, wait this long for the reply; default 10 s
	MaxOutput     int           // stream output kept per cell (the tail); default 64 KiB
	MaxMessage    int64         // largest websocket message accepted (max_websocket_message_size); 0 = no limit
	Logger        *slog.Logger
}

// Kernel is one websocket connection to a running kernel. One reader
// goroutine routes messages to calls by parent msg_id; writes are serialised.
// Execute may be called concurrently.
type Kernel struct {
	conn      *websocket.Conn
	v1        bool
	session   string
	interrupt func(context.Context) error
	opts      KernelOptions

	wmu     sync.Mutex // serialises writes
	mu      sync.Mutex // guards pending and err
	pending map[string]*call
	err     error // set when the connection can no longer run code
	closing atomic.Bool
	dead    chan struct{} // closed when the reader stops
}

func newKernel(conn *websocket.Conn, session string, interrupt func(context.Context) error, opts KernelOptions) *Kernel {
	if opts.InterruptWait <= 0 {
		opts.InterruptWait = 10 * time.Second
	}
	if opts.MaxOutput <= 0 {
		opts.MaxOutput = 64 << 10
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxMessage > 0 {
		conn.SetReadLimit(opts.MaxMessage)
	}
	k := &Kernel{conn: conn, v1: conn.Subprotocol() == Subprotocol, session: session,
		interrupt: interrupt, opts: opts, pending: map[string]*call{}, dead: make(chan struct{})}
	go k.readLoop()
	return k
}

// Protocol reports the framing in use: "v1" or "legacy".
func (k *Kernel) Protocol() Protocol {
	if k.v1 {
		return ProtocolV1
	}
	return ProtocolLegacy
}

// executeRequest is the content of an execute_request (messaging spec 5.x).
type executeRequest struct {
	Code            string         `json:"code"`
	Silent          bool           `json:"silent"`
	StoreHistory    bool           `json:"store_history"`
	UserExpressions map[string]any `json:"user_expressions"`
	AllowStdin      bool           `json:"allow_stdin"`
	StopOnError     bool           `json:"stop_on_error"`
}

// newExecuteRequest asks to run code with stop_on_error false. Cells go one
// at a time, so there is never a queue worth aborting; with true, ipykernel
// keeps aborting requests until a callback it schedules after an error runs,
// and on a loaded machine the next cell (after an error, or after a timeout's
// KeyboardInterrupt) can arrive first and come back "aborted" unrun.
func newExecuteRequest(code string) executeRequest {
	return executeRequest{Code: code, UserExpressions: map[string]any{}, StopOnError: false}
}

// ExecOptions tunes one execution.
type ExecOptions struct {
	// Timeout interrupts the kernel when it expires (0: none).
	Timeout time.Duration
}

// Execute runs code and waits until both its execute_reply and its
// status: idle have arrived. A non-zero Timeout interrupts the kernel when it
// expires and then waits InterruptWait for the (interrupted) reply; the error
// then wraps ErrCellTimeout, and also ErrKernelDied if the kernel never
// answered. A code error is not a Go error: see Result.Status.
func (k *Kernel) Execute(ctx context.Context, code string, opts ExecOptions) (*Result, error) {
	c, err := k.send(ctx, "execute_request", newExecuteRequest(code))
	if err != nil {
		return nil, err
	}
	timeout := opts.Timeout
	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	select {
	case <-c.done:
		return c.result()
	case <-ctx.Done():
		k.forget(c)
		return nil, ctx.Err()
	case <-expired:
	}
	return k.interruptAndWait(ctx, c, timeout)
}

func (k *Kernel) interruptAndWait(ctx context.Context, c *call, timeout time.Duration) (*Result, error) {
	ictx, cancel := context.WithTimeout(ctx, k.opts.InterruptWait)
	defer cancel()
	ierr := k.interrupt(ictx)
	select {
	case <-c.done:
		res, err := c.result()
		if err != nil {
			return res, fmt.Errorf("%w after %s: %w", ErrCellTimeout, timeout, err)
		}
		res.Interrupted = true
		return res, fmt.Errorf("%w after %s (kernel interrupted)", ErrCellTimeout, timeout)
	case <-ictx.Done():
	}
	k.forget(c)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	err := fmt.Errorf("%w after %s: %w: no reply within %s of the interrupt", ErrCellTimeout, timeout,
		ErrKernelDied, k.opts.InterruptWait)
	if ierr != nil {
		err = fmt.Errorf("%w (%w)", err, ierr)
	}
	k.mu.Lock()
	if k.err == nil {
		k.err = err
	}
	k.mu.Unlock()
	return nil, err
}

// waitReady sends kernel_info_request until one gets its reply and idle,
// every retry interval, so iopub is known to be connected before any cell.
func (k *Kernel) waitReady(ctx context.Context, retry time.Duration) error {
	for {
		c, err := k.send(ctx, "kernel_info_request", struct{}{})
		if err != nil {
			return err
		}
		t := time.NewTimer(retry)
		select {
		case <-c.done:
			t.Stop()
			_, err := c.result()
			return err
		case <-ctx.Done():
			t.Stop()
			k.forget(c)
			return fmt.Errorf("waiting for kernel_info_reply: %w", ctx.Err())
		case <-t.C:
			k.forget(c)
			k.opts.Logger.Debug("no kernel_info_reply yet, asking again")
		}
	}
}

// send registers a call and writes its request on the shell channel.
func (k *Kernel) send(ctx context.Context, msgType string, content any) (*call, error) {
	id := uuid.NewString()
	frame, err := k.encode(id, msgType, content)
	if err != nil {
		return nil, err
	}
	c := &call{id: id, done: make(chan struct{}), maxOutput: k.opts.MaxOutput, sent: time.Now()}
	k.mu.Lock()
	if k.err != nil {
		err := k.err
		k.mu.Unlock()
		return nil, err
	}
	k.pending[id] = c
	k.mu.Unlock()
	if err := k.write(ctx, frame); err != nil {
		k.forget(c)
		return nil, err
	}
	return c, nil
}

func (k *Kernel) encode(id, msgType string, content any) ([]byte, error) {
	h, err := json.Marshal(header{MsgID: id, MsgType: msgType, Session: k.session, Username: "mobu",
		Date: time.Now().UTC().Format("2006-01-02T15:04:05.000000Z"), Version: "5.4"})
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(content)
	if err != nil {
		return nil, fmt.Errorf("encoding %s: %w", msgType, err)
	}
	if k.v1 {
		return encodeV1("shell", h, []byte("{}"), []byte("{}"), body), nil
	}
	return encodeLegacy("shell", h, []byte("{}"), []byte("{}"), body)
}

func (k *Kernel) write(ctx context.Context, frame []byte) error {
	typ := websocket.TextMessage
	if k.v1 {
		typ = websocket.BinaryMessage
	}
	k.wmu.Lock()
	defer k.wmu.Unlock()
	if dl, ok := ctx.Deadline(); ok {
		k.conn.SetWriteDeadline(dl)
	} else {
		k.conn.SetWriteDeadline(time.Time{})
	}
	if err := k.conn.WriteMessage(typ, frame); err != nil {
		return fmt.Errorf("%w: writing to the kernel websocket: %w", ErrKernelDied, err)
	}
	return nil
}

// forget drops a call the caller no longer waits for.
func (k *Kernel) forget(c *call) {
	k.mu.Lock()
	delete(k.pending, c.id)
	k.mu.Unlock()
}

// Close closes the websocket and fails calls still in flight.
func (k *Kernel) Close() error {
	k.closing.Store(true)
	k.conn.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	err := k.conn.Close()
	<-k.dead
	return err
}
