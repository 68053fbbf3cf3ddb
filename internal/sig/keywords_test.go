package sig

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/psadgo/psad/internal/fwlog"
)

// TestKeywords has a match and a no-match case for every keyword that
// tests the packet, in both modes.
func TestKeywords(t *testing.T) {
	type kc struct {
		kw    string // options inserted before psad_id
		proto string
		match *fwlog.Packet
		miss  *fwlog.Packet
	}
	set := func(f func(p *fwlog.Packet)) func(p *fwlog.Packet) *fwlog.Packet {
		return func(p *fwlog.Packet) *fwlog.Packet { f(p); return p }
	}
	ttl := func(n int) func(p *fwlog.Packet) *fwlog.Packet { return set(func(p *fwlog.Packet) { p.TTL = n }) }
	seq := func(n int64) func(p *fwlog.Packet) *fwlog.Packet { return set(func(p *fwlog.Packet) { p.TCPSeq = n }) }
	ackn := func(n int64) func(p *fwlog.Packet) *fwlog.Packet { return set(func(p *fwlog.Packet) { p.TCPAck = n }) }
	win := func(n int) func(p *fwlog.Packet) *fwlog.Packet { return set(func(p *fwlog.Packet) { p.Window = n }) }
	ipid := func(n int) func(p *fwlog.Packet) *fwlog.Packet { return set(func(p *fwlog.Packet) { p.IPID = n }) }
	iplen := func(n int) func(p *fwlog.Packet) *fwlog.Packet { return set(func(p *fwlog.Packet) { p.IPLen = n }) }
	echo := func(id, sq int) *fwlog.Packet {
		p := icmpPkt(8, 0, 84)
		p.ICMPID, p.ICMPSeq = id, sq
		return p
	}
	opts := func(h string) *fwlog.Packet {
		return with(tcpPkt(1, 2, syn), func(p *fwlog.Packet) { p.IPOpts = []byte(h) })
	}
	cases := []kc{
		{"ttl:50;", "tcp", tcpPkt(1, 2, syn), ttl(51)(tcpPkt(1, 2, syn))},
		{"TTL:>=50;", "tcp", tcpPkt(1, 2, syn), ttl(49)(tcpPkt(1, 2, syn))},
		{"ttl:0;", "ip", ttl(0)(tcpPkt(1, 2, syn)), tcpPkt(1, 2, syn)},
		{"id:<100;", "tcp", ipid(99)(tcpPkt(1, 2, syn)), ipid(0)(tcpPkt(1, 2, syn))},
		{"psad_ip_len:44;", "tcp", tcpPkt(1, 2, syn), iplen(45)(tcpPkt(1, 2, syn))},
		{"ipopts:rr;", "ip", opts(fullRR), opts("0727" + "04" + strings.Repeat("00", 10))},
		{"ipopts:any;", "tcp", opts("01"), tcpPkt(1, 2, syn)},
		{"IPOPTS:lsrr;", "ip", opts("830704" + "0a000001"), opts(fullRR)},
		{"sameip;", "ip", with(tcpPkt(1, 2, syn), func(p *fwlog.Packet) { p.Dst = p.Src }), tcpPkt(1, 2, syn)},
		{"dsize:>10;", "tcp", iplen(90)(tcpPkt(1, 2, ack)), iplen(90)(tcpPkt(1, 2, syn))}, // 50 vs 6
		{"psad_dsize:16;", "tcp", iplen(100)(tcpPkt(1, 2, syn)), iplen(101)(tcpPkt(1, 2, syn))},
		{"dsize:12;", "udp", udpPkt(1, 2, 20), udpPkt(1, 2, 21)},
		{"dsize:<25;", "udp", udpPkt(1, 2, 9), udpPkt(1, 2, 8)},    // 0 is below the default minimum
		{"dsize:0;", "icmp", icmpPkt(3, 1, 24), icmpPkt(3, 1, 29)}, // psad LEN-24, Snort LEN-28
		{"flags:SF;", "tcp", tcpPkt(1, 2, syn|fin), tcpPkt(1, 2, syn)},
		{"flags:S*;", "tcp", tcpPkt(1, 2, syn), tcpPkt(1, 2, syn|ack)},
		{"flags:!S;", "tcp", tcpPkt(1, 2, syn), tcpPkt(1, 2, fin)},
		{"flags:UPF;", "tcp", tcpPkt(1, 2, fwlog.FlagURG|psh|fin), tcpPkt(1, 2, fwlog.FlagURG|psh|fin|syn)},
		{"flags:N;", "tcp", tcpPkt(1, 2, 0), tcpPkt(1, 2, fwlog.FlagECE)},
		{"flags:SA; flow:to_client,established;", "tcp", tcpPkt(1, 2, syn|ack), tcpPkt(1, 2, syn)},
		{"flags:S; flow:stateless;", "tcp", tcpPkt(1, 2, syn), tcpPkt(1, 2, syn|ack)},
		{"seq:1000:2000;", "tcp", seq(1500)(tcpPkt(1, 2, syn)), seq(2001)(tcpPkt(1, 2, syn))},
		{"seq:0;", "tcp", tcpPkt(1, 2, syn), seq(5)(tcpPkt(1, 2, syn))}, // unset SEQ is 0
		{"ack:>0;", "tcp", ackn(1)(tcpPkt(1, 2, ack)), tcpPkt(1, 2, ack)},
		{"window:55808;", "tcp", win(55808)(tcpPkt(1, 2, syn)), tcpPkt(1, 2, syn)},
		{"WINDOW:!1024;", "tcp", win(4)(tcpPkt(1, 2, syn)), tcpPkt(1, 2, syn)},
		{"itype:8;", "icmp", icmpPkt(8, 0, 84), icmpPkt(0, 0, 84)},
		{"itype:0;", "icmp", icmpPkt(0, 0, 84), icmpPkt(8, 0, 84)},
		{"icode:<5;", "icmp", icmpPkt(3, 4, 56), icmpPkt(3, 0, 56)}, // code 0 is below the minimum
		{"Icode:>=13;", "icmp", icmpPkt(3, 13, 56), icmpPkt(3, 12, 56)},
		{"icmp_seq:0;", "icmp", echo(1, 0), echo(1, 1)},
		{"icmp_seq:0;", "icmp", icmpPkt(3, 0, 56), echo(1, 1)}, // non-echo counts as 0
		{"icmp_id:666;", "icmp", echo(666, 0), echo(667, 0)},
		{"icmp_id:>600;", "icmp", echo(666, 0), echo(600, 0)},
	}
	for i, c := range cases {
		for _, o := range []Options{compatOpts(), snortOpts()} {
			name := fmt.Sprintf("%d %s %s compat=%v", i, c.proto, c.kw, o.PsadCompat)
			t.Run(name, func(t *testing.T) {
				line := fmt.Sprintf(`alert %s any any -> any any (msg:"k"; %s psad_id:7;)`, c.proto, c.kw)
				s := mustParse(t, o, line)
				if got := hitIDs(s.Match(c.match, nil)); !slices.Equal(got, []int{7}) {
					t.Errorf("match case: Match = %v, want [7]", got)
				}
				if got := hitIDs(s.Match(c.miss, nil)); len(got) != 0 {
					t.Errorf("no-match case: Match = %v, want none", got)
				}
			})
		}
	}
}

// TestDescriptiveKeywords checks the options that do not test the packet.
func TestDescriptiveKeywords(t *testing.T) {
	s := mustParse(t, snortOpts(),
		`alert tcp any any -> any 80 (msg:"A \"quoted\" msg\; here"; classtype:web-application-attack; reference:cve,2002-0012; reference:url,example.org/kb\;q1; sid:1421; psad_id:100001; psad_dl:4; psad_derived_sids:223, 231; rev:3; metadata:policy security; priority:1; gid:1; depth:4; nocase; fast_pattern;)`)
	g := s.Lookup(1421)
	if g == nil {
		t.Fatal("Lookup(1421) = nil")
	}
	want := Sig{ID: 1421, Msg: `A "quoted" msg; here`, Proto: "tcp", DL: 4, Classtype: "web-application-attack",
		Refs: []Ref{{"cve", "2002-0012"}, {"url", "example.org/kb;q1"}}, DerivedSIDs: []int{223, 231}, Line: 1, File: "t.sigs"}
	if g.ID != want.ID || g.PsadID || g.Msg != want.Msg || g.Proto != want.Proto || g.DL != want.DL ||
		g.Classtype != want.Classtype || !slices.Equal(g.Refs, want.Refs) || !slices.Equal(g.DerivedSIDs, want.DerivedSIDs) ||
		g.Line != 1 || g.File != "t.sigs" {
		t.Errorf("got %+v\nwant %+v", *g, want)
	}
}

func TestRanges(t *testing.T) {
	for _, c := range []struct {
		val       string
		b         bounds
		in, out   []int64
		compat    bool
		wantError bool
	}{
		{val: "5", b: bTTL, in: []int64{5}, out: []int64{4, 6}},
		{val: "5:7", b: bTTL, in: []int64{5, 6, 7}, out: []int64{4, 8}},
		{val: "5:", b: bTTL, in: []int64{5, 255}, out: []int64{4, 256}},
		{val: ":5", b: bTTL, in: []int64{1, 5}, out: []int64{0, 6}},
		{val: "<5", b: bTTL, in: []int64{1, 4}, out: []int64{0, 5}},
		{val: ">5", b: bTTL, in: []int64{6, 255}, out: []int64{5, 256}},
		{val: "<=5", b: bTTL, in: []int64{1, 5}, out: []int64{0, 6}},
		{val: ">=5", b: bTTL, in: []int64{5, 255}, out: []int64{4}},
		{val: "!5", b: bTTL, in: []int64{0, 4, 6}, out: []int64{5}},
		{val: "any", b: bPort, in: []int64{1, 65535}, out: []int64{0}},
		{val: "!any", b: bPort, in: []int64{0}, out: []int64{1, 80}},
		{val: " 0 ", b: bPort, in: []int64{0}, out: []int64{1}},
		{val: "$HTTP_PORTS", b: bPort, in: []int64{80}, out: []int64{81}},
		{val: "$SHELLCODE_PORTS", b: bPort, in: []int64{81}, out: []int64{80}},
		{val: "5!", b: bTTL, compat: true, in: []int64{4}, out: []int64{5}},
		{val: "80,8080", b: bPort, compat: true, in: []int64{80}, out: []int64{8080}},
		{val: "5!", b: bTTL, wantError: true},
		{val: "80,8080", b: bTTL, wantError: true},
		{val: "[80]", b: bPort, compat: true, wantError: true},
		{val: "7:5", b: bTTL, wantError: true},
		{val: "x", b: bTTL, wantError: true},
		{val: "", b: bTTL, wantError: true},
		{val: "5<>7", b: bTTL, wantError: true},
		{val: "$NOPE", b: bTTL, wantError: true},
		{val: "99999999999999", b: bTTL, wantError: true},
	} {
		ns, err := buildRange(c.val, c.b, testVars, c.compat)
		if c.wantError {
			if err == nil {
				t.Errorf("buildRange(%q, compat=%v) = %+v, want error", c.val, c.compat, ns)
			}
			continue
		}
		if err != nil {
			t.Errorf("buildRange(%q): %v", c.val, err)
			continue
		}
		for _, v := range c.in {
			if !ns.match(v) {
				t.Errorf("%q does not match %d", c.val, v)
			}
		}
		for _, v := range c.out {
			if ns.match(v) {
				t.Errorf("%q matches %d", c.val, v)
			}
		}
	}
}

func TestPorts(t *testing.T) {
	for _, c := range []struct {
		val     string
		in, out []int64
	}{
		{"any", []int64{1, 65535}, []int64{0}},
		{"80,8080", []int64{80, 8080}, []int64{81}},
		{"[80, 443]", []int64{80, 443}, []int64{0, 81}},
		{"![80,443]", []int64{0, 81}, []int64{80, 443}},
		{"!$WEB_PORTS", []int64{81, 8090}, []int64{80, 443, 8085}},
		{"[1:1024,!80]", []int64{1, 1024}, []int64{80, 1025}},
		{"!!80", []int64{80}, []int64{81}},
		{">1023", []int64{1024}, []int64{1023}},
	} {
		ns, err := parsePorts(c.val, testVars)
		if err != nil {
			t.Errorf("parsePorts(%q): %v", c.val, err)
			continue
		}
		for _, v := range c.in {
			if !ns.match(v) {
				t.Errorf("%q does not match %d", c.val, v)
			}
		}
		for _, v := range c.out {
			if ns.match(v) {
				t.Errorf("%q matches %d", c.val, v)
			}
		}
	}
	for _, bad := range []string{"", "[80", "80]", "![80,!443]", "[80,,443]", "$NOPE", "80:70", "a"} {
		if _, err := parsePorts(bad, testVars); err == nil {
			t.Errorf("parsePorts(%q) succeeded", bad)
		}
	}
}

func TestAddresses(t *testing.T) {
	for _, c := range []struct {
		val     string
		compat  bool
		in, out []string
	}{
		{"any", false, []string{"1.2.3.4", "2001:db8::1"}, nil},
		{"10.0.0.0/255.0.0.0", false, []string{"10.9.9.9"}, []string{"11.0.0.1"}},
		{"10.1.2.3/8", false, []string{"10.9.9.9"}, []string{"11.0.0.1"}},
		{"2001:db8::/32", false, []string{"2001:db8::1"}, []string{"2001:db9::1", "10.0.0.1"}},
		{"!10.0.0.0/8", false, []string{"11.0.0.1", "2001:db8::1"}, []string{"10.0.0.1"}},
		{"$TWO_NETS", false, []string{"10.2.2.1", "10.3.1.1"}, []string{"10.2.2.200"}},
		{"$NOT_ANY", false, nil, []string{"1.2.3.4"}},
		{"!$ANY_NET", false, nil, []string{"1.2.3.4"}},
		{"!10.0.0.0/8", true, []string{"10.0.0.1"}, []string{"11.0.0.1"}},
		{"[any, 10.0.0.0/8]", true, []string{"10.0.0.1"}, []string{"11.0.0.1"}},
		{"$NOT_ANY", true, []string{"1.2.3.4", "2001:db8::1"}, nil},
		{"NOT_USED", true, []string{"1.2.3.4"}, nil},
		{"[10.0.0.0/8,2001:db8::/32]", true, []string{"10.0.0.1", "2001:db8::5"}, []string{"11.0.0.1"}},
		{"2001:db8::/32", true, []string{"2001:db8::1"}, []string{"10.0.0.1"}},
	} {
		var a addrSet
		var err error
		if c.compat {
			a, err = parseAddrsCompat(c.val, testVars)
		} else {
			a, _, err = parseAddrs(c.val, testVars)
		}
		if err != nil {
			t.Errorf("%q compat=%v: %v", c.val, c.compat, err)
			continue
		}
		for _, s := range c.in {
			if !a.match(mustAddr(s)) {
				t.Errorf("%q compat=%v does not match %s", c.val, c.compat, s)
			}
		}
		for _, s := range c.out {
			if a.match(mustAddr(s)) {
				t.Errorf("%q compat=%v matches %s", c.val, c.compat, s)
			}
		}
	}
	for _, bad := range []string{"1.2.3", "10.0.0.0/33", "10.0.0.0/255.0.255.0", "[10.0.0.0/8", "foo", "$NOPE", "[1.2.3.4,!any]", "fe80::1%eth0", "![1.2.3.4,!1.2.3.5]"} {
		if _, _, err := parseAddrs(bad, testVars); err == nil {
			t.Errorf("parseAddrs(%q) succeeded", bad)
		}
	}
	for _, bad := range []string{"1.2.3", "foo", "$HOME_NET,$TWO_NETS", "300.1.1.1", "[10.0.0.0/8,zz::zz::1]"} {
		if _, err := parseAddrsCompat(bad, testVars); err == nil {
			t.Errorf("parseAddrsCompat(%q) succeeded", bad)
		}
	}
}
