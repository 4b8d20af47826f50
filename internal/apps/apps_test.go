package apps

import (
	"context"
	"errors"
	"reflect"
	"testing"
)

func TestStatic(t *testing.T) {
	tests := []struct {
		name string
		s    Static
		want map[string]bool
		err  string
	}{
		{"nil", nil, map[string]bool{}, ""},
		{"names", Static{"tap", "portal", "tap"}, map[string]bool{"tap": true, "portal": true}, ""},
		{"empty name", Static{"tap", ""}, nil, "static applications: entry 2 is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.s.Applications(t.Context())
			checkResult(t, got, err, tt.want, tt.err)
		})
	}
}

func TestSourcesImplementSource(t *testing.T) {
	for _, s := range []Source{Static(nil), PhalanxFiles{}, Discovery{}} {
		if s == nil {
			t.Errorf("nil source")
		}
	}
}

func TestStaticCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := Static{"tap"}.Applications(ctx)
	if err == nil || err.Error() != "static applications: context canceled" || !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want static applications: context canceled", err)
	}
}

func TestStaticReturnsNewMap(t *testing.T) {
	s := Static{"tap"}
	first, _ := s.Applications(t.Context())
	first["tap"] = false
	if second, _ := s.Applications(t.Context()); !second["tap"] {
		t.Errorf("changing one result changed the next: %v", second)
	}
}

// checkResult compares a Source's answer with the wanted map or error
// (the full message; "" for none).
func checkResult(t *testing.T, got map[string]bool, err error, want map[string]bool, wantErr string) {
	t.Helper()
	if wantErr != "" {
		if err == nil || err.Error() != wantErr {
			t.Errorf("error:\n got %v\nwant %s", err, wantErr)
		}
		if got != nil {
			t.Errorf("got %v with the error, want nil", got)
		}
		return
	}
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	if got == nil || !reflect.DeepEqual(got, want) {
		t.Errorf("applications:\n got %v\nwant %v", got, want)
	}
}
