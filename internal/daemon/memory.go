package daemon

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// memoryFloor is the smallest soft memory limit the daemon sets: below
// it a quiet daemon's heap is small anyway, and a tighter limit would
// only make the collector run for nothing.
const memoryFloor = 64 << 20

// memoryLimiter keeps the runtime's soft memory limit at the live heap
// plus headroom per cent (plus the runtime's own memory besides the
// heap), re-measured after every collection.
//
// Why: the collector's default lets the heap grow to twice what is live
// before collecting. Under a spoofed-source flood the tracker itself is
// most of the live heap, so the default doubled a flood's footprint.
// GOGC alone would count only the heap; the memory limit counts all the
// runtime's memory. This is a complement to keeping the state compact,
// not a replacement: a limit below what is live would only make the
// collector run without end, which is why it follows the live heap
// instead of being fixed. A GOMEMLIMIT in the environment is the
// operator's choice and turns this off.
type memoryLimiter struct {
	headroom int64
	stopped  atomic.Bool
	prev     int64
	sample   []metrics.Sample
}

// startMemoryLimiter starts following the live heap; stop restores the
// limit in force before. headroom <= 0 or a GOMEMLIMIT setting does
// nothing.
func startMemoryLimiter(headroom int) (stop func()) {
	if headroom <= 0 || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	m := newMemoryLimiter(headroom)
	m.prev = debug.SetMemoryLimit(-1)
	m.adjust()
	m.arm()
	return func() {
		m.stopped.Store(true)
		debug.SetMemoryLimit(m.prev)
	}
}

func newMemoryLimiter(headroom int) *memoryLimiter {
	return &memoryLimiter{headroom: int64(headroom),
		sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/total:bytes"},
			{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"},
			{Name: "/memory/classes/heap/free:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}}
}

// sentinel is garbage from birth: its finalizer runs after the next
// collection, which is the moment the live heap is known again.
type sentinel struct{ _ [16]byte }

func (m *memoryLimiter) arm() {
	runtime.SetFinalizer(&sentinel{}, func(*sentinel) {
		if m.stopped.Load() {
			return
		}
		m.adjust()
		m.arm()
	})
}

// adjust sets the limit to the live heap plus headroom, plus what the
// runtime holds besides the heap (stacks, collector metadata, ...). The
// limit counts all of it, and left out those 10-15 MB came off the
// headroom: under a flood the heap got a tenth, not a quarter, and the
// collector ran twice as often.
func (m *memoryLimiter) adjust() {
	metrics.Read(m.sample)
	v := func(i int) int64 { return int64(m.sample[i].Value.Uint64()) }
	live := v(0)
	other := v(1) - v(2) - v(3) - v(4) - v(5)
	debug.SetMemoryLimit(max(memoryFloor, live+max(live*m.headroom/100, minHeadroom)+max(other, 0)))
}

// releaseAfter is how many sources an expiry must forget before the
// daemon hands the freed memory back to the system at once.
const releaseAfter = 4096

// releaseMemory collects and returns free memory to the system, off the
// loop. After a flood expires the daemon is mostly idle: without this the
// next collection, and with it the return of the flood's memory, could
// wait minutes, and the resident size would stay at the flood's peak.
func (d *Daemon) releaseMemory() {
	select {
	case d.io <- debug.FreeOSMemory:
	default: // saves are behind; the next expiry or collection will do
	}
}

// minHeadroom is the least headroom above the live heap. While a flood
// builds the heap up from a few megabytes, a fifth of it would make the
// collector mark the growing heap every few megabytes; at the flood's
// peak (about 100 MB live) a fifth is above this anyway, so the peak
// resident size is the same (daemon read rate under a flood +5%).
const minHeadroom = 16 << 20
