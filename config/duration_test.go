package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{in: "300", want: 300 * time.Second},
		{in: "1.5", want: 1500 * time.Millisecond},
		{in: "5m30s", want: 5*time.Minute + 30*time.Second},
		{in: "1h", want: time.Hour},
		{in: "4h 3minutes", want: 4*time.Hour + 3*time.Minute},
		{in: "2weeks 1d", want: 15 * 24 * time.Hour},
		{in: "1000s", want: 1000 * time.Second},
		{in: "10 sec", want: 10 * time.Second},
		{in: "250ms", want: 250 * time.Millisecond},
		{in: "", err: "empty duration"},
		{in: "-5", err: `invalid duration "-5": must be a non-negative number of seconds`},
		{in: "5 parsecs", err: `invalid duration "5 parsecs": want seconds or a form like 5m30s, 1h, 2d`},
		{in: "30s 5m", err: `invalid duration "30s 5m"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDuration(tt.in)
			if tt.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.err) {
					t.Fatalf("ParseDuration(%q) error = %v, want prefix %q", tt.in, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestDurationYAMLAndJSON(t *testing.T) {
	var v struct {
		A Duration `yaml:"a"`
		B Duration `yaml:"b"`
	}
	if err := yaml.Unmarshal([]byte("a: 90\nb: \"1h\"\n"), &v); err != nil {
		t.Fatal(err)
	}
	if v.A.D() != 90*time.Second || v.B.D() != time.Hour {
		t.Fatalf("got %v %v", v.A, v.B)
	}
	if err := yaml.Unmarshal([]byte("a: [1]\n"), &v); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("list duration error = %v", err)
	}
	out, err := json.Marshal(v)
	if err != nil || string(out) != `{"A":90,"B":3600}` {
		t.Fatalf("json = %s, %v", out, err)
	}
	var back struct{ A, B Duration }
	if err := json.Unmarshal([]byte(`{"A":"5m","B":2.5}`), &back); err != nil {
		t.Fatal(err)
	}
	if back.A.D() != 5*time.Minute || back.B.D() != 2500*time.Millisecond {
		t.Fatalf("json back = %v %v", back.A, back.B)
	}
}

func TestSecretRedacts(t *testing.T) {
	s := Secret("hunter2")
	var sb strings.Builder
	log := slog.New(slog.NewJSONHandler(&sb, nil))
	log.Info("x", "token", s)
	slog.New(slog.NewTextHandler(&sb, nil)).Info("y", "token", s)
	j, _ := json.Marshal(struct{ T Secret }{s})
	sb.Write(j)
	fmt.Fprintf(&sb, "%v %s %#v %+v", s, s, s, struct{ T Secret }{s})
	if strings.Contains(sb.String(), "hunter2") {
		t.Fatalf("secret leaked: %s", sb.String())
	}
	if s.Reveal() != "hunter2" || Secret("").String() != "" {
		t.Fatal("reveal broken")
	}
}
