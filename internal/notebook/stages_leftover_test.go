package notebook

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mobu-dev/mobu/internal/events"
)

// probeLab is a fakeLab that can tell whether its lab is running.
type probeLab struct {
	*fakeLab
	running bool
	err     error
}

func (l probeLab) LabRunning(context.Context) (bool, error) {
	l.call("probe")
	return l.running, l.err
}

// TestDeleteLeftoverLab: the leftover delete runs (and publishes its lab
// delete event) only for a lab the driver reports running, or when the
// driver cannot tell; a failed probe fails without a delete or an event.
func TestDeleteLeftoverLab(t *testing.T) {
	for _, tc := range []struct {
		name           string
		lab            func(*fakeLab) Lab
		calls, wantErr string
		events         int
	}{
		{"running", func(f *fakeLab) Lab { return probeLab{fakeLab: f, running: true} }, "probe delete", "", 1},
		{"not running", func(f *fakeLab) Lab { return probeLab{fakeLab: f} }, "probe", "", 0},
		{"probe fails", func(f *fakeLab) Lab { return probeLab{fakeLab: f, err: errors.New("reading user: 503")} },
			"probe", "checking for a leftover lab: reading user: 503", 0},
		{"driver cannot tell", func(f *fakeLab) Lab { return f }, "delete", "", 1},
		{"delete fails", func(f *fakeLab) Lab {
			f.fail = map[string]error{"delete": errors.New("hub: 500")}
			return probeLab{fakeLab: f, running: true}
		}, "probe delete", "deleting a leftover lab: hub: 500", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, rec := &fakeLab{}, &recorder{t: t}
			s := &Stages{Lab: tc.lab(f), Publisher: rec, Meta: Meta{Business: "NotebookRunnerList", Username: "bot-mobu-t"}}
			err := s.DeleteLeftoverLab(context.Background())
			if got := strings.Join(f.calls, " "); got != tc.calls {
				t.Errorf("calls %q, want %q", got, tc.calls)
			}
			if (err == nil) != (tc.wantErr == "") || (err != nil && err.Error() != tc.wantErr) {
				t.Errorf("error %v, want %q", err, tc.wantErr)
			}
			n := 0
			for _, e := range rec.evs {
				if e.Name() == events.NameDeleteLab {
					n++
				}
			}
			if n != tc.events || len(rec.evs) != n {
				t.Errorf("%d lab delete events of %d, want %d", n, len(rec.evs), tc.events)
			}
		})
	}
}
