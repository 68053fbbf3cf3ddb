package loggen

import (
	"bytes"
	"fmt"
	"net/netip"
	"sort"
	"time"
)

// Scenarios maps the name of each of psad's upstream test inputs (see the
// spec, section 20) to a function that rebuilds its traffic, plus "sample",
// a small mixed log for the README. Every function is deterministic.
var Scenarios = map[string]func() []byte{
	"syn_scan_1000_1500":                 SynScan1000_1500,
	"syn_scan_1000_1500_multi_dst":       SynScanMultiDst,
	"syn_sweep":                          SynSweep,
	"fin_scan_1000_1150":                 FinScan,
	"xmas_scan_1000_1150":                XmasScan,
	"null_scan_1000_1150":                NullScan,
	"ack_scan_1000_1150":                 AckScan,
	"udp_scan_1000_1150":                 UDPScan1000_1150,
	"ms_sql_server_sig_match":            MSSQLSigMatch,
	"ipv6_ms_sql_server_sig_match":       IPv6MSSQLSigMatch,
	"ipv6_tcp_connect_nmap_default_scan": IPv6ConnectScan,
	"topera_ipv6_syn_scan_no_ip_opts":    ToperaIPv6NoOpts,
	"topera_ipv6_syn_scan_with_ip_opts":  ToperaIPv6,
	"mirai_default_credentials_scan":     MiraiScan,
	"proto_scan":                         ProtoScan,
	"fwknop_spa_pkt":                     FwknopSPA,
	"invalid_icmp_type_code":             InvalidICMPCode,
	"ipv4_valid_ping":                    ValidPing,
	"ipv6_ping_scan":                     IPv6Ping,
	"ipv6_invalid_icmp6_type_code":       IPv6InvalidICMP6,
	"ipv4_igmp":                          IGMP,
	"syslog_time_fmt1":                   SyslogTimeFmt,
	"masscan_mix":                        MasscanMix,
	"sample":                             Sample,
}

// Names returns the keys of Scenarios, sorted.
func Names() []string {
	names := make([]string, 0, len(Scenarios))
	for n := range Scenarios {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// The addresses of psad's test traffic.
var (
	scanner  = netip.MustParseAddr("192.168.10.55")
	target   = netip.MustParseAddr("192.168.10.1")
	v6Src    = netip.MustParseAddr("2001:db8:0:f101::2")
	v6Dst    = netip.MustParseAddr("2001:db8:0:f101::1")
	toperaA  = netip.MustParseAddr("2012:1234:1234::1")
	toperaB  = netip.MustParseAddr("2012:1234:1234::2")
	allHosts = netip.MustParseAddr("224.0.0.1")
)

// mss1460 is the only option nmap puts in its raw SYN probes.
const mss1460 = "020405B4"

// scanGen returns a Gen for one scenario: classic header, kernel stamps,
// prefix "DROP ", INPUT on iface, starting at start (UTC).
func scanGen(seed int64, start, iface string) *Gen {
	g := New(seed)
	t, err := time.Parse("2006-01-02 15:04:05.999999", start)
	if err != nil {
		panic(err)
	}
	g.Start = t
	g.InIf = iface
	// The machine has been up between one and forty days.
	g.Uptime = time.Duration(g.IntRange(86400, 40*86400))*time.Second +
		time.Duration(g.Rand.IntN(1000000))*time.Microsecond
	return g
}

// nmapTTL mimics nmap's raw-packet TTL, random in 37..59 (a random
// initial TTL minus a few hops), which keeps p0f's 64-hop signatures in
// reach.
func (g *Gen) nmapTTL() int { return g.IntRange(37, 59) }

// nmapWindow mimics the windows nmap picks for raw probes.
func (g *Gen) nmapWindow() int { return 1024 * g.IntRange(1, 4) }

func (g *Gen) ipID() int { return g.Rand.IntN(65536) }

// ephemeralPort is a port from Linux's default ip_local_port_range.
func (g *Gen) ephemeralPort() int { return g.IntRange(32768, 60999) }

// hexTS returns a TCP timestamp value as the kernel prints option bytes.
func hexTS(v uint32) string { return fmt.Sprintf("%08X", v) }

// linuxSYNOpts is a Linux client's SYN options: MSS, SACK permitted,
// timestamps, NOP, window scale 7 (20 bytes).
func (g *Gen) linuxSYNOpts(mss int) string {
	return fmt.Sprintf("0204%04X0402080A%s0000000001030307", mss, hexTS(g.Rand.Uint32()))
}

type probe struct {
	dst  netip.Addr
	port int
}

// rawScan writes an nmap raw-packet scan of ports lo..hi against every
// address in dsts: two passes (nmap retransmits every unanswered probe),
// each in a new random order and from the next source port. flags is the
// TCP flag string, or "UDP" for a UDP scan.
func (g *Gen) rawScan(dst []byte, dsts []netip.Addr, lo, hi int, flags, opts string) []byte {
	sport := g.IntRange(40000, 60000)
	probes := make([]probe, 0, len(dsts)*(hi-lo+1))
	for pass := range 2 {
		probes = probes[:0]
		for port := lo; port <= hi; port++ {
			for _, d := range dsts {
				probes = append(probes, probe{d, port})
			}
		}
		g.Rand.Shuffle(len(probes), func(i, j int) { probes[i], probes[j] = probes[j], probes[i] })
		for _, p := range probes {
			ip := IP{Src: scanner, Dst: p.dst, TTL: g.nmapTTL(), ID: g.ipID()}
			if flags == "UDP" {
				dst = g.UDP(dst, UDPSpec{IP: ip, SrcPort: sport + pass, DstPort: p.port})
				continue
			}
			dst = g.TCP(dst, TCPSpec{IP: ip, SrcPort: sport + pass, DstPort: p.port,
				Window: g.nmapWindow(), Flags: flags, Opts: opts})
		}
		g.Sleep(time.Duration(g.IntRange(1000, 1500)) * time.Millisecond)
	}
	return dst
}

// SynScan1000_1500 is nmap -sS -p 1000-1500 from 192.168.10.55 against
// 192.168.10.1 (1002 SYNs, every port twice, MSS 1460) on eth1.
func SynScan1000_1500() []byte {
	g := scanGen(1, "2015-03-11 20:35:11.251762", "eth1")
	return g.rawScan(nil, []netip.Addr{target}, 1000, 1500, "SYN", mss1460)
}

// SynScanMultiDst is the same scan against 192.168.10.1-4 (4008 lines).
func SynScanMultiDst() []byte {
	g := scanGen(2, "2015-03-11 20:35:11.251762", "eth1")
	var dsts []netip.Addr
	for i := byte(1); i <= 4; i++ {
		dsts = append(dsts, netip.AddrFrom4([4]byte{192, 168, 10, i}))
	}
	return g.rawScan(nil, dsts, 1000, 1500, "SYN", mss1460)
}

// SynSweep is 12 SYNs to TCP 1083 across 11 hosts (192.168.10.3 twice).
func SynSweep() []byte {
	g := scanGen(3, "2015-03-11 20:35:11.252331", "eth1")
	sport := g.IntRange(40000, 60000)
	var dst []byte
	for _, d := range []string{"192.168.10.1", "192.168.10.2", "192.168.10.3", "192.168.10.232",
		"192.168.10.200", "192.168.10.100", "192.168.10.101", "192.168.10.244", "192.168.10.3",
		"10.0.0.1", "10.0.0.3", "10.0.0.201"} {
		dst = g.TCP(dst, TCPSpec{IP: IP{Src: scanner, Dst: netip.MustParseAddr(d), TTL: g.nmapTTL(), ID: g.ipID()},
			SrcPort: sport, DstPort: 1083, Window: g.nmapWindow(), Flags: "SYN", Opts: mss1460})
	}
	return dst
}

// The stealth scans below are logged by a rule matching conntrack state
// INVALID, hence the prefix, as in psad's samples; an ACK scan is not
// INVALID to conntrack (it may pick up a connection mid-stream).
const prefixInvalid = "DROP INVALID "

// FinScan is nmap -sF -p 1000-1150 (302 lines) on eth0.
func FinScan() []byte {
	g := scanGen(4, "2015-03-15 20:57:02.287751", "eth0")
	g.Prefix = prefixInvalid
	return g.rawScan(nil, []netip.Addr{target}, 1000, 1150, "FIN", "")
}

// XmasScan is nmap -sX -p 1000-1150 (302 lines) on eth0.
func XmasScan() []byte {
	g := scanGen(5, "2015-03-15 20:57:55.796629", "eth0")
	g.Prefix = prefixInvalid
	return g.rawScan(nil, []netip.Addr{target}, 1000, 1150, "URG PSH FIN", "")
}

// NullScan is nmap -sN -p 1000-1150 (302 lines) on eth0, followed a while
// later by one unrelated line: a ping from the target back to the scanner,
// logged in OUTPUT without a prefix (303 lines).
func NullScan() []byte {
	g := scanGen(6, "2015-03-16 21:22:27.372250", "eth0")
	g.Prefix = prefixInvalid
	dst := g.rawScan(nil, []netip.Addr{target}, 1000, 1150, "", "")
	g.Sleep(88 * time.Second)
	g.Prefix = ""
	return g.ICMP(dst, ICMPSpec{IP: IP{Src: target, Dst: scanner, ID: g.ipID(), DF: true, Chain: Output},
		Type: 8, EchoID: g.IntRange(1, 65535), EchoSeq: 1, Payload: 56})
}

// AckScan is nmap -sA -p 1000-1150 (302 lines) on eth0.
func AckScan() []byte {
	g := scanGen(7, "2015-03-15 20:55:15.788657", "eth0")
	return g.rawScan(nil, []netip.Addr{target}, 1000, 1150, "ACK", "")
}

// UDPScan1000_1150 is nmap -sU -p 1000-1150 (302 empty datagrams) on eth1.
func UDPScan1000_1150() []byte {
	g := scanGen(8, "2015-03-11 20:41:04.171785", "eth1")
	return g.rawScan(nil, []netip.Addr{target}, 1000, 1150, "UDP", "")
}

// MSSQLSigMatch is two nmap SYNs to TCP 1433 (the probe and its
// retransmission a second later).
func MSSQLSigMatch() []byte {
	g := scanGen(9, "2015-03-11 20:35:14.257294", "eth1")
	g.Step, g.Jitter = time.Second, 2*time.Millisecond
	sport := g.IntRange(40000, 60000)
	var dst []byte
	for i := range 2 {
		dst = g.TCP(dst, TCPSpec{IP: IP{Src: scanner, Dst: target, TTL: g.nmapTTL(), ID: g.ipID()},
			SrcPort: sport + i, DstPort: 1433, Window: 1024, Flags: "SYN", Opts: mss1460})
	}
	return dst
}

// v6SYN is a Linux connect() SYN over IPv6; the rule does not log TCP
// options, but they count in LEN (80).
func (g *Gen) v6SYN(src, dst netip.Addr, sport, dport int) TCPSpec {
	return TCPSpec{IP: IP{Src: src, Dst: dst}, SrcPort: sport, DstPort: dport,
		Window: 28800, Flags: "SYN", Opts: g.linuxSYNOpts(1440)}
}

// IPv6MSSQLSigMatch is one IPv6 SYN from 2001:db8:0:f101::2 to ::1 port 1433.
func IPv6MSSQLSigMatch() []byte {
	g := scanGen(10, "2015-03-17 13:52:40.118264", "eth0")
	g.LogTCPOpts = false
	return g.TCP(nil, g.v6SYN(v6Src, v6Dst, g.ephemeralPort(), 1433))
}

// solicitedNode returns the solicited-node multicast address of a
// (RFC 4291 2.7.1): the address neighbour solicitations for a go to.
func solicitedNode(a netip.Addr) netip.Addr {
	b := a.As16()
	m := [16]byte{0xff, 0x02, 11: 0x01, 12: 0xff, 13: b[13], 14: b[14], 15: b[15]}
	return netip.AddrFrom16(m)
}

// linkLocal returns the EUI-64 link-local address of a MAC (RFC 4291 app. A).
func linkLocal(mac [6]byte) netip.Addr {
	return netip.AddrFrom16([16]byte{0xfe, 0x80, 8: mac[0] ^ 2, 9: mac[1], 10: mac[2], 11: 0xff, 12: 0xfe,
		13: mac[3], 14: mac[4], 15: mac[5]})
}

// nd is a neighbour solicitation (135) or advertisement (136), with a
// link-layer address option when lladdr is set (LEN 72, else 64).
func nd(src, dst netip.Addr, typ int, lladdr bool) ICMPSpec {
	c := ICMPSpec{IP: IP{Src: src, Dst: dst, TTL: 255}, Type: typ, Payload: 16}
	if lladdr {
		c.Payload += 8
	}
	return c
}

// connectPorts returns the 1000 ports of the IPv6 connect() scan: 80 and
// 443 first (nmap's most common ports), then, in random order, the ports
// psad's report for this sample names (signature ports, open ports 22, 25
// and 53, the extremes 1 and 65389) and a random spread of others,
// weighted to the low ports as nmap's top-1000 list is.
func (g *Gen) connectPorts() []int {
	named := []int{1, 22, 25, 53, 146, 555, 617, 666, 705, 1417, 1433, 1723, 3128, 3168, 3372,
		3389, 4242, 4899, 5555, 5631, 5800, 5801, 5802, 5900, 6004, 6666, 6699, 6789, 6881,
		6969, 7070, 7100, 7777, 8000, 8888, 9000, 9001, 9002, 9100, 12345, 32771, 65389}
	seen := map[int]bool{80: true, 443: true}
	ports := make([]int, 0, 1000)
	for _, p := range named {
		seen[p] = true
		ports = append(ports, p)
	}
	for len(ports) < 998 {
		var p int
		switch r := g.Rand.IntN(100); {
		case r < 55:
			p = g.IntRange(2, 1024)
		case r < 90:
			p = g.IntRange(1025, 10000)
		default:
			p = g.IntRange(10001, 65388)
		}
		if !seen[p] {
			seen[p] = true
			ports = append(ports, p)
		}
	}
	g.Rand.Shuffle(len(ports), func(i, j int) { ports[i], ports[j] = ports[j], ports[i] })
	return append([]int{80, 443}, ports...)
}

// IPv6ConnectScan is nmap -6 -sT (default 1000 ports) from
// 2001:db8:0:f101::2 against ::1 on eth0 (1009 lines): the scanner's
// neighbour solicitation, 1002 SYNs (the kernel retransmits the SYNs to 80
// and 443 after a second), and for the three open ports 22, 25 and 53 the
// ACK completing the handshake and nmap's ACK RST closing it.
func IPv6ConnectScan() []byte {
	g := scanGen(11, "2015-03-17 13:39:13.482127", "eth0")
	g.Uptime = 956932*time.Second + 482127*time.Microsecond
	g.LogTCPOpts = false
	g.Step, g.Jitter = 60*time.Microsecond, 120*time.Microsecond
	dst := g.ICMP(nil, nd(v6Src, solicitedNode(v6Dst), 135, true))
	start := g.Now()
	var first [2]TCPSpec
	for i, port := range g.connectPorts() {
		syn := g.v6SYN(v6Src, v6Dst, g.ephemeralPort(), port)
		dst = g.TCP(dst, syn)
		if i < 2 {
			first[i] = syn
		}
		if port == 22 || port == 25 || port == 53 {
			// Timestamps option only (NOP NOP TS): LEN 72.
			ack := TCPSpec{IP: syn.IP, SrcPort: syn.SrcPort, DstPort: port, Window: 225, Flags: "ACK",
				Opts: "0101080A" + hexTS(g.Rand.Uint32()) + hexTS(g.Rand.Uint32())}
			dst = g.TCP(dst, ack)
			ack.Flags = "ACK RST"
			dst = g.TCP(dst, ack)
		}
	}
	g.Sleep(start.Add(time.Second).Sub(g.Now()))
	for _, syn := range first {
		dst = g.TCP(dst, syn)
	}
	return dst
}

// topera writes a Topera IPv6 SYN scan from 2012:1234:1234::1 to ::2:
// one SYN per port, in order, slowly, each padded with nine empty
// destination-options headers (LEN 132), logged as nine "OPT ( ) " groups
// when the rule logs IP options. Neighbour discovery between the two
// hosts runs alongside, so the scanner also has two other destinations
// (the target's solicited-node group and its link-local address).
func topera(seed int64, ports []int, logOpts bool) []byte {
	g := scanGen(seed, "2012-12-20 20:10:01.059606", "eth0")
	g.Host = "fw6"
	g.Uptime = 449*time.Second + 59606*time.Microsecond
	g.LogIPOpts = logOpts
	g.Step, g.Jitter = 120*time.Millisecond, 30*time.Millisecond
	scanLL, targetLL := linkLocal(g.PeerMAC), linkLocal(g.LocalMAC)

	dst := g.ICMP(nil, nd(toperaA, solicitedNode(toperaB), 135, true))
	dst = g.ICMP(dst, nd(toperaA, toperaB, 136, true))
	next, round := g.Now().Add(20*time.Second), 0
	for _, port := range ports {
		if g.Now().After(next) {
			// The target's neighbour unreachability probes and the
			// answers, alternating between the scanner's two addresses.
			if round%2 == 0 {
				dst = g.ICMP(dst, nd(scanLL, targetLL, 135, true))
				dst = g.ICMP(dst, nd(scanLL, targetLL, 136, false))
			} else {
				dst = g.ICMP(dst, nd(scanLL, toperaB, 135, true))
				dst = g.ICMP(dst, nd(toperaA, targetLL, 136, false))
			}
			next, round = g.Now().Add(time.Duration(g.IntRange(20, 30))*time.Second), round+1
		}
		dst = g.TCP(dst, TCPSpec{IP: IP{Src: toperaA, Dst: toperaB, ExtHdrs: 9},
			SrcPort: g.IntRange(1024, 65535), DstPort: port, Window: 8192, Flags: "SYN"})
	}
	return dst
}

// ToperaIPv6NoOpts is the Topera scan of ports 0-1023 logged without IP
// options (the empty extension headers show only in LEN).
func ToperaIPv6NoOpts() []byte {
	ports := make([]int, 1024)
	for i := range ports {
		ports[i] = i
	}
	return topera(12, ports, false)
}

// ToperaIPv6 is the Topera scan of ports 0-1023 and 1234 (1025 SYNs, range
// 0-1234) logged with --log-ip-options, so every SYN shows nine empty
// "OPT ( ) " groups, psad's Topera marker.
func ToperaIPv6() []byte {
	ports := make([]int, 1025)
	for i := range 1024 {
		ports[i] = i
	}
	ports[1024] = 1234
	return topera(13, ports, true)
}

// MiraiScan is a Mirai bot probing 192.168.10.1: ten SYNs to telnet (23)
// then one to 2323, the pattern psad flags. Mirai's raw SYNs have a fixed
// source port, random window and IP ID, DF and no options.
func MiraiScan() []byte {
	g := scanGen(14, "2016-10-21 11:07:42.530113", "eth1")
	g.Step, g.Jitter = 300*time.Millisecond, 900*time.Millisecond
	sport := g.IntRange(1024, 65535)
	var dst []byte
	for i := range 11 {
		port := 23
		if i == 10 {
			port = 2323
		}
		dst = g.TCP(dst, TCPSpec{IP: IP{Src: scanner, Dst: target, TTL: 52, ID: g.ipID(), DF: true},
			SrcPort: sport, DstPort: port, Window: g.IntRange(0, 65535), Flags: "SYN"})
	}
	return dst
}

// ProtoScan is nmap -sO (all 256 protocols) from 192.168.10.55 on eth0
// (260 lines): 250 protocols the kernel logs by number, once each, plus
// two probes each (a probe and its retransmission) of TCP (an ACK to
// port 80), UDP, UDP-Lite, AH and ESP. ICMP (1) got an answer and is not
// logged.
func ProtoScan() []byte {
	g := scanGen(15, "2015-03-23 21:31:08.730414", "eth0")
	g.Step, g.Jitter = 400*time.Microsecond, 300*time.Microsecond
	sport, uport := g.IntRange(40000, 60000), g.IntRange(32768, 60999)
	probe := func(dst []byte, proto int) []byte {
		ip := IP{Src: scanner, Dst: target, TTL: g.nmapTTL(), ID: g.ipID()}
		switch proto {
		case 6:
			return g.TCP(dst, TCPSpec{IP: ip, SrcPort: sport, DstPort: 80, Window: g.nmapWindow(), Flags: "ACK"})
		case 17:
			return g.UDP(dst, UDPSpec{IP: ip, SrcPort: sport, DstPort: uport})
		case 136:
			return g.UDPLite(dst, UDPSpec{IP: ip, SrcPort: sport, DstPort: uport})
		case 50:
			return g.Proto(dst, ProtoSpec{IP: ip, Proto: 50, SPI: g.Rand.Uint32(), Payload: 16})
		case 51:
			return g.Proto(dst, ProtoSpec{IP: ip, Proto: 51, SPI: g.Rand.Uint32(), Payload: 24})
		case 2: // nmap sends an IGMP header
			return g.Proto(dst, ProtoSpec{IP: ip, Proto: 2, Payload: 8})
		case 132: // and an SCTP INIT
			return g.Proto(dst, ProtoSpec{IP: ip, Proto: 132, Payload: 32})
		}
		return g.Proto(dst, ProtoSpec{IP: ip, Proto: proto})
	}
	var protos []int
	for p := range 256 {
		if p != 1 {
			protos = append(protos, p)
		}
	}
	g.Rand.Shuffle(len(protos), func(i, j int) { protos[i], protos[j] = protos[j], protos[i] })
	var dst []byte
	for _, p := range protos {
		dst = probe(dst, p)
	}
	g.Sleep(time.Second)
	retry := []int{6, 17, 136, 50, 51}
	g.Rand.Shuffle(len(retry), func(i, j int) { retry[i], retry[j] = retry[j], retry[i] })
	for _, p := range retry {
		dst = probe(dst, p)
	}
	return dst
}

// FwknopSPA is one fwknop Single Packet Authorization datagram to UDP
// 62201 (UDP LEN 169, IP LEN 189), logged on lo without a prefix.
func FwknopSPA() []byte {
	g := scanGen(16, "2012-02-09 20:55:06.584587", "lo")
	g.Host = "spa"
	g.Uptime = 13626*time.Second + 584587*time.Microsecond
	g.Prefix = ""
	return g.UDP(nil, UDPSpec{IP: IP{Src: scanner, Dst: target, ID: g.ipID(), DF: true},
		SrcPort: g.ephemeralPort(), DstPort: 62201, Payload: 161})
}

// pings writes five echo requests of ICMP code code a second apart
// (hping3 style: no data, so LEN 28, and a byte-swapped sequence number).
func pings(seed int64, code int) []byte {
	g := scanGen(seed, "2015-03-23 21:29:27.179768", "eth0")
	g.Prefix = "ICMP "
	g.Step, g.Jitter = time.Second, 400*time.Microsecond
	id := g.IntRange(1, 65535)
	var dst []byte
	for i := 1; i <= 5; i++ {
		dst = g.ICMP(dst, ICMPSpec{IP: IP{Src: scanner, Dst: target, ID: g.ipID()},
			Type: 8, Code: code, EchoID: id, EchoSeq: i << 8})
	}
	return dst
}

// InvalidICMPCode is five echo requests with the undefined code 2.
func InvalidICMPCode() []byte { return pings(17, 2) }

// ValidPing is five ordinary echo requests.
func ValidPing() []byte { return pings(18, 0) }

// IPv6Ping is two neighbour solicitations from 2001:db8:0:f101::2 for ::1,
// a few minutes apart: valid ICMPv6 that must not raise an alert.
func IPv6Ping() []byte {
	g := scanGen(19, "2015-03-17 13:39:13.482127", "eth0")
	g.Step, g.Jitter = 156*time.Second, 300*time.Millisecond
	dst := g.ICMP(nil, nd(v6Src, solicitedNode(v6Dst), 135, true))
	return g.ICMP(dst, nd(v6Src, solicitedNode(v6Dst), 135, true))
}

// IPv6InvalidICMP6 is ICMPv6 from 2001:db8:0:f101::2 to ::1 that is
// invalid: twice the undefined type 200, twice an echo request with the
// undefined code 5.
func IPv6InvalidICMP6() []byte {
	g := scanGen(20, "2015-03-17 14:02:51.006612", "eth0")
	g.Step, g.Jitter = time.Second, time.Millisecond
	id := g.IntRange(1, 65535)
	var dst []byte
	for i := range 2 {
		dst = g.ICMP(dst, ICMPSpec{IP: IP{Src: v6Src, Dst: v6Dst}, Type: 200, Payload: 8})
		dst = g.ICMP(dst, ICMPSpec{IP: IP{Src: v6Src, Dst: v6Dst}, Type: 128, Code: 5,
			EchoID: id, EchoSeq: i + 1, Payload: 56})
	}
	return dst
}

// IGMP is four IGMPv3 membership queries (TTL 1, TOS 0xC0, router-alert
// option) from 192.168.10.55 to 224.0.0.1 on wlan0, dropped by Shorewall,
// whose prefix has no blank before IN=.
func IGMP() []byte {
	g := scanGen(21, "2015-04-24 12:06:50.031964", "wlan0")
	g.Host = "laptop"
	g.Uptime = 3445*time.Second + 31964*time.Microsecond
	g.Prefix = "Shorewall:wlan0_mac:DROP:"
	g.Step, g.Jitter = 125*time.Second, 1500*time.Millisecond
	var dst []byte
	for range 4 {
		dst = g.Proto(dst, ProtoSpec{IP: IP{Src: scanner, Dst: allHosts, TTL: 1, TOS: 0xc0, IPOpts: "94040000"},
			Proto: 2, Payload: 12})
	}
	return dst
}

// SyslogTimeFmt is six lines behind rsyslog's high-precision RFC 3339
// header from host "servername" (no kernel stamps): four SYNs from
// Internet scanners on 2015-03-07 and two IGMP queries on 2015-03-08.
func SyslogTimeFmt() []byte {
	g := New(22)
	g.Header = HeaderRFC3339
	g.Host = "servername"
	g.KernelTS = false
	g.Prefix = "DROP: "
	g.Step, g.Jitter = 0, 0
	g.Start = time.Date(2015, time.March, 7, 5, 9, 30, 45015000, time.FixedZone("", 2*3600))
	fw := netip.MustParseAddr("203.0.113.10")
	var dst []byte
	syns := []struct {
		src          string
		port, window int
		after        time.Duration
	}{
		{"198.51.100.23", 21, 65535, 0}, // zmap: IP ID 54321, window 65535
		{"198.51.100.87", 21, 1024, 6*time.Hour + 35*time.Minute + 24*time.Second},
		{"192.0.2.45", 22, 65535, 5*time.Hour + 17*time.Minute + 3*time.Second},
		{"198.51.100.201", 23, 1024, 6*time.Hour + 49*time.Minute + 41*time.Second},
	}
	for _, s := range syns {
		g.Sleep(s.after + time.Duration(g.Rand.IntN(1000000))*time.Microsecond)
		id := 54321
		if s.window == 1024 {
			id = g.ipID()
		}
		dst = g.TCP(dst, TCPSpec{IP: IP{Src: netip.MustParseAddr(s.src), Dst: fw, TTL: g.IntRange(226, 240), ID: id},
			SrcPort: g.IntRange(40000, 65535), DstPort: s.port, Window: s.window, Flags: "SYN"})
	}
	g.Start = time.Date(2015, time.March, 8, 2, 22, 57, 444022000, time.FixedZone("", 2*3600))
	g.elapsed = 0
	for _, after := range []time.Duration{0, 134 * time.Second} {
		g.Sleep(after)
		dst = g.Proto(dst, ProtoSpec{IP: IP{Src: netip.MustParseAddr("10.0.0.1"), Dst: allHosts, TTL: 1, TOS: 0xc0,
			IPOpts: "94040000"}, Proto: 2, Payload: 12})
	}
	return dst
}

// MasscanMix is one SYN with TCP options (a Linux client, 10.1.1.1)
// followed by option-less SYNs from a masscan host (10.1.1.2, fixed source
// port) to ports 80-84 of 10.2.2.2: psad's Masscan heuristic.
func MasscanMix() []byte {
	g := scanGen(23, "2016-06-02 09:14:27.016277", "eth0")
	g.Step, g.Jitter = 2*time.Millisecond, 3*time.Millisecond
	a, b, d := netip.MustParseAddr("10.1.1.1"), netip.MustParseAddr("10.1.1.2"), netip.MustParseAddr("10.2.2.2")
	dst := g.TCP(nil, TCPSpec{IP: IP{Src: a, Dst: d, ID: g.ipID(), DF: true}, SrcPort: g.ephemeralPort(),
		DstPort: 22, Window: 29200, Flags: "SYN", Opts: g.linuxSYNOpts(1460)})
	g.Sleep(3 * time.Second)
	ports := []int{80, 81, 82, 83, 84}
	g.Rand.Shuffle(len(ports), func(i, j int) { ports[i], ports[j] = ports[j], ports[i] })
	sport := g.IntRange(40000, 65535)
	for _, p := range ports {
		dst = g.TCP(dst, TCPSpec{IP: IP{Src: b, Dst: d, TTL: 255, ID: g.ipID()}, SrcPort: sport, DstPort: p,
			Window: 1024, Flags: "SYN"})
	}
	return dst
}

// Sample is a 2000-line excerpt of a busy firewall ([Mixed], seed 1).
func Sample() []byte {
	var b bytes.Buffer
	if err := Mixed(&b, 2000, 1); err != nil {
		panic(err) // a bytes.Buffer does not fail
	}
	return b.Bytes()
}
