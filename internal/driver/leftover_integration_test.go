package driver

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/events"
	"github.com/mobu-dev/mobu/internal/notebook"
	"github.com/mobu-dev/mobu/internal/testnublado"
)

// eventLog is a notebook.Publisher keeping event names.
type eventLog struct {
	mu    sync.Mutex
	names []string
}

func (e *eventLog) Publish(ev events.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.names = append(e.names, ev.Name())
}

func (e *eventLog) count(name string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return strings.Count(" "+strings.Join(e.names, " ")+" ", " "+name+" ")
}

// TestLeftoverLabDeleteOnlyWhenRunning drives a monkey's startup (login,
// leftover delete) on a real hub through each driver: a fresh start finds
// no lab and publishes no lab delete event; after a start that spawned and
// "crashed" (never deleted its lab), the next start deletes it: one event.
func TestLeftoverLabDeleteOnlyWhenRunning(t *testing.T) {
	hub := testHub.Get(t)
	for _, tc := range []struct {
		name string
		labs func(t *testing.T) (func() notebook.Lab, func() []string)
	}{
		{"jupyterhub", func(t *testing.T) (func() notebook.Lab, func() []string) {
			labs, err := Hub(&config.JupyterHub{URL: hub.URL, Token: config.Secret(hub.Token)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			return newLab(t, labs, "bot-mobu-leftover-hub"), func() []string { return nil }
		}},
		{"nublado", func(t *testing.T) (func() notebook.Lab, func() []string) {
			nb := testnublado.New(t, hub, testnublado.Options{Valid: func(tok string) (string, bool) {
				return strings.CutPrefix(tok, "tok-")
			}})
			const user = "bot-mobu-leftover-nb"
			labs, err := Nublado(RSP{Static: config.Nublado{URL: nb.URL()}, Tokens: map[string]string{user: "tok-" + user}})
			if err != nil {
				t.Fatal(err)
			}
			return newLab(t, labs, user), nb.Violations
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lab, violations := tc.labs(t)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			first, firstLog := startup(ctx, t, lab())
			if n := firstLog.count(events.NameDeleteLab); n != 0 {
				t.Fatalf("fresh start: %d lab delete events (%v), want none", n, firstLog.names)
			}
			release := testHub.SpawnSlot()
			err := first.Spawn(ctx, 0)
			release()
			if err != nil {
				t.Fatalf("spawn: %v", err)
			}
			// The monkey "crashes": its lab stays up. The next start deletes it.
			second, log := startup(ctx, t, lab())
			if n := log.count(events.NameDeleteLab); n != 1 {
				t.Fatalf("start after a crash: %d lab delete events (%v), want one", n, log.names)
			}
			if running, err := second.Lab.(notebook.LabProbe).LabRunning(ctx); err != nil || running {
				t.Fatalf("after the leftover delete: running %v, %v", running, err)
			}
			if v := violations(); len(v) != 0 {
				t.Errorf("violations %q", v)
			}
		})
	}
}

// newLab returns a maker of user's lab, as a fresh mobu process would.
func newLab(t *testing.T, labs func(config.User, []string, *config.LabOptions) (notebook.Lab, error), user string) func() notebook.Lab {
	return func() notebook.Lab {
		l, err := labs(config.User{Username: user}, nil, &config.LabOptions{Image: config.Image{Class: "recommended", Size: "Large"}})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
}

// startup is a lab business's startup: login, then the leftover delete.
func startup(ctx context.Context, t *testing.T, l notebook.Lab) (*notebook.Stages, *eventLog) {
	t.Helper()
	log := &eventLog{}
	s := &notebook.Stages{Lab: l, Publisher: log, Meta: notebook.Meta{Business: "NotebookRunnerList"}}
	if err := s.Login(ctx); err != nil {
		t.Fatalf("login: %v", err)
	}
	if err := s.DeleteLeftoverLab(ctx); err != nil {
		t.Fatalf("leftover delete: %v", err)
	}
	return s, log
}
