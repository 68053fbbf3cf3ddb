package sig

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/psadgo/psad/internal/fwlog"
)

const (
	syn = fwlog.FlagSYN
	fin = fwlog.FlagFIN
	ack = fwlog.FlagACK
	psh = fwlog.FlagPSH
)

type matchCase struct {
	name string
	sigs []string
	pkt  *fwlog.Packet
	want []int
}

func runMatchCases(t *testing.T, o Options, cases []matchCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := mustParse(t, o, c.sigs...)
			got := hitIDs(s.Match(c.pkt, nil))
			if !slices.Equal(got, c.want) {
				t.Errorf("Match = %v, want %v", got, c.want)
			}
			if naive := hitIDs(s.matchNaive(c.pkt, nil)); !slices.Equal(got, naive) {
				t.Errorf("Match = %v, naive evaluation = %v", got, naive)
			}
		})
	}
}

// TestWorkedExamples reproduces every row of spec 9.9 with PsadCompat.
func TestWorkedExamples(t *testing.T) {
	none := []int{}
	t1 := `alert tcp any any -> any 1000 (msg:"T1"; flags:S; psad_id:900001; psad_dl:1;)`
	t2 := `alert tcp any any -> any 1000 (msg:"T2"; flags:S+; psad_id:900002; psad_dl:3;)`
	sameip := `alert tcp any any -> any any (msg:"same"; sameip; psad_id:900020;)`
	cases := []matchCase{
		{"flags S and S+ match SYN", []string{t1, t2}, tcpPkt(40000, 1000, syn), []int{900001, 900002}},
		{"flags S and S+ miss CWR ECE SYN", []string{t1, t2}, tcpPkt(40000, 1000, fwlog.FlagCWR|fwlog.FlagECE|syn), none},
		{"flags:0 never matches", []string{`alert tcp any any -> any 1001 (msg:"n"; flags:0; psad_id:900003;)`}, tcpPkt(40000, 1001, 0), none},
		{"flags:N matches NULL", []string{`alert tcp any any -> any 1001 (msg:"n"; flags:N; psad_id:900004;)`}, tcpPkt(40000, 1001, 0), []int{900004}},
		{"ttl", []string{
			`alert tcp any any -> any any (msg:"a"; ttl:<64; psad_id:900005;)`,
			`alert tcp any any -> any any (msg:"b"; ttl:!50; psad_id:900006;)`,
			`alert tcp any any -> any any (msg:"c"; ttl:40:55; psad_id:900007;)`,
		}, tcpPkt(40000, 1002, syn), []int{900005, 900007}},
		{"dsize:0 on a SYN of LEN 44", []string{`alert tcp any any -> any any (msg:"d"; dsize:0; psad_id:900008;)`}, tcpPkt(40000, 1003, syn), []int{900008}},
		{"psad_ip_len and window", []string{
			`alert tcp any any -> any any (msg:"l"; psad_ip_len:>40; psad_id:900009;)`,
			`alert tcp any any -> any any (msg:"w"; window:1024; psad_id:900010;)`,
		}, tcpPkt(40000, 1003, syn), []int{900009, 900010}},
		{"!1004 misses 1004", []string{`alert tcp any any -> any !1004 (msg:"f"; flags:F; psad_id:900011;)`}, tcpPkt(40000, 1004, fin), none},
		{"!1004 matches 1099", []string{`alert tcp any any -> any !1004 (msg:"f"; flags:F; psad_id:900011;)`}, tcpPkt(40000, 1099, fin), []int{900011}},
		{":1005 matches 1004", []string{`alert tcp any any -> any :1005 (msg:"f"; flags:F; psad_id:900012;)`}, tcpPkt(40000, 1004, fin), []int{900012}},
		{"source ports 50000:", []string{`alert tcp any 50000: -> any 1006 (msg:"s"; psad_id:900013;)`}, tcpPkt(50001, 1006, syn), []int{900013}},
		{"<> is one-way", []string{`alert tcp any any <> any 1007 (msg:"bi"; psad_id:900014;)`}, tcpPkt(1007, 5000, syn), none},
		{"<> forward", []string{`alert tcp any any <> any 1007 (msg:"bi"; psad_id:900014;)`}, tcpPkt(5000, 1007, syn), []int{900014}},
		{"<- keeps the ports", []string{`alert tcp any 1008 <- any any (msg:"rev"; psad_id:900015;)`}, tcpPkt(1008, 5555, syn), []int{900015}},
		{"address negation ignored", []string{`alert tcp !10.1.1.1 any -> any 1009 (msg:"neg"; psad_id:900016;)`}, tcpPkt(40000, 1009, syn), []int{900016}},
		{"id:777", []string{`alert tcp any any -> any any (msg:"id"; id:777; psad_id:900019;)`}, with(tcpPkt(40000, 1012, syn), func(p *fwlog.Packet) { p.IPID = 777 }), []int{900019}},
		{"sameip on eth0", []string{sameip}, with(tcpPkt(40000, 1013, syn), func(p *fwlog.Packet) { p.Dst = p.Src }), []int{900020}},
		{"sameip not on lo", []string{sameip}, with(tcpPkt(40000, 1013, syn), func(p *fwlog.Packet) { p.Dst = p.Src; p.Intf = []byte("lo") }), none},
		{"sameip needs equal addresses", []string{sameip}, tcpPkt(40000, 1013, syn), none},
		{"ip signature meets TCP", []string{`alert ip any any -> 10.2.2.99 any (msg:"ip"; psad_id:900021; psad_dl:4;)`}, with(tcpPkt(40000, 1014, syn), func(p *fwlog.Packet) { p.Dst = netip.MustParseAddr("10.2.2.99") }), []int{900021}},
		{"udp psad_dsize 11 > 10", []string{`alert udp any any -> any 2000 (msg:"u"; psad_dsize:>10; psad_id:900022;)`}, udpPkt(40000, 2000, 19), []int{900022}},
		{"udp psad_dsize 10", []string{`alert udp any any -> any 2000 (msg:"u"; psad_dsize:>10; psad_id:900022;)`}, udpPkt(40000, 2000, 18), none},
		{"itype:13", []string{`alert icmp any any -> any any (msg:"ts"; itype:13; psad_id:900023; psad_dl:5;)`}, icmpPkt(13, 0, 40), []int{900023}},
		{"itype:3 icode:>5", []string{`alert icmp any any -> any any (msg:"un"; itype:3; icode:>5; psad_id:900024;)`}, icmpPkt(3, 9, 56), []int{900024}},
		{"echo dsize:>100", []string{`alert icmp any any -> any any (msg:"big"; itype:8; dsize:>100; psad_id:900025;)`}, icmpPkt(8, 0, 125), []int{900025}},
		{"flow:established flags:P", []string{`alert tcp any any -> any any (msg:"e"; flow:established; flags:P; psad_id:900026;)`}, tcpPkt(40000, 80, ack|psh), []int{900026}},
		{"flow:established flags:P misses PSH", []string{`alert tcp any any -> any any (msg:"e"; flow:established; flags:P; psad_id:900026;)`}, tcpPkt(40000, 80, psh), none},
		{"sid", []string{`alert tcp any any -> any any (msg:"s"; sid:12345; psad_id:900028;)`}, tcpPkt(40000, 80, syn), []int{12345}},
		{"seq", []string{`alert tcp any any -> any any (msg:"ipEye"; flags:S; seq:1958810375; psad_id:900029;)`}, with(tcpPkt(40000, 80, syn), func(p *fwlog.Packet) { p.TCPSeq, p.TCPAck = 1958810375, 0 }), []int{900029}},
		{"ipopts:rr", []string{`alert ip any any -> any any (msg:"rr"; ipopts:rr; psad_id:900030;)`}, with(tcpPkt(40000, 80, syn), func(p *fwlog.Packet) { p.IPOpts = []byte(fullRR) }), []int{900030}},
	}
	runMatchCases(t, compatOpts(), cases)

	t.Run("packet DL", func(t *testing.T) {
		s := mustParse(t, compatOpts(), t1, t2)
		dl := 0
		for _, h := range s.Match(tcpPkt(40000, 1000, syn), nil) {
			dl = max(dl, h.DL)
		}
		if dl != 3 {
			t.Errorf("packet DL = %d, want 3", dl)
		}
	})
	t.Run("psad_dl:0", func(t *testing.T) {
		s := mustParse(t, compatOpts(), `alert tcp any any -> any 1010 (msg:"z"; psad_id:900017; psad_dl:0;)`)
		h := s.Match(tcpPkt(40000, 1010, syn), nil)
		if len(h) != 1 || h[0].DL != 0 {
			t.Errorf("hits = %+v, want one with DL 0", h)
		}
	})
	t.Run("sid flag", func(t *testing.T) {
		s := mustParse(t, compatOpts(),
			`alert tcp any any -> any any (msg:"s"; sid:12345; psad_id:900028;)`,
			`alert tcp any any -> any any (msg:"p"; psad_id:900029; psad_derived_sids:1,2;)`)
		if g := s.Lookup(12345); g == nil || g.PsadID || g.psadID != 900028 {
			t.Errorf("Lookup(12345) = %+v", g)
		}
		if g := s.Lookup(900029); g == nil || !g.PsadID || !slices.Equal(g.DerivedSIDs, []int{1, 2}) {
			t.Errorf("Lookup(900029) = %+v", g)
		}
		if n := s.NextID(); n != 900030 {
			t.Errorf("NextID = %d", n)
		}
	})
}

// TestSnortSemantics: the rows of spec 9.9 where psad ignores Snort's
// meaning, with PsadCompat off.
func TestSnortSemantics(t *testing.T) {
	none := []int{}
	from := func(src string, p *fwlog.Packet) *fwlog.Packet {
		p.Src = netip.MustParseAddr(src)
		return p
	}
	to := func(dst string, p *fwlog.Packet) *fwlog.Packet {
		p.Dst = netip.MustParseAddr(dst)
		return p
	}
	neg := `alert tcp !10.1.1.1 any -> any 1009 (msg:"neg"; psad_id:1;)`
	negList := `alert tcp ![10.1.1.1,10.1.1.2] any -> any any (msg:"negl"; psad_id:2;)`
	ext := `alert tcp $EXTERNAL_NET any -> $HOME_NET any (msg:"ext"; psad_id:3;)`
	notHome := `alert tcp !$HOME_NET any -> any any (msg:"nh"; psad_id:4;)`
	list := `alert tcp [10.1.1.0/24,10.9.0.0/16] any -> any any (msg:"l"; psad_id:5;)`
	listExcept := `alert tcp [10.1.1.0/24,!10.1.1.7] any -> any any (msg:"le"; psad_id:6;)`
	ports := `alert tcp any any -> any 80,8080 (msg:"p"; psad_id:7;)`
	bports := `alert tcp any any -> any [80,443] (msg:"bp"; psad_id:8;)`
	varPorts := `alert tcp any any -> any $WEB_PORTS (msg:"vp"; psad_id:9;)`
	portExcept := `alert tcp any any -> any [1000:2000,!1500] (msg:"pe"; psad_id:10;)`
	bi := `alert tcp any any <> any 1007 (msg:"bi"; psad_id:11;)`
	biAddr := `alert tcp 10.1.1.1 any <> 10.2.2.2 1007 (msg:"bia"; psad_id:12;)`
	rev := `alert tcp any 1008 <- any any (msg:"rev"; psad_id:13;)`
	revAddr := `alert tcp 10.2.2.2 1008 <- 10.1.1.1 any (msg:"reva"; psad_id:14;)`
	twoNets := `alert tcp $TWO_NETS any -> any any (msg:"tn"; psad_id:15;)`
	cases := []matchCase{
		{"negation: from the negated address", []string{neg}, tcpPkt(40000, 1009, syn), none},
		{"negation: from another address", []string{neg}, from("10.1.1.3", tcpPkt(40000, 1009, syn)), []int{1}},
		{"negated list: listed", []string{negList}, from("10.1.1.2", tcpPkt(1, 2, syn)), none},
		{"negated list: other", []string{negList}, from("10.1.1.3", tcpPkt(1, 2, syn)), []int{2}},
		{"EXTERNAL_NET !$HOME_NET: outside in", []string{ext}, tcpPkt(1, 2, syn), []int{3}},
		{"EXTERNAL_NET !$HOME_NET: inside", []string{ext}, from("10.2.2.7", tcpPkt(1, 2, syn)), none},
		{"!$HOME_NET", []string{notHome}, from("10.2.2.7", tcpPkt(1, 2, syn)), none},
		{"address list: second network", []string{list}, from("10.9.3.4", tcpPkt(1, 2, syn)), []int{5}},
		{"address list: outside", []string{list}, from("10.8.3.4", tcpPkt(1, 2, syn)), none},
		{"list with exception: exception", []string{listExcept}, from("10.1.1.7", tcpPkt(1, 2, syn)), none},
		{"list with exception: other", []string{listExcept}, from("10.1.1.8", tcpPkt(1, 2, syn)), []int{6}},
		{"variable comma list", []string{twoNets}, from("10.3.9.9", tcpPkt(1, 2, syn)), []int{15}},
		{"port list 80,8080: 8080", []string{ports}, tcpPkt(1, 8080, syn), []int{7}},
		{"port list 80,8080: 81", []string{ports}, tcpPkt(1, 81, syn), none},
		{"port list [80,443]: 443", []string{bports}, tcpPkt(1, 443, syn), []int{8}},
		{"port variable list: 8085", []string{varPorts}, tcpPkt(1, 8085, syn), []int{9}},
		{"port range with exception: 1500", []string{portExcept}, tcpPkt(1, 1500, syn), none},
		{"port range with exception: 1501", []string{portExcept}, tcpPkt(1, 1501, syn), []int{10}},
		{"<> reply direction", []string{bi}, tcpPkt(1007, 5000, syn), []int{11}},
		{"<> forward", []string{bi}, tcpPkt(5000, 1007, syn), []int{11}},
		{"<> swaps addresses and ports", []string{biAddr}, from("10.2.2.2", to("10.1.1.1", tcpPkt(1007, 5000, syn))), []int{12}},
		{"<> reply needs the port on the reply side", []string{biAddr}, from("10.2.2.2", to("10.1.1.1", tcpPkt(5000, 1007, syn))), none},
		{"<- ports follow the addresses: miss", []string{rev}, tcpPkt(1008, 5555, syn), none},
		{"<- ports follow the addresses: match", []string{rev}, tcpPkt(5555, 1008, syn), []int{13}},
		{"<- addresses", []string{revAddr}, tcpPkt(5555, 1008, syn), []int{14}},
		{"<- addresses: wrong way", []string{revAddr}, from("10.2.2.2", to("10.1.1.1", tcpPkt(1008, 5555, syn))), none},
	}
	runMatchCases(t, snortOpts(), cases)

	// The same rules with PsadCompat behave as psad (spec 9.3, quirk #11).
	compat := []matchCase{
		{"compat: negated list is the list", []string{negList}, from("10.1.1.2", tcpPkt(1, 2, syn)), []int{2}},
		{"compat: port list keeps 80", []string{ports}, tcpPkt(1, 80, syn), []int{7}},
		{"compat: port list drops 8080", []string{ports}, tcpPkt(1, 8080, syn), none},
		{"compat: <- swaps addresses only", []string{revAddr}, tcpPkt(1008, 5555, syn), []int{14}},
		{"compat: list with exception keeps both", []string{listExcept}, from("10.1.1.7", tcpPkt(1, 2, syn)), []int{6}},
	}
	runMatchCases(t, compatOpts(), compat)
}

// TestFullEvaluation: psad's port-index early exit loses one of these two
// matches (spec 9.6, quirk #10); we report both.
func TestFullEvaluation(t *testing.T) {
	for _, o := range []Options{compatOpts(), snortOpts()} {
		s := mustParse(t, o,
			`alert tcp any any -> any !80 (msg:"a"; psad_id:1;)`,
			`alert tcp any 1024: -> any 1000 (msg:"b"; psad_id:2;)`)
		for range 10 {
			if got := hitIDs(s.Match(tcpPkt(40000, 1000, syn), nil)); !slices.Equal(got, []int{1, 2}) {
				t.Fatalf("Match = %v, want [1 2]", got)
			}
		}
	}
}

// TestOverlapOnce: overlapping networks count a packet once (psad counts
// it once per matching network pair).
func TestOverlapOnce(t *testing.T) {
	for _, o := range []Options{compatOpts(), snortOpts()} {
		s := mustParse(t, o,
			`alert tcp 10.0.0.0/8,10.1.0.0/16 any -> 10.2.0.0/16,10.2.2.0/24 any (msg:"o"; psad_id:1;)`)
		if got := hitIDs(s.Match(tcpPkt(1, 2, syn), nil)); !slices.Equal(got, []int{1}) {
			t.Errorf("Match = %v, want [1]", got)
		}
	}
}

func TestProtocols(t *testing.T) {
	s := mustParse(t, snortOpts(),
		`alert tcp any any -> any any (msg:"t"; psad_id:1;)`,
		`alert udp any any -> any any (msg:"u"; psad_id:2;)`,
		`alert icmp any any -> any any (msg:"i"; psad_id:3;)`,
		`alert ip any any -> any any (msg:"ip"; psad_id:4;)`,
		`alert tcp any any -> any any (msg:"ttl"; ttl:1; psad_id:5;)`,
	)
	v6 := func(p *fwlog.Packet) *fwlog.Packet {
		p.IPv6 = true
		p.Src = netip.MustParseAddr("2001:db8::1")
		p.Dst = netip.MustParseAddr("2001:db8::2")
		p.TTL, p.IPID = -1, -1
		return p
	}
	proto := func(n uint8, ipv6 bool) *fwlog.Packet {
		p := basePkt()
		p.Proto = n
		if ipv6 {
			return v6(&p)
		}
		return &p
	}
	for _, c := range []struct {
		name string
		p    *fwlog.Packet
		want []int
	}{
		{"tcp", tcpPkt(1, 2, syn), []int{1, 4}},
		{"udp", udpPkt(1, 2, 20), []int{2, 4}},
		{"icmp", icmpPkt(8, 0, 84), []int{3, 4}},
		{"udplite", proto(fwlog.ProtoUDPLite, false), []int{4}},
		{"icmp6 number on IPv4", proto(fwlog.ProtoICMPv6, false), []int{4}},
		{"gre", proto(47, false), []int{4}},
		// IPv6: no ip signatures; ttl is skipped, so sig 5 matches.
		{"tcp over IPv6", v6(tcpPkt(1, 2, syn)), []int{1, 5}},
		{"icmp6", proto(fwlog.ProtoICMPv6, true), []int{}},
		{"icmp number on IPv6", proto(fwlog.ProtoICMP, true), []int{}},
		{"no protocol", with(tcpPkt(1, 2, syn), func(p *fwlog.Packet) { p.HasProto = false }), []int{}},
	} {
		if got := hitIDs(s.Match(c.p, nil)); !slices.Equal(got, c.want) {
			t.Errorf("%s: Match = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestIndexAgainstNaive compares the indexed Match with evaluating every
// signature on random rules and packets, the gates' address spans among
// them (hosts, networks, lists, IPv6 prefixes, <>, against IPv4, IPv6
// and IPv4-mapped addresses).
func TestIndexAgainstNaive(t *testing.T) {
	for _, o := range []Options{compatOpts(), snortOpts()} {
		s := mustParse(t, o, append(syntheticRules(600, 7), addressRules(300, 8)...)...)
		r := rand.New(rand.NewPCG(1, 2))
		var got, want []Hit
		for range 30000 {
			p := randomPacket(r)
			if r.IntN(2) == 0 {
				withAddresses(r, p)
			}
			got = s.Match(p, got[:0])
			want = s.matchNaive(p, want[:0])
			if !slices.Equal(hitIDs(got), hitIDs(want)) {
				t.Fatalf("packet %+v: Match = %v, naive = %v", p, hitIDs(got), hitIDs(want))
			}
		}
	}
}

func TestMatchNoAllocs(t *testing.T) {
	s := mustParse(t, snortOpts(), syntheticRules(500, 3)...)
	pkts := []*fwlog.Packet{
		tcpPkt(40000, 1433, syn), udpPkt(5353, 53, 40), icmpPkt(8, 0, 84),
		with(tcpPkt(1, 2, syn), func(p *fwlog.Packet) { p.IPOpts = []byte(fullRR) }),
	}
	dst := make([]Hit, 0, 64)
	for _, p := range pkts {
		if n := testing.AllocsPerRun(100, func() { dst = s.Match(p, dst[:0]) }); n != 0 {
			t.Errorf("Match allocates %v times", n)
		}
	}
}

// syntheticRules builds n signatures shaped like psad's shipped set:
// mostly tcp SYN rules on single ports and ranges, udp with payload
// sizes, icmp types, some any/negated ports and a few ip rules.
func syntheticRules(n int, seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, 99))
	var out []string
	nets := []string{"any", "$HOME_NET", "$EXTERNAL_NET", "10.0.0.0/8", "[10.2.2.0/24,192.168.0.0/16]"}
	port := func() string {
		switch r.IntN(10) {
		case 0:
			return "any"
		case 1:
			return fmt.Sprintf("!%d", 1+r.IntN(2000))
		case 2:
			a := 1 + r.IntN(60000)
			return fmt.Sprintf("%d:%d", a, a+r.IntN(50))
		case 3:
			return fmt.Sprintf("%d:", 1024+r.IntN(60000))
		default:
			return fmt.Sprint(1 + r.IntN(40000))
		}
	}
	for i := range n {
		id := 200000 + i
		src, dst := nets[r.IntN(len(nets))], nets[r.IntN(2)]
		var line string
		switch k := r.IntN(20); {
		case k < 11:
			flags := []string{"S", "SF", "F", "N", "UPF", "S,12", "A"}[r.IntN(7)]
			line = fmt.Sprintf(`alert tcp %s any -> %s %s (msg:"SYN %d"; flags:%s; classtype:attempted-recon; psad_id:%d; psad_dl:%d;)`, src, dst, port(), i, flags, id, 1+r.IntN(5))
		case k < 15:
			line = fmt.Sprintf(`alert udp %s %s -> %s %s (msg:"UDP %d"; psad_dsize:>%d; psad_id:%d; psad_dl:2;)`, src, port(), dst, port(), i, r.IntN(100), id)
		case k < 19:
			line = fmt.Sprintf(`alert icmp %s any -> %s any (msg:"ICMP %d"; itype:%d; icode:%d; psad_id:%d; psad_dl:2;)`, src, dst, i, r.IntN(20), r.IntN(4), id)
		default:
			opt := []string{"ttl:<5;", "ipopts:rr;", "sameip;", "id:0;", "psad_ip_len:>1000;"}[r.IntN(5)]
			line = fmt.Sprintf(`alert ip %s any -> %s any (msg:"IP %d"; %s psad_id:%d; psad_dl:3;)`, src, dst, i, opt, id)
		}
		out = append(out, line)
	}
	return out
}

// addressRules builds n rules of every protocol that name addresses:
// single hosts, networks, lists, negations and IPv6 prefixes, in both
// directions.
func addressRules(n int, seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, 98))
	nets := []string{
		"any", "$HOME_NET", "$EXTERNAL_NET", "$TWO_NETS", "10.1.1.1", "255.255.255.0/24", "224.0.0.0/4",
		"[10.1.1.1,8.8.8.0/24]", "!10.1.1.1", "![10.0.0.0/8,192.168.0.0/16]", "2001:db8::/32",
		"[2001:db8::1,10.2.2.2]", "0.0.0.0/0", "192.168.1.9/32", "128.0.0.0/1", "::/0",
	}
	var out []string
	for i := range n {
		id := 300000 + i
		src, dst := nets[r.IntN(len(nets))], nets[r.IntN(len(nets))]
		dir := []string{"->", "->", "<>"}[r.IntN(3)]
		var line string
		opt := []string{"", "ttl:0;", "ttl:<5;", "id:0;"}[r.IntN(4)]
		switch k := r.IntN(4); k {
		case 0:
			line = fmt.Sprintf(`alert tcp %s any %s %s any (msg:"A %d"; flags:S; %s psad_id:%d; psad_dl:2;)`, src, dir, dst, i, opt, id)
		case 1:
			line = fmt.Sprintf(`alert udp %s any %s %s %d (msg:"A %d"; psad_id:%d; psad_dl:2;)`, src, dir, dst, 1+r.IntN(2000), i, id)
		case 2:
			line = fmt.Sprintf(`alert icmp %s any %s %s any (msg:"A %d"; itype:%d; psad_id:%d; psad_dl:2;)`, src, dir, dst, i, r.IntN(20), id)
		default:
			line = fmt.Sprintf(`alert ip %s any %s %s any (msg:"A %d"; %s psad_id:%d; psad_dl:2;)`, src, dir, dst, i, opt, id)
		}
		out = append(out, line)
	}
	return out
}

// withAddresses gives p addresses from a wider pool than randomPacket's:
// IPv4 broadcast and multicast, IPv6 and IPv4-mapped IPv6 (an IPv6
// packet's).
func withAddresses(r *rand.Rand, p *fwlog.Packet) {
	v4 := []string{"10.1.1.1", "255.255.255.7", "224.0.0.251", "8.8.8.8", "192.168.1.9", "0.0.0.0", "255.255.255.255", "127.255.255.255", "128.0.0.0"}
	v6 := []string{"2001:db8::1", "::ffff:10.1.1.1", "::ffff:10.1.1.200", "fe80::1", "::"}
	if r.IntN(3) == 0 {
		p.IPv6 = true
		p.Src, p.Dst = netip.MustParseAddr(v6[r.IntN(len(v6))]), netip.MustParseAddr(v6[r.IntN(len(v6))])
		return
	}
	p.Src, p.Dst = netip.MustParseAddr(v4[r.IntN(len(v4))]), netip.MustParseAddr(v4[r.IntN(len(v4))])
}

func randomPacket(r *rand.Rand) *fwlog.Packet {
	addrs := []string{"10.1.1.1", "10.2.2.2", "192.168.1.9", "8.8.8.8", "10.2.2.200"}
	var p *fwlog.Packet
	switch r.IntN(3) {
	case 0:
		fl := []fwlog.TCPFlags{syn, syn | fin, fin, 0, fwlog.FlagURG | psh | fin, ack}[r.IntN(6)]
		p = tcpPkt(r.IntN(65536), r.IntN(65536), fl)
		if r.IntN(2) == 0 {
			p.DstPort = []int{80, 1000, 1024, 1433, 8080, 0}[r.IntN(6)]
		}
	case 1:
		p = udpPkt(r.IntN(65536), r.IntN(65536), 8+r.IntN(200))
	default:
		p = icmpPkt(r.IntN(20), r.IntN(4), 28+r.IntN(100))
	}
	p.Src = netip.MustParseAddr(addrs[r.IntN(len(addrs))])
	p.Dst = netip.MustParseAddr(addrs[r.IntN(len(addrs))])
	p.TTL = r.IntN(10)
	if r.IntN(4) == 0 {
		p.IPOpts = []byte(fullRR)
	}
	return p
}

// fullRR is a complete 39-byte record-route option as the kernel logs it.
var fullRR = "0727" + "04" + strings.Repeat("00", 36)
