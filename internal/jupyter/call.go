package jupyter

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// Result is the outcome of one execute_request.
type Result struct {
	Status            string   // "ok", "error" or "aborted"
	ExecutionCount    int      // from the reply
	EName, EValue     string   // for errors
	Traceback         []string // ANSI escapes removed
	Output            string   // stream text (stdout and stderr), the last MaxOutput bytes
	OutputBytes       int64    // all stream text seen
	Duration          time.Duration
	KernelDuration    time.Duration // execute_reply.metadata.started → reply header.date
	HasKernelDuration bool
	Interrupted       bool // the cell timed out and the kernel was interrupted
}

// call is one request in flight. The reader goroutine owns every field but
// done until it closes done; the waiter reads them only after that.
type call struct {
	id        string
	done      chan struct{}
	sent      time.Time
	maxOutput int

	reply, idle bool
	end         time.Time
	res         Result
	iopubErr    *replyContent
	out         []byte
	err         error
}

type replyContent struct {
	Status         string   `json:"status"`
	ExecutionCount int      `json:"execution_count"`
	EName          string   `json:"ename"`
	EValue         string   `json:"evalue"`
	Traceback      []string `json:"traceback"`
}

// apply folds one message into the call and reports whether it is complete.
func (c *call) apply(m *message) bool {
	switch m.Header.MsgType {
	case "execute_reply", "kernel_info_reply":
		var rc replyContent
		json.Unmarshal(m.Content, &rc)
		c.reply = true
		c.res.Status = rc.Status
		c.res.ExecutionCount = rc.ExecutionCount
		c.res.EName, c.res.EValue, c.res.Traceback = rc.EName, rc.EValue, rc.Traceback
		c.kernelTime(m)
	case "status":
		var s struct {
			State string `json:"execution_state"`
		}
		json.Unmarshal(m.Content, &s)
		c.idle = c.idle || s.State == "idle"
	case "stream":
		var s struct {
			Text string `json:"text"`
		}
		json.Unmarshal(m.Content, &s)
		c.appendOutput(s.Text)
	case "error":
		var rc replyContent
		if json.Unmarshal(m.Content, &rc) == nil {
			c.iopubErr = &rc
		}
	}
	if c.reply && c.idle {
		c.end = time.Now()
		return true
	}
	return false
}

func (c *call) kernelTime(m *message) {
	var md struct {
		Started string `json:"started"`
	}
	if json.Unmarshal(m.Metadata, &md) != nil || md.Started == "" || m.Header.Date == "" {
		return
	}
	start, err1 := time.Parse(time.RFC3339Nano, md.Started)
	end, err2 := time.Parse(time.RFC3339Nano, m.Header.Date)
	if err1 == nil && err2 == nil && !end.Before(start) {
		c.res.KernelDuration, c.res.HasKernelDuration = end.Sub(start), true
	}
}

func (c *call) appendOutput(s string) {
	c.res.OutputBytes += int64(len(s))
	c.out = append(c.out, s...)
	if len(c.out) > 2*c.maxOutput {
		c.out = append(c.out[:0], c.out[len(c.out)-c.maxOutput:]...)
	}
}

// result is read by the waiter after done is closed.
func (c *call) result() (*Result, error) {
	if c.err != nil {
		return nil, c.err
	}
	r := c.res
	r.Duration = c.end.Sub(c.sent)
	out := c.out
	if len(out) > c.maxOutput {
		out = out[len(out)-c.maxOutput:]
	}
	r.Output = strings.ToValidUTF8(string(out), "")
	if r.Status == "error" && len(r.Traceback) == 0 && c.iopubErr != nil {
		r.EName, r.EValue, r.Traceback = c.iopubErr.EName, c.iopubErr.EValue, c.iopubErr.Traceback
	}
	if r.Status == "" {
		r.Status = "ok"
	}
	for i, line := range r.Traceback {
		r.Traceback[i] = StripANSI(line)
	}
	return &r, nil
}

var ansiEscape = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)`)

// StripANSI removes terminal colour and control sequences.
func StripANSI(s string) string {
	if !strings.Contains(s, "\x1b") {
		return s
	}
	return ansiEscape.ReplaceAllString(s, "")
}

// readLoop is the single reader: it routes every message to its call and
// fails all calls when the socket closes or the kernel dies.
func (k *Kernel) readLoop() {
	defer close(k.dead)
	for {
		typ, data, err := k.conn.ReadMessage()
		if err != nil {
			if k.closing.Load() {
				k.fail(ErrKernelClosed, true)
			} else {
				k.fail(fmt.Errorf("%w: websocket closed: %w", ErrKernelDied, err), true)
			}
			return
		}
		m, err := decodeFrame(k.v1, typ == websocket.BinaryMessage, data)
		if errors.Is(err, errTextOnV1) {
			k.fail(err, true)
			k.conn.Close()
			return
		}
		if err != nil {
			k.opts.Logger.Warn("skipping undecodable kernel message", "error", err)
			continue
		}
		k.route(m)
	}
}

func (k *Kernel) route(m *message) {
	if m.ParentID == "" {
		if m.Header.MsgType == "status" {
			var s struct {
				State string `json:"execution_state"`
			}
			json.Unmarshal(m.Content, &s)
			switch s.State {
			case "restarting":
				k.fail(fmt.Errorf("%w: the kernel is restarting (it exited or crashed)", ErrKernelDied), false)
			case "dead":
				k.fail(fmt.Errorf("%w: the kernel is dead and could not be restarted", ErrKernelDied), true)
			}
		}
		return
	}
	k.mu.Lock()
	c := k.pending[m.ParentID]
	k.mu.Unlock()
	if c == nil || !c.apply(m) {
		return
	}
	k.mu.Lock()
	_, ok := k.pending[c.id]
	delete(k.pending, c.id)
	k.mu.Unlock()
	if ok {
		close(c.done)
	}
}

// fail ends every call in flight with err; final also refuses new calls.
func (k *Kernel) fail(err error, final bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for id, c := range k.pending {
		c.err = err
		close(c.done)
		delete(k.pending, id)
	}
	if final && k.err == nil {
		k.err = err
	}
}
