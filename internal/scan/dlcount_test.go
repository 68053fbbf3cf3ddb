package scan

import (
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/psadgo/psad/internal/fwlog"
)

// TestDLCountsFollowLevels checks DLCounts against a walk over the
// sources through every way a level changes or a source comes and goes:
// live raises, auto_dl, invalid ICMP, batch ends on one core and on
// several, expiry, eviction, Import and Absorb; and BatchLevels against
// a walk over the batch EndBatch returned.
func TestDLCountsFollowLevels(t *testing.T) {
	walk := func(tr *Tracker) (c [6]int) {
		tr.EachSource(func(s *Source) { c[dlIndex(s.DL)]++ })
		return c
	}
	// raised: some source is above DL 0 by now (else the check proves
	// little).
	check := func(tr *Tracker, when string, raised bool) {
		t.Helper()
		got, want := tr.DLCounts(), walk(tr)
		if got != want {
			t.Fatalf("%s: DLCounts %v, the sources say %v", when, got, want)
		}
		if raised && want[0] == tr.Sources() {
			t.Fatalf("%s: every source at DL 0: the test raises none", when)
		}
	}
	endBatch := func(tr *Tracker, when string) {
		t.Helper()
		var want [6]int
		for _, s := range tr.EndBatch() {
			want[dlIndex(s.DL)]++
		}
		if got := tr.BatchLevels(); got != want {
			t.Fatalf("%s: BatchLevels %v, the batch says %v", when, got, want)
		}
	}
	// Source i of n sends packets to spread the levels: most a few, every
	// 13th a sweep of 20 hosts, every 50th 160 ports of one host.
	seq := uint64(0) // for the shards Absorb takes
	feed := func(tr *Tracker, first, n int, at time.Time) {
		for i := first; i < first+n; i++ {
			src := netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)})
			k := []int{1, 6, 20}[i%3]
			if i%50 == 0 {
				k = 160
			}
			for j := range k {
				p := syn("192.0.2.1", "10.0.0.1", 1+j)
				p.Src = src
				if i%13 == 0 {
					p.Dst = netip.AddrFrom4([4]byte{10, 0, 1, byte(j)})
				}
				if i%11 == 5 {
					p = pkt("192.0.2.1", "10.0.0.1", fwlog.ProtoICMP, 0, 0)
					p.Src = src
				}
				if tr.ordered {
					seq++
					tr.SetOrder(seq, false)
				}
				tr.Observe(at, &p)
			}
		}
	}

	s := DefaultSettings()
	s.Live = true
	s.MaxSources = 900
	tr := NewTracker(s)
	tr.AutoDL = func(p *fwlog.Packet, cur int) (int, bool, bool) {
		return 4, false, p.Src.As4()[3] == 7
	}
	tr.Inspect = func(p *fwlog.Packet, _ *Source, ins *Inspection) {
		ins.InvalidType = p.Proto == fwlog.ProtoICMP // DL 2 at least
	}
	feed(tr, 0, 600, t0)
	check(tr, "live levels, auto_dl and invalid ICMP", true)
	endBatch(tr, "a batch's end")
	check(tr, "a batch's end", true)
	feed(tr, 600, 600, t0.Add(time.Minute)) // evicts 300
	endBatch(tr, "eviction")
	check(tr, "eviction", true)
	if n := tr.Expire(t0.Add(2*time.Minute), 90*time.Second); n == 0 {
		t.Fatal("nothing expired")
	}
	check(tr, "expiry", true)

	var st SourceState
	imp := NewTracker(DefaultSettings())
	tr.EachSource(func(s *Source) {
		s.ExportTo(&st)
		imp.Import(st)
		imp.Import(st) // replacing itself
	})
	check(imp, "Import", true)

	// Big enough a batch for EndBatch to split among the cores.
	if runtime.GOMAXPROCS(0) < 2 {
		t.Log("one core: the split EndBatch is not exercised")
	}
	a, b := NewTracker(DefaultSettings()), NewTracker(DefaultSettings())
	a.SetOrder(0, false)
	b.SetOrder(0, false)
	feed(a, 0, parallelLevels/2, t0)
	feed(b, parallelLevels/2, parallelLevels/2+100, t0)
	a.Absorb(b)
	check(a, "Absorb (levels are set at the batch's end)", false)
	endBatch(a, "a batch's end on several cores")
	check(a, "a batch's end on several cores", true)
}
