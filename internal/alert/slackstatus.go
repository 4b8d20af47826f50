package alert

import (
	"fmt"
	"strconv"
	"strings"
)

// slackResolved renders a recovered check: header and fields.
func slackResolved(r Resolution) slackMessage {
	fields := []field{
		{"Flock", join(" ", plain(r.Flock), paren(r.Business))},
		{"Notebook", code(r.Notebook)},
		{"Cell", cell(r.CellID, r.CellNumber)},
		{"Error type", plain(r.ErrorType)},
		{"Failing since", formatTime(r.FailingSince)},
		{"Duration", formatDuration(r.Duration())},
		{"Failures", strconv.Itoa(r.Failures)},
	}
	blocks := []slackBlock{header("✅ mobu: " + r.Flock + " recovered")}
	blocks = append(blocks, fieldSections(fields)...)
	return slackMessage{Text: resolvedFallback(r), Blocks: blocks}
}

func resolvedFallback(r Resolution) string {
	what := join(" ", r.Notebook, cellPlain(r.CellID, r.CellNumber), paren(r.ErrorType))
	after := fmt.Sprintf("after %s, %s", formatDuration(r.Duration()), count(r.Failures, "failure"))
	return escapeHead(join(": ", "mobu: "+r.Flock+" recovered", what, after), fallbackLimit)
}

// slackStatus renders the status report: header, one line per flock (in
// as many sections as needed), the overall line and the time.
func slackStatus(m Message) slackMessage {
	s := m.Status
	blocks := []slackBlock{header("📊 " + statusTitle(s))}
	lines := make([]string, 0, len(s.Flocks))
	for _, f := range s.Flocks {
		lines = append(lines, statusLine(f))
	}
	if len(lines) == 0 {
		lines = append(lines, "No flocks.")
	}
	for _, text := range packLines(lines, slackTextLimit) {
		blocks = append(blocks, section(text))
	}
	total := s.Total()
	blocks = append(blocks, section(statusLine(total)))
	if !m.At.IsZero() {
		blocks = append(blocks, contextBlock("As of "+formatTime(m.At)))
	}
	return slackMessage{Text: statusFallback(s, total), Blocks: blocks}
}

// statusLine is "*name* (business): 3 monkeys, 120 successes, 2 failures,
// 98.36% success".
func statusLine(f FlockStatus) string {
	monkeys := count(f.Monkeys, "monkey")
	if f.Errors > 0 {
		monkeys += fmt.Sprintf(" (%d in error)", f.Errors)
	}
	name := join(" ", "*"+plain(f.Name)+"*", paren(f.Business))
	return fmt.Sprintf("%s: %s, %s, %s, %s", name, monkeys,
		count64(f.Successes, "success"), count64(f.Failures, "failure"), rateText(f))
}

func rateText(f FlockStatus) string {
	rate, ok := f.SuccessRate()
	if !ok {
		return "no runs yet"
	}
	return percent(rate, f.Failures > 0) + "% success"
}

// percent is rate as a percentage with two decimals, as Python mobu shows
// it: with any failure never rounded up to 100 (99.999 → 99.99).
func percent(rate float64, failed bool) string {
	s := strconv.FormatFloat(rate*100, 'f', 2, 64)
	if failed && s == "100.00" {
		return "99.99"
	}
	return s
}

func statusFallback(s Status, total FlockStatus) string {
	summary := fmt.Sprintf("%s, %s, %s", count(len(s.Flocks), "flock"),
		count64(total.Successes, "success"), count64(total.Failures, "failure"))
	return escapeHead(join(": ", statusTitle(s), summary), fallbackLimit)
}

// statusTitle is "mobu status: idfprod (replica 2 of 3)".
func statusTitle(s Status) string {
	return join(" ", join(": ", "mobu status", s.Environment), paren(s.replica()))
}

// packLines joins lines with newlines into texts of at most limit
// characters; a longer line is cut.
func packLines(lines []string, limit int) []string {
	var texts []string
	var b strings.Builder
	for _, l := range lines {
		l = cutHead(l, limit)
		if b.Len() > 0 && runes(b.String())+1+runes(l) > limit {
			texts = append(texts, b.String())
			b.Reset()
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l)
	}
	if b.Len() > 0 {
		texts = append(texts, b.String())
	}
	return texts
}

// count is "1 monkey", "2 monkeys"; "success" becomes "successes".
func count(n int, noun string) string { return count64(int64(n), noun) }

func count64(n int64, noun string) string {
	if n != 1 {
		if strings.HasSuffix(noun, "s") {
			noun += "es"
		} else {
			noun += "s"
		}
	}
	return strconv.FormatInt(n, 10) + " " + noun
}
