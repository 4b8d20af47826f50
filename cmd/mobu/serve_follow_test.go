package main

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"
)

const followSpec = `{"name":"tail","count":1,"user_spec":{"username_prefix":"bot-mobu-tail"},` +
	`"business":{"type":"EmptyLoop","options":{"idle_time":0.05}}}`

// followLog starts `GET …/log?follow=true` on the service's tail flock and
// returns the body once the headers arrived; ended reports how reading the
// rest of it ended.
func followLog(t *testing.T, s *runningService) (ended <-chan error) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.api.StartFlock(ctx, []byte(followSpec)); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/flocks/tail/monkeys/bot-mobu-tail1/log?follow=true", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("follow: status %d", resp.StatusCode)
	}
	done := make(chan error, 1)
	go func() {
		defer resp.Body.Close()
		_, err := io.Copy(io.Discard, resp.Body) // a cut connection is an error; a finished chunked body is not
		done <- err
	}()
	return done
}

func waitEnded(t *testing.T, what string, ended <-chan error, limit time.Duration) {
	t.Helper()
	select {
	case err := <-ended:
		if err != nil {
			t.Fatalf("%s: the follow response did not end cleanly: %v", what, err)
		}
	case <-time.After(limit):
		t.Fatalf("%s: the follow response did not end within %s", what, limit)
	}
}

// TestServeShutdownEndsLogFollowers: SIGTERM while someone follows a monkey
// log still exits cleanly and promptly (well before the grace period's tenth
// for the HTTP server runs out), and the follower sees its response end.
func TestServeShutdownEndsLogFollowers(t *testing.T) {
	s := startService(t, map[string]string{}, "shutdownGracePeriod: 10m\n")
	ended := followLog(t, s)
	s.cancel()
	select {
	case err := <-s.done:
		s.done <- err
		if err != nil {
			t.Fatalf("mobu serve exited with %v while a log was followed:\n%s", err, s.logs)
		}
	case <-time.After(30 * time.Second): // the HTTP server alone would have waited 60 s
		t.Fatalf("mobu serve did not exit promptly while a log was followed:\n%s", s.logs)
	}
	waitEnded(t, "shutdown", ended, 10*time.Second)
}

// TestServeDeleteEndsLogFollowers: deleting the flock ends its monkeys'
// log followers; the service keeps running.
func TestServeDeleteEndsLogFollowers(t *testing.T) {
	s := startService(t, map[string]string{}, "shutdownGracePeriod: 10m\n")
	ended := followLog(t, s)
	if err := s.api.StopFlock(context.Background(), "tail"); err != nil {
		t.Fatal(err)
	}
	waitEnded(t, "delete", ended, 30*time.Second)
	if err := s.stop(t); err != nil {
		t.Fatalf("mobu serve exited with %v:\n%s", err, s.logs)
	}
}
