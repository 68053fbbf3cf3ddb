package scan

import (
	"net/netip"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"github.com/psadgo/psad/internal/fwlog"
)

// liveHeap is the heap in use after a full collection, for tests that
// measure what the tracker keeps.
func liveHeap() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// floodSYN is a one-SYN packet from src to port of 192.168.10.1, as the
// memory tests' floods and scanners send.
func floodSYN(src netip.Addr, port int) fwlog.Packet {
	var p fwlog.Packet
	p.Reset()
	p.Src, p.Dst = src, netip.MustParseAddr("192.168.10.1")
	p.Proto, p.HasProto, p.Chain, p.Intf = fwlog.ProtoTCP, true, fwlog.ChainInput, []byte("eth0")
	p.SrcPort, p.DstPort, p.Flags = 40000, port, fwlog.FlagSYN
	return p
}

// TestExpiredFloodIsFreed measures what the daemon's heap keeps after a
// flood of one-packet sources has expired while a few scanners above
// ForgetBelowDL, seen among them, stay: the flood's memory must go, not
// be held by the survivors through the pair blocks they share with it.
func TestExpiredFloodIsFreed(t *testing.T) {
	const n = 20000
	set := DefaultSettings()
	set.ForgetBelowDL = 2
	tr := NewTracker(set)
	t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	pkt := func(src netip.Addr, port int) {
		p := floodSYN(src, port)
		tr.Observe(t0, &p)
	}
	base := liveHeap()
	for i := range n {
		pkt(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), 1+i%1024)
		if i%500 == 0 { // a scanner that reaches DL 2 every 500 sources
			s := netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)})
			for port := range 15 {
				pkt(s, 2000+port)
			}
		}
	}
	tr.EndBatch()
	flood := liveHeap() - base
	tr.Expire(t0.Add(2*time.Hour), time.Hour)
	if want := n / 500; tr.Sources() != want {
		t.Fatalf("%d sources after expiry, want the %d scanners", tr.Sources(), want)
	}
	left := liveHeap() - base
	t.Logf("flood of %d sources: %d bytes, %d bytes after expiry", n, flood, left)
	// What may stay: the survivors, and nothing of the flood's, not even
	// its source table (a Go map keeps its size; see shrinkTable).
	if left > flood/20 {
		t.Errorf("%d of the flood's %d bytes still held after it expired, want at most a twentieth", left, flood)
	}
	runtime.KeepAlive(tr)
}

// TestEvictingFloodStaysBounded measures the heap of a tracker capped at
// MaxSources while a flood ten times larger goes through it, with one
// source in every 250 a scanner that keeps sending and so is never
// evicted: evicted sources must not stay reachable (through the pair
// blocks they share with the scanners), so the heap stays near that of
// the cap, not of the flood.
func TestEvictingFloodStaysBounded(t *testing.T) {
	const maxSrc, n = 2000, 20000
	set := DefaultSettings()
	set.MaxSources = maxSrc
	tr := NewTracker(set)
	t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	base := liveHeap()
	var atCap uint64
	pkt := func(i int) {
		p := floodSYN(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), 1+i%1024)
		tr.Observe(t0, &p)
	}
	for i := range n {
		pkt(i)
		if i%1000 == 999 {
			for k := 0; k <= i; k += 250 {
				pkt(k) // the scanners stay the most recently seen
			}
			tr.EndBatch() // the daemon closes a batch every CHECK_INTERVAL
		}
		if i == maxSrc-1 {
			atCap = liveHeap() - base
		}
	}
	if tr.Sources() != maxSrc || tr.Evicted != n-maxSrc {
		t.Fatalf("%d sources, %d evicted; want %d and %d", tr.Sources(), tr.Evicted, maxSrc, n-maxSrc)
	}
	for k := 0; k < n; k += 250 {
		if tr.Source(netip.AddrFrom4([4]byte{10, 0, byte(k >> 8), byte(k)})) == nil {
			t.Fatalf("scanner %d was evicted though it kept sending", k)
		}
	}
	end := liveHeap() - base
	t.Logf("heap at the cap of %d sources: %d bytes; after %d sources: %d bytes", maxSrc, atCap, n, end)
	// What may stay of an evicted source is its pair's slot in a block
	// that a scanner's pair keeps alive (pairs are allocated in blocks):
	// not the source, its batch detail or its signatures (a few dozen
	// bytes of map and age-heap bookkeeping are allowed for).
	per := float64(end-atCap) / float64(n-maxSrc)
	if slot := float64(unsafe.Sizeof(Pair{})); per > slot+48 {
		t.Errorf("%.0f bytes kept per evicted source, want at most a pair's %.0f", per, slot)
	}
	runtime.KeepAlive(tr)
}

// TestSourceBlocksKeepNoMoreThanSpans: with Prefault's source blocks
// (the daemon's), a flood that expires around long-lived scanners leaves
// no more memory in use than when the allocator places each source: a
// block is the size of the allocator's span for 32 sources, and a
// scanner keeps one alive as it would keep its span. Measured as the
// heap's spans in use, which is what resident memory follows.
func TestSourceBlocksKeepNoMoreThanSpans(t *testing.T) {
	const n, every = 40000, 97 // scanners land in every other block slot
	inUse := func() uint64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapInuse
	}
	run := func(blocks bool) (flood, left uint64) {
		set := DefaultSettings()
		set.ForgetBelowDL = 2
		tr := NewTracker(set)
		// Pairs come from Prefault's blocks either way; only where the
		// sources are placed differs.
		stop := tr.Prefault(blocks)
		t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
		pkt := func(at time.Time, src netip.Addr, port int) {
			p := floodSYN(src, port)
			tr.Observe(at, &p)
		}
		base := inUse()
		for i := range n {
			src := netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})
			pkt(t0, src, 1+i%1024)
			if i%every == 0 { // a scanner: DL 2 now, and sending again later
				for port := range 15 {
					pkt(t0, src, 2000+port)
				}
			}
		}
		tr.EndBatch()
		flood = inUse() - base
		tr.Expire(t0.Add(2*time.Hour), time.Hour)
		if want := (n + every - 1) / every; tr.Sources() != want {
			t.Fatalf("blocks %v: %d sources after expiry, want the %d scanners", blocks, tr.Sources(), want)
		}
		stop() // the blocks it had ready, as many as it got to make, are not what is measured
		left = inUse() - base
		runtime.KeepAlive(tr)
		return flood, left
	}
	ownFlood, own := run(false)
	blockFlood, inBlocks := run(true)
	t.Logf("in use by a flood of %d sources: %d bytes placed by the allocator, %d in blocks; after expiry %d and %d",
		n, ownFlood, blockFlood, own, inBlocks)
	if inBlocks > own+own/10 {
		t.Errorf("after expiry %d bytes in use with source blocks, %d without: blocks keep more than spans", inBlocks, own)
	}
}
