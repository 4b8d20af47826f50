package jupyter

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/testnublado"
)

// BenchmarkNubladoUserMemory logs bot users in through the Nublado fake in
// front of the real hub and keeps them, as a flock keeps its monkeys between
// cells, then reports the heap each logged-in user holds: its browser (cookie
// jar with the hub's cookies, XSRF tokens, http.Client on the shared
// transport) and its driver state. Run with -benchtime=Nx to fix the count.
func BenchmarkNubladoUserMemory(b *testing.B) {
	_, n := newNubladoFake(b, testnublado.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var users []*NubladoUser
	before := heapInUse()
	start := time.Now()
	for i := 0; b.Loop(); i++ {
		u := nubladoUser(n, fmt.Sprintf("bot-mobu-mem%05d", i), NubladoOptions{})
		if err := u.Login(ctx); err != nil {
			b.Fatal(err)
		}
		users = append(users, u)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	after := heapInUse()
	b.ReportMetric(float64(after-before)/float64(len(users)), "heapB/user")
	b.ReportMetric(float64(elapsed.Milliseconds())/float64(len(users)), "ms/login")
	runtime.KeepAlive(users)
}

// heapInUse is the live heap after a full collection.
func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
