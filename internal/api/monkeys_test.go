package api_test

import (
	"bufio"
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/mobu-dev/mobu/internal/api"
)

const logPath = "/mobu/flocks/test/monkeys/bot-mobu-test1/log"

var (
	disposition = regexp.MustCompile(`^attachment; filename="test-bot-mobu-test1-\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"$`)
	iteration   = regexp.MustCompile(`empty loop iteration .*\bn=(\d+)`)
)

// maxIteration is the highest iteration number in a log.
func maxIteration(t *testing.T, log string) int {
	t.Helper()
	n := -1
	for _, m := range iteration.FindAllStringSubmatch(log, -1) {
		i, err := strconv.Atoi(m[1])
		if err != nil {
			t.Fatal(err)
		}
		n = max(n, i)
	}
	return n
}

func TestMonkeyLog(t *testing.T) {
	s := newServer(t, api.Options{})
	s.startFlock()
	var r response
	waitFor(t, "a logged iteration", func() bool {
		r = s.mustDo(http.MethodGet, logPath, "", http.StatusOK)
		return maxIteration(t, string(r.body)) > 0
	})
	if ct := r.header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := r.header.Get("Content-Disposition"); !disposition.MatchString(cd) {
		t.Errorf("Content-Disposition %q", cd)
	}
	if cl := r.header.Get("Content-Length"); cl != "" {
		t.Errorf("Content-Length %q", cl)
	}
	line, _, _ := strings.Cut(string(r.body), "\n")
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d `).MatchString(line) {
		t.Errorf("line %q", line)
	}
	s.mustDo(http.MethodGet, logPath+"?follow=maybe", "", http.StatusUnprocessableEntity)
}

// TestMonkeyLogFollow shows a line logged after the follow started arriving
// on the followed stream.
func TestMonkeyLogFollow(t *testing.T) {
	s := newServer(t, api.Options{})
	s.startFlock()
	waitFor(t, "a logged iteration", func() bool {
		return maxIteration(t, string(s.mustDo(http.MethodGet, logPath, "", 200).body)) > 0
	})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+logPath+"?follow=true", nil)
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !disposition.MatchString(resp.Header.Get("Content-Disposition")) {
		t.Fatalf("status %d, headers %v", resp.StatusCode, resp.Header)
	}
	lines := bufio.NewScanner(resp.Body)
	if !lines.Scan() {
		t.Fatalf("no first line: %v", lines.Err())
	}
	// Everything logged up to now is retained; a higher number must have
	// been streamed.
	seen := maxIteration(t, string(s.mustDo(http.MethodGet, logPath, "", 200).body))
	for lines.Scan() {
		if maxIteration(t, lines.Text()) > seen {
			cancel()
			return
		}
	}
	t.Fatalf("stream ended without a new line: %v", lines.Err())
}

func TestNotFound(t *testing.T) {
	s := newServer(t, api.Options{})
	s.startFlock()
	flockMissing := `{"detail":[{"loc":["path","flock"],"msg":"Flock nope not found","type":"flock_not_found"}]}`
	monkeyMissing := `{"detail":[{"loc":["path","monkey"],"msg":"Monkey bot-mobu-x not found","type":"monkey_not_found"}]}`
	tests := []struct{ method, path, want string }{
		{"GET", "/mobu/flocks/nope", flockMissing},
		{"DELETE", "/mobu/flocks/nope", flockMissing},
		{"POST", "/mobu/flocks/nope/refresh", flockMissing},
		{"POST", "/mobu/flocks/nope/pause", flockMissing},
		{"POST", "/mobu/flocks/nope/resume", flockMissing},
		{"GET", "/mobu/flocks/nope/summary", flockMissing},
		{"GET", "/mobu/flocks/nope/monkeys", flockMissing},
		{"GET", "/mobu/flocks/nope/monkeys/bot-mobu-x", flockMissing},
		{"GET", "/mobu/flocks/nope/monkeys/bot-mobu-x/log", flockMissing},
		{"GET", "/mobu/flocks/test/monkeys/bot-mobu-x", monkeyMissing},
		{"GET", "/mobu/flocks/test/monkeys/bot-mobu-x/log", monkeyMissing},
		{"GET", "/mobu/nowhere", `{"detail":"Not Found"}`},
		{"GET", "/elsewhere", `{"detail":"Not Found"}`},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			r := s.mustDo(tt.method, tt.path, "", http.StatusNotFound)
			sameJSON(t, r.body, tt.want)
		})
	}
}
