package alert

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mobu-dev/mobu/internal/golden"
)

func renderSlackMessage(t *testing.T, m Message) ([]byte, slackMessage) {
	t.Helper()
	body, err := renderSlack(m)
	if err != nil {
		t.Fatalf("renderSlack: %v", err)
	}
	return body, decodeSlack(t, body)
}

func TestSlackFailureGolden(t *testing.T) {
	m := Message{Kind: KindFailure, At: t0(), Failure: richFailure(), Suppressed: 3, LastAlert: t0().Add(-90 * time.Minute)}
	body, _ := renderSlackMessage(t, m)
	var got bytes.Buffer
	if err := json.Indent(&got, body, "", "  "); err != nil {
		t.Fatal(err)
	}
	got.WriteByte('\n')
	golden.Check(t, "slack_failure.json", got.Bytes())
}

func TestSlackFailureBlocks(t *testing.T) {
	m := Message{Kind: KindFailure, At: t0(), Failure: richFailure(), Suppressed: 3, LastAlert: t0().Add(-90 * time.Minute)}
	_, msg := renderSlackMessage(t, m)
	types := []string{"header", "section", "section", "section", "section", "section", "context"}
	if len(msg.Blocks) != len(types) {
		t.Fatalf("got %d blocks, want %d: %+v", len(msg.Blocks), len(types), msg.Blocks)
	}
	for i, b := range msg.Blocks {
		if b.Type != types[i] {
			t.Errorf("block %d is %q, want %q", i, b.Type, types[i])
		}
	}
	if h := msg.Blocks[0].Text; h.Type != "plain_text" || h.Text != "❌ mobu: tutorial failed" {
		t.Errorf("header = %+v", h)
	}
	wantFields := []string{
		"*Flock*\ntutorial (NotebookRunner)",
		"*Monkey*\ntutorial-01 (bot-mobu-tutorial01)",
		"*Notebook*\n`tutorials/01_Intro.ipynb`",
		"*Cell*\n`a1b2c3` (#7)",
		"*Phase*\ncell",
		"*Error type*\nZeroDivisionError",
		"*Image*\n`lighthouse.ceres/sciplat-lab:w_2024_18`\nWeekly 2024_18",
		"*Node*\nnode-7",
		"*Started*\n2024-05-01 14:00:00 UTC",
		"*Failed*\n2024-05-01 14:01:55 UTC",
		"*Trace ID*\n`4bf92f3577b34da6a3ce929d0e0e4736`",
	}
	var fields []string
	for _, b := range msg.Blocks[1:3] {
		if len(b.Fields) > slackMaxFields {
			t.Errorf("section has %d fields, Slack allows %d", len(b.Fields), slackMaxFields)
		}
		for _, f := range b.Fields {
			if f.Type != "mrkdwn" {
				t.Errorf("field %q is %s", f.Text, f.Type)
			}
			fields = append(fields, f.Text)
		}
	}
	if strings.Join(fields, "|") != strings.Join(wantFields, "|") {
		t.Errorf("fields:\n got %q\nwant %q", fields, wantFields)
	}
	assertText(t, msg.Blocks[3], "*Error*\nZeroDivisionError: division by zero")
	assertText(t, msg.Blocks[4], "*Code*\n```\nx = 1\ny = 0\nprint(x / y)\n```")
	assertText(t, msg.Blocks[5], "*Traceback*\n```\n---------\nZeroDivisionError: division by zero\n```")
	if got := msg.Blocks[6].Elements[0].Text; got != "3 more failures since 12:32 UTC" {
		t.Errorf("context = %q", got)
	}
	if !strings.HasPrefix(msg.Text, "mobu: tutorial failed: tutorials/01_Intro.ipynb cell a1b2c3 (#7): ZeroDivisionError") {
		t.Errorf("fallback text = %q", msg.Text)
	}
}

func assertText(t *testing.T, b slackBlock, want string) {
	t.Helper()
	if b.Text == nil || b.Text.Type != "mrkdwn" || b.Text.Text != want {
		t.Errorf("block text = %+v, want mrkdwn %q", b.Text, want)
	}
}

func TestSlackFailureOmitsEmptyFields(t *testing.T) {
	f := Failure{Flock: "spawny", Monkey: "spawny-1", User: "spawny-1", Phase: "spawn",
		ErrorType: "spawn timeout", Error: "lab did not start in 10m0s"}
	_, msg := renderSlackMessage(t, Message{Kind: KindFailure, At: t0(), Failure: f})
	if len(msg.Blocks) != 3 {
		t.Fatalf("got %d blocks, want header, fields, error: %+v", len(msg.Blocks), msg.Blocks)
	}
	var fields []string
	for _, f := range msg.Blocks[1].Fields {
		fields = append(fields, f.Text)
	}
	want := []string{"*Flock*\nspawny", "*Monkey*\nspawny-1", "*Phase*\nspawn", "*Error type*\nspawn timeout"}
	if strings.Join(fields, "|") != strings.Join(want, "|") {
		t.Errorf("fields = %q, want %q", fields, want)
	}
}

func TestSlackLongCodeKeepsEnd(t *testing.T) {
	var code strings.Builder
	for i := range 2000 {
		code.WriteString("line " + strings.Repeat("x", i%7) + " < y & z\n")
	}
	code.WriteString("raise ValueError('the end')")
	f := richFailure()
	f.Code = code.String()
	f.Traceback = strings.Repeat("\x1b[31mframe\x1b[0m <module>\n", 1000) + "ValueError: the end"
	_, msg := renderSlackMessage(t, Message{Kind: KindFailure, At: t0(), Failure: f})
	for _, b := range msg.Blocks[4:6] {
		text := b.Text.Text
		if n := utf8.RuneCountInString(text); n > slackTextLimit {
			t.Errorf("section has %d characters, limit %d", n, slackTextLimit)
		}
		if !strings.HasSuffix(text, "the end\n```") && !strings.HasSuffix(text, "the end')\n```") {
			t.Errorf("section lost the end: …%q", text[len(text)-40:])
		}
		if !strings.Contains(text, "```\n…") {
			t.Errorf("truncated section does not start with …: %q", text[:40])
		}
		if strings.Contains(text, "\x1b") || strings.Contains(text, "[31m") {
			t.Errorf("ANSI escapes left in %q", text[:80])
		}
		if strings.Contains(text, " < ") || strings.Contains(text, "<module>") {
			t.Errorf("unescaped < in section")
		}
	}
	if !strings.HasPrefix(msg.Blocks[4].Text.Text, "*Code*\n```\n…") {
		t.Errorf("code block = %q", msg.Blocks[4].Text.Text[:40])
	}
}

func TestSlackEscapesUserText(t *testing.T) {
	f := Failure{Flock: "a<b>", Notebook: "x&y.ipynb", Error: "<!channel> & <@U123>",
		Code: "if a < b > c: pass", ErrorType: "E"}
	_, msg := renderSlackMessage(t, Message{Kind: KindFailure, At: t0(), Failure: f})
	body, _ := json.Marshal(msg.Blocks[1:])
	for _, bad := range []string{"<!channel>", "<@U123>", "a<b>", "x&y", "a < b"} {
		if strings.Contains(string(body), bad) {
			t.Errorf("unescaped %q in %s", bad, body)
		}
	}
	assertText(t, msg.Blocks[2], "*Error*\n&lt;!channel&gt; &amp; &lt;@U123&gt;")
	if !strings.Contains(msg.Text, "&lt;!channel&gt;") {
		t.Errorf("fallback not escaped: %q", msg.Text)
	}
	if got := msg.Blocks[0].Text.Text; got != "❌ mobu: a<b> failed" {
		t.Errorf("plain_text header = %q", got)
	}
}

func TestSlackHeaderLimit(t *testing.T) {
	f := Failure{Flock: strings.Repeat("é", 300)}
	_, msg := renderSlackMessage(t, Message{Kind: KindFailure, Failure: f})
	h := msg.Blocks[0].Text.Text
	if n := utf8.RuneCountInString(h); n != slackHeaderLimit || !strings.HasSuffix(h, "…") {
		t.Errorf("header has %d characters: %q", n, h)
	}
}

func TestSlackResolved(t *testing.T) {
	r := Resolution{Flock: "tutorial", Notebook: "nb.ipynb", CellID: "c1", CellNumber: 2,
		ErrorType: "KeyError", FailingSince: t0(), Resolved: t0().Add(65 * time.Minute), Failures: 7}
	_, msg := renderSlackMessage(t, Message{Kind: KindResolved, At: r.Resolved, Resolution: r})
	if len(msg.Blocks) != 2 || msg.Blocks[0].Text.Text != "✅ mobu: tutorial recovered" {
		t.Fatalf("blocks = %+v", msg.Blocks)
	}
	var fields []string
	for _, f := range msg.Blocks[1].Fields {
		fields = append(fields, f.Text)
	}
	want := []string{"*Flock*\ntutorial", "*Notebook*\n`nb.ipynb`", "*Cell*\n`c1` (#2)", "*Error type*\nKeyError",
		"*Failing since*\n2024-05-01 14:02:00 UTC", "*Duration*\n1h 5m", "*Failures*\n7"}
	if strings.Join(fields, "|") != strings.Join(want, "|") {
		t.Errorf("fields = %q, want %q", fields, want)
	}
	if msg.Text != "mobu: tutorial recovered: nb.ipynb cell c1 (#2) (KeyError): after 1h 5m, 7 failures" {
		t.Errorf("fallback = %q", msg.Text)
	}
}

func TestSlackStatus(t *testing.T) {
	s := Status{Environment: "idfprod", Flocks: []FlockStatus{
		{Name: "tutorial", Business: "NotebookRunner", Monkeys: 3, Successes: 120, Failures: 2},
		{Name: "tap", Business: "TAPQuery", Monkeys: 1, Errors: 1, Successes: 1, Failures: 1},
		{Name: "idle", Monkeys: 1},
	}}
	_, msg := renderSlackMessage(t, Message{Kind: KindStatus, At: t0(), Status: s})
	if msg.Blocks[0].Text.Text != "📊 mobu status: idfprod" {
		t.Errorf("header = %q", msg.Blocks[0].Text.Text)
	}
	want := "*tutorial* (NotebookRunner): 3 monkeys, 120 successes, 2 failures, 98.36% success\n" +
		"*tap* (TAPQuery): 1 monkey (1 in error), 1 success, 1 failure, 50.00% success\n" +
		"*idle*: 1 monkey, 0 successes, 0 failures, no runs yet"
	assertText(t, msg.Blocks[1], want)
	assertText(t, msg.Blocks[2], "*Overall*: 5 monkeys (1 in error), 121 successes, 3 failures, 97.58% success")
	if got := msg.Blocks[3].Elements[0].Text; got != "As of 2024-05-01 14:02:00 UTC" {
		t.Errorf("context = %q", got)
	}
}

// Two decimals as Python mobu shows them, never rounded up to 100 while
// anything failed.
func TestStatusPercent(t *testing.T) {
	for _, tc := range []struct {
		successes, failures int64
		want                string
	}{
		{10, 0, "100.00% success"},
		{99999, 1, "99.99% success"},  // 99.999
		{199999, 1, "99.99% success"}, // 99.9995
		{9995, 5, "99.95% success"},   // exact
		{2, 1, "66.67% success"},      // rounded as usual below 100
		{0, 3, "0.00% success"},
	} {
		if got := rateText(FlockStatus{Successes: tc.successes, Failures: tc.failures}); got != tc.want {
			t.Errorf("%d successes, %d failures: %q, want %q", tc.successes, tc.failures, got, tc.want)
		}
	}
}

func TestSlackStatusNamesItsReplica(t *testing.T) {
	for _, tc := range []struct {
		index, count   int
		header, prefix string
	}{
		{0, 1, "📊 mobu status: idfprod", "mobu status: idfprod: 1 flock"},
		{1, 3, "📊 mobu status: idfprod (replica 2 of 3)", "mobu status: idfprod (replica 2 of 3): 1 flock"},
	} {
		s := Status{Environment: "idfprod", ReplicaIndex: tc.index, ReplicaCount: tc.count,
			Flocks: []FlockStatus{{Name: "tutorial", Monkeys: 1}}}
		_, msg := renderSlackMessage(t, Message{Kind: KindStatus, At: t0(), Status: s})
		if msg.Blocks[0].Text.Text != tc.header || !strings.HasPrefix(msg.Text, tc.prefix) {
			t.Errorf("replica %d of %d: header %q, fallback %q", tc.index, tc.count, msg.Blocks[0].Text.Text, msg.Text)
		}
	}
}

func TestPackLines(t *testing.T) {
	lines := []string{strings.Repeat("a", 6), strings.Repeat("b", 3), strings.Repeat("c", 20)}
	got := packLines(lines, 10)
	want := []string{"aaaaaa\nbbb", "ccccccccc…"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("packLines = %q, want %q", got, want)
	}
}
