package scan

import (
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/psadgo/psad/internal/fwlog"
)

// TestWarmChangesNothing: a tracker that reads ahead with Warm before
// every group of packets ends in the state of one that does not, over
// the cases Warm's look-ups meet: new and known sources, sources with
// many destinations (a table look-up), IPv6, deleted slots after an
// expiry, more packets than one call takes, and a pair that is new when
// Warm looks but not when Observe does.
func TestWarmChangesNothing(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	var pkts []fwlog.Packet
	var times []time.Time
	add := func(at time.Time, src, dst netip.Addr, port int) {
		var p fwlog.Packet
		p.Reset()
		p.Src, p.Dst = src, dst
		p.Proto, p.HasProto, p.Chain, p.Intf = fwlog.ProtoTCP, true, fwlog.ChainInput, []byte("eth0")
		p.SrcPort, p.DstPort, p.Flags = 40000, port, fwlog.FlagSYN
		pkts, times = append(pkts, p), append(times, at)
	}
	v4 := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}) }
	v6 := func(i int) netip.Addr {
		return netip.AddrFrom16([16]byte{0x20, 0x01, 0xd, 0xb8, 15: byte(i)})
	}
	// A first wave, most of which expires before the second.
	for i := range 3000 {
		add(t0, v4(i%700), v4(5000+i%3), 22+i%5)
	}
	later := t0.Add(2 * time.Hour)
	for i := range 4000 {
		switch i % 4 {
		case 0: // a scanner of many hosts
			add(later, v4(1), v4(6000+i), 80)
		case 1:
			add(later, v6(i%50), v6(200), 443)
		default: // old sources back, and new ones
			add(later, v4(i%1500), v4(5000+i%2), 23)
		}
	}
	// Known sources, small and big, each meeting a new destination twice
	// in a row: the second packet's pair is absent when Warm looks and
	// made by the first before Observe takes the second.
	for i := range 400 {
		src := v4(i % 40)
		if i%2 == 0 {
			src = v4(1)
		}
		add(later, src, v4(20000+i), 25)
		add(later, src, v4(20000+i), 25)
	}

	run := func(warm bool) map[netip.Addr]SourceState {
		tr := NewTracker(DefaultSettings())
		expired := false
		for i := range pkts {
			if !expired && times[i].Equal(later) {
				if tr.Expire(later, time.Hour) == 0 {
					t.Fatal("nothing expired: the second wave would meet no deleted slots")
				}
				expired = true
			}
			if warm && i%WarmGroup == 0 {
				// More than a call takes, some already observed.
				var g []*fwlog.Packet
				for j := max(i-3, 0); j < min(i+WarmGroup+5, len(pkts)); j++ {
					g = append(g, &pkts[j])
				}
				tr.Warm(g)
			}
			tr.Observe(times[i], &pkts[i])
		}
		tr.EndBatch()
		return sourceStates(tr)
	}
	plain, warmed := run(false), run(true)
	if len(plain) < 1000 {
		t.Fatalf("%d sources tracked, want over 1,000", len(plain))
	}
	if !reflect.DeepEqual(plain, warmed) {
		t.Error("the state differs with Warm")
	}

}

// TestWarmThenEviction: under MAX_SCAN_SOURCES a packet evicts the
// source that a later packet of the same Warm group comes from. What
// Warm found for that packet is the forgotten source, which Observe
// must not take: the source comes back new, with one packet.
func TestWarmThenEviction(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	addr := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, 2, 0, byte(i)}) }
	dst := netip.MustParseAddr("192.0.2.1")
	// The first group fills the tracker with a (source 0, the least
	// recently seen) and seven others; the second opens with a new
	// source, which evicts a, then a again.
	order := []int{0, 1, 2, 3, 4, 5, 6, 7, 1, 2, 3, 4, 5, 6, 7, 1, 8, 0}
	pkts := make([]fwlog.Packet, len(order))
	for i, a := range order {
		p := &pkts[i]
		p.Reset()
		p.Src, p.Dst = addr(a), dst
		p.Proto, p.HasProto, p.Chain, p.Intf = fwlog.ProtoTCP, true, fwlog.ChainInput, []byte("eth0")
		p.SrcPort, p.DstPort, p.Flags = 40000, 22, fwlog.FlagSYN
	}
	set := DefaultSettings()
	set.MaxSources = 8
	run := func(warm bool) (*Tracker, map[netip.Addr]SourceState) {
		tr := NewTracker(set)
		for i := range pkts {
			if warm && i%WarmGroup == 0 {
				var g []*fwlog.Packet
				for j := i; j < min(i+WarmGroup, len(pkts)); j++ {
					g = append(g, &pkts[j])
				}
				tr.Warm(g)
			}
			tr.Observe(t0.Add(time.Duration(i)*time.Second), &pkts[i])
		}
		tr.EndBatch()
		return tr, sourceStates(tr)
	}
	tr, warmed := run(true)
	if tr.Evicted != 2 {
		t.Fatalf("%d sources evicted, want 2", tr.Evicted)
	}
	if s := tr.Source(addr(0)); s == nil || s.Packets != 1 {
		t.Errorf("source 0 came back as %+v, want a new source with 1 packet", s)
	}
	if _, plain := run(false); !reflect.DeepEqual(plain, warmed) {
		t.Error("the state differs with Warm")
	}
}

// TestHintsSurviveAnUnwarmedPacket: a packet Warm was not given (the
// daemon parses a line again after a reload) finds no hint and leaves
// the group's hints to the packets Warm was given.
func TestHintsSurviveAnUnwarmedPacket(t *testing.T) {
	tr := NewTracker(DefaultSettings())
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	a, b, x := syn("10.1.0.1", "10.2.0.1", 22), syn("10.1.0.2", "10.2.0.1", 22), syn("10.1.0.1", "10.2.0.1", 23)
	tr.Observe(at, &a)
	tr.Observe(at, &b)
	tr.Warm([]*fwlog.Packet{&a, &b})
	if s, p := tr.hinted(&x); s != nil || p != nil {
		t.Fatalf("a packet Warm was not given found %v, %v", s, p)
	}
	s, p := tr.hinted(&a)
	if want := tr.Source(a.Src); s != want || s == nil || p != want.Dst(a.Dst) {
		t.Errorf("hint for a: %p, %p; want its source %p and pair", s, p, want)
	}
}
