package daemon

import (
	"runtime"
	"runtime/debug"
	"testing"
)

// TestMemoryLimitAboveLiveHeap: with 80 MB live the limit is the live
// heap plus the headroom plus the runtime's memory besides the heap, so
// the heap itself gets its whole headroom.
func TestMemoryLimitAboveLiveHeap(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(prev)
	live := make([][]byte, 80)
	for i := range live {
		live[i] = make([]byte, 1<<20)
	}
	runtime.GC()
	m := newMemoryLimiter(20)
	m.adjust()
	limit := debug.SetMemoryLimit(-1)
	heapLive := int64(m.sample[0].Value.Uint64())
	if heapLive < 80<<20 {
		t.Fatalf("live heap %d, want at least the 80 MB held", heapLive)
	}
	if lo, hi := heapLive+heapLive/5, heapLive+heapLive/5+64<<20; limit <= lo || limit > hi {
		t.Errorf("limit %d MB for %d MB live, want above %d MB (live + 20%% + the runtime's own) and at most %d MB",
			limit>>20, heapLive>>20, lo>>20, hi>>20)
	}
	runtime.KeepAlive(live)
}
