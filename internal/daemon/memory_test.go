package daemon

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"testing"
)

// TestHeapGoalAboveLiveHeap: whatever the limit's arithmetic, what the
// collector sees is its heap goal, and that must be the live heap plus
// the headroom (a fifth, at least minHeadroom), also when the heap is
// fragmented, as it is after a flood's batch detail is released: partly
// filled spans whose unused bytes the runtime counts as not heap. With
// those bytes off the headroom the goal fell to the live heap and the
// collector ran back to back.
func TestHeapGoalAboveLiveHeap(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(prev)
	defer debug.SetGCPercent(debug.SetGCPercent(-1)) // the limit alone sets the goal
	goal := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
	for _, tc := range []struct {
		name        string
		mb, keep1of int
	}{
		{"compact", 60, 1},
		{"compact large", 100, 1},
		// 256-byte objects, one in four kept: every span stays in use
		// with three quarters of it unused, above the floor of the limit.
		{"fragmented", 160, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var held [][256]byte
			var all []*[256]byte
			if tc.keep1of == 1 {
				held = make([][256]byte, tc.mb<<20/256)
			} else {
				all = make([]*[256]byte, tc.mb<<20/256)
				for i := range all {
					all[i] = new([256]byte)
				}
				for i := range all {
					if i%tc.keep1of != 0 {
						all[i] = nil
					}
				}
			}
			// Collected, and free pages handed back: pages freed and not
			// yet returned count against the limit until the scavenger
			// gets to them, which is what the daemon's releaseMemory does
			// after a big expiry.
			debug.FreeOSMemory()
			m := newMemoryLimiter(20)
			m.adjust()
			metrics.Read(goal)
			live := int64(m.sample[0].Value.Uint64())
			got := int64(goal[0].Value.Uint64())
			unused := int64(goal[1].Value.Uint64())
			if tc.keep1of > 1 && unused < 20<<20 {
				t.Fatalf("only %d MB of the heap unused: the fragmentation this case is about was not made", unused>>20)
			}
			want := live + max(live/5, minHeadroom)
			// A per cent of slack: the runtime rounds its reserve.
			if got < want-want/100 || got > want+want/50 {
				t.Errorf("heap goal %.1f MB with %.1f MB live and %.1f MB of spans unused, want %.1f MB",
					float64(got)/(1<<20), float64(live)/(1<<20), float64(unused)/(1<<20), float64(want)/(1<<20))
			}
			runtime.KeepAlive(held)
			runtime.KeepAlive(all)
		})
	}
}

// adviceLog is an Advisor that keeps what it was told.
type adviceLog []bool

func (a *adviceLog) Advise(on bool) { *a = append(*a, on) }

// TestFloodPagesWhileTheTrackerGrows: huge pages are asked for once the
// tracker gains floodSources sources within a CHECK_INTERVAL, once, and
// no longer from the first tick after which it gained fewer.
func TestFloodPagesWhileTheTrackerGrows(t *testing.T) {
	d, tr := loopless(nil)
	var said adviceLog
	d.cfg.HugePages = &said
	next := 0
	feed := func(n int) { // n new sources, drained 1024 lines at a time
		var buf []byte
		for i := range n {
			buf = floodLine(buf[:0], next)
			next++
			d.pl.Process(buf)
			if i%1024 == 1023 || i == n-1 {
				d.floodPages(false)
			}
		}
	}
	expect := func(when string, want ...bool) {
		t.Helper()
		if !slices.Equal(said, want) {
			t.Fatalf("%s (%d sources): advice %v, want %v", when, tr.Sources(), said, want)
		}
	}
	feed(floodSources - 1)
	expect("a busy interval short of a flood")
	d.floodPages(true)
	feed(floodSources + 800)
	expect("a flood's worth in one interval", true)
	feed(3000)
	d.floodPages(true)
	expect("a tick while the flood goes on", true)
	feed(100)
	d.floodPages(true)
	expect("a tick after the flood", true, false)
	d.floodPages(true)
	feed(floodSources)
	expect("a second flood", true, false, true)
}
