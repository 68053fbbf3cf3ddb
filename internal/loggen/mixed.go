package loggen

import (
	"bufio"
	"io"
	"net/netip"
	"time"
)

// Mixed writes n lines of a busy Internet-facing firewall's kernel log to
// w: background SYNs from many sources with the fingerprints of common
// systems and scanners, nmap/masscan port scans and sweeps, UDP, ICMP and
// ICMPv6, IPv6 TCP, nftables-style lines (no prefix separator, decoded MAC
// header, "flags all"), FORWARD and bridged traffic, OUTPUT with socket
// owners, late ACK/RST packets, fragments, IGMP/GRE/ESP, a few lines from
// other programs and about one malformed line in 200. The output depends
// only on n and seed, and 1M lines take a fraction of a second.
//
// Addresses come from ranges reserved for documentation and benchmarks:
// sources in 198.18.0.0/15 and 2001:db8:8000::/33, the site in
// 203.0.113.0/28 (firewall .1), LAN 192.168.1.0/24 on eth1, DMZ
// 172.16.5.0/24 on eth2, IPv6 2001:db8:1::/64.
func Mixed(w io.Writer, n int, seed int64) error {
	m := newMixer(seed)
	bw := bufio.NewWriterSize(w, 256<<10)
	buf := make([]byte, 0, 1024)
	for range n {
		buf = m.line(buf[:0])
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

type scanKind int

const (
	scanSYN scanKind = iota
	scanConnect
	scanFIN
	scanXmas
	scanNull
	scanUDP
	scanSYN6
	scanSweep
	numScanKinds
)

type mixScan struct {
	kind     scanKind
	src, dst netip.Addr
	ports    []int
	next     int
	sport    int
	window   int
}

type mixer struct {
	g      *Gen
	heavy  [64]netip.Addr // sources that come back again and again
	scans  [3]mixScan
	tmp    []byte
	optBuf []byte
}

// Weighted port lists: repeats make a port more likely.
var (
	bgTCPPorts = []int{23, 23, 23, 23, 22, 22, 22, 445, 445, 445, 3389, 3389, 80, 80, 443, 8080, 8080,
		1433, 3306, 5900, 2323, 25, 8443, 81, 5555, 6379, 9200, 21, 110, 143, 7547, 37215, 52869,
		8291, 1723, 8088, 2375, 5060, 11211, 27017, 139, 135, 8000, 9000, 10000, 50000}
	bgUDPPorts = []int{53, 53, 123, 123, 161, 1900, 5060, 5060, 137, 500, 4500, 11211, 389, 19, 1434,
		5353, 3702, 27015, 69, 111, 520, 33434, 33435, 33436}
	lanOutPorts = []int{25, 25, 445, 6667, 135, 139, 3389, 1080, 4444}
	nftPrefixes = []string{"nft-drop ", "inet-filter-input-drop: ", "DROP", "[nftables] IN-DROP "}
)

func newMixer(seed int64) *mixer {
	g := New(seed)
	g.Host = "gw"
	g.Start = time.Date(2024, time.November, 3, 6, 25, 1, 0, time.UTC)
	g.Uptime = 19*24*time.Hour + 3*time.Hour + 11*time.Minute + 877*time.Millisecond
	g.Step, g.Jitter = 2*time.Millisecond, 6*time.Millisecond
	m := &mixer{g: g}
	for i := range m.heavy {
		m.heavy[i] = m.internet4()
	}
	for i := range m.scans {
		m.newScan(&m.scans[i])
	}
	return m
}

func (m *mixer) intn(n int) int { return m.g.Rand.IntN(n) }

// internet4 is a random source in 198.18.0.0/15.
func (m *mixer) internet4() netip.Addr {
	v := m.g.Rand.Uint32()
	return netip.AddrFrom4([4]byte{198, 18 + byte(v>>16&1), byte(v >> 8), byte(v)})
}

// source4 favours the heavy hitters.
func (m *mixer) source4() netip.Addr {
	if m.intn(10) < 3 {
		return m.heavy[m.intn(len(m.heavy))]
	}
	return m.internet4()
}

func (m *mixer) site4() netip.Addr {
	return netip.AddrFrom4([4]byte{203, 0, 113, byte(1 + m.intn(14))})
}
func (m *mixer) lan4() netip.Addr {
	return netip.AddrFrom4([4]byte{192, 168, 1, byte(2 + m.intn(200))})
}
func (m *mixer) dmz4() netip.Addr { return netip.AddrFrom4([4]byte{172, 16, 5, byte(10 + m.intn(20))}) }

func (m *mixer) internet6() netip.Addr {
	r := m.g.Rand
	v1, v2 := r.Uint64(), r.Uint64()
	var b [16]byte
	b[0], b[1], b[2], b[3] = 0x20, 0x01, 0x0d, 0xb8
	b[4] = 0x80 | byte(v1>>56)
	for i := 5; i < 8; i++ {
		b[i] = byte(v1 >> (8 * (i - 4)))
	}
	for i := 8; i < 16; i++ {
		b[i] = byte(v2 >> (8 * (i - 8)))
	}
	return netip.AddrFrom16(b)
}

func (m *mixer) site6() netip.Addr {
	return netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 1, 15: byte(1 + m.intn(20))})
}

// opts returns TCP options as the kernel prints them, built without fmt
// because Mixed must be fast. The returned string is freshly allocated.
func (m *mixer) opts(parts ...string) string {
	m.optBuf = m.optBuf[:0]
	for _, p := range parts {
		m.optBuf = append(m.optBuf, p...)
	}
	return string(m.optBuf)
}

const hexUpper = "0123456789ABCDEF"

func (m *mixer) hex32() string {
	v := m.g.Rand.Uint32()
	var b [8]byte
	for i := 7; i >= 0; i-- {
		b[i] = hexUpper[v&15]
		v >>= 4
	}
	return string(b[:])
}

// synFingerprint fills the IP and TCP fields of a SYN the way a random
// kind of client sends it.
func (m *mixer) synFingerprint(t *TCPSpec) {
	hops := 4 + m.intn(20)
	switch r := m.intn(100); {
	case r < 35: // Linux
		t.DF, t.TTL = true, 64-hops
		t.Window = [...]int{29200, 64240, 65535, 5840}[m.intn(4)]
		t.Opts = m.opts("020405B40402080A", m.hex32(), "0000000001030307")
	case r < 55: // Windows
		t.DF, t.TTL = true, 128-hops
		t.Window = [...]int{64240, 8192, 65535}[m.intn(3)]
		t.Opts = "020405B40103030801010402"
	case r < 75: // zmap
		t.TTL, t.ID, t.Window = 255-hops, 54321, 65535
	case r < 88: // masscan
		t.TTL, t.Window = 255-hops, 1024
	case r < 95: // nmap
		t.TTL, t.Window, t.Opts = m.g.nmapTTL(), m.g.nmapWindow(), mss1460
	default: // Mirai
		t.DF, t.TTL, t.Window = true, 64-hops, m.intn(65536)
		t.DstPort = [...]int{23, 23, 23, 2323}[m.intn(4)]
	}
	if t.ID == 0 { // Linux, Windows (per-socket counters) and scanners alike look random
		t.ID = m.intn(65536)
	}
}

func (m *mixer) newScan(s *mixScan) {
	g := m.g
	s.kind = scanKind(m.intn(int(numScanKinds)))
	s.src, s.dst = m.source4(), m.site4()
	s.sport, s.window = g.IntRange(32768, 65000), g.nmapWindow()
	s.next = 0
	s.ports = s.ports[:0]
	switch s.kind {
	case scanSYN6:
		s.src, s.dst = m.internet6(), m.site6()
	case scanSweep:
		// One port across the whole site block.
		s.ports = append(s.ports, bgTCPPorts[m.intn(len(bgTCPPorts))])
		return
	}
	if m.intn(2) == 0 {
		lo := g.IntRange(1, 20000)
		for p := lo; p < lo+g.IntRange(50, 1500) && p < 65536; p++ {
			s.ports = append(s.ports, p)
		}
	} else {
		for range g.IntRange(50, 1000) {
			s.ports = append(s.ports, g.IntRange(1, 65535))
		}
	}
	g.Rand.Shuffle(len(s.ports), func(i, j int) { s.ports[i], s.ports[j] = s.ports[j], s.ports[i] })
}

func (m *mixer) scanLine(dst []byte) []byte {
	g := m.g
	s := &m.scans[m.intn(len(m.scans))]
	port := s.ports[s.next%len(s.ports)]
	d := s.dst
	if s.kind == scanSweep {
		d = netip.AddrFrom4([4]byte{203, 0, 113, byte(1 + s.next%14)})
		if s.next >= 13 {
			defer m.newScan(s)
		}
	} else if s.next == len(s.ports)-1 {
		defer m.newScan(s)
	}
	s.next++
	t := TCPSpec{IP: IP{Src: s.src, Dst: d, TTL: g.nmapTTL(), ID: m.intn(65536)},
		SrcPort: s.sport, DstPort: port, Window: s.window, Flags: "SYN", Opts: mss1460}
	switch s.kind {
	case scanConnect:
		t.DF, t.TTL, t.Window = true, 51, 29200
		t.SrcPort = g.IntRange(32768, 60999)
		t.Opts = m.opts("020405B40402080A", m.hex32(), "0000000001030307")
	case scanFIN, scanXmas, scanNull:
		t.Flags, t.Opts = [...]string{"FIN", "URG PSH FIN", ""}[s.kind-scanFIN], ""
		g.Prefix = prefixInvalid
	case scanUDP:
		return g.UDP(dst, UDPSpec{IP: t.IP, SrcPort: s.sport, DstPort: port})
	case scanSYN6:
		t.TTL, t.ID, t.Opts = 0, 0, ""
	}
	return g.TCP(dst, t)
}

func (m *mixer) background(dst []byte) []byte {
	t := TCPSpec{IP: IP{Src: m.source4(), Dst: m.site4()}, SrcPort: m.g.IntRange(1024, 65535),
		DstPort: bgTCPPorts[m.intn(len(bgTCPPorts))], Flags: "SYN"}
	m.synFingerprint(&t)
	return m.g.TCP(dst, t)
}

func (m *mixer) udp(dst []byte) []byte {
	port := bgUDPPorts[m.intn(len(bgUDPPorts))]
	u := UDPSpec{IP: IP{Src: m.source4(), Dst: m.site4(), TTL: m.g.IntRange(40, 250), ID: m.intn(65536)},
		SrcPort: m.g.IntRange(1024, 65535), DstPort: port, Payload: m.intn(120)}
	switch port {
	case 53:
		u.Payload = 17 + m.intn(40)
	case 123:
		u.Payload, u.SrcPort = 48, 123
	case 33434, 33435, 33436: // traceroute
		u.TTL, u.Payload = 1, 32
	}
	return m.g.UDP(dst, u)
}

func (m *mixer) icmp(dst []byte) []byte {
	g := m.g
	c := ICMPSpec{IP: IP{Src: m.source4(), Dst: m.site4(), TTL: g.IntRange(40, 120), ID: m.intn(65536)},
		Type: 8, EchoID: m.intn(65536), EchoSeq: m.intn(20)}
	switch r := m.intn(10); {
	case r < 5: // Linux ping
		c.DF, c.Payload = true, 56
	case r < 7: // Windows ping
		c.Payload = 32
	case r < 8: // sweeps (hping, nmap -sn)
		c.Payload = 0
	case r < 9: // unreachable about a UDP datagram we sent
		q := &UDPSpec{IP: IP{Src: c.Dst, Dst: c.Src, TTL: 1 + m.intn(64), ID: m.intn(65536)},
			SrcPort: g.IntRange(32768, 60999), DstPort: 53, Payload: 30}
		c.Type, c.Code, c.Quote = 3, 3, q
	default: // time exceeded
		q := &TCPSpec{IP: IP{Src: c.Dst, Dst: m.internet4(), TTL: 1, ID: m.intn(65536), DF: true},
			SrcPort: g.IntRange(32768, 60999), DstPort: 443, Window: 64240, Flags: "SYN"}
		c.Type, c.Code, c.Quote = 11, 0, q
	}
	return g.ICMP(dst, c)
}

func (m *mixer) ipv6(dst []byte) []byte {
	g := m.g
	src, d := m.internet6(), m.site6()
	switch r := m.intn(10); {
	case r < 5:
		t := TCPSpec{IP: IP{Src: src, Dst: d, TTL: g.IntRange(40, 64)}, SrcPort: g.IntRange(1024, 65535),
			DstPort: bgTCPPorts[m.intn(len(bgTCPPorts))], Window: 64800, Flags: "SYN", Seq: g.Rand.Uint32(),
			Opts: m.opts("020405A00402080A", m.hex32(), "0000000001030307")}
		return g.TCP(dst, t)
	case r < 7:
		return g.ICMP(dst, ICMPSpec{IP: IP{Src: src, Dst: d, TTL: g.IntRange(40, 64), FlowLabel: m.intn(1 << 20)},
			Type: 128, EchoID: m.intn(65536), EchoSeq: 1 + m.intn(10), Payload: 56})
	case r < 9:
		return g.ICMP(dst, nd(linkLocal(g.PeerMAC), solicitedNode(d), 135, true))
	default:
		return g.UDP(dst, UDPSpec{IP: IP{Src: src, Dst: d, TTL: 57}, SrcPort: g.IntRange(1024, 65535),
			DstPort: bgUDPPorts[m.intn(len(bgUDPPorts))], Payload: m.intn(100)})
	}
}

// nft writes a line as an nftables "log" statement would, with "flags
// ether" or "flags all" half of the time.
func (m *mixer) nft(dst []byte) []byte {
	g := m.g
	g.Prefix = nftPrefixes[m.intn(len(nftPrefixes))]
	if m.intn(2) == 0 {
		g.MAC = MACDecode
	}
	if m.intn(2) == 0 { // flags all
		g.MAC, g.LogSeq, g.LogIPOpts, g.LogUID = MACDecode, true, true, true
	}
	if m.intn(5) == 0 {
		return m.ipv6(dst)
	}
	if m.intn(4) == 0 {
		return m.udp(dst)
	}
	t := TCPSpec{IP: IP{Src: m.source4(), Dst: m.site4()}, SrcPort: g.IntRange(1024, 65535),
		DstPort: bgTCPPorts[m.intn(len(bgTCPPorts))], Flags: "SYN", Seq: g.Rand.Uint32()}
	m.synFingerprint(&t)
	return g.TCP(dst, t)
}

func (m *mixer) forward(dst []byte) []byte {
	g := m.g
	g.Prefix = "FWD-DROP "
	switch r := m.intn(10); {
	case r < 5: // LAN host trying something the policy forbids
		t := TCPSpec{IP: IP{Src: m.lan4(), Dst: m.internet4(), TTL: 127, ID: m.intn(65536), DF: true,
			Chain: Forward, InIf: "eth1", OutIf: "eth0"}, SrcPort: g.IntRange(49152, 65535),
			DstPort: lanOutPorts[m.intn(len(lanOutPorts))], Window: 64240, Flags: "SYN",
			Opts: "020405B40103030801010402"}
		return g.TCP(dst, t)
	case r < 8: // Internet to the DMZ
		t := TCPSpec{IP: IP{Src: m.source4(), Dst: m.dmz4(), Chain: Forward, InIf: "eth0", OutIf: "eth2"},
			SrcPort: g.IntRange(1024, 65535), DstPort: bgTCPPorts[m.intn(len(bgTCPPorts))], Flags: "SYN"}
		m.synFingerprint(&t)
		return g.TCP(dst, t)
	default: // bridged segment
		g.Prefix = "BRIDGE-DROP "
		return g.UDP(dst, UDPSpec{IP: IP{Src: m.lan4(), Dst: netip.AddrFrom4([4]byte{192, 168, 1, 255}),
			TTL: 64, ID: m.intn(65536), Chain: Forward, InIf: "br0", OutIf: "br0", PhysIn: "eth3", PhysOut: "eth4"},
			SrcPort: 137, DstPort: 137, Payload: 50})
	}
}

func (m *mixer) output(dst []byte) []byte {
	g := m.g
	g.Prefix, g.LogUID = "OUT-REJECT ", true
	src := netip.AddrFrom4([4]byte{203, 0, 113, 1})
	uid := [...]int{0, 0, 33, 1000, 1001, 65534}[m.intn(6)]
	ip := IP{Src: src, Dst: m.internet4(), ID: m.intn(65536), DF: true, Chain: Output, UID: uid, GID: uid}
	if m.intn(3) == 0 {
		ip.Mark = uint32(1 + m.intn(4))
	}
	switch r := m.intn(3); r {
	case 0:
		return g.TCP(dst, TCPSpec{IP: ip, SrcPort: g.IntRange(32768, 60999), DstPort: 25, Window: 64240,
			Flags: "SYN", Opts: m.opts("020405B40402080A", m.hex32(), "0000000001030307")})
	case 1:
		return g.UDP(dst, UDPSpec{IP: ip, SrcPort: g.IntRange(32768, 60999), DstPort: 53, Payload: 30})
	default: // port unreachable answering a probe
		ip.DF, ip.ID = false, m.intn(65536)
		q := &UDPSpec{IP: IP{Src: ip.Dst, Dst: src, TTL: g.IntRange(40, 60), ID: m.intn(65536)},
			SrcPort: g.IntRange(1024, 65535), DstPort: bgUDPPorts[m.intn(len(bgUDPPorts))], Payload: 20}
		return g.ICMP(dst, ICMPSpec{IP: ip, Type: 3, Code: 3, Quote: q})
	}
}

func (m *mixer) misc(dst []byte) []byte {
	g := m.g
	src, d := m.source4(), m.site4()
	switch r := m.intn(8); r {
	case 0, 1: // late packets of a connection conntrack has forgotten
		t := TCPSpec{IP: IP{Src: src, Dst: d, TTL: g.IntRange(40, 60), ID: m.intn(65536), DF: true},
			SrcPort: [...]int{80, 443, 443, 993}[m.intn(4)], DstPort: g.IntRange(32768, 60999), Window: g.IntRange(200, 2000),
			Flags: [...]string{"ACK", "ACK FIN", "ACK RST", "ACK PSH", "ACK PSH FIN", "RST"}[m.intn(6)], Payload: m.intn(2) * 512}
		return g.TCP(dst, t)
	case 2: // ECN setup SYN
		t := TCPSpec{IP: IP{Src: src, Dst: d}, SrcPort: g.IntRange(1024, 65535), DstPort: 443, Flags: "CWR ECE SYN"}
		m.synFingerprint(&t)
		return g.TCP(dst, t)
	case 3: // nmap OS detection probe
		return g.TCP(dst, TCPSpec{IP: IP{Src: src, Dst: d, TTL: g.nmapTTL(), ID: m.intn(65536)},
			SrcPort: g.IntRange(40000, 60000), DstPort: 1, Window: 256, Flags: "URG PSH SYN FIN", Urgp: 0,
			Opts: "03030A0102040109080AFFFFFFFF000000000402"})
	case 4: // IGMP query on the LAN
		g.InIf = "eth1"
		return g.Proto(dst, ProtoSpec{IP: IP{Src: netip.AddrFrom4([4]byte{192, 168, 1, 254}), Dst: allHosts,
			TTL: 1, TOS: 0xc0, IPOpts: "94040000"}, Proto: 2, Payload: 12})
	case 5: // GRE or ESP
		if m.intn(2) == 0 {
			return g.Proto(dst, ProtoSpec{IP: IP{Src: src, Dst: d, TTL: 50, ID: m.intn(65536)}, Proto: 47, Payload: 24 + m.intn(100)})
		}
		return g.Proto(dst, ProtoSpec{IP: IP{Src: src, Dst: d, TTL: 50, ID: m.intn(65536)}, Proto: 50,
			SPI: g.Rand.Uint32(), Payload: 100 + m.intn(1000)})
	default: // fragments: a first one with its header, then a later one without
		ip := IP{Src: src, Dst: d, TTL: g.IntRange(40, 60), ID: m.intn(65536)}
		if r == 6 {
			ip.MF, ip.Len = true, 1500
			return g.UDP(dst, UDPSpec{IP: ip, SrcPort: g.IntRange(1024, 65535), DstPort: 53, UDPLen: 3000})
		}
		// The offset counts 8-byte units: 185 follows a 1480-byte first fragment.
		ip.FragOff, ip.Len = 185, 20+8+m.intn(1000)
		return g.UDP(dst, UDPSpec{IP: ip})
	}
}

// bad writes a line psad cannot use: malformed or not a packet at all.
func (m *mixer) bad(dst []byte) []byte {
	g := m.g
	switch m.intn(5) {
	case 0: // truncated by a full log buffer or a crash
		m.tmp = m.background(m.tmp[:0])
		cut := 40 + m.intn(len(m.tmp)-60)
		dst = append(dst, m.tmp[:cut]...)
		return append(dst, '\n')
	case 1: // ARP logged by nftables in the arp family
		m.tmp = m.tmp[:0]
		m.tmp = append(m.tmp, "arp-drop IN=eth1 OUT= ARP HTYPE=1 PTYPE=0x0800 OPCODE=1 MACSRC="...)
		m.tmp = appendMACAddr(m.tmp, g.PeerMAC)
		m.tmp = append(m.tmp, " IPSRC="...)
		m.tmp = AppendAddr(m.tmp, m.lan4())
		m.tmp = append(m.tmp, " MACDST=00:00:00:00:00:00 IPDST="...)
		m.tmp = AppendAddr(m.tmp, m.lan4())
		return g.Raw(dst, string(m.tmp))
	case 2:
		return g.Raw(dst, [...]string{
			"nf_conntrack: nf_conntrack: table full, dropping packet",
			"e1000e 0000:00:19.0 eth0: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx",
			"net_ratelimit: 31 callbacks suppressed",
		}[m.intn(3)])
	case 3: // a header the kernel could not read
		m.tmp = m.tmp[:0]
		m.tmp = append(m.tmp, "DROP IN=eth0 OUT= MAC=52:54:00:00:00:01:52:54:00:00:00:02:08:00 SRC="...)
		m.tmp = AppendAddr(m.tmp, m.source4())
		m.tmp = append(m.tmp, " DST=203.0.113.1 LEN=40 TOS=0x00 PREC=0x00 TTL=50 ID=0 PROTO=TCP INCOMPLETE [8 bytes] "...)
		return g.Raw(dst, string(m.tmp))
	default: // other programs sharing the log
		m.tmp = append(m.tmp[:0], "Failed password for root from "...)
		m.tmp = AppendAddr(m.tmp, m.source4())
		m.tmp = append(m.tmp, " port 51234 ssh2"...)
		return g.Other(dst, "sshd[2316]", string(m.tmp))
	}
}

// line writes one line. Every line starts from the same rule settings;
// the categories change what they need.
func (m *mixer) line(dst []byte) []byte {
	g := m.g
	g.Prefix, g.InIf, g.OutIf, g.MAC = "DROP ", "eth0", "", MACRaw
	g.LogTCPOpts, g.LogIPOpts, g.LogSeq, g.LogUID = true, false, false, false
	switch r := m.intn(1000); {
	case r < 330:
		return m.background(dst)
	case r < 530:
		return m.scanLine(dst)
	case r < 650:
		return m.udp(dst)
	case r < 720:
		return m.icmp(dst)
	case r < 800:
		return m.ipv6(dst)
	case r < 860:
		return m.nft(dst)
	case r < 900:
		return m.forward(dst)
	case r < 935:
		return m.output(dst)
	case r < 995:
		return m.misc(dst)
	default:
		return m.bad(dst)
	}
}
