package alert

import (
	"bytes"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/scan"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

var t0 = time.Date(2026, 11, 21, 19, 18, 20, 0, time.UTC)

// pkt builds a packet as fwlog.Parse would fill it for an INPUT line.
func pkt(src, dst string, proto uint8, dp int, flags fwlog.TCPFlags) fwlog.Packet {
	var p fwlog.Packet
	p.Reset()
	p.Src = netip.MustParseAddr(src)
	p.Dst = netip.MustParseAddr(dst)
	p.IPv6 = p.Src.Is6()
	p.Proto, p.HasProto = proto, true
	p.Chain = fwlog.ChainInput
	p.Intf = []byte("eth1")
	p.In = p.Intf
	p.Prefix = []byte("DROP")
	p.Host = []byte("linux")
	switch proto {
	case fwlog.ProtoTCP:
		p.SrcPort, p.DstPort, p.Flags = 40000, dp, flags
	case fwlog.ProtoUDP, fwlog.ProtoUDPLite:
		p.SrcPort, p.DstPort = 40000, dp
	case fwlog.ProtoICMP:
		p.ICMPType, p.ICMPCode = 8, 0
	case fwlog.ProtoICMPv6:
		p.ICMPType, p.ICMPCode = 135, 0
	}
	return p
}

// sigDB is a stand-in for the signature and fwsnort rule sets.
var sigDB = map[int]struct {
	msg, proto, classtype string
	refs                  []string
	psadID                bool
	derived               []int
}{
	100205: {"MISC Microsoft SQL Server communication attempt", "tcp", "attempted-admin",
		[]string{"(url) http://www.linklogger.com/TCP1433.htm"}, true, nil},
	1985:   {"BACKDOOR Doly 1.5 Connection attempt", "tcp", "trojan-activity", nil, false, nil},
	621:    {"SCAN FIN", "tcp", "attempted-recon", nil, false, nil},
	365:    {"ICMP PING undefined code", "icmp", "misc-activity", nil, false, nil},
	100210: {"PSAD-CUSTOM fwknop Single Packet Authorization (SPA) packet", "udp", "", nil, true, []int{3, 7}},
	2003:   {"MS-SQL Worm propagation attempt", "udp", "misc-attack", []string{"(bugtraq) http://www.securityfocus.com/bid/5310"}, false, nil},
}

func sigs(id int) (msg, proto, classtype string, refs []string, psadID bool, derived []int, ok bool) {
	s, ok := sigDB[id]
	return s.msg, s.proto, s.classtype, s.refs, s.psadID, s.derived, ok
}

// inspector plays the signature and ICMP engines: sigAt maps a
// destination port (or -ICMP type-1 for ICMP) to the signature it matches.
func inspector(sigAt map[int]scan.SigHit) func(*fwlog.Packet, *scan.Source, *scan.Inspection) {
	return func(p *fwlog.Packet, _ *scan.Source, ins *scan.Inspection) {
		if p.FwsnortSID > 0 {
			ins.Sigs = append(ins.Sigs, scan.SigHit{ID: p.FwsnortSID, Proto: p.ProtoKey(), DL: 2,
				Fwsnort: true, Rule: p.FwsnortRule, Estab: p.FwsnortEstab})
			ins.SidDL = 2
			return
		}
		switch p.Proto {
		case fwlog.ProtoICMP:
			if p.ICMPType == 8 && p.ICMPCode != 0 {
				ins.InvalidCode = true
			}
		case fwlog.ProtoICMPv6:
			if p.ICMPType == 200 {
				ins.InvalidType = true
			}
			if p.ICMPType == 128 && p.ICMPCode != 0 {
				ins.InvalidCode = true
			}
		}
		key := p.DstPort
		if p.Proto == fwlog.ProtoICMP || p.Proto == fwlog.ProtoICMPv6 {
			key = -1 - p.ICMPCode
		}
		if h, ok := sigAt[key]; ok && h.Proto == p.ProtoKey() {
			ins.Sigs = append(ins.Sigs, h)
			ins.SigDL = max(ins.SigDL, h.DL)
		}
	}
}

type scenario struct {
	name  string
	src   string
	dst   string // the alerted destination
	pkts  []fwlog.Packet
	sigAt map[int]scan.SigHit
	info  func(in *Info)
}

func repeat(n int, f func(i int) fwlog.Packet) []fwlog.Packet {
	out := make([]fwlog.Packet, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

func cat(parts ...[]fwlog.Packet) (all []fwlog.Packet) {
	for _, p := range parts {
		all = append(all, p...)
	}
	return all
}

func scenarios() []scenario {
	const syn = fwlog.FlagSYN
	return []scenario{
		{
			// The observed SYN-scan alert of operations spec 6.1.2.
			name: "syn", src: "192.168.10.55", dst: "192.168.10.1",
			pkts: repeat(1002, func(i int) fwlog.Packet {
				return pkt("192.168.10.55", "192.168.10.1", fwlog.ProtoTCP, 1000+i/2, syn)
			}),
			sigAt: map[int]scan.SigHit{
				1433: {ID: 100205, Proto: "tcp", DL: 3, Rule: -1},
				1015: {ID: 1985, Proto: "tcp", DL: 3, Rule: -1},
			},
			info: func(in *Info) {
				in.DNSLookups = true
				in.PosfGuess = "SunOS:4.1::SunOS 4.1.x"
				in.Whois = "% fake whois for 192.168.10.55\nnetname: TEST-NET\ncountry: ZZ\n"
			},
		},
		{
			name: "udp", src: "203.0.113.11", dst: "192.168.10.1",
			pkts: repeat(302, func(i int) fwlog.Packet {
				return pkt("203.0.113.11", "192.168.10.1", fwlog.ProtoUDP, 1000+i/2, 0)
			}),
		},
		{
			// TCP with several flag combinations, UDP (with a psad-id
			// signature and an fwsnort match), ICMP, two syslog hosts, MACs,
			// DNS names and OS guesses of both kinds.
			name: "mixed", src: "10.1.1.1", dst: "10.2.2.2",
			pkts: cat(
				repeat(5, func(i int) fwlog.Packet { return pkt("10.1.1.1", "10.2.2.2", fwlog.ProtoTCP, 100+i, syn) }),
				[]fwlog.Packet{
					pkt("10.1.1.1", "10.2.2.2", fwlog.ProtoTCP, 105, fwlog.FlagURG|fwlog.FlagPSH|fwlog.FlagFIN),
					pkt("10.1.1.1", "10.2.2.2", fwlog.ProtoTCP, 106, 0),
					pkt("10.1.1.1", "10.2.2.2", fwlog.ProtoTCP, 107, fwlog.FlagFIN),
					pkt("10.1.1.1", "10.2.2.2", fwlog.ProtoTCP, 108, fwlog.FlagFIN),
					pkt("10.1.1.1", "10.2.2.2", fwlog.ProtoTCP, 109, fwlog.FlagCWR|fwlog.FlagECE|fwlog.FlagSYN),
					pkt("10.1.1.1", "10.2.2.2", fwlog.ProtoUDP, 200, 0),
					pkt("10.1.1.1", "10.2.2.2", fwlog.ProtoUDP, 62201, 0),
					pkt("10.1.1.1", "10.2.2.2", fwlog.ProtoICMP, -1, 0),
				},
				repeat(2, func(int) fwlog.Packet {
					p := pkt("10.1.1.1", "10.2.2.2", fwlog.ProtoUDP, 1434, 0)
					p.Prefix = []byte("[12] SID2003 ESTAB")
					p.FwsnortSID, p.FwsnortRule, p.FwsnortEstab = 2003, 12, true
					p.Host = []byte("gw2")
					return p
				}),
			),
			sigAt: map[int]scan.SigHit{
				107:   {ID: 621, Proto: "tcp", DL: 2, Rule: -1},
				108:   {ID: 621, Proto: "tcp", DL: 2, Rule: -1},
				62201: {ID: 100210, Proto: "udp", DL: 2, Rule: -1},
			},
			info: func(in *Info) {
				in.DNSLookups = true
				in.SrcDNS = "scanner.example.net"
				in.MACReporting = true
				in.OSGuesses = []string{"Linux:2.6::Linux 2.6", "Linux:2.4@::Linux 2.4 (approx)", "Linux:3.x::Linux 3.x"}
				in.PosfGuess = "ignored when p0f guessed"
				in.SigDetail = func(id int) ([]string, []string) {
					return []string{"|04|", "|81 F1 03 01 04 9B 81 F1 01|"}, []string{"policy balanced-ips drop", "policy security-ips drop"}
				}
			},
		},
		{
			// ICMP echo requests with an invalid code: the invalid-code
			// record and the "undefined code" signature, no style.
			name: "icmp", src: "203.0.113.17", dst: "192.168.10.1",
			pkts: repeat(5, func(int) fwlog.Packet {
				p := pkt("203.0.113.17", "192.168.10.1", fwlog.ProtoICMP, -1, 0)
				p.ICMPCode = 2
				return p
			}),
			sigAt: map[int]scan.SigHit{-3: {ID: 365, Proto: "icmp", DL: 2, Rule: -1}},
			info: func(in *Info) {
				in.ICMPTypeName = func(v6 bool, typ int) string {
					if !v6 && typ == 8 {
						return "Echo Request"
					}
					return ""
				}
			},
		},
		{
			// ICMPv6 neighbour solicitations to two destinations with one
			// invalid type and one echo request with an invalid code (psad
			// lists invalid types first), and protocol 1 on IPv6 (a
			// numeric protocol).
			name: "ipv6", src: "2001:db8:0:f101::2", dst: "ff02::1:ff00:1",
			pkts: cat(
				repeat(150, func(int) fwlog.Packet { return pkt("2001:db8:0:f101::2", "ff02::1:ff00:1", fwlog.ProtoICMPv6, -1, 0) }),
				[]fwlog.Packet{func() fwlog.Packet {
					p := pkt("2001:db8:0:f101::2", "ff02::1:ff00:1", fwlog.ProtoICMPv6, -1, 0)
					p.ICMPType = 200
					return p
				}(), func() fwlog.Packet {
					p := pkt("2001:db8:0:f101::2", "ff02::1:ff00:1", fwlog.ProtoICMPv6, -1, 0)
					p.ICMPType, p.ICMPCode = 128, 5
					return p
				}()},
				repeat(2, func(int) fwlog.Packet { return pkt("2001:db8:0:f101::2", "ff02::1:ff00:1", 1, -1, 0) }),
				repeat(3, func(int) fwlog.Packet { return pkt("2001:db8:0:f101::2", "ff02::2", fwlog.ProtoICMPv6, -1, 0) }),
			),
			info: func(in *Info) {
				in.ProtoName = func(n int) string {
					if n == 1 {
						return "icmp"
					}
					return ""
				}
			},
		},
		{
			name: "topera", src: "2012:1234:1234::1", dst: "2012:1234:1234::2",
			pkts: repeat(1025, func(i int) fwlog.Packet {
				p := pkt("2012:1234:1234::1", "2012:1234:1234::2", fwlog.ProtoTCP, i, syn)
				p.Topera = true
				return p
			}),
		},
		{
			name: "mirai", src: "192.168.10.55", dst: "192.168.10.1",
			pkts: cat(
				repeat(10, func(int) fwlog.Packet { return pkt("192.168.10.55", "192.168.10.1", fwlog.ProtoTCP, 23, syn) }),
				[]fwlog.Packet{pkt("192.168.10.55", "192.168.10.1", fwlog.ProtoTCP, 2323, syn)},
			),
		},
	}
}

// build feeds a scenario to a tracker as one batch and returns the Info
// of its alerted pair.
func build(t *testing.T, sc scenario) *Info {
	t.Helper()
	tr := scan.NewTracker(scan.DefaultSettings())
	tr.Inspect = inspector(sc.sigAt)
	for i := range sc.pkts {
		tr.Observe(t0, &sc.pkts[i])
	}
	tr.EndBatch()
	src := tr.Source(netip.MustParseAddr(sc.src))
	if src == nil {
		t.Fatalf("no source %s", sc.src)
	}
	pair := src.Dst(netip.MustParseAddr(sc.dst))
	if pair == nil {
		t.Fatalf("no pair %s -> %s", sc.src, sc.dst)
	}
	in := &Info{
		Version: "2.4.6", ProgPath: "/usr/sbin/psad", Hostname: "fw",
		Now: t0, DL: src.DL, Src: src, Pair: pair,
		ScanDsts:              len(src.BatchDsts()),
		Style:                 tr.Style(pair),
		TotalEmailAlerts:      1,
		Sigs:                  sigs,
		ProtocolScanThreshold: 5,
		SnortSIDStr:           "SID",
		LocalPorts:            func(string, int) (bool, bool) { return false, true },
	}
	if sc.info != nil {
		sc.info(in)
	}
	return in
}

// render is the golden text of a scenario: subject, syslog lines, alert.
func render(in *Info) []byte {
	var b bytes.Buffer
	b.WriteString("Subject: " + Subject("[psad-alert]", in) + "\n")
	b.WriteString("--- syslog ---\n")
	for _, l := range SigLines(in, 10) {
		b.WriteString(l + "\n")
	}
	b.WriteString(ScanLine(in) + "\n")
	b.WriteString("--- email ---\n")
	b.Write(Email(nil, in))
	return b.Bytes()
}

func TestGolden(t *testing.T) {
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			got := render(build(t, sc))
			golden(t, filepath.Join("testdata", sc.name+".golden"), got)
		})
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestScanLineSpec pins the scan lines of the scenarios that psad's
// observed output covers (operations spec 6.4.2, detection spec 8.4).
func TestScanLineSpec(t *testing.T) {
	want := map[string]string{
		"syn":    "scan detected (Nmap -sT or -sS scan): 192.168.10.55 -> 192.168.10.1 tcp: [1000-1500] flags: SYN tcp pkts: 1002 DL: 3 total scan dsts: 1",
		"udp":    "scan detected (-sU scan): 203.0.113.11 -> 192.168.10.1 udp: [1000-1150] udp pkts: 302 DL: 3 total scan dsts: 1",
		"icmp":   "scan detected 203.0.113.17 -> 192.168.10.1 icmp pkts: 5 DL: 2 total scan dsts: 1",
		"mirai":  "scan detected (Mirai botnet default credentials scan): 192.168.10.55 -> 192.168.10.1 tcp: [23-2323] flags: SYN tcp pkts: 11 DL: 1 total scan dsts: 1",
		"topera": "scan detected (Topera SYN scan): 2012:1234:1234:0000:0000:0000:0000:0001 -> 2012:1234:1234:0000:0000:0000:0000:0002 tcp: [0-1024] flags: SYN tcp pkts: 1025 DL: 3 total scan dsts: 1",
		// psad prints no counter here; we count ICMPv6 and protocol 1 on
		// IPv6 as "other proto pkts".
		"ipv6": "scan detected 2001:0db8:0000:f101:0000:0000:0000:0002 -> ff02:0000:0000:0000:0000:0001:ff00:0001 other proto pkts: 154 DL: 3 total scan dsts: 2",
	}
	for _, sc := range scenarios() {
		w, ok := want[sc.name]
		if !ok {
			continue
		}
		t.Run(sc.name, func(t *testing.T) {
			if got := ScanLine(build(t, sc)); got != w {
				t.Errorf("got  %q\nwant %q", got, w)
			}
		})
	}
}

func TestSigLinesLimit(t *testing.T) {
	sc := scenarios()[0] // two TCP signatures
	in := build(t, sc)
	if got := SigLines(in, 1); len(got) != 1 {
		t.Errorf("limit 1: %d lines", len(got))
	}
	if got := SigLines(in, 0); got != nil {
		t.Errorf("limit 0: %q", got)
	}
	want := `src: 192.168.10.55 signature match: "MISC Microsoft SQL Server communication attempt" (sid: 100205) tcp port: 1433`
	if got := SigLines(in, 10); len(got) != 2 || got[1] != want {
		t.Errorf("got %q, want second line %q", got, want)
	}
}

func TestSubject(t *testing.T) {
	in := build(t, scenarios()[1])
	if got, want := Subject("[psad-alert]", in), "[psad-alert] DL3 src: 203.0.113.11 dst: 192.168.10.1"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	in.Analysis = true
	in.SrcDNS = "scanner.example.net"
	in.DstDNS = noDNS
	if got, want := Subject("[psad-alert]", in), "[psad-alert] DL3 (analysis mode) src: scanner.example.net dst: 192.168.10.1"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	in.SrcDNS = strings.Repeat("a", 1000)
	if got := Subject("[psad-alert]", in); len(got) > maxSubject {
		t.Errorf("subject of %d bytes", len(got))
	}
}

// headerLine matches a line that a mail parser could take for a header
// that matters, or a mail program for a command.
var headerLine = regexp.MustCompile(`(?im)^(bcc|cc|to|from|subject|reply-to|sender|content-[a-z-]*|mime-version|return-path)[ \t]*:|^~|^From |^\.$`)

const hostile = "x\r\nBcc: evil@example.com\r\n\x1b[2J\x00\u202e\x85\xff"

func checkSafe(t *testing.T, what, s string) {
	t.Helper()
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\n' || c == 0x7f {
			t.Errorf("%s: control byte %#x at %d in %q", what, c, i, s)
			return
		}
	}
	if !utf8.ValidString(s) || strings.ContainsAny(s, "\u202e\u0085") {
		t.Errorf("%s: unsafe rune in %q", what, s)
	}
	if m := headerLine.FindString(s); m != "" {
		t.Errorf("%s: header-looking line %q in\n%s", what, m, s)
	}
}

// TestHostile feeds attacker-controlled text into every place it can
// reach: log prefix, syslog host, MAC, DNS names, whois text, signature
// message and interface name.
func TestHostile(t *testing.T) {
	pkts := repeat(20, func(i int) fwlog.Packet {
		p := pkt("192.0.2.66", "192.168.10.1", fwlog.ProtoTCP, 1000+i, fwlog.FlagSYN)
		p.Prefix = []byte("DROP" + hostile)
		p.Host = []byte("host" + hostile)
		p.Intf = []byte("eth" + hostile)
		p.SrcMAC, p.DstMAC = []byte("00:11"+hostile), []byte("00:22"+hostile)
		return p
	})
	sc := scenario{name: "hostile", src: "192.0.2.66", dst: "192.168.10.1", pkts: pkts,
		sigAt: map[int]scan.SigHit{1005: {ID: 9, Proto: "tcp", DL: 3, Rule: -1}}}
	in := build(t, sc)
	in.DNSLookups = true
	in.MACReporting = true
	in.SrcDNS = "evil.example" + hostile
	in.DstDNS = hostile
	in.Whois = "netname: X\r\nBcc: evil@example.com\r\n~! touch /tmp/pwned\r\n.\r\nFrom evil\r\nContent-Type: text/html\r\n\x1b[2J\x00\n"
	in.OSGuesses = []string{"Linux" + hostile}
	in.Sigs = func(int) (string, string, string, []string, bool, []int, bool) {
		return "msg" + hostile, "tcp", "class" + hostile, []string{"(url) " + hostile}, false, nil, true
	}
	body := string(Email(nil, in))
	checkSafe(t, "email", body)
	if !strings.Contains(body, `x\r\nBcc: evil@example.com\r\n\x1b[2J\x00\u202e\x85\xff`) {
		t.Errorf("hostile text not shown escaped:\n%s", body)
	}
	if !strings.Contains(body, "\n Bcc: evil@example.com\n ~! touch /tmp/pwned\n .\n From evil\n Content-Type: text/html\n") {
		t.Errorf("whois lines not neutralised:\n%s", body)
	}
	if !strings.HasPrefix(body, bannerRule+" ") {
		t.Errorf("body does not start with the banner:\n%s", body)
	}
	subj := Subject("[psad-alert]"+hostile, in)
	checkSafe(t, "subject", subj)
	if strings.Contains(subj, "\n") {
		t.Errorf("subject has a line break: %q", subj)
	}
	for _, l := range append(SigLines(in, 10), ScanLine(in)) {
		checkSafe(t, "syslog", l)
		if strings.Contains(l, "\n") {
			t.Errorf("syslog line has a line break: %q", l)
		}
	}
}

func TestClean(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text", "plain text"},
		{"a\r\nb", `a\r\nb`},
		{"\x1b[2J\x00\x7f", `\x1b[2J\x00\x7f`},
		{"tab\there", `tab\there`},
		{"caf\u00e9", "caf\u00e9"},
		{"rtl\u202eexe", `rtl\u202eexe`},
		{"ls\u2028x", `ls\u2028x`},
		{"c1\u0085", `c1\u0085`},
		{"bad\xff\xfe", `bad\xff\xfe`},
	}
	for _, tt := range tests {
		if got := Clean(tt.in); got != tt.want {
			t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNeutralise(t *testing.T) {
	tests := []struct{ in, want string }{
		{"netname: TEST-NET", "netname: TEST-NET"},
		{"Bcc: x", " Bcc: x"},
		{"CONTENT-TYPE: text/html", " CONTENT-TYPE: text/html"},
		{"~! sh", " ~! sh"},
		{".", " ."},
		{"..", ".."},
		{"From x", " From x"},
		{"         Danger level: [3]", "         Danger level: [3]"},
		{"a b: c", "a b: c"},
	}
	for _, tt := range tests {
		if got := neutralise(tt.in); got != tt.want {
			t.Errorf("neutralise(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
