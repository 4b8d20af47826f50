package kafka

import (
	"encoding/binary"
	"fmt"
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/mobu-dev/mobu/internal/events"
)

func TestRoundTripEveryEvent(t *testing.T) {
	for _, suffix := range []string{"", "_dev"} {
		t.Run("suffix="+suffix, func(t *testing.T) {
			cluster := newCluster(t, kfake.SeedTopics(1, testTopic))
			reg := newFakeRegistry(t)
			cfg := testConfig(t, cluster, reg)
			cfg.SubjectSuffix = suffix
			evs, ctx := deliverAll(t, cfg, ""), testCtx(t)

			for i, line := range tailLines(t, cfg, len(evs)) {
				if want := jsonLine(t, evs[i]); line != want {
					t.Errorf("event %d (%s):\n got %s\nwant %s", i, evs[i].Name(), line, want)
				}
			}

			cl := srClient(t, reg)
			ids := map[string]int{}
			for _, e := range evs {
				subject := testTopic + "." + e.Name() + suffix
				ss, err := cl.SchemaByVersion(ctx, subject, -1)
				if err != nil {
					t.Fatalf("subject %s not registered: %v", subject, err)
				}
				ids[e.Name()] = ss.ID
				compat := cl.Compatibility(ctx, subject)
				if compat[0].Err != nil || compat[0].Level != sr.CompatNone {
					t.Errorf("subject %s compatibility = %v (%v), want NONE", subject, compat[0].Level, compat[0].Err)
				}
			}
			for i, rec := range tailRaw(t, cfg, len(evs)) {
				e := evs[i]
				if string(rec.key) != e.Common().Username {
					t.Errorf("event %d key = %q, want the username %q", i, rec.key, e.Common().Username)
				}
				if len(rec.value) < 5 || rec.value[0] != 0 || int(binary.BigEndian.Uint32(rec.value[1:5])) != ids[e.Name()] {
					t.Errorf("event %d value starts % x, want 00 + schema id %d", i, rec.value[:min(5, len(rec.value))], ids[e.Name()])
				}
			}
		})
	}
}

func TestJSONEncodingRoundTrip(t *testing.T) {
	cluster := newCluster(t, kfake.SeedTopics(1, testTopic))
	cfg := testConfig(t, cluster, nil)
	sink := openSink(t, cfg)
	evs := allEvents()
	if err := sink.Write(testCtx(t), evs); err != nil {
		t.Fatalf("Write: %v", err)
	}
	for i, line := range tailLines(t, cfg, len(evs)) {
		if want := jsonLine(t, evs[i]); line != want {
			t.Errorf("event %d:\n got %s\nwant %s", i, line, want)
		}
	}
	for i, rec := range tailRaw(t, cfg, len(evs)) {
		if want := jsonLine(t, evs[i]); string(rec.value) != want || string(rec.key) != evs[i].Common().Username {
			t.Errorf("record %d = %q / %s, want key %q, value %s", i, rec.key, rec.value, evs[i].Common().Username, want)
		}
	}
}

// One user's events stay in one partition, in order, whatever the others do.
func TestKeyKeepsUserOrder(t *testing.T) {
	cluster := newCluster(t, kfake.SeedTopics(4, testTopic))
	cfg := testConfig(t, cluster, newFakeRegistry(t))
	sink := openSink(t, cfg)
	var evs []events.Event
	for i := range 60 {
		evs = append(evs, &events.EmptyLoop{Base: base(i, fmt.Sprintf("bot-mobu-%d", i%6), "f"), Success: true})
	}
	ctx := testCtx(t)
	for chunk := range slices.Chunk(evs, 7) {
		if err := sink.Write(ctx, chunk); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	users := map[string]int{} // user → partition
	partitions := map[int]bool{}
	for _, rec := range tailRaw(t, cfg, len(evs)) {
		if p, ok := users[string(rec.key)]; ok && p != rec.partition {
			t.Errorf("user %s in partitions %d and %d", rec.key, p, rec.partition)
		}
		users[string(rec.key)] = rec.partition
		partitions[rec.partition] = true
	}
	if len(users) != 6 || len(partitions) < 2 {
		t.Errorf("got %d users over %d partitions, want 6 users over several partitions", len(users), len(partitions))
	}
	// Records of one partition come in offset order, and the writer appends a
	// user's events in publication order: check through the decoded lines.
	lines := tailLines(t, cfg, len(evs))
	last := map[string]string{}
	for _, line := range lines {
		var user, id string
		for _, e := range evs {
			if jsonLine(t, e) == line {
				user, id = e.Common().Username, e.Common().ID
			}
		}
		if user == "" {
			t.Fatalf("line matches no event: %s", line)
		}
		if id <= last[user] {
			t.Errorf("user %s: event %s after %s", user, id, last[user])
		}
		last[user] = id
	}
}
