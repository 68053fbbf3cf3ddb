package sig

import (
	"math/rand/v2"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/psadgo/psad/internal/fwlog"
)

// randPkt draws a packet from values the shipped rules test: common
// ports, every flag combination, TTLs, lengths, ICMP types, IP options,
// and a few addresses inside and outside the test HOME_NET.
func randPkt(r *rand.Rand) *fwlog.Packet {
	ports := []int{0, 7, 21, 22, 23, 53, 80, 111, 137, 161, 443, 1433, 3128, 6000, 8080, 27374, 31337, 40000, 65535}
	var p *fwlog.Packet
	switch r.IntN(5) {
	case 0, 1:
		p = tcpPkt(ports[r.IntN(len(ports))], ports[r.IntN(len(ports))], fwlog.TCPFlags(r.IntN(256)))
		p.Window = []int{0, 1024, 2048, 3072, 4096, 65535}[r.IntN(6)]
	case 2:
		p = udpPkt(ports[r.IntN(len(ports))], ports[r.IntN(len(ports))], []int{8, 9, 40, 200, 1000}[r.IntN(5)])
	case 3:
		p = icmpPkt([]int{0, 3, 5, 8, 11, 13, 15, 17, 255}[r.IntN(9)], r.IntN(4), []int{28, 32, 84, 1500}[r.IntN(4)])
	default:
		p = with(tcpPkt(1, 2, 0), func(p *fwlog.Packet) { p.Proto = []uint8{2, 47, 50, fwlog.ProtoICMPv6}[r.IntN(4)] })
	}
	addrs := []string{"10.1.1.1", "10.2.2.2", "10.2.2.200", "10.3.4.5", "192.168.10.1"}
	p.Src, p.Dst = mustAddr(addrs[r.IntN(len(addrs))]), mustAddr(addrs[r.IntN(len(addrs))])
	if r.IntN(8) == 0 {
		p.Dst = p.Src
	}
	p.TTL = []int{1, 50, 64, 128, 255}[r.IntN(5)]
	p.IPID = []int{0, 1, 39426, 4242}[r.IntN(4)]
	if p.Proto == fwlog.ProtoTCP {
		p.IPLen = []int{40, 44, 60, 100, 1500}[r.IntN(5)]
	}
	if r.IntN(6) == 0 {
		p.IPOpts = []byte([]string{"07270400000000", "44040001", "83030000", "01010100"}[r.IntN(4)])
	}
	if r.IntN(10) == 0 {
		p.IPv6 = true
		p.Src, p.Dst = mustAddr("2001:db8::1"), mustAddr("2001:db8::2")
	}
	return p
}

// TestExplainAgreesWithMatch: for every signature and many packets,
// Explain finds no failure exactly when Match reports the signature, so
// --debug-sid never calls a match a miss or the other way round.
func TestExplainAgreesWithMatch(t *testing.T) {
	sets := map[string]*Set{}
	for _, o := range []struct {
		name string
		o    Options
	}{{"compat", compatOpts()}, {"snort", snortOpts()}} {
		s, _, err := ParseDefault(o.o)
		if err != nil {
			t.Fatal(err)
		}
		sets["built-in "+o.name] = s
		if _, err := os.Stat("/etc/psad/signatures"); err == nil {
			po := o.o
			po.Strict = false
			if _, err := os.Stat("/etc/psad/psad.conf"); err == nil {
				get := psadConfVars(t, "/etc/psad/psad.conf")
				po.Vars = func(n string) (string, bool) {
					if v, ok := testVars(n); ok {
						return v, ok
					}
					return get(n)
				}
			}
			if opts, err := LoadIPOptions("/etc/psad/ip_options"); err == nil {
				po.IPOpts = opts
			}
			if s, _, err := Load("/etc/psad/signatures", po); err == nil {
				sets["psad "+o.name] = s
			} else {
				t.Logf("psad's signatures not used: %v", err)
			}
		}
	}
	for name, s := range sets {
		r := rand.New(rand.NewPCG(1, 2))
		matches, failures := 0, 0
		for range 3000 {
			p := randPkt(r)
			hits := s.Match(p, nil)
			for _, g := range s.sigs {
				f := s.Explain(g, p)
				hit := slices.ContainsFunc(hits, func(h Hit) bool { return h.Sig == g })
				if hit != (len(f) == 0) {
					t.Fatalf("%s: signature %d on %+v: Match %v, Explain %v", name, g.ID, p, hit, f)
				}
				if hit {
					matches++
				} else {
					failures++
				}
			}
		}
		t.Logf("%s: %d signatures, %d matches, %d explained misses", name, s.Len(), matches, failures)
		if matches == 0 {
			t.Errorf("%s: no packet matched any signature; the comparison proves nothing", name)
		}
	}
}

func TestExplainWords(t *testing.T) {
	s := mustParse(t, compatOpts(),
		`alert tcp any any -> $HOME_NET 22 (msg:"ssh syn"; flags:S; ttl:>200; psad_id:1;)`,
		`alert udp any any -> any 161 (msg:"snmp"; psad_id:2;)`,
		`alert tcp any any -> any any (msg:"null"; flags:0; psad_id:3;)`,
		`alert ip any any -> any any (msg:"rr"; ipopts:rr; psad_id:4;)`)
	for _, tt := range []struct {
		id   int
		p    *fwlog.Packet
		want string
	}{
		{1, tcpPkt(40000, 22, fwlog.FlagSYN|fwlog.FlagACK), "flags: wanted S got SA; ttl: wanted ttl:>200 got 50"},
		{1, tcpPkt(40000, 23, fwlog.FlagSYN), "ttl: wanted ttl:>200 got 50; dst port: wanted 22 got 23"},
		{1, with(tcpPkt(40000, 22, fwlog.FlagSYN), func(p *fwlog.Packet) { p.TTL = 250; p.Dst = netip.MustParseAddr("10.9.9.9") }),
			"dst address: wanted $HOME_NET got 10.9.9.9"},
		{2, tcpPkt(1, 161, fwlog.FlagSYN), "protocol: wanted udp got tcp"},
		{3, tcpPkt(1, 1, 0), "flags: wanted 0 (no flag letter: never matches with psad's flags semantics) got 0"},
		{4, tcpPkt(1, 1, fwlog.FlagSYN), "ipopts: wanted rr got no IP options logged"},
		{4, with(tcpPkt(1, 1, fwlog.FlagSYN), func(p *fwlog.Packet) { p.IPv6 = true }), "protocol: wanted ip got tcp (IPv6)"},
		{1, with(tcpPkt(40000, 22, fwlog.FlagSYN), func(p *fwlog.Packet) { p.TTL = 250 }), ""},
	} {
		var got []string
		for _, f := range s.Explain(s.Lookup(tt.id), tt.p) {
			got = append(got, f.String())
		}
		if g := strings.Join(got, "; "); g != tt.want {
			t.Errorf("sig %d: %q\nwant %q", tt.id, g, tt.want)
		}
	}
}
