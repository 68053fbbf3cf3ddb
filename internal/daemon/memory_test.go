package daemon

import (
	"runtime"
	"runtime/debug"
	"testing"
)

// TestMemoryLimitAboveLiveHeap: the limit is the live heap plus its
// headroom (a fifth, at least minHeadroom) plus the runtime's memory
// besides the heap, so the heap itself gets its whole headroom.
func TestMemoryLimitAboveLiveHeap(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(prev)
	for _, mb := range []int{60, 100} {
		live := make([][]byte, mb)
		for i := range live {
			live[i] = make([]byte, 1<<20)
		}
		runtime.GC()
		m := newMemoryLimiter(20)
		m.adjust()
		limit := debug.SetMemoryLimit(-1)
		heapLive := int64(m.sample[0].Value.Uint64())
		if heapLive < int64(mb)<<20 {
			t.Fatalf("live heap %d, want at least the %d MB held", heapLive, mb)
		}
		v := func(i int) int64 { return int64(m.sample[i].Value.Uint64()) }
		other := v(1) - v(2) - v(3) - v(4) - v(5)
		if other <= 0 || other > 64<<20 {
			t.Fatalf("the runtime's memory besides the heap: %d bytes", other)
		}
		if room, want := limit-heapLive-other, max(heapLive/5, minHeadroom); room != want {
			t.Errorf("%d MB held: headroom %d MB above %d MB live (and %d MB of the runtime's own), want %d MB",
				mb, room>>20, heapLive>>20, other>>20, want>>20)
		}
		runtime.KeepAlive(live)
	}
}
