package main

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestBenchAgainstRealKernel runs `mobu bench` on the local hub: both clients
// run their cells on one kernel, every row of the table has numbers, and the
// lab is gone afterwards.
func TestBenchAgainstRealKernel(t *testing.T) {
	t.Parallel()
	h := testHub.Get(t)
	release := testHub.SpawnSlot()
	code, out := mobu(t, context.Background(), hubEnv(h), nil, "bench", "--user", "bot-mobu-benchtest",
		"--cells", "12", "--warmup", "2", "--code", "1+1")
	release()
	if code != 0 {
		t.Fatalf("mobu bench exit %d:\n%s", code, out)
	}
	if !strings.Contains(out, `12 cells of "1+1" on `+h.URL) {
		t.Errorf("header missing:\n%s", out)
	}
	row := regexp.MustCompile(`(?m)^\s*(mobu client round trip|kernel time|round trip − kernel|baseline client round trip)` +
		`\s+(-?[\d.]+) ms\s+(-?[\d.]+) ms\s+(-?[\d.]+) ms\s*$`)
	rows := row.FindAllStringSubmatch(out, -1)
	if len(rows) != 4 {
		t.Fatalf("want 4 timing rows (client, kernel, difference, baseline), got %d:\n%s", len(rows), out)
	}
	for _, r := range rows {
		p50, _ := strconv.ParseFloat(r[2], 64)
		if r[1] != "round trip − kernel" && p50 <= 0 {
			t.Errorf("%s p50 = %s ms, want > 0", r[1], r[2])
		}
	}
	if !strings.Contains(out, "mobu − baseline at p50:") {
		t.Errorf("comparison line missing:\n%s", out)
	}
	if labRunning(t, h, "bot-mobu-benchtest") {
		t.Error("lab still running after mobu bench")
	}
}

func TestBenchUsage(t *testing.T) {
	code, out := mobu(t, context.Background(), map[string]string{}, nil, "bench", "--cells", "5")
	if code != 2 || !strings.Contains(out, "needs --hub-url (or MOBU_HUB_URL), MOBU_HUB_TOKEN") {
		t.Fatalf("exit %d, want 2 with a usage error:\n%s", code, out)
	}
}
