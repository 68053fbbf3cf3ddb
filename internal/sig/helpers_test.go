package sig

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/psadgo/psad/internal/fwlog"
)

// testVars stands in for psad.conf in the tests.
func testVars(name string) (string, bool) {
	v, ok := map[string]string{
		"HOME_NET":        "10.2.2.0/24",
		"EXTERNAL_NET":    "!10.2.2.0/24",
		"ANY_NET":         "any",
		"NOT_ANY":         "!any",
		"TWO_NETS":        "10.2.2.0/25, 10.3.0.0/16",
		"HTTP_PORTS":      "80",
		"SHELLCODE_PORTS": "!80",
		"WEB_PORTS":       "[80,443,8080:8089]",
	}[name]
	return v, ok
}

func compatOpts() Options { return Options{Vars: testVars, Strict: true, PsadCompat: true} }
func snortOpts() Options  { return Options{Vars: testVars, Strict: true} }

// mustParse parses signature lines (joined with newlines) or fails.
func mustParse(t testing.TB, o Options, lines ...string) *Set {
	t.Helper()
	s, _, err := Parse(strings.NewReader(strings.Join(lines, "\n")), "t.sigs", o)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return s
}

// Packet builders; the defaults are those of spec 9.9: a SYN from
// 10.1.1.1 to 10.2.2.2, TTL 50, WINDOW 1024, LEN 44.
func basePkt() fwlog.Packet {
	var p fwlog.Packet
	p.Reset()
	p.HasProto = true
	p.Src = netip.MustParseAddr("10.1.1.1")
	p.Dst = netip.MustParseAddr("10.2.2.2")
	p.Intf = []byte("eth0")
	p.Chain = fwlog.ChainInput
	p.IPLen, p.TTL, p.IPID, p.TOS = 44, 50, 4242, 0
	return p
}

func tcpPkt(sp, dp int, f fwlog.TCPFlags) *fwlog.Packet {
	p := basePkt()
	p.Proto = fwlog.ProtoTCP
	p.SrcPort, p.DstPort, p.Flags, p.Window = sp, dp, f, 1024
	return &p
}

func udpPkt(sp, dp, udpLen int) *fwlog.Packet {
	p := basePkt()
	p.Proto = fwlog.ProtoUDP
	p.SrcPort, p.DstPort, p.UDPLen = sp, dp, udpLen
	p.IPLen = udpLen + 20
	return &p
}

func icmpPkt(typ, code, ipLen int) *fwlog.Packet {
	p := basePkt()
	p.Proto = fwlog.ProtoICMP
	p.ICMPType, p.ICMPCode, p.IPLen = typ, code, ipLen
	if typ == 0 || typ == 8 {
		p.ICMPID, p.ICMPSeq = 1, 1
	}
	return &p
}

func with(p *fwlog.Packet, f func(p *fwlog.Packet)) *fwlog.Packet { f(p); return p }

func hitIDs(hs []Hit) []int {
	ids := []int{}
	for _, h := range hs {
		ids = append(ids, h.Sig.ID)
	}
	return ids
}

// naiveSet and naiveSigs cache the last Set's signatures in ID order
// for matchNaive (tests using it do not run in parallel).
var (
	naiveSet  *Set
	naiveSigs []*Sig
)

// matchNaive evaluates every signature without the index: the reference
// for the index and the baseline of the benchmark.
func (s *Set) matchNaive(p *fwlog.Packet, dst []Hit) []Hit {
	k := pkt{p: p, sp: unset(p.SrcPort), dp: unset(p.DstPort)}
	switch p.Proto {
	case fwlog.ProtoTCP:
		k.dsize = unset(p.IPLen) - 40
		if p.Flags&fwlog.FlagSYN != 0 {
			k.dsize -= 44
		}
	case fwlog.ProtoUDP:
		k.dsize = unset(p.UDPLen) - 8
	case fwlog.ProtoICMP:
		k.dsize = unset(p.IPLen) - 24
	}
	k.dsize = max(k.dsize, 0)
	var want uint8
	switch {
	case p.Proto == fwlog.ProtoTCP:
		want = protoTCP
	case p.Proto == fwlog.ProtoUDP:
		want = protoUDP
	case p.Proto == fwlog.ProtoICMP && !p.IPv6:
		want = protoICMP
	}
	if naiveSet != s {
		naiveSet, naiveSigs = s, slices.Clone(s.sigs)
		slices.SortFunc(naiveSigs, func(a, b *Sig) int { return a.ID - b.ID })
	}
	for _, g := range naiveSigs {
		if (g.c.proto == want || g.c.proto == protoIP) && p.HasProto && g.match(&k, &s.optTab) {
			dst = append(dst, Hit{g, g.DL})
		}
	}
	return dst
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
