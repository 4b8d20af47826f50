package alert

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Slack's Block Kit limits, in characters.
const (
	slackHeaderLimit = 150  // header block text
	slackTextLimit   = 3000 // section text
	slackMaxFields   = 10   // fields per section
	slackPartLimit   = 500  // one value in a field (fields allow 2000)
	fallbackLimit    = 300  // the notification text
)

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Fields   []slackText `json:"fields,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

type slackMessage struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

// renderSlack is the renderFunc of the Slack target.
func renderSlack(m Message) ([]byte, error) {
	var msg slackMessage
	switch m.Kind {
	case KindFailure:
		msg = slackFailure(m)
	case KindResolved:
		msg = slackResolved(m.Resolution)
	case KindStatus:
		msg = slackStatus(m)
	default:
		return nil, fmt.Errorf("unknown message kind %q", m.Kind)
	}
	return json.Marshal(msg)
}

// slackFailure renders a failure: header, fields, error, code, traceback
// and the suppressed count. Empty fields and blocks are omitted.
func slackFailure(m Message) slackMessage {
	f := m.Failure
	blocks := []slackBlock{header("❌ mobu: " + f.Flock + " failed")}
	blocks = append(blocks, fieldSections(failureFields(f))...)
	if f.Error != "" {
		label := "*Error*\n"
		blocks = append(blocks, section(label+escapeHead(f.Error, slackTextLimit-runes(label))))
	}
	if code := trimEnd(f.Code); code != "" {
		blocks = append(blocks, section(codeBlock("Code", code)))
	}
	if tb := trimEnd(stripANSI(f.Traceback)); tb != "" {
		blocks = append(blocks, section(codeBlock("Traceback", tb)))
	}
	if s := suppressedText(m); s != "" {
		blocks = append(blocks, contextBlock(s))
	}
	return slackMessage{Text: failureFallback(f), Blocks: blocks}
}

// field is one labelled value of a fields section; value is mrkdwn.
type field struct{ label, value string }

func failureFields(f Failure) []field {
	return []field{
		{"Flock", join(" ", plain(f.Flock), paren(f.Business))},
		{"Monkey", monkey(f.Monkey, f.User)},
		{"Notebook", code(f.Notebook)},
		{"Cell", cell(f.CellID, f.CellNumber)},
		{"Phase", plain(f.Phase)},
		{"Error type", plain(f.ErrorType)},
		{"Image", join("\n", code(f.Image), plain(f.ImageDescription))},
		{"Node", plain(f.Node)},
		{"Started", formatTime(f.Started)},
		{"Failed", formatTime(f.Failed)},
		{"Trace ID", code(f.TraceID)},
	}
}

func failureFallback(f Failure) string {
	where := join(" ", f.Notebook, cellPlain(f.CellID, f.CellNumber))
	what := f.Error
	if !strings.HasPrefix(f.Error, f.ErrorType) {
		what = join(": ", f.ErrorType, f.Error)
	}
	return escapeHead(join(": ", "mobu: "+f.Flock+" failed", where, what), fallbackLimit)
}

func suppressedText(m Message) string {
	if m.Suppressed <= 0 {
		return ""
	}
	if m.LastAlert.IsZero() {
		return count(m.Suppressed, "earlier failure") + " not reported"
	}
	return count(m.Suppressed, "more failure") + " since " + formatSince(m.LastAlert, m.At)
}

// fieldSections puts the non-empty fields into sections of at most ten.
func fieldSections(fields []field) []slackBlock {
	var blocks []slackBlock
	var texts []slackText
	for _, f := range fields {
		if f.value == "" {
			continue
		}
		texts = append(texts, mrkdwn("*"+f.label+"*\n"+f.value))
		if len(texts) == slackMaxFields {
			blocks = append(blocks, slackBlock{Type: "section", Fields: texts})
			texts = nil
		}
	}
	if len(texts) > 0 {
		blocks = append(blocks, slackBlock{Type: "section", Fields: texts})
	}
	return blocks
}

// codeBlock renders body in a ``` block under a bold label, keeping the end
// of body so that the whole text fits a section.
func codeBlock(label, body string) string {
	prefix, suffix := "*"+label+"*\n```\n", "\n```"
	budget := slackTextLimit - runes(prefix) - runes(suffix)
	return prefix + escapeTail(body, budget) + suffix
}

func header(text string) slackBlock {
	return slackBlock{Type: "header", Text: &slackText{Type: "plain_text", Text: cutHead(text, slackHeaderLimit)}}
}

func section(text string) slackBlock {
	t := mrkdwn(text)
	return slackBlock{Type: "section", Text: &t}
}

func contextBlock(text string) slackBlock {
	return slackBlock{Type: "context", Elements: []slackText{mrkdwn(text)}}
}

func mrkdwn(text string) slackText { return slackText{Type: "mrkdwn", Text: text} }

// plain escapes a user-provided value for mrkdwn.
func plain(s string) string { return escapeHead(s, slackPartLimit) }

// code is plain in inline code, "" for "".
func code(s string) string {
	if s == "" {
		return ""
	}
	return "`" + plain(s) + "`"
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return "(" + plain(s) + ")"
}

func monkey(name, user string) string {
	if name == "" || user == name {
		return plain(user)
	}
	return join(" ", plain(name), paren(user))
}

func cell(id string, number int) string {
	return join(" ", code(id), cellNumber(number, id != ""))
}

func cellPlain(id string, number int) string {
	if id == "" && number <= 0 {
		return ""
	}
	return join(" ", "cell", id, cellNumber(number, id != ""))
}

func cellNumber(n int, inParens bool) string {
	switch {
	case n <= 0:
		return ""
	case inParens:
		return "(#" + strconv.Itoa(n) + ")"
	default:
		return "#" + strconv.Itoa(n)
	}
}

// join joins the non-empty parts with sep.
func join(sep string, parts ...string) string {
	kept := parts[:0:0]
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, sep)
}

func trimEnd(s string) string { return strings.TrimRight(s, " \t\r\n") }

func runes(s string) int { return utf8.RuneCountInString(s) }
