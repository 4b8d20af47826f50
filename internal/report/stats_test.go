package report

import (
	"testing"
	"time"
)

func TestQuantile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	tests := []struct {
		in   []time.Duration
		q    float64
		want time.Duration
	}{
		{nil, 0.5, 0},
		{ms(7), 0.95, 7 * time.Millisecond},
		{ms(5, 1, 3), 0.5, 3 * time.Millisecond},
		{ms(1, 2, 3, 4), 0.5, 2500 * time.Microsecond},
		{ms(10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160, 170, 180, 190, 200, 210), 0.95, 200 * time.Millisecond},
		{ms(1, 2), 1, 2 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := Quantile(tt.in, tt.q); got != tt.want {
			t.Errorf("Quantile(%v, %v) = %v, want %v", tt.in, tt.q, got, tt.want)
		}
	}
	in := ms(3, 1, 2)
	Quantile(in, 0.5)
	if in[0] != 3*time.Millisecond {
		t.Error("Quantile sorted its input in place")
	}
	if Mean(ms(1, 2, 6)) != 3*time.Millisecond || Mean(nil) != 0 {
		t.Error("Mean wrong")
	}
}
