package scan

import (
	"net/netip"
	"testing"
	"time"

	"github.com/psadgo/psad/internal/fwlog"
)

// TestDstTableFindsPairs: a source with many destinations finds each of
// its pairs and no other, through growth of its table, an expiry that
// cuts some destinations (the table is rebuilt) and one that leaves a
// few (tags again), for IPv4 and IPv6 destinations and for an IPv4
// address and its IPv4-mapped IPv6 form, which hash alike.
func TestDstTableFindsPairs(t *testing.T) {
	tr := NewTracker(DefaultSettings())
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	src := netip.MustParseAddr("10.9.9.9")
	var dsts []netip.Addr
	for i := range 3000 {
		var d netip.Addr
		switch i % 3 {
		case 0:
			d = netip.AddrFrom4([4]byte{192, 168, byte(i >> 8), byte(i)})
		case 1:
			d = netip.AddrFrom16([16]byte{0x20, 0x01, 0xd, 0xb8, 14: byte(i >> 8), 15: byte(i)})
		default:
			d = netip.AddrFrom16(netip.AddrFrom4([4]byte{192, 168, byte((i - 2) >> 8), byte(i - 2)}).As16())
		}
		dsts = append(dsts, d)
	}
	observe := func(at time.Time, d netip.Addr) {
		var p fwlog.Packet
		p.Reset()
		p.Src, p.Dst, p.IPv6 = src, d, false
		p.Proto, p.HasProto, p.Chain, p.Intf = fwlog.ProtoTCP, true, fwlog.ChainInput, []byte("eth0")
		p.SrcPort, p.DstPort, p.Flags = 40000, 22, fwlog.FlagSYN
		tr.Observe(at, &p)
	}
	// The first 2,000 destinations an hour before the rest.
	for i, d := range dsts {
		at := t0
		if i >= 2000 {
			at = t0.Add(time.Hour)
		}
		observe(at, d)
	}
	s := tr.sources.get(keyOf(src))
	check := func(what string, kept func(i int) bool, pkts int) {
		t.Helper()
		for i, d := range dsts {
			pr := s.Dst(d)
			switch {
			case !kept(i) && pr != nil:
				t.Fatalf("%s: %s found after its pair expired", what, d)
			case kept(i) && (pr == nil || pr.Dst != d || int(pr.AbsNum) != pkts):
				t.Fatalf("%s: %s found %+v, want %d packets", what, d, pr, pkts)
			}
		}
	}
	check("all", func(int) bool { return true }, 1)
	if n := tr.Expire(t0.Add(90*time.Minute), time.Hour); n != 2000 {
		t.Fatalf("expired %d pairs, want 2000", n)
	}
	check("after an expiry", func(i int) bool { return i >= 2000 }, 1)
	// Known destinations count on, expired ones come back as new.
	for _, d := range dsts {
		observe(t0.Add(100*time.Minute), d)
	}
	for i, d := range dsts {
		if want := 1 + i/2000; int(s.Dst(d).AbsNum) != want {
			t.Fatalf("%s: %d packets, want %d", d, s.Dst(d).AbsNum, want)
		}
	}
	// The last 1,000 started an hour in: the table is rebuilt without them.
	if n := tr.Expire(t0.Add(4*time.Hour), 3*time.Hour); n != 1000 {
		t.Fatalf("second expiry removed %d, want 1000", n)
	}
	if s.dstIndex == nil {
		t.Fatal("no table for 2,000 destinations")
	}
	check("after a second expiry", func(i int) bool { return i < 2000 }, 1)
	// Four new destinations outlive the rest: the source is small again.
	for _, d := range dsts[2000:2004] {
		observe(t0.Add(5*time.Hour), d)
	}
	if n := tr.Expire(t0.Add(5*time.Hour), time.Hour); n != 2000 {
		t.Fatalf("third expiry removed %d, want 2000", n)
	}
	if s.dstIndex != nil || len(s.dstOrder) != 4 {
		t.Fatalf("%d destinations, table kept: %v", len(s.dstOrder), s.dstIndex != nil)
	}
	check("small again", func(i int) bool { return i >= 2000 && i < 2004 }, 1)
}
