package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/golden"
)

// A failure, its repeat within the quiet period and the check passing
// again, through the worker to a Slack webhook: exactly one failure and one
// resolved message are posted, checked block by block against
// testdata/slack_flow.txt.
func TestSlackFailSuppressPass(t *testing.T) {
	srv := newCapture(t)
	clock := newFakeClock(t0())
	a := New(testConfig(clock, &sleeps{}, io.Discard, Slack(srv.URL())))
	a.Start(context.Background())
	f := richFailure()

	a.Failed(f)
	first := decodeSlack(t, receive(t, srv.arrived))
	clock.Advance(10 * time.Minute)
	f.Monkey, f.Failed = "tutorial-02", clock.Now()
	a.Failed(f) // same (flock, notebook, cell, error type): suppressed
	clock.Advance(25 * time.Minute)
	a.Passed(f.Flock, f.Notebook)
	second := decodeSlack(t, receive(t, srv.arrived))
	stop(t, a)

	if n := len(srv.Bodies()); n != 2 {
		t.Fatalf("%d messages posted, want one failure and one resolved", n)
	}
	if s := a.Stats(); s.Sent != 2 || s.Suppressed != 1 || a.OpenFailures() != 0 {
		t.Errorf("Stats = %+v, open %d; want 2 sent, 1 suppressed, none open", s, a.OpenFailures())
	}
	for i, want := range []string{"❌ mobu: tutorial failed", "✅ mobu: tutorial recovered"} {
		msg := []slackMessage{first, second}[i]
		if len(msg.Blocks) == 0 || msg.Blocks[0].Type != "header" || msg.Blocks[0].Text.Text != want {
			t.Errorf("message %d: first block %+v, want header %q", i+1, msg.Blocks, want)
		}
	}
	golden.Check(t, "slack_flow.txt", blockByBlock(t, first, second))
}

// blockByBlock lists each message's fallback text and then its blocks, one
// JSON object a line, so a difference names the block.
func blockByBlock(t *testing.T, msgs ...slackMessage) []byte {
	t.Helper()
	var out bytes.Buffer
	for i, m := range msgs {
		text, _ := json.Marshal(m.Text)
		fmt.Fprintf(&out, "message %d text %s\n", i+1, text)
		for j, b := range m.Blocks {
			line, err := json.Marshal(b)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&out, "  block %d %s\n", j+1, line)
		}
	}
	return out.Bytes()
}
