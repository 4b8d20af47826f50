package main

import (
	"testing"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/flock"
)

// The daily status covers one replica's monkeys, so it must say which.
func TestAlertStatusNamesItsReplica(t *testing.T) {
	m := flock.NewManager(flock.Options{ReplicaIndex: 1, ReplicaCount: 3})
	st := alertStatus(m, "idfdev", &config.Config{ReplicaIndex: 1, ReplicaCount: 3})
	if st.Environment != "idfdev" || st.ReplicaIndex != 1 || st.ReplicaCount != 3 || len(st.Flocks) != 0 {
		t.Fatalf("status %+v, want idfdev, replica index 1 of 3, no flocks", st)
	}
}
