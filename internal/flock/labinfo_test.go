package flock

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/config"
)

func TestLabInfo(t *testing.T) {
	nublado := map[string]string{"JUPYTER_IMAGE_SPEC": "registry/sciplat-lab:w_2026_40",
		"IMAGE_DESCRIPTION": "Weekly 2026_40", "KUBERNETES_NODE_NAME": "node-7"}
	tests := []struct {
		name      string
		env       map[string]string
		getNode   bool
		wantImage *LabImage
		wantNode  string
	}{
		{"nublado", nublado, true, &LabImage{"registry/sciplat-lab:w_2026_40", "Weekly 2026_40"}, "node-7"},
		{"get_node false", nublado, false, &LabImage{"registry/sciplat-lab:w_2026_40", "Weekly 2026_40"}, ""},
		{"plain jupyterhub", map[string]string{"JUPYTER_IMAGE_SPEC": "", "IMAGE_DESCRIPTION": "", "KUBERNETES_NODE_NAME": ""},
			true, nil, ""},
		{"reading fails", nil, true, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lab := &fakeLab{env: tt.env}
			env := Env{Lab: lab, Logger: slog.New(slog.DiscardHandler), Publisher: &recorder{},
				Cleanup: func(parent context.Context, d time.Duration) (context.Context, context.CancelFunc) {
					return context.WithTimeout(context.WithoutCancel(parent), d)
				}}
			opts := &config.LabOptions{GetNode: tt.getNode, JupyterTimeout: config.Duration(time.Second),
				SpawnTimeout: config.Duration(time.Second), DeleteTimeout: config.Duration(time.Second)}
			b := newLabBusiness(env, opts)
			ctx := context.Background()
			if err := b.ensureLab(ctx); err != nil {
				t.Fatal(err)
			}
			for range 2 {
				sess, err := b.openSession(ctx, "nb.ipynb")
				if err != nil {
					t.Fatalf("a lab info failure must not fail the session: %v", err)
				}
				b.closeSession(ctx, sess, "nb.ipynb")
			}
			st := b.Status()
			if (st.Image == nil) != (tt.wantImage == nil) || (st.Image != nil && *st.Image != *tt.wantImage) || st.Node != tt.wantNode {
				t.Errorf("status image %+v node %q, want %+v %q", st.Image, st.Node, tt.wantImage, tt.wantNode)
			}
			if n := lab.infoReads.Load(); n != 1 {
				t.Errorf("lab info read %d times over two sessions, want once per spawn", n)
			}
			if err := b.deleteLab(); err != nil {
				t.Fatal(err)
			}
			if st := b.Status(); st.Image != nil || st.Node != "" {
				t.Errorf("after delete: image %+v node %q, want none", st.Image, st.Node)
			}
			b.ensureLab(ctx)
			sess, _ := b.openSession(ctx, "nb.ipynb")
			b.closeSession(ctx, sess, "nb.ipynb")
			if n := lab.infoReads.Load(); n != 2 {
				t.Errorf("lab info read %d times after a respawn, want 2", n)
			}
		})
	}
}
