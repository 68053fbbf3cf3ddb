package loggen

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// raceEnabled is set by race_test.go; timing checks are meaningless then.
var raceEnabled bool

// fixedGen returns a Gen whose clock advances exactly a second per line.
func fixedGen() *Gen {
	g := New(1)
	g.Start = time.Date(2015, time.March, 1, 20, 35, 11, 123456000, time.UTC)
	g.Uptime = 449*time.Second + 59606*time.Microsecond
	g.Step, g.Jitter = time.Second, 0
	g.LocalMAC = [6]byte{0x52, 0x54, 0, 0, 0, 1}
	g.PeerMAC = [6]byte{0x52, 0x54, 0, 0, 0, 2}
	return g
}

var (
	a4 = netip.MustParseAddr("192.168.10.55")
	b4 = netip.MustParseAddr("192.168.10.1")
	a6 = netip.MustParseAddr("2001:db8:0:f101::2")
	b6 = netip.MustParseAddr("2001:db8:0:f101::1")
)

const (
	hdr    = "Mar  1 20:35:11 fw kernel: [  449.059606] "
	mac4   = "MAC=52:54:00:00:00:01:52:54:00:00:00:02:08:00 "
	mac6   = "MAC=52:54:00:00:00:01:52:54:00:00:00:02:86:dd "
	addrs6 = "SRC=2001:0db8:0000:f101:0000:0000:0000:0002 DST=2001:0db8:0000:f101:0000:0000:0000:0001 "
)

// The expected lines follow net/netfilter/nf_log_syslog.c field by field.
func TestBuilders(t *testing.T) {
	tests := []struct {
		name  string
		setup func(g *Gen)
		build func(g *Gen, dst []byte) []byte
		want  string
	}{
		{"nmap SYN", nil, func(g *Gen, dst []byte) []byte {
			return g.TCP(dst, TCPSpec{IP: IP{Src: a4, Dst: b4, TTL: 50, ID: 1234}, SrcPort: 40000, DstPort: 1433,
				Window: 1024, Flags: "SYN", Opts: mss1460})
		}, hdr + "DROP IN=eth0 OUT= " + mac4 + "SRC=192.168.10.55 DST=192.168.10.1 LEN=44 TOS=0x00 PREC=0x00 TTL=50 ID=1234 PROTO=TCP SPT=40000 DPT=1433 WINDOW=1024 RES=0x00 SYN URGP=0 OPT (020405B4) \n"},
		{"NULL segment, options not logged", func(g *Gen) { g.LogTCPOpts = false }, func(g *Gen, dst []byte) []byte {
			return g.TCP(dst, TCPSpec{IP: IP{Src: a4, Dst: b4, ID: 9}, SrcPort: 1, DstPort: 2, Window: 4096, Opts: mss1460})
		}, hdr + "DROP IN=eth0 OUT= " + mac4 + "SRC=192.168.10.55 DST=192.168.10.1 LEN=44 TOS=0x00 PREC=0x00 TTL=64 ID=9 PROTO=TCP SPT=1 DPT=2 WINDOW=4096 RES=0x00 URGP=0 \n"},
		{"nftables flags all", func(g *Gen) {
			g.Prefix, g.MAC, g.LogSeq = "DROP", MACDecode, true
		}, func(g *Gen, dst []byte) []byte {
			return g.TCP(dst, TCPSpec{IP: IP{Src: a4, Dst: b4, ID: 1, DF: true}, SrcPort: 443, DstPort: 50000,
				Seq: 7, Ack: 8, Window: 512, Flags: "ACK RST"})
		}, hdr + "DROPIN=eth0 OUT= MACSRC=52:54:00:00:00:02 MACDST=52:54:00:00:00:01 MACPROTO=0800 SRC=192.168.10.55 DST=192.168.10.1 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=1 DF PROTO=TCP SPT=443 DPT=50000 SEQ=7 ACK=8 WINDOW=512 RES=0x00 ACK RST URGP=0 \n"},
		{"OUTPUT with owner and mark", func(g *Gen) { g.Prefix, g.OutIf, g.LogUID = "", "eth1", true }, func(g *Gen, dst []byte) []byte {
			return g.UDP(dst, UDPSpec{IP: IP{Src: b4, Dst: a4, ID: 3, Chain: Output, UID: 1000, GID: 100, Mark: 42},
				SrcPort: 5353, DstPort: 53, Payload: 28})
		}, hdr + "IN= OUT=eth1 SRC=192.168.10.1 DST=192.168.10.55 LEN=56 TOS=0x00 PREC=0x00 TTL=64 ID=3 PROTO=UDP SPT=5353 DPT=53 LEN=36 UID=1000 GID=100 MARK=0x2a \n"},
		{"bridged FORWARD", nil, func(g *Gen, dst []byte) []byte {
			return g.UDPLite(dst, UDPSpec{IP: IP{Src: a4, Dst: b4, ID: 3, Chain: Forward, InIf: "br0", OutIf: "br0",
				PhysIn: "eth2", PhysOut: "eth3"}, SrcPort: 1, DstPort: 2})
		}, hdr + "DROP IN=br0 OUT=br0 PHYSIN=eth2 PHYSOUT=eth3 " + mac4 + "SRC=192.168.10.55 DST=192.168.10.1 LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=3 PROTO=UDPLITE SPT=1 DPT=2 LEN=8 \n"},
		{"IGMP with IP options logged", func(g *Gen) { g.LogIPOpts, g.Prefix, g.InIf = true, "Shorewall:net:DROP:", "wlan0" }, func(g *Gen, dst []byte) []byte {
			return g.Proto(dst, ProtoSpec{IP: IP{Src: a4, Dst: allHosts, TTL: 1, TOS: 0xc0, IPOpts: "94040000"}, Proto: 2, Payload: 12})
		}, hdr + "Shorewall:net:DROP:IN=wlan0 OUT= MAC=01:00:5e:00:00:01:52:54:00:00:00:02:08:00 SRC=192.168.10.55 DST=224.0.0.1 LEN=36 TOS=0x00 PREC=0xC0 TTL=1 ID=0 OPT (94040000) PROTO=2 \n"},
		{"AH", nil, func(g *Gen, dst []byte) []byte {
			return g.Proto(dst, ProtoSpec{IP: IP{Src: a4, Dst: b4, ID: 5}, Proto: 51, SPI: 0xdeadbeef, Payload: 24})
		}, hdr + "DROP IN=eth0 OUT= " + mac4 + "SRC=192.168.10.55 DST=192.168.10.1 LEN=44 TOS=0x00 PREC=0x00 TTL=64 ID=5 PROTO=AH SPI=0xdeadbeef \n"},
		{"later fragment", nil, func(g *Gen, dst []byte) []byte {
			return g.TCP(dst, TCPSpec{IP: IP{Src: a4, Dst: b4, ID: 5, MF: true, FragOff: 185, Len: 1500}, SrcPort: 1, DstPort: 2})
		}, hdr + "DROP IN=eth0 OUT= " + mac4 + "SRC=192.168.10.55 DST=192.168.10.1 LEN=1500 TOS=0x00 PREC=0x00 TTL=64 ID=5 MF FRAG:185 PROTO=TCP \n"},
		{"echo request", func(g *Gen) { g.Prefix = "ICMP " }, func(g *Gen, dst []byte) []byte {
			return g.ICMP(dst, ICMPSpec{IP: IP{Src: a4, Dst: b4, ID: 5, DF: true}, Type: 8, Code: 2, EchoID: 2158, EchoSeq: 512})
		}, hdr + "ICMP IN=eth0 OUT= " + mac4 + "SRC=192.168.10.55 DST=192.168.10.1 LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=5 DF PROTO=ICMP TYPE=8 CODE=2 ID=2158 SEQ=512 \n"},
		{"fragmentation needed quoting TCP", nil, func(g *Gen, dst []byte) []byte {
			q := &TCPSpec{IP: IP{Src: b4, Dst: a4, ID: 6, DF: true}, SrcPort: 443, DstPort: 50000, Window: 500, Flags: "ACK PSH", Payload: 1400}
			return g.ICMP(dst, ICMPSpec{IP: IP{Src: a4, Dst: b4, ID: 5}, Type: 3, Code: 4, MTU: 1400, Quote: q})
		}, hdr + "DROP IN=eth0 OUT= " + mac4 + "SRC=192.168.10.55 DST=192.168.10.1 LEN=1468 TOS=0x00 PREC=0x00 TTL=64 ID=5 PROTO=ICMP TYPE=3 CODE=4 [SRC=192.168.10.1 DST=192.168.10.55 LEN=1440 TOS=0x00 PREC=0x00 TTL=64 ID=6 DF PROTO=TCP SPT=443 DPT=50000 WINDOW=500 RES=0x00 ACK PSH URGP=0 ] MTU=1400 \n"},
		{"redirect", nil, func(g *Gen, dst []byte) []byte {
			q := &UDPSpec{IP: IP{Src: b4, Dst: a4, ID: 6}, SrcPort: 1, DstPort: 2}
			return g.ICMP(dst, ICMPSpec{IP: IP{Src: a4, Dst: b4, ID: 5}, Type: 5, Code: 1, Gateway: netip.MustParseAddr("10.0.0.1"), Quote: q})
		}, hdr + "DROP IN=eth0 OUT= " + mac4 + "SRC=192.168.10.55 DST=192.168.10.1 LEN=56 TOS=0x00 PREC=0x00 TTL=64 ID=5 PROTO=ICMP TYPE=5 CODE=1 GATEWAY=10.0.0.1 [SRC=192.168.10.1 DST=192.168.10.55 LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=6 PROTO=UDP SPT=1 DPT=2 LEN=8 ] \n"},
		{"IPv6 TCP with extension headers logged", func(g *Gen) { g.LogIPOpts = true }, func(g *Gen, dst []byte) []byte {
			return g.TCP(dst, TCPSpec{IP: IP{Src: a6, Dst: b6, ExtHdrs: 2, FlowLabel: 5}, SrcPort: 1, DstPort: 0, Window: 8192, Flags: "SYN"})
		}, hdr + "DROP IN=eth0 OUT= " + mac6 + addrs6 + "LEN=76 TC=0 HOPLIMIT=64 FLOWLBL=5 OPT ( ) OPT ( ) PROTO=TCP SPT=1 DPT=0 WINDOW=8192 RES=0x00 SYN URGP=0 \n"},
		{"ICMPv6 echo", nil, func(g *Gen, dst []byte) []byte {
			return g.ICMPv6(dst, ICMPSpec{IP: IP{Src: a6, Dst: b6}, Type: 128, EchoID: 7, EchoSeq: 1, Payload: 56})
		}, hdr + "DROP IN=eth0 OUT= " + mac6 + addrs6 + "LEN=104 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 TYPE=128 CODE=0 ID=7 SEQ=1 \n"},
		{"neighbour solicitation", nil, func(g *Gen, dst []byte) []byte {
			return g.ICMPv6(dst, nd(a6, solicitedNode(b6), 135, true))
		}, hdr + "DROP IN=eth0 OUT= MAC=33:33:ff:00:00:01:52:54:00:00:00:02:86:dd SRC=2001:0db8:0000:f101:0000:0000:0000:0002 DST=ff02:0000:0000:0000:0000:0001:ff00:0001 LEN=72 TC=0 HOPLIMIT=255 FLOWLBL=0 PROTO=ICMPv6 TYPE=135 CODE=0 \n"},
		{"ICMPv6 parameter problem", func(g *Gen) { g.MAC = MACNone }, func(g *Gen, dst []byte) []byte {
			q := &ProtoSpec{IP: IP{Src: b6, Dst: a6}, Proto: 59}
			return g.ICMPv6(dst, ICMPSpec{IP: IP{Src: a6, Dst: b6}, Type: 4, Code: 1, Param: 40, Quote: q})
		}, hdr + "DROP IN=eth0 OUT= " + addrs6 + "LEN=88 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 TYPE=4 CODE=1 POINTER=00000028 [SRC=2001:0db8:0000:f101:0000:0000:0000:0001 DST=2001:0db8:0000:f101:0000:0000:0000:0002 LEN=40 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=59 ] \n"},
		{"loopback", func(g *Gen) { g.InIf, g.Prefix = "lo", "" }, func(g *Gen, dst []byte) []byte {
			return g.UDP(dst, UDPSpec{IP: IP{Src: a4, Dst: b4, DF: true, ID: 1}, SrcPort: 1, DstPort: 62201, Payload: 161})
		}, hdr + "IN=lo OUT= MAC=00:00:00:00:00:00:00:00:00:00:00:00:08:00 SRC=192.168.10.55 DST=192.168.10.1 LEN=189 TOS=0x00 PREC=0x00 TTL=64 ID=1 DF PROTO=UDP SPT=1 DPT=62201 LEN=169 \n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := fixedGen()
			if tt.setup != nil {
				tt.setup(g)
			}
			if got := string(tt.build(g, nil)); got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestHeaders(t *testing.T) {
	tests := []struct {
		name   string
		header Header
		zone   *time.Location
		kts    bool
		want   [2]string // first and second line up to the prefix
	}{
		{"classic", HeaderClassic, time.UTC, true,
			[2]string{"Mar  1 20:35:11 fw kernel: [  449.059606] ", "Mar  1 20:35:12 fw kernel: [  450.059606] "}},
		{"rfc3339", HeaderRFC3339, time.FixedZone("", 2*3600), false,
			[2]string{"2015-03-01T20:35:11.123456+02:00 fw kernel: ", "2015-03-01T20:35:12.123456+02:00 fw kernel: "}},
		{"rfc3339 west", HeaderRFC3339, time.FixedZone("", -5*3600-1800), false,
			[2]string{"2015-03-01T20:35:11.123456-05:30 fw kernel: ", "2015-03-01T20:35:12.123456-05:30 fw kernel: "}},
		{"short-iso", HeaderISOShort, time.FixedZone("", 2*3600), false,
			[2]string{"2015-03-01T20:35:11+0200 fw kernel: ", "2015-03-01T20:35:12+0200 fw kernel: "}},
		{"short-precise", HeaderShortPrecise, time.UTC, true,
			[2]string{"Mar 01 20:35:11.123456 fw kernel: [  449.059606] ", "Mar 01 20:35:12.123456 fw kernel: [  450.059606] "}},
		{"dmesg", HeaderNone, time.UTC, true, [2]string{"[  449.059606] ", "[  450.059606] "}},
		{"bare", HeaderNone, time.UTC, false, [2]string{"", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := fixedGen()
			g.Header, g.KernelTS = tt.header, tt.kts
			// The same wall-clock reading in the test's zone.
			y, mo, d := g.Start.Date()
			h, mi, s := g.Start.Clock()
			g.Start = time.Date(y, mo, d, h, mi, s, g.Start.Nanosecond(), tt.zone)
			var b []byte
			for range 2 {
				b = g.ICMP(b, ICMPSpec{IP: IP{Src: a4, Dst: b4}, Type: 8})
			}
			got := lines(b)
			for i := range 2 {
				if !strings.HasPrefix(got[i], tt.want[i]+"DROP IN=eth0 ") {
					t.Errorf("line %d: got %q, want prefix %q", i+1, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestUptimeWidth(t *testing.T) {
	g := fixedGen()
	g.Uptime = 1653060*time.Second + 877*time.Microsecond
	if got := string(g.Raw(nil, "x")); got != "Mar  1 20:35:11 fw kernel: [1653060.000877] x\n" {
		t.Errorf("got %q", got)
	}
	if got := string(g.Other(nil, "sshd[1]", "hello")); got != "Mar  1 20:35:12 fw sshd[1]: hello\n" {
		t.Errorf("got %q", got)
	}
}

func TestMixed(t *testing.T) {
	const n = 50000
	var a, b, c bytes.Buffer
	if err := Mixed(&a, n, 7); err != nil {
		t.Fatal(err)
	}
	if err := Mixed(&b, n, 7); err != nil {
		t.Fatal(err)
	}
	if err := Mixed(&c, n, 8); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("same seed, different output")
	}
	if bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Error("different seeds, same output")
	}
	ls := lines(a.Bytes())
	if len(ls) != n {
		t.Fatalf("%d lines, want %d", len(ls), n)
	}
	packets, sources := 0, map[string]bool{}
	for _, l := range ls {
		if strings.Contains(l, " kernel: [") && strings.Contains(l, "IN=") && strings.Contains(l, " PROTO=") {
			packets++
			sources[field(l, "SRC")] = true
		}
	}
	if packets < n*98/100 || packets == n {
		t.Errorf("%d of %d lines are packets; want a few others", packets, n)
	}
	if len(sources) < n/4 {
		t.Errorf("only %d distinct sources", len(sources))
	}
	for _, marker := range []string{"SYN URGP=0 OPT (", "URG PSH FIN URGP", "PROTO=UDP ", "PROTO=ICMP TYPE=8 ",
		"TYPE=3 CODE=3 [SRC=", "HOPLIMIT=", "PROTO=ICMPv6 TYPE=135 ", "DROPIN=", "MACSRC=", " SEQ=", "PHYSIN=",
		"IN=eth1 OUT=eth0 ", "IN= OUT=eth0 ", "UID=", "MARK=0x", "FRAG:", " MF ", "PROTO=47 ", "PROTO=ESP SPI=",
		"PROTO=2 ", "ACK RST", "CWR ECE SYN", "INCOMPLETE", " ARP ", "sshd[", "DROP INVALID IN="} {
		if !strings.Contains(a.String(), marker) {
			t.Errorf("no line with %q", marker)
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestMixedWriteError(t *testing.T) {
	if err := Mixed(failWriter{}, 10000, 1); err == nil {
		t.Error("no error from a failing writer")
	}
	var b bytes.Buffer
	if err := Mixed(&b, 0, 1); err != nil || b.Len() != 0 {
		t.Errorf("n=0: %v, %d bytes", err, b.Len())
	}
}

// The benchmarks of the parser need a million lines quickly.
func TestMixedSpeed(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("timing")
	}
	start := time.Now()
	if err := Mixed(io.Discard, 1000000, 1); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("1M lines took %v", d)
	}
}

func BenchmarkMixed(b *testing.B) {
	b.ReportAllocs()
	if err := Mixed(io.Discard, b.N, 1); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkScenario(b *testing.B) {
	for _, name := range []string{"syn_scan_1000_1500", "ipv6_tcp_connect_nmap_default_scan"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Scenarios[name]()
			}
		})
	}
}

// TestVariants: the comparison with psad tells lines apart by source, so
// every line has its own, and the same seed gives the same lines.
func TestVariants(t *testing.T) {
	var a, b bytes.Buffer
	if err := Variants(&a, 5000, 7); err != nil {
		t.Fatal(err)
	}
	if err := Variants(&b, 5000, 7); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two runs with one seed differ")
	}
	seen := map[netip.Addr]int{}
	padded, v6 := 0, 0
	for i, line := range strings.Split(strings.TrimSuffix(a.String(), "\n"), "\n") {
		_, rest, ok := strings.Cut(line, "SRC=")
		if !ok {
			t.Fatalf("line %d has no SRC=: %q", i+1, line)
		}
		src := strings.Fields(rest)[0]
		if !strings.Contains(src, ":") {
			parts := strings.Split(src, ".")
			for j, p := range parts {
				if len(p) > 1 && p[0] == '0' {
					padded++
					parts[j] = strings.TrimLeft(p, "0")
					if parts[j] == "" {
						parts[j] = "0"
					}
				}
			}
			src = strings.Join(parts, ".")
		}
		addr, err := netip.ParseAddr(src)
		if err != nil {
			t.Fatalf("line %d: source %q: %v", i+1, src, err)
		}
		if addr.Is6() {
			v6++
		}
		if j, dup := seen[addr]; dup {
			t.Fatalf("lines %d and %d share the source %s", j, i+1, addr)
		}
		seen[addr] = i + 1
	}
	if len(seen) != 5000 || padded == 0 || v6 < 1000 {
		t.Errorf("%d sources, %d zero-padded, %d IPv6", len(seen), padded, v6)
	}
}
