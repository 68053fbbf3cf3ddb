package scan

import (
	"math"
	"net/netip"
	"testing"
	"unsafe"
)

// A busy log holds hundreds of thousands of pairs and sources, and their
// size decides how much memory -A touches (and faults in) per log line.
// These bounds are Go's size classes the structs were packed to fit: a
// field that pushes one over costs every pair or source the next class.
func TestStateFitsSizeClass(t *testing.T) {
	// Two cache lines: a busy log has half a million pairs, each read
	// by every packet of its source and destination.
	if n := unsafe.Sizeof(Pair{}); n > 128 {
		t.Errorf("Pair is %d bytes, over two cache lines", n)
	}
	// Three cache lines: a busy log has hundreds of thousands of
	// sources, a flood one per line.
	if n := unsafe.Sizeof(Source{}); n > 192 {
		t.Errorf("Source is %d bytes, over three cache lines", n)
	}
	// A busy log has a signature record for every fifth pair or so.
	if n := unsafe.Sizeof(SigRecord{}); n > 80 {
		t.Errorf("SigRecord is %d bytes, over 80 (its one-byte fields apart pad it)", n)
	}
	// A flood holds one Batch per new pair until its batch closes.
	if n := unsafe.Sizeof(Batch{}); n > 128 {
		t.Errorf("Batch is %d bytes, over the 128-byte size class", n)
	}
}

// What finding a source and its pair reads shares the source's first
// cache line, and what every packet writes its second (see Source);
// blocks of sources start each one on a 64-byte boundary only while a
// source's size is a multiple of 64.
func TestSourceHotLines(t *testing.T) {
	skipUnless64(t)
	var s Source
	if n := unsafe.Sizeof(s); n%64 != 0 {
		t.Errorf("Source is %d bytes, not a whole number of cache lines", n)
	}
	line := func(off, size uintptr) int {
		if off/64 != (off+size-1)/64 {
			return -1
		}
		return int(off / 64)
	}
	for _, f := range []struct {
		name      string
		off, size uintptr
		want      int
	}{
		{"Addr", unsafe.Offsetof(s.Addr), unsafe.Sizeof(s.Addr), 0},
		{"dtag", unsafe.Offsetof(s.dtag), unsafe.Sizeof(s.dtag), 0},
		{"dstOrder", unsafe.Offsetof(s.dstOrder), unsafe.Sizeof(s.dstOrder), 0},
		{"dst0", unsafe.Offsetof(s.dst0), unsafe.Sizeof(s.dst0), 0},
		{"DL", unsafe.Offsetof(s.DL), unsafe.Sizeof(s.DL), 1},
		{"Packets", unsafe.Offsetof(s.Packets), unsafe.Sizeof(s.Packets), 1},
		{"seen", unsafe.Offsetof(s.seen), unsafe.Sizeof(s.seen), 1},
		{"lastSeen", unsafe.Offsetof(s.lastSeen), unsafe.Sizeof(s.lastSeen), 1},
		{"startNo", unsafe.Offsetof(s.startNo), unsafe.Sizeof(s.startNo), 1},
		{"startDL", unsafe.Offsetof(s.startDL), unsafe.Sizeof(s.startDL), 1},
	} {
		if got := line(f.off, f.size); got != f.want {
			t.Errorf("Source.%s is in cache line %d (-1: across two), want %d", f.name, got, f.want)
		}
	}
}

func TestInc32Saturates(t *testing.T) {
	n := int32(math.MaxInt32 - 1)
	inc32(&n)
	inc32(&n)
	if n != math.MaxInt32 {
		t.Errorf("counter at %d, want it held at %d", n, int32(math.MaxInt32))
	}
}

// TestSourceBlocksAligned: sources start a cache line, from Prefault's
// blocks, from blocks the tracker makes when none is ready, and one by
// one without Prefault, so that TestSourceHotLines' lines are the lines
// the memory has; and so do pairs.
func TestSourceBlocksAligned(t *testing.T) {
	skipUnless64(t)
	check := func(tr *Tracker, n int, how string) {
		t.Helper()
		for i := range n {
			p := syn("192.0.2.1", "10.0.0.1", 22)
			p.Src = netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)})
			tr.Observe(t0, &p)
			if a := uintptr(unsafe.Pointer(tr.Source(p.Src))); a%64 != 0 {
				t.Fatalf("%s: source %d at %#x, %d bytes past a cache line", how, i, a, a%64)
			}
		}
	}
	tr := NewTracker(DefaultSettings())
	stop := tr.Prefault(true)
	check(tr, 20*sourceBlock, "Prefault's blocks")
	stop()
	tr = NewTracker(DefaultSettings())
	check(tr, 100, "one by one")
	// Pairs too, from their slabs (whole pages).
	tr = NewTracker(DefaultSettings())
	stop = tr.Prefault(false)
	for i := range 3 * pairSlab {
		p := syn("192.0.2.1", "10.0.0.1", 22)
		p.Dst = netip.AddrFrom4([4]byte{10, 2, byte(i >> 8), byte(i)})
		tr.Observe(t0, &p)
		if a := uintptr(unsafe.Pointer(tr.Source(p.Src).Dst(p.Dst))); a%64 != 0 {
			t.Fatalf("pair %d at %#x, %d bytes past a cache line", i, a, a%64)
		}
	}
	stop()
	for range 3 { // blocks the tracker made itself, kept on the heap as a slab is
		blockSink = newSourceBlock()
		b := blockSink
		if a := uintptr(unsafe.Pointer(unsafe.SliceData(b))); a%64 != 0 || cap(b) != sourceBlock {
			t.Fatalf("a new block at %#x (%d past a line) holds %d sources, want %d", a, a%64, cap(b), sourceBlock)
		}
	}
}

var blockSink []Source

// skipUnless64 skips a test of the cache-line layout, which is laid out
// for 8-byte pointers: with 4-byte ones a Source is 124 bytes and its
// fields fall elsewhere. The layout is a matter of speed only.
func skipUnless64(t *testing.T) {
	t.Helper()
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skipf("the cache-line layout is for 64-bit platforms; pointers are %d bytes here", unsafe.Sizeof(uintptr(0)))
	}
}

// TestCountsPast32Bits: the packet counts a daemon keeps for its whole
// life (per protocol, per port, per prefix, per signature, a source's
// packets and matches) go past 2^31, where an int of a 32-bit platform
// (armhf, i386) wraps: at 1,000 logged packets a second, in 25 days.
// They are int64, and survive Export and the counters' saved form.
func TestCountsPast32Bits(t *testing.T) {
	const big = math.MaxInt32
	tr := NewTracker(DefaultSettings())
	p := syn("192.0.2.1", "10.0.0.1", 22)
	tr.Observe(t0, &p)
	tr.CountPrefix([]byte("DROP"))
	c := &tr.Counters
	c.Proto[p.ProtoIndex()], c.TCPPort[22], *c.Prefix["DROP"] = big, big, big
	c.SigCount[7], c.SigSources[7] = big, big
	src := tr.Source(p.Src)
	src.Packets, src.SigCount = big, big
	tr.Observe(t0, &p)
	tr.CountPrefix([]byte("DROP"))
	c.SigCount[7]++
	c.SigSources[7]++
	src.SigCount++
	const want = int64(big) + 1
	for name, got := range map[string]int64{"Proto": c.Proto[p.ProtoIndex()], "TCPPort": c.TCPPort[22], "Prefix": *c.Prefix["DROP"],
		"SigCount": c.SigCount[7], "SigSources": c.SigSources[7], "Source.Packets": src.Packets, "Source.SigCount": src.SigCount} {
		if got != want {
			t.Errorf("%s = %d, want %d", name, got, want)
		}
	}
	st, cs := src.Export(), tr.ExportCounters()
	if st.Packets != want || st.SigCount != want || cs.Proto[p.ProtoIndex()] != want || cs.TCPPort[22] != want || cs.Prefix["DROP"] != want {
		t.Errorf("saved form: source %d/%d, counters %d/%d/%d, want %d", st.Packets, st.SigCount, cs.Proto[p.ProtoIndex()], cs.TCPPort[22], cs.Prefix["DROP"], want)
	}
	back := NewTracker(DefaultSettings())
	back.ImportCounters(cs)
	if got := back.Counters.TCPPort[22]; got != want {
		t.Errorf("imported TCPPort[22] = %d, want %d", got, want)
	}
}
