package scan

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/psadgo/psad/internal/fwlog"
)

var t0 = time.Date(2026, 3, 11, 20, 35, 11, 0, time.UTC)

func pkt(src, dst string, proto uint8, dp int, flags fwlog.TCPFlags) fwlog.Packet {
	var p fwlog.Packet
	p.Reset()
	p.Src = netip.MustParseAddr(src)
	p.Dst = netip.MustParseAddr(dst)
	p.Proto, p.HasProto = proto, true
	p.Chain = fwlog.ChainInput
	p.Intf = []byte("eth0")
	p.Prefix = []byte("DROP")
	switch proto {
	case fwlog.ProtoTCP:
		p.SrcPort, p.DstPort, p.Flags = 40000, dp, flags
	case fwlog.ProtoUDP, fwlog.ProtoUDPLite:
		p.SrcPort, p.DstPort = 40000, dp
	case fwlog.ProtoICMP:
		p.ICMPType, p.ICMPCode = 8, 0
	}
	return p
}

func syn(src, dst string, dp int) fwlog.Packet {
	return pkt(src, dst, fwlog.ProtoTCP, dp, fwlog.FlagSYN)
}

// run feeds packets as one batch and returns the tracker.
func run(t *testing.T, s Settings, pkts ...fwlog.Packet) *Tracker {
	t.Helper()
	tr := NewTracker(s)
	for i := range pkts {
		tr.Observe(t0, &pkts[i])
	}
	tr.EndBatch()
	return tr
}

func dlOf(tr *Tracker, src string) int {
	s := tr.Source(netip.MustParseAddr(src))
	if s == nil {
		return -1
	}
	return s.DL
}

// TestDangerLevels reproduces the verified table of detection spec 7.2.
func TestDangerLevels(t *testing.T) {
	ports := func(n, from int) []fwlog.Packet {
		var ps []fwlog.Packet
		for i := 0; i < n; i++ {
			ps = append(ps, syn("10.1.1.1", "10.2.2.2", from+i))
		}
		return ps
	}
	same := func(n, port int) []fwlog.Packet {
		var ps []fwlog.Packet
		for i := 0; i < n; i++ {
			ps = append(ps, syn("10.1.1.1", "10.2.2.2", port))
		}
		return ps
	}
	hosts := func(n int) []fwlog.Packet {
		var ps []fwlog.Packet
		for i := 0; i < n; i++ {
			ps = append(ps, syn("10.1.1.1", netip.AddrFrom4([4]byte{10, 2, byte(i / 250), byte(1 + i%250)}).String(), 80))
		}
		return ps
	}
	icmp := func(n int) []fwlog.Packet {
		var ps []fwlog.Packet
		for i := 0; i < n; i++ {
			ps = append(ps, pkt("10.1.1.1", "10.2.2.2", fwlog.ProtoICMP, -1, 0))
		}
		return ps
	}
	scan1000 := func(dsts ...string) []fwlog.Packet {
		var ps []fwlog.Packet
		for _, d := range dsts {
			for i := 0; i < 1002; i++ {
				ps = append(ps, syn("10.1.1.1", d, 1000+i%501))
			}
		}
		return ps
	}
	alternating := []fwlog.Packet{syn("10.1.1.1", "10.2.2.2", 80), syn("10.1.1.1", "10.2.2.2", 81),
		syn("10.1.1.1", "10.2.2.2", 80), syn("10.1.1.1", "10.2.2.2", 81), syn("10.1.1.1", "10.2.2.2", 80)}
	tests := []struct {
		name string
		pkts []fwlog.Packet
		want int
	}{
		{"4 ports", ports(4, 100), 0},
		{"5 ports", ports(5, 100), 1},
		{"14 ports", ports(14, 100), 1},
		{"15 ports", ports(15, 100), 2},
		{"150 ports", ports(150, 100), 3},
		{"10 to one port", same(10, 80), 0},
		{"200 to one port", same(200, 80), 0},
		{"5 alternating between 2 ports", alternating, 1},
		{"5 to port 0", same(5, 0), 1},
		{"5 echo requests", icmp(5), 1},
		{"4 echo requests", icmp(4), 0},
		{"one port on 9 hosts", hosts(9), 0},
		{"one port on 10 hosts", hosts(10), 1},
		{"one port on 20 hosts", hosts(20), 2},
		{"one port on 50 hosts", hosts(50), 3},
		{"1002 SYNs 1000-1500", scan1000("10.2.2.2"), 3},
		{"4 hosts x 1002 SYNs", scan1000("10.2.2.1", "10.2.2.2", "10.2.2.3", "10.2.2.4"), 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := run(t, DefaultSettings(), tt.pkts...)
			if got := dlOf(tr, "10.1.1.1"); got != tt.want {
				t.Errorf("DL = %d, want %d", got, tt.want)
			}
		})
	}
}

// TestProtocolsCountedOnce checks our fix of psad's tot_protocols quirk:
// one TCP packet and four echo requests are two protocols, not five.
func TestProtocolsCountedOnce(t *testing.T) {
	ps := []fwlog.Packet{syn("10.1.1.1", "10.2.2.2", 80)}
	for i := 0; i < 4; i++ {
		ps = append(ps, pkt("10.1.1.1", "10.2.2.2", fwlog.ProtoICMP, -1, 0))
	}
	// TCP again on another chain: a second chain count, no new protocol.
	fwd := syn("10.1.1.1", "10.2.2.2", 80)
	fwd.Chain, fwd.Intf = fwlog.ChainForward, []byte("eth1")
	ps = append(ps, fwd)
	tr := run(t, DefaultSettings(), ps...)
	pair := tr.Source(netip.MustParseAddr("10.1.1.1")).Dst(netip.MustParseAddr("10.2.2.2"))
	if got := pair.TotProtocols(); got != 2 || len(pair.Chains()) != 3 {
		t.Errorf("TotProtocols = %d over %d chain counts, want 2 over 3", got, len(pair.Chains()))
	}
	if !pair.HasProto(fwlog.ProtoTCP) || !pair.HasProto(fwlog.ProtoICMP) || pair.HasProto(fwlog.ProtoUDP) {
		t.Errorf("HasProto TCP/ICMP/UDP = %v/%v/%v, want true/true/false",
			pair.HasProto(fwlog.ProtoTCP), pair.HasProto(fwlog.ProtoICMP), pair.HasProto(fwlog.ProtoUDP))
	}
	if got := dlOf(tr, "10.1.1.1"); got != 0 {
		t.Errorf("DL = %d, want 0 (a single port and two protocols are no scan)", got)
	}
	// Five distinct protocols do reach PROTOCOL_SCAN_THRESHOLD.
	var proto []fwlog.Packet
	for _, n := range []uint8{2, 47, 50, 51, 89} {
		proto = append(proto, pkt("10.1.1.1", "10.2.2.2", n, -1, 0))
	}
	if got := dlOf(run(t, DefaultSettings(), proto...), "10.1.1.1"); got != 1 {
		t.Errorf("protocol scan DL = %d, want 1", got)
	}
}

func TestPortSweep(t *testing.T) {
	dsts := []string{"192.168.10.1", "192.168.10.2", "192.168.10.3", "192.168.10.3", "192.168.10.232",
		"192.168.10.200", "192.168.10.100", "192.168.10.101", "192.168.10.244", "10.0.0.1", "10.0.0.3", "10.0.0.201"}
	var ps []fwlog.Packet
	for _, d := range dsts {
		ps = append(ps, syn("192.168.10.55", d, 1083))
	}
	tr := run(t, DefaultSettings(), ps...)
	src := tr.Source(netip.MustParseAddr("192.168.10.55"))
	if src.DL != 1 {
		t.Fatalf("DL = %d, want 1", src.DL)
	}
	pairs := src.Pairs()
	if len(pairs) != 11 {
		t.Fatalf("%d destinations, want 11", len(pairs))
	}
	for _, p := range pairs {
		if !p.PortSweep {
			t.Errorf("%v not marked as part of the sweep", p.Dst)
		}
	}
	// Nine hosts are no sweep.
	tr = run(t, DefaultSettings(), ps[:9]...)
	for _, p := range tr.Source(netip.MustParseAddr("192.168.10.55")).Pairs() {
		if p.PortSweep {
			t.Errorf("%v marked with only 8 destinations", p.Dst)
		}
	}
}

func TestMaxScanIPPairs(t *testing.T) {
	s := DefaultSettings()
	s.MaxScanIPPairs = 4
	var ps []fwlog.Packet
	for i := 1; i <= 6; i++ {
		ps = append(ps, syn("10.1.1.1", netip.AddrFrom4([4]byte{10, 2, 2, byte(i)}).String(), 80))
	}
	ps = append(ps, syn("10.1.1.1", "10.2.2.1", 81)) // existing pair: kept
	tr := run(t, s, ps...)
	pairs := tr.Source(netip.MustParseAddr("10.1.1.1")).Pairs()
	if len(pairs) != 4 {
		t.Fatalf("%d pairs, want 4", len(pairs))
	}
	if pairs[0].Dst != netip.MustParseAddr("10.2.2.1") || pairs[0].AbsNum != 2 {
		t.Errorf("first pair %v with %d packets, want 10.2.2.1 with 2", pairs[0].Dst, pairs[0].AbsNum)
	}
}

func TestMaxSourcesEvictsLeastRecentlySeen(t *testing.T) {
	s := DefaultSettings()
	s.MaxSources = 2
	a, b, c := syn("10.0.0.1", "10.9.9.9", 1), syn("10.0.0.2", "10.9.9.9", 1), syn("10.0.0.3", "10.9.9.9", 1)
	a2 := syn("10.0.0.1", "10.9.9.9", 2)
	tr := run(t, s, a, b, a2, c)
	if tr.Sources() != 2 || tr.Evicted != 1 {
		t.Fatalf("sources=%d evicted=%d, want 2 and 1", tr.Sources(), tr.Evicted)
	}
	if tr.Source(netip.MustParseAddr("10.0.0.2")) != nil {
		t.Error("10.0.0.2 (least recently seen) still tracked")
	}
	if tr.Source(netip.MustParseAddr("10.0.0.1")) == nil || tr.Source(netip.MustParseAddr("10.0.0.3")) == nil {
		t.Error("recently seen sources were evicted")
	}
}

// TestTakeGoneCarriesDL: every source the tracker forgets, evicted or
// expired, is listed once with the danger level it had, which tells the
// daemon whether it had files to remove; a source seen again after it
// was evicted is listed and tracked.
func TestTakeGoneCarriesDL(t *testing.T) {
	s := DefaultSettings()
	s.MaxSources, s.TrackGone, s.ForgetBelowDL = 2, true, 2
	tr := NewTracker(s)
	tr.AutoDL = func(p *fwlog.Packet, cur int) (int, bool, bool) {
		return 4, false, p.Src == netip.MustParseAddr("10.0.0.1")
	}
	a, b, c := syn("10.0.0.1", "10.9.9.9", 1), syn("10.0.0.2", "10.9.9.9", 1), syn("10.0.0.3", "10.9.9.9", 1)
	for _, p := range []*fwlog.Packet{&a, &b, &c} { // c evicts a, the least recently seen
		tr.Observe(t0, p)
	}
	tr.EndBatch()
	if g := tr.TakeGone(); len(g) != 1 || g[0] != (Gone{a.Src, 4}) {
		t.Fatalf("after the eviction: %v, want [{10.0.0.1 4}]", g)
	}
	if g := tr.TakeGone(); len(g) != 0 {
		t.Fatalf("second TakeGone: %v, want nothing", g)
	}
	tr.Observe(t0, &a) // back, evicting b
	tr.EndBatch()
	if g := tr.TakeGone(); len(g) != 1 || g[0].Addr != b.Src || g[0].DL >= 2 {
		t.Fatalf("after a came back: %v, want b, below DL 2", g)
	}
	dlC := dlOf(tr, "10.0.0.3")
	tr.Expire(t0.Add(2*time.Hour), time.Hour)
	g := tr.TakeGone()
	if len(g) != 1 || g[0] != (Gone{c.Src, dlC}) {
		t.Errorf("after the expiry: %v, want only c (below DL 2) at DL %d", g, dlC)
	}
	if tr.Source(a.Src) == nil || tr.Sources() != 1 {
		t.Errorf("a (DL 4) not kept alone after the expiry: %d sources", tr.Sources())
	}
}

func TestAutoDLHook(t *testing.T) {
	tr := NewTracker(DefaultSettings())
	tr.AutoDL = func(p *fwlog.Packet, cur int) (int, bool, bool) {
		switch p.Src.String() {
		case "10.0.0.5":
			return 5, false, true
		case "10.0.0.9":
			return 0, true, false
		}
		return 0, false, false
	}
	p5, p9 := syn("10.0.0.5", "10.9.9.9", 22), syn("10.0.0.9", "10.9.9.9", 22)
	if !tr.Observe(t0, &p5) {
		t.Error("auto_dl 5 packet not accepted")
	}
	if tr.Observe(t0, &p9) {
		t.Error("auto_dl 0 packet accepted")
	}
	tr.EndBatch()
	if got := dlOf(tr, "10.0.0.5"); got != 5 {
		t.Errorf("auto_dl source DL = %d, want 5", got)
	}
	s9 := tr.Source(netip.MustParseAddr("10.0.0.9"))
	if s9.DL != 0 || len(s9.Pairs()) != 0 || s9.Packets != 1 {
		t.Errorf("ignored source: DL %d, %d pairs, %d packets; want 0, 0, 1", s9.DL, len(s9.Pairs()), s9.Packets)
	}
	if tr.Counters.TCPPort[22] != 2 {
		t.Errorf("top ports count %d, want 2 (psad counts ignored packets there)", tr.Counters.TCPPort[22])
	}
}

func TestMiraiAndMasscan(t *testing.T) {
	tr := NewTracker(DefaultSettings())
	for i := 0; i < 10; i++ {
		p := syn("10.0.0.7", "10.9.9.9", 23)
		tr.Observe(t0, &p)
	}
	p := syn("10.0.0.7", "10.9.9.9", 2323)
	tr.Observe(t0, &p)
	pair := tr.Source(netip.MustParseAddr("10.0.0.7")).Dst(netip.MustParseAddr("10.9.9.9"))
	if !pair.Batch.Mirai {
		t.Error("Mirai not flagged after 10 telnet SYNs and one to 2323")
	}
	withOpts := syn("10.0.0.1", "10.9.9.9", 80)
	withOpts.TCPOpts = []byte("020405B4")
	bare := syn("10.0.0.2", "10.9.9.9", 80)
	tr.Observe(t0, &bare)
	if tr.Source(netip.MustParseAddr("10.0.0.2")).Dst(netip.MustParseAddr("10.9.9.9")).Batch.Masscan {
		t.Error("Masscan flagged before any packet with options was seen")
	}
	tr.Observe(t0, &withOpts)
	tr.Observe(t0, &bare)
	if !tr.Source(netip.MustParseAddr("10.0.0.2")).Dst(netip.MustParseAddr("10.9.9.9")).Batch.Masscan {
		t.Error("option-less SYN after options were seen not flagged Masscan")
	}
	// hping3 -S from a host whose own SYNs carried options before: its
	// stack is not masscan's, whoever else sent options.
	ws := syn("10.0.0.3", "10.9.9.9", 443)
	ws.TCPOpts = []byte("020405B40402080A")
	tr.Observe(t0, &ws)
	hping := syn("10.0.0.3", "10.9.9.8", 80)
	tr.Observe(t0, &hping)
	if tr.Source(netip.MustParseAddr("10.0.0.3")).Dst(netip.MustParseAddr("10.9.9.8")).Batch.Masscan {
		t.Error("option-less SYN from a source that sent options flagged Masscan")
	}
	// The first sender of options is never Masscan either.
	tr2 := NewTracker(DefaultSettings())
	tr2.Observe(t0, &ws)
	tr2.Observe(t0, &hping)
	if tr2.Source(netip.MustParseAddr("10.0.0.3")).Dst(netip.MustParseAddr("10.9.9.8")).Batch.Masscan {
		t.Error("option-less SYN from the only sender of options flagged Masscan")
	}
}

func TestInspectHook(t *testing.T) {
	tr := NewTracker(DefaultSettings())
	tr.Inspect = func(p *fwlog.Packet, src *Source, ins *Inspection) {
		switch p.DstPort {
		case 1433:
			ins.Sigs = append(ins.Sigs, SigHit{ID: 100205, Proto: "tcp", DL: 2, Rule: -1})
			ins.SigDL = 2
		case 1434:
			ins.Sigs = append(ins.Sigs, SigHit{ID: 5, Proto: "tcp", DL: 5, Rule: -1})
			ins.SigDL = 5
		case 9:
			ins.Drop = true
		}
	}
	for _, dp := range []int{1434, 1433, 9} {
		p := syn("10.0.0.1", "10.9.9.9", dp)
		tr.Observe(t0, &p)
	}
	tr.EndBatch()
	s := tr.Source(netip.MustParseAddr("10.0.0.1"))
	// The highest signature DL of the batch counts (psad: the last one).
	if s.DL != 5 || s.SigCount != 2 {
		t.Errorf("DL %d sig count %d, want 5 and 2", s.DL, s.SigCount)
	}
	if pr := s.Pairs()[0]; pr.AbsNum != 2 || len(pr.Sigs()) != 2 {
		t.Errorf("pair has %d packets and %d signature records, want 2 and 2", pr.AbsNum, len(pr.Sigs()))
	}
}

func BenchmarkObserve(b *testing.B) {
	tr := NewTracker(DefaultSettings())
	ps := make([]fwlog.Packet, 4096)
	for i := range ps {
		ps[i] = syn(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}).String(), "192.168.1.1", 1+i%1000)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tr.Observe(t0, &ps[i&4095])
	}
}

// TestEvictionOrderIsExact checks eviction against a model: after any
// sequence of packets, the source evicted is the one whose last packet is
// oldest.
func TestEvictionOrderIsExact(t *testing.T) {
	s := DefaultSettings()
	s.MaxSources = 3
	tr := NewTracker(s)
	feed := func(src string) {
		p := syn(src, "10.9.9.9", 1)
		tr.Observe(t0, &p)
	}
	alive := func(want ...string) {
		t.Helper()
		if tr.Sources() != len(want) {
			t.Fatalf("%d sources, want %d", tr.Sources(), len(want))
		}
		for _, w := range want {
			if tr.Source(netip.MustParseAddr(w)) == nil {
				t.Fatalf("%s was evicted; alive should be %v", w, want)
			}
		}
	}
	feed("10.0.0.1")
	feed("10.0.0.2")
	feed("10.0.0.3")
	feed("10.0.0.2")
	feed("10.0.0.1")
	feed("10.0.0.4") // evicts .3, the least recent
	alive("10.0.0.1", "10.0.0.2", "10.0.0.4")
	feed("10.0.0.5") // evicts .2 (seen before .1's last packet)
	alive("10.0.0.1", "10.0.0.4", "10.0.0.5")
	feed("10.0.0.4")
	feed("10.0.0.1")
	feed("10.0.0.6") // evicts .5
	alive("10.0.0.1", "10.0.0.4", "10.0.0.6")
	if tr.Evicted != 3 {
		t.Errorf("Evicted = %d, want 3", tr.Evicted)
	}
}

func TestExpire(t *testing.T) {
	tr := NewTracker(DefaultSettings())
	for i := 0; i < 20; i++ {
		p := syn("10.1.1.1", "10.2.2.2", 100+i)
		tr.Observe(t0, &p)
	}
	late := syn("10.1.1.1", "10.2.2.3", 80)
	tr.Observe(t0.Add(50*time.Minute), &late)
	tr.EndBatch()
	if n := tr.Expire(t0.Add(time.Hour), time.Hour); n != 1 {
		t.Fatalf("expired %d pairs, want 1 (the one started an hour ago)", n)
	}
	src := tr.Source(netip.MustParseAddr("10.1.1.1"))
	if src == nil || src.DL != 2 || len(src.Pairs()) != 1 {
		t.Fatalf("after expiry: source %v, want DL 2 kept with one pair left", src)
	}
	// The expired pair starts afresh.
	p := syn("10.1.1.1", "10.2.2.2", 100)
	tr.Observe(t0.Add(61*time.Minute), &p)
	if pr := src.Dst(netip.MustParseAddr("10.2.2.2")); pr == nil || pr.AbsNum != 1 {
		t.Fatalf("re-created pair: %+v", pr)
	}
}

func TestExportImportRoundTrip(t *testing.T) {
	tr := NewTracker(DefaultSettings())
	for i := 0; i < 20; i++ {
		p := syn("10.1.1.1", "10.2.2.2", 100+i)
		tr.Observe(t0, &p)
	}
	u := pkt("10.1.1.1", "10.2.2.3", fwlog.ProtoUDP, 53, 0)
	tr.Observe(t0, &u)
	tr.EndBatch()
	src := tr.Source(netip.MustParseAddr("10.1.1.1"))
	st := src.Export()
	cs := tr.ExportCounters()

	tr2 := NewTracker(DefaultSettings())
	tr2.Import(st)
	tr2.ImportCounters(cs)
	s2 := tr2.Source(netip.MustParseAddr("10.1.1.1"))
	if s2 == nil || s2.DL != src.DL || s2.Packets != 21 || len(s2.Pairs()) != 2 {
		t.Fatalf("imported source %+v", s2)
	}
	if tr2.Counters.TCPPort[105] != 1 || tr2.Counters.Proto[fwlog.ProtoUDP] != 1 {
		t.Error("counters not imported")
	}
	// New packets continue the imported pairs.
	p := syn("10.1.1.1", "10.2.2.2", 5000)
	tr2.Observe(t0, &p)
	if pr := s2.Dst(netip.MustParseAddr("10.2.2.2")); pr.AbsNum != 21 || pr.Ranges[0].Hi != 5000 {
		t.Errorf("continued pair: %d packets, range %+v", pr.AbsNum, pr.Ranges[0])
	}
	// Importing again replaces, and eviction still works afterwards.
	tr2.Import(st)
	if tr2.Sources() != 1 {
		t.Fatalf("%d sources after re-import", tr2.Sources())
	}
}

// TestPairChainCounts: a pair counts packets per chain, interface and
// protocol in first-seen order, from the first count held in the pair to
// a list of its own; an exported and imported pair has the same counts,
// which its new packets continue without touching the saved state; and
// the start time goes with it.
func TestPairChainCounts(t *testing.T) {
	start := time.Date(2026, 12, 7, 9, 30, 15, 123456789, time.UTC)
	tr := NewTracker(DefaultSettings())
	at := func(chain fwlog.Chain, intf string, proto uint8) fwlog.Packet {
		p := pkt("10.1.1.1", "10.2.2.2", proto, 53, 0)
		if proto == fwlog.ProtoTCP {
			p = syn("10.1.1.1", "10.2.2.2", 80)
		}
		p.Chain, p.Intf = chain, []byte(intf)
		return p
	}
	seq := []fwlog.Packet{
		at(fwlog.ChainInput, "eth0", fwlog.ProtoTCP), at(fwlog.ChainInput, "eth0", fwlog.ProtoTCP),
		at(fwlog.ChainForward, "eth1", fwlog.ProtoTCP), at(fwlog.ChainInput, "eth0", fwlog.ProtoUDP),
		at(fwlog.ChainInput, "eth0", fwlog.ProtoTCP), at(fwlog.ChainForward, "eth1", fwlog.ProtoTCP),
	}
	want := []ChainCount{
		{Chain: fwlog.ChainInput, Intf: "eth0", Proto: fwlog.ProtoTCP, Pkts: 3},
		{Chain: fwlog.ChainForward, Intf: "eth1", Proto: fwlog.ProtoTCP, Pkts: 2},
		{Chain: fwlog.ChainInput, Intf: "eth0", Proto: fwlog.ProtoUDP, Pkts: 1},
	}
	for i := range seq {
		tr.Observe(start.Add(time.Duration(i)*time.Second), &seq[i])
		pr := tr.Source(netip.MustParseAddr("10.1.1.1")).Dst(netip.MustParseAddr("10.2.2.2"))
		if i == 1 && !slices.Equal(pr.Chains(), []ChainCount{{Chain: fwlog.ChainInput, Intf: "eth0", Proto: fwlog.ProtoTCP, Pkts: 2}}) {
			t.Fatalf("after two packets on one chain: %+v", pr.Chains())
		}
	}
	tr.EndBatch()
	src := tr.Source(netip.MustParseAddr("10.1.1.1"))
	pr := src.Dst(netip.MustParseAddr("10.2.2.2"))
	if !slices.Equal(pr.Chains(), want) {
		t.Fatalf("Chains = %+v, want %+v", pr.Chains(), want)
	}
	if !pr.Start().Equal(start) {
		t.Errorf("Start = %v, want %v", pr.Start(), start)
	}

	st := src.Export()
	tr2 := NewTracker(DefaultSettings())
	tr2.Import(st)
	pr2 := tr2.Source(netip.MustParseAddr("10.1.1.1")).Dst(netip.MustParseAddr("10.2.2.2"))
	if !slices.Equal(pr2.Chains(), want) || !pr2.Start().Equal(start) {
		t.Fatalf("imported: Chains %+v, Start %v", pr2.Chains(), pr2.Start())
	}
	p := at(fwlog.ChainForward, "eth1", fwlog.ProtoTCP)
	tr2.Observe(start.Add(time.Minute), &p)
	if got := pr2.Chains()[1].Pkts; got != 3 {
		t.Errorf("imported pair's FORWARD count after a packet: %d, want 3", got)
	}
	if got := st.Pairs[0].Chains[1].Pkts; got != 2 {
		t.Errorf("the saved state's count changed to %d by the imported pair's packet", got)
	}
	// One count alone, and none.
	for _, cs := range [][]ChainCount{want[:1], nil} {
		st.Pairs[0].Chains = cs
		tr3 := NewTracker(DefaultSettings())
		tr3.Import(st)
		if got := tr3.Source(netip.MustParseAddr("10.1.1.1")).Dst(netip.MustParseAddr("10.2.2.2")).Chains(); !slices.Equal(got, cs) {
			t.Errorf("imported %+v as %+v", cs, got)
		}
	}
	// A pair saved without a start time keeps none.
	st.Pairs[0].Start = time.Time{}
	tr4 := NewTracker(DefaultSettings())
	tr4.Import(st)
	if got := tr4.Source(netip.MustParseAddr("10.1.1.1")).Dst(netip.MustParseAddr("10.2.2.2")).Start(); !got.IsZero() {
		t.Errorf("Start of a pair saved without one: %v", got)
	}
}

// TestEvictionMatchesModel runs random traffic through a small tracker
// and checks after every packet that the tracked sources are exactly the
// MaxSources most recently seen, as a plain recency list says.
func TestEvictionMatchesModel(t *testing.T) {
	s := DefaultSettings()
	s.MaxSources = 5
	tr := NewTracker(s)
	rng := rand.New(rand.NewPCG(1, 2))
	var recent []string // most recent last
	for i := range 3000 {
		src := fmt.Sprintf("10.0.0.%d", 1+rng.IntN(12))
		p := syn(src, "10.9.9.9", 1+i%100)
		tr.Observe(t0, &p)
		recent = slices.DeleteFunc(recent, func(x string) bool { return x == src })
		recent = append(recent, src)
		if len(recent) > s.MaxSources {
			recent = recent[1:]
		}
		if tr.Sources() != len(recent) {
			t.Fatalf("packet %d: %d sources tracked, model has %d", i, tr.Sources(), len(recent))
		}
		for _, w := range recent {
			if tr.Source(netip.MustParseAddr(w)) == nil {
				t.Fatalf("packet %d: %s evicted, but it is among the %d most recent %v", i, w, s.MaxSources, recent)
			}
		}
	}
}

// TestChangedSinceLogMatchesWalk: the change log ChangedSince reads must
// report exactly the sources a walk over all of them would, through
// evictions, expiry, re-added addresses and a caller that hands back an
// old mark; and no more than Changing said.
func TestChangedSinceLogMatchesWalk(t *testing.T) {
	s := DefaultSettings()
	s.MaxSources = 20
	tr := NewTracker(s)
	rng := rand.New(rand.NewPCG(3, 4))
	walk := func(mark uint64) []string {
		var out []string
		for src := range tr.sources.all {
			if src.seen > mark {
				out = append(out, src.Addr.String())
			}
		}
		slices.Sort(out)
		return out
	}
	var mark uint64
	now := t0
	for i := range 5000 {
		now = now.Add(time.Duration(rng.IntN(3)) * time.Second)
		p := syn(fmt.Sprintf("10.0.%d.%d", rng.IntN(2), 1+rng.IntN(30)), "10.9.9.9", 1+i%100)
		tr.Observe(now, &p)
		switch r := rng.IntN(100); {
		case r < 2:
			tr.Expire(now, time.Duration(5+rng.IntN(30))*time.Second)
		case r < 12:
			m := mark
			if r == 11 {
				m = mark / 2 // a caller with a mark of its own
			}
			want := walk(m)
			bound := tr.Changing(m)
			var got []string
			mark = tr.ChangedSince(m, func(src *Source) { got = append(got, src.Addr.String()) })
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Fatalf("packet %d: ChangedSince(%d) reported %v, a walk finds %v", i, m, got, want)
			}
			if len(got) > bound {
				t.Fatalf("packet %d: ChangedSince(%d) reported %d sources, Changing said at most %d", i, m, len(got), bound)
			}
		}
	}
}

// TestDstTags: destinations whose tag bytes collide stay apart, and a
// source whose many destinations Expire cuts back to a few finds the
// survivors by tag again instead of making second pairs for them.
func TestDstTags(t *testing.T) {
	// Two destinations with the same tag byte.
	var a, b netip.Addr
	byTag := map[uint8]netip.Addr{}
	for i := range 1024 {
		d := netip.AddrFrom4([4]byte{10, 9, byte(i >> 8), byte(i)})
		if o, ok := byTag[keyOf(d).tag()]; ok {
			a, b = o, d
			break
		}
		byTag[keyOf(d).tag()] = d
	}
	if !a.IsValid() {
		t.Fatal("no tag collision among 1024 addresses")
	}
	tr := NewTracker(DefaultSettings())
	for _, d := range []netip.Addr{a, b, a, a} {
		p := syn("10.0.0.1", d.String(), 22)
		tr.Observe(t0, &p)
	}
	src := tr.Source(netip.MustParseAddr("10.0.0.1"))
	if pa, pb := src.Dst(a), src.Dst(b); pa == nil || pb == nil || pa.AbsNum != 3 || pb.AbsNum != 1 || len(src.DstList()) != 2 {
		t.Fatalf("colliding tags: pairs %v/%v, %d destinations", pa, pb, len(src.DstList()))
	}

	// Twelve destinations (indexed), of which the first nine expire.
	tr = NewTracker(DefaultSettings())
	dst := func(i int) string { return netip.AddrFrom4([4]byte{192, 168, 7, byte(i)}).String() }
	for i := range 12 {
		p := syn("10.0.0.2", dst(i), 80)
		at := t0
		if i >= 9 {
			at = t0.Add(30 * time.Minute)
		}
		tr.Observe(at, &p)
	}
	tr.EndBatch()
	if n := tr.Expire(t0.Add(time.Hour), time.Hour); n != 9 {
		t.Fatalf("expired %d pairs, want 9", n)
	}
	for i := 9; i < 12; i++ {
		p := syn("10.0.0.2", dst(i), 80)
		tr.Observe(t0.Add(time.Hour), &p)
	}
	src = tr.Source(netip.MustParseAddr("10.0.0.2"))
	if len(src.DstList()) != 3 {
		t.Fatalf("%d destinations after expiry and new packets, want 3", len(src.DstList()))
	}
	for i := 9; i < 12; i++ {
		if pr := src.Dst(netip.MustParseAddr(dst(i))); pr == nil || pr.AbsNum != 2 {
			t.Errorf("destination %s: pair %v, want 2 packets", dst(i), pr)
		}
	}
	if src.Dst(netip.MustParseAddr(dst(0))) != nil {
		t.Error("an expired destination is still found")
	}
}

// TestPairSorterReuse sorts several sources with one sorter, as the
// report's rendering goroutines do, and checks each against psad's order
// (by printed address) while the storage of the last one is reused.
func TestPairSorterReuse(t *testing.T) {
	tr := NewTracker(DefaultSettings())
	dsts := map[string][]string{
		"10.0.0.1": {"10.1.1.9", "10.1.1.10", "10.1.1.100", "10.1.1.1"},
		"10.0.0.2": {"192.168.0.2"},
		"10.0.0.3": {"172.16.0.20", "172.16.0.3"},
	}
	for _, src := range []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"} {
		for _, d := range dsts[src] {
			p := syn(src, d, 22)
			tr.Observe(t0, &p)
		}
	}
	var ps PairSorter
	for _, src := range []string{"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.1"} {
		var got []string
		for _, p := range ps.Pairs(tr.Source(netip.MustParseAddr(src))) {
			got = append(got, p.Dst.String())
		}
		want := slices.Clone(dsts[src])
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: pairs %v, want %v", src, got, want)
		}
	}
}

// TestPairSorterOrder checks the sorter's packed keys against the
// printed addresses sorted as strings, for destinations whose texts are
// shorter, as long as and longer than the packed 16 bytes, IPv6 ones
// that tie on their first 16 bytes, and IPv4 next to IPv4-mapped IPv6.
func TestPairSorterOrder(t *testing.T) {
	tr := NewTracker(DefaultSettings())
	r := rand.New(rand.NewPCG(5, 6))
	for i := range 3000 {
		var d netip.Addr
		switch i % 4 {
		case 0:
			d = netip.AddrFrom4([4]byte{byte(1 + r.IntN(3)*100), byte(r.IntN(11)), byte(r.IntN(256)), byte(r.IntN(256))})
		case 1:
			d = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0xaa, 0xaa, 0xbb, 0xbb, 14: byte(r.IntN(3)), 15: byte(r.IntN(256))})
		case 2:
			d = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, byte(r.IntN(2)), 1, 0, byte(r.IntN(256))})
		default:
			d = netip.AddrFrom16(netip.AddrFrom4([4]byte{10, 0, byte(r.IntN(3)), byte(r.IntN(256))}).As16())
		}
		p := syn("192.0.2.1", "10.0.0.1", 22)
		p.Dst = d
		tr.Observe(t0, &p)
	}
	src := tr.Source(netip.MustParseAddr("192.0.2.1"))
	var want []string
	for _, p := range src.DstList() {
		want = append(want, string(fwlog.AppendAddr(nil, p.Dst)))
	}
	slices.Sort(want)
	var ps PairSorter
	ps.Pairs(src) // the storage the second call reuses
	var got []string
	for _, p := range ps.Pairs(src) {
		got = append(got, string(fwlog.AppendAddr(nil, p.Dst)))
	}
	if !slices.Equal(got, want) {
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("pair %d of %d: %s, want %s", i, len(got), got[i], want[i])
			}
		}
		t.Fatalf("%d pairs, want %d", len(got), len(want))
	}
	long := 0
	for _, w := range want {
		if len(w) > 16 {
			long++
		}
	}
	if long < len(want)/3 {
		t.Fatalf("only %d of %d texts are longer than the packed bytes", long, len(want))
	}
}

// TestCountPrefixCounts: prefix counts stay exact through the cache that
// CountPrefix keeps beside the map: many prefixes, some sharing a cache
// entry, in turn; and counting goes on from counters ImportCounters set.
func TestCountPrefixCounts(t *testing.T) {
	tr := NewTracker(DefaultSettings())
	want := map[string]int{}
	prefixes := []string{"", "DROP", "DROP INVALID", "FWD-DROP", "OUT-REJECT", "nft-drop", "[nftables] IN-DROP"}
	for i := range 40 {
		prefixes = append(prefixes, fmt.Sprintf("P%d", i))
	}
	collide := 0
	for i, a := range prefixes {
		for _, b := range prefixes[:i] {
			if prefixSlot([]byte(a)) == prefixSlot([]byte(b)) {
				collide++
			}
		}
	}
	if collide == 0 {
		t.Fatal("no two prefixes share a cache entry")
	}
	count := func(tr *Tracker, n int) {
		for i := range n {
			p := prefixes[(i*i+i/3)%len(prefixes)]
			tr.CountPrefix([]byte(p))
			want[p]++
		}
	}
	check := func(tr *Tracker, when string) {
		t.Helper()
		got := map[string]int{}
		for k, n := range tr.Counters.Prefix {
			got[k] = int(*n)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: counts %v, want %v", when, got, want)
		}
	}
	count(tr, 5000)
	check(tr, "counted")

	// Counters set by ImportCounters go on counting, in this tracker and
	// in a fresh one.
	saved := tr.ExportCounters()
	for k, n := range saved.Prefix {
		saved.Prefix[k] = n + 1000
		want[k] += 1000
	}
	tr.ImportCounters(saved)
	count(tr, 3000)
	check(tr, "after ImportCounters")
}

// TestExportKeepsOS: a source's OS guesses go through ExportTo and
// Import, and a source without any imports without fingerprint state.
func TestExportKeepsOS(t *testing.T) {
	tr := NewTracker(DefaultSettings())
	for _, a := range []string{"192.0.2.1", "192.0.2.2"} {
		p := syn(a, "10.0.0.1", 22)
		tr.Observe(t0, &p)
	}
	withOS := tr.Source(netip.MustParseAddr("192.0.2.1"))
	withOS.MakeOS().Guesses = []string{"Linux 2.6", "Linux 3.x"}
	withOS.OS().Posf = "Small"
	imp := NewTracker(DefaultSettings())
	tr.EachSource(func(s *Source) { imp.Import(s.Export()) })
	got := imp.Source(netip.MustParseAddr("192.0.2.1"))
	if !slices.Equal(got.OSGuesses(), withOS.OSGuesses()) || got.PosfGuess() != "Small" {
		t.Errorf("imported guesses %q, posf %q; want %q, Small", got.OSGuesses(), got.PosfGuess(), withOS.OSGuesses())
	}
	if !got.LastSeen().Equal(t0) {
		t.Errorf("imported last seen %v, want %v", got.LastSeen(), t0)
	}
	if s := imp.Source(netip.MustParseAddr("192.0.2.2")); s.OS() != nil || s.OSGuesses() != nil || s.PosfGuess() != "" {
		t.Errorf("a source without guesses imports with %+v", s.OS())
	}
}
