package notebook

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestLabSessionSpans: a leftover lab's delete is a lab delete span in the
// session the login began, which goes on to the spawn and ends with the
// lab delete; EndSession ends a session no delete ended.
func TestLabSessionSpans(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps func(context.Context, *Stages)
		want  string // spans as name<parent>ended/errored, one trace each ";"
	}{
		{"leftover delete, spawn, delete", func(ctx context.Context, s *Stages) {
			s.Login(ctx)
			s.DeleteLeftoverLab(ctx)
			s.Spawn(ctx, 0)
			s.DeleteLab(ctx)
		}, "lab session<>true/false login<lab session>true/false lab delete<lab session>true/false " +
			"spawn<lab session>true/false lab delete<lab session>true/false"},
		{"ended without a delete", func(ctx context.Context, s *Stages) {
			s.Login(ctx)
			s.DeleteLeftoverLab(ctx)
			s.EndSession(errors.New("logout failed"))
			s.EndSession(nil) // nothing open: no-op
		}, "lab session<>true/true login<lab session>true/false lab delete<lab session>true/false"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, rec := &spanRecorder{}, &recorder{t: t}
			s := &Stages{Lab: &fakeLab{kernel: &scriptKernel{}}, Publisher: rec, Tracer: tr,
				Meta: Meta{Business: "NotebookRunnerList", Username: "bot-mobu-t"}}
			tc.steps(context.Background(), s)
			var got []string
			for _, sp := range tr.spans {
				if sp.trace != tr.spans[0].trace {
					t.Errorf("span %s in trace %s, want the one session %s", sp.name, sp.trace, tr.spans[0].trace)
				}
				got = append(got, fmt.Sprintf("%s<%s>%v/%v", sp.name, sp.parent, sp.ended, sp.errored))
			}
			if strings.Join(got, " ") != tc.want {
				t.Fatalf("spans\n%s\nwant\n%s", strings.Join(got, " "), tc.want)
			}
		})
	}
}
