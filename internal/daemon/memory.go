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

// adjust sets the limit so that the runtime's heap goal is the live heap
// plus headroom.
//
// The runtime turns a limit into a heap goal by taking off everything
// mapped that holds no live object and is not free: stacks, collector
// metadata and the unused tails of partly filled spans, which after a
// flood's batches are released come to tens of megabytes. Then it keeps
// memoryLimitReserve per cent below that. Both are added back here. Left
// out, the spans' unused bytes came off the headroom, and once they were
// more than the headroom the goal was the live heap itself: the
// collector ran back to back, a core busy for as long as the state stood
// still (seen after a 100k-source flood in 3 runs of 12).
func (m *memoryLimiter) adjust() {
	metrics.Read(m.sample)
	v := func(i int) int64 { return int64(m.sample[i].Value.Uint64()) }
	live := v(0)
	// total - objects - free - released: what the runtime counts as not
	// heap, with the spans' unused bytes (v(3)) in it.
	notHeap := max(v(1)-v(2)-v(4)-v(5), 0)
	goal := live + max(live*m.headroom/100, minHeadroom)
	debug.SetMemoryLimit(max(memoryFloor, goal*100/(100-memoryLimitReserve)+notHeap))
}

// memoryLimitReserve is the share of its limit-derived heap goal the
// runtime keeps free for pacing slack (memoryLimitHeapGoalHeadroomPercent
// in its source, 3 since Go 1.21).
const memoryLimitReserve = 3

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

// Advisor turns huge pages on and off for the memory the heap grows
// into (hugepage.Region).
type Advisor interface{ Advise(on bool) }

// floodSources is how many sources the tracker must gain within one
// CHECK_INTERVAL for floodPages to ask for huge pages.
const floodSources = 8192

// floodPages asks Config.HugePages for huge pages once the tracker has
// gained floodSources sources since the last tick, and stops asking at
// the first tick (tick true) after which it gained fewer.
//
// Why: a flood's state is new memory, a page fault per 4 KB, and the
// faults were a quarter of the daemon's CPU while it read a
// 100,000-source flood (18,000 faults; 2,600-2,900 with huge pages from
// the 8,192nd source on, and daemon CPU for the read 21% lower). Asked
// for only while the heap grows that fast, huge pages leave a quiet
// daemon's memory, and what a flood leaves behind, in 4 KB pages (see
// hugepage.Region).
func (d *Daemon) floodPages(tick bool) {
	h := d.cfg.HugePages
	if h == nil {
		return
	}
	n := d.cfg.Tracker.Sources()
	grown := n - d.floodMark
	switch {
	case tick:
		if d.hugeOn && grown < floodSources {
			h.Advise(false)
			d.hugeOn = false
		}
		d.floodMark = n
	case !d.hugeOn && grown >= floodSources:
		h.Advise(true)
		d.hugeOn = true
	}
}
