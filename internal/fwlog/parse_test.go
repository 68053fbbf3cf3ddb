package fwlog

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// Sample lines, written after real kernel output (iptables LOG, ip6tables
// LOG, nftables log) and the shapes in the psad test suite.
const (
	lineSYNOpts = "Mar 11 20:35:11 linux kernel: [463490.251762] DROP IN=eth1 OUT= MAC=23:87:fc:c6:24:58:00:21:3f:98:99:78:09:00 SRC=192.168.10.55 DST=192.168.10.1 LEN=44 TOS=0x00 PREC=0x00 TTL=53 ID=15270 PROTO=TCP SPT=56247 DPT=1025 WINDOW=3072 RES=0x00 SYN URGP=0 OPT (020405B4) "
	lineUDP     = "Mar 11 20:41:04 linux kernel: [463843.171785] DROP IN=eth1 OUT= MAC=23:87:fc:c6:24:58:00:21:3f:98:99:78:09:00 SRC=192.168.10.55 DST=192.168.10.1 LEN=28 TOS=0x10 PREC=0x00 TTL=50 ID=54985 DF PROTO=UDP SPT=44318 DPT=1146 LEN=8 "
	lineV6TCP   = "Mar 17 13:39:13 linux kernel: [956932.482352] DROP IN=eth0 OUT= MAC=00:13:46:3a:41:36:00:1b:b9:76:9c:e4:86:dd SRC=2001:0db8:0000:f101:0000:0000:0000:0002 DST=2001:0db8:0000:f101:0000:0000:0000:0001 LEN=80 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=TCP SPT=46395 DPT=80 WINDOW=5760 RES=0x00 SYN URGP=0 "
	lineICMP    = "Mar 23 21:29:27 linux kernel: [1503546.179768] ICMP IN=eth0 OUT= MAC=23:87:fc:c6:24:58:00:21:3f:98:99:78:09:00 SRC=192.168.10.55 DST=192.168.10.1 LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=18443 PROTO=ICMP TYPE=8 CODE=0 ID=2158 SEQ=512 "
	lineNftAll  = "Mar  7 05:09:30 gw kernel: nft-drop: IN=enp1s0 OUT= MACSRC=52:54:00:12:34:56 MACDST=52:54:00:ab:cd:ef MACPROTO=0800 SRC=203.0.113.9 DST=192.0.2.1 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=40000 DF PROTO=TCP SPT=51000 DPT=22 SEQ=3735928559 ACK=0 WINDOW=64240 RES=0x00 SYN URGP=0 OPT (020405B40402080A) UID=0 GID=0 MARK=0x1 "
)

// want returns a reset Packet changed by f.
func want(f func(p *Packet)) *Packet {
	var p Packet
	p.Reset()
	f(&p)
	return &p
}

var (
	v4a = netip.MustParseAddr("192.168.10.55")
	v4b = netip.MustParseAddr("192.168.10.1")
	v6a = netip.MustParseAddr("2001:db8:0:f101::2")
	v6b = netip.MustParseAddr("2001:db8:0:f101::1")
)

// b is shorthand for a []byte field in expectations.
func b(s string) []byte { return []byte(s) }

// diffPacket lists the fields in which got and want differ; byte slices
// are compared by content, with nil equal to empty.
func diffPacket(got, want *Packet) string {
	var sb strings.Builder
	gv, wv := reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem()
	for i := 0; i < gv.NumField(); i++ {
		name := gv.Type().Field(i).Name
		g, w := gv.Field(i).Interface(), wv.Field(i).Interface()
		if gb, ok := g.([]byte); ok {
			if !bytes.Equal(gb, w.([]byte)) {
				fmt.Fprintf(&sb, "\n  %s = %q, want %q", name, gb, w)
			}
			continue
		}
		if g != w {
			fmt.Fprintf(&sb, "\n  %s = %v, want %v", name, g, w)
		}
	}
	return sb.String()
}

func defaultParser() *Parser {
	return NewParser(Options{StripKernelTS: true, SIDMarker: []byte("SID")})
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		opts *Options // nil: StripKernelTS, SIDMarker "SID"
		line string
		err  error // compared with errors.Is
		want *Packet
	}{
		{
			name: "ipv4 syn with tcp options",
			line: lineSYNOpts,
			want: want(func(p *Packet) {
				p.Timestamp, p.Host, p.Prefix = b("Mar 11 20:35:11"), b("linux"), b("DROP")
				p.Chain, p.Intf, p.In = ChainInput, b("eth1"), b("eth1")
				p.DstMAC, p.SrcMAC = b("23:87:fc:c6:24:58"), b("00:21:3f:98:99:78")
				p.Src, p.Dst, p.Proto, p.HasProto = v4a, v4b, ProtoTCP, true
				p.IPLen, p.TOS, p.TTL, p.IPID = 44, 0, 53, 15270
				p.SrcPort, p.DstPort, p.Window, p.Flags = 56247, 1025, 3072, FlagSYN
				p.TCPOpts = b("020405B4")
			}),
		},
		{
			name: "ipv4 udp with DF and TOS",
			line: lineUDP,
			want: want(func(p *Packet) {
				p.Timestamp, p.Host, p.Prefix = b("Mar 11 20:41:04"), b("linux"), b("DROP")
				p.Chain, p.Intf, p.In = ChainInput, b("eth1"), b("eth1")
				p.DstMAC, p.SrcMAC = b("23:87:fc:c6:24:58"), b("00:21:3f:98:99:78")
				p.Src, p.Dst, p.Proto, p.HasProto = v4a, v4b, ProtoUDP, true
				p.IPLen, p.TOS, p.TTL, p.IPID, p.DF = 28, 16, 50, 54985, true
				p.SrcPort, p.DstPort, p.UDPLen = 44318, 1146, 8
			}),
		},
		{
			name: "ip6tables tcp",
			line: lineV6TCP,
			want: want(func(p *Packet) {
				p.Timestamp, p.Host, p.Prefix = b("Mar 17 13:39:13"), b("linux"), b("DROP")
				p.Chain, p.Intf, p.In = ChainInput, b("eth0"), b("eth0")
				p.DstMAC, p.SrcMAC = b("00:13:46:3a:41:36"), b("00:1b:b9:76:9c:e4")
				p.IPv6, p.Src, p.Dst, p.Proto, p.HasProto = true, v6a, v6b, ProtoTCP, true
				p.IPLen, p.TC, p.HopLimit, p.FlowLabel = 80, 0, 64, 0
				p.SrcPort, p.DstPort, p.Window, p.Flags = 46395, 80, 5760, FlagSYN
			}),
		},
		{
			name: "icmp echo request",
			line: lineICMP,
			want: want(func(p *Packet) {
				p.Timestamp, p.Host, p.Prefix = b("Mar 23 21:29:27"), b("linux"), b("ICMP")
				p.Chain, p.Intf, p.In = ChainInput, b("eth0"), b("eth0")
				p.DstMAC, p.SrcMAC = b("23:87:fc:c6:24:58"), b("00:21:3f:98:99:78")
				p.Src, p.Dst, p.Proto, p.HasProto = v4a, v4b, ProtoICMP, true
				p.IPLen, p.TTL, p.IPID = 28, 64, 18443
				p.ICMPType, p.ICMPCode, p.ICMPID, p.ICMPSeq = 8, 0, 2158, 512
			}),
		},
		{
			name: "nftables flags all: MACSRC/MACDST, SEQ/ACK, options, UID, MARK",
			line: lineNftAll,
			want: want(func(p *Packet) {
				p.Timestamp, p.Host, p.Prefix = b("Mar  7 05:09:30"), b("gw"), b("nft-drop:")
				p.Chain, p.Intf, p.In = ChainInput, b("enp1s0"), b("enp1s0")
				p.SrcMAC, p.DstMAC = b("52:54:00:12:34:56"), b("52:54:00:ab:cd:ef")
				p.Src, p.Dst = netip.MustParseAddr("203.0.113.9"), netip.MustParseAddr("192.0.2.1")
				p.Proto, p.HasProto = ProtoTCP, true
				p.IPLen, p.TOS, p.TTL, p.IPID, p.DF = 60, 0, 52, 40000, true
				p.SrcPort, p.DstPort, p.Window, p.Flags = 51000, 22, 64240, FlagSYN
				p.TCPSeq, p.TCPAck = 3735928559, 0
				p.TCPOpts = b("020405B40402080A")
			}),
		},
		{
			name: "nftables ipv6 tcp with SEQ/ACK (psad: malformed)",
			line: "kernel: IN=eth0 OUT= SRC=2001:0db8:0000:f101:0000:0000:0000:0002 DST=2001:0db8:0000:f101:0000:0000:0000:0001 LEN=80 TC=0 HOPLIMIT=64 FLOWLBL=12345 PROTO=TCP SPT=1 DPT=2 SEQ=1 ACK=2 WINDOW=3 RES=0x00 ACK PSH URGP=0 ",
			want: want(func(p *Packet) {
				p.Chain, p.Intf, p.In = ChainInput, b("eth0"), b("eth0")
				p.IPv6, p.Src, p.Dst, p.Proto, p.HasProto = true, v6a, v6b, ProtoTCP, true
				p.IPLen, p.TC, p.HopLimit, p.FlowLabel = 80, 0, 64, 12345
				p.SrcPort, p.DstPort, p.TCPSeq, p.TCPAck, p.Window = 1, 2, 1, 2, 3
				p.Flags = FlagACK | FlagPSH
			}),
		},
		{
			name: "nftables prefix without separator",
			line: "Mar 11 20:35:11 fw kernel: DROPIN=eth0 OUT= SRC=192.168.10.55 DST=192.168.10.1 LEN=40 TOS=0x00 PREC=0x00 TTL=49 ID=1 PROTO=TCP SPT=1 DPT=2 WINDOW=3 RES=0x00 URG PSH FIN URGP=0",
			want: want(func(p *Packet) {
				p.Timestamp, p.Host, p.Prefix = b("Mar 11 20:35:11"), b("fw"), b("DROP")
				p.Chain, p.Intf, p.In = ChainInput, b("eth0"), b("eth0")
				p.Src, p.Dst, p.Proto, p.HasProto = v4a, v4b, ProtoTCP, true
				p.IPLen, p.TOS, p.TTL, p.IPID = 40, 0, 49, 1
				p.SrcPort, p.DstPort, p.Window, p.Flags = 1, 2, 3, FlagURG|FlagPSH|FlagFIN
			}),
		},
		{
			name: "ip options and non-first DF",
			line: "kernel: IN=eth0 OUT= SRC=192.168.10.55 DST=192.168.10.1 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=7 DF OPT (0727041401020304) PROTO=UDP SPT=53 DPT=53 LEN=20",
			want: want(func(p *Packet) {
				p.Chain, p.Intf, p.In = ChainInput, b("eth0"), b("eth0")
				p.Src, p.Dst, p.Proto, p.HasProto = v4a, v4b, ProtoUDP, true
				p.IPLen, p.TOS, p.TTL, p.IPID, p.DF = 60, 0, 64, 7, true
				p.IPOpts = b("0727041401020304")
				p.SrcPort, p.DstPort, p.UDPLen = 53, 53, 20
			}),
		},
		{
			name: "icmp error with embedded header",
			line: "kernel: REJ IN= OUT=eth0 SRC=192.168.10.1 DST=192.168.10.55 LEN=56 TOS=0x00 PREC=0xC0 TTL=64 ID=999 PROTO=ICMP TYPE=3 CODE=3 [SRC=192.168.10.55 DST=192.168.10.1 LEN=28 TOS=0x00 PREC=0x00 TTL=50 ID=1 PROTO=UDP SPT=44318 DPT=1146 LEN=8 ] ",
			want: want(func(p *Packet) {
				p.Prefix = b("REJ")
				p.Chain, p.Intf, p.Out = ChainOutput, b("eth0"), b("eth0")
				p.Src, p.Dst, p.Proto, p.HasProto = v4b, v4a, ProtoICMP, true
				p.IPLen, p.TTL, p.IPID = 56, 64, 999
				p.ICMPType, p.ICMPCode = 3, 3
			}),
		},
		{
			name: "icmp frag needed with MTU after the embedded header",
			line: "kernel: IN=eth0 OUT=eth1 SRC=192.168.10.1 DST=192.168.10.55 LEN=576 TOS=0x00 PREC=0x00 TTL=63 ID=0 DF PROTO=ICMP TYPE=3 CODE=4 [SRC=192.168.10.55 DST=10.0.0.1 LEN=1500 TOS=0x00 PREC=0x00 TTL=63 ID=0 DF PROTO=TCP SPT=1 DPT=2 WINDOW=3 RES=0x00 ACK URGP=0 ] MTU=1400 ",
			want: want(func(p *Packet) {
				p.Chain, p.Intf, p.In, p.Out = ChainForward, b("eth0"), b("eth0"), b("eth1")
				p.Src, p.Dst, p.Proto, p.HasProto = v4b, v4a, ProtoICMP, true
				p.IPLen, p.TTL, p.IPID, p.DF = 576, 63, 0, true
				p.ICMPType, p.ICMPCode = 3, 4
			}),
		},
		{
			name: "icmpv6 neighbour solicitation",
			line: "Mar 17 13:39:13 linux kernel: [956932.482127] DROP IN=eth0 OUT= MAC=33:33:ff:00:00:01:00:1b:b9:76:9c:e4:86:dd SRC=2001:0db8:0000:f101:0000:0000:0000:0002 DST=ff02:0000:0000:0000:0000:0001:ff00:0001 LEN=72 TC=0 HOPLIMIT=255 FLOWLBL=0 PROTO=ICMPv6 TYPE=135 CODE=0 ",
			want: want(func(p *Packet) {
				p.Timestamp, p.Host, p.Prefix = b("Mar 17 13:39:13"), b("linux"), b("DROP")
				p.Chain, p.Intf, p.In = ChainInput, b("eth0"), b("eth0")
				p.DstMAC, p.SrcMAC = b("33:33:ff:00:00:01"), b("00:1b:b9:76:9c:e4")
				p.IPv6, p.Src, p.Dst = true, v6a, netip.MustParseAddr("ff02::1:ff00:1")
				p.Proto, p.HasProto = ProtoICMPv6, true
				p.IPLen, p.TC, p.HopLimit, p.FlowLabel = 72, 0, 255, 0
				p.ICMPType, p.ICMPCode = 135, 0
			}),
		},
		{
			name: "icmpv6 echo with id and seq",
			line: "kernel: IN=eth0 OUT= SRC=2001:db8:0:f101::2 DST=2001:db8:0:f101::1 LEN=104 TC=0 HOPLIMIT=64 FLOWLBL=5 PROTO=ICMPv6 TYPE=128 CODE=0 ID=77 SEQ=1 ",
			want: want(func(p *Packet) {
				p.Chain, p.Intf, p.In = ChainInput, b("eth0"), b("eth0")
				p.IPv6, p.Src, p.Dst, p.Proto, p.HasProto = true, v6a, v6b, ProtoICMPv6, true
				p.IPLen, p.TC, p.HopLimit, p.FlowLabel = 104, 0, 64, 5
				p.ICMPType, p.ICMPCode, p.ICMPID, p.ICMPSeq = 128, 0, 77, 1
			}),
		},
		{
			name: "udp-lite over ipv4 (psad: malformed)",
			line: "kernel: IN=eth0 OUT= SRC=192.168.10.55 DST=192.168.10.1 LEN=28 TOS=0x08 PREC=0x00 TTL=50 ID=1 PROTO=UDPLITE SPT=1 DPT=2 LEN=8",
			want: want(func(p *Packet) {
				p.Chain, p.Intf, p.In = ChainInput, b("eth0"), b("eth0")
				p.Src, p.Dst, p.Proto, p.HasProto = v4a, v4b, ProtoUDPLite, true
				p.IPLen, p.TOS, p.TTL, p.IPID = 28, 8, 50, 1
				p.SrcPort, p.DstPort, p.UDPLen = 1, 2, 8
			}),
		},
		{
			name: "udp over ipv6 with extension header options (psad: malformed)",
			line: "kernel: IN=eth0 OUT= SRC=2001:0db8:0000:f101:0000:0000:0000:0002 DST=2001:0db8:0000:f101:0000:0000:0000:0001 LEN=64 TC=0 HOPLIMIT=1 FLOWLBL=0 OPT ( ) OPT ( FRAG:0 INCOMPLETE ID:0000002a ) PROTO=UDPLITE SPT=1 DPT=2 LEN=24 ",
			want: want(func(p *Packet) {
				p.Chain, p.Intf, p.In = ChainInput, b("eth0"), b("eth0")
				p.IPv6, p.Src, p.Dst, p.Proto, p.HasProto = true, v6a, v6b, ProtoUDPLite, true
				p.IPLen, p.TC, p.HopLimit, p.FlowLabel = 64, 0, 1, 0
				p.SrcPort, p.DstPort, p.UDPLen = 1, 2, 24
			}),
		},
		{
			name: "topera: seven empty OPT groups",
			line: "kernel: IN=eth0 OUT= SRC=2001:0db8:0000:f101:0000:0000:0000:0002 DST=2001:0db8:0000:f101:0000:0000:0000:0001 LEN=132 TC=0 HOPLIMIT=64 FLOWLBL=0 OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) PROTO=TCP SPT=28563 DPT=0 WINDOW=8192 RES=0x00 SYN URGP=0 ",
			want: want(func(p *Packet) {
				p.Chain, p.Intf, p.In = ChainInput, b("eth0"), b("eth0")
				p.IPv6, p.Src, p.Dst, p.Proto, p.HasProto = true, v6a, v6b, ProtoTCP, true
				p.IPLen, p.TC, p.HopLimit, p.FlowLabel = 132, 0, 64, 0
				p.SrcPort, p.DstPort, p.Window, p.Flags = 28563, 0, 8192, FlagSYN
				p.Topera = true
			}),
		},
		{
			name: "six empty OPT groups are not topera",
			line: "kernel: IN=eth0 OUT= SRC=::2 DST=::1 LEN=1 TC=0 HOPLIMIT=64 FLOWLBL=0 OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) PROTO=47",
			want: want(func(p *Packet) {
				p.Chain, p.Intf, p.In = ChainInput, b("eth0"), b("eth0")
				p.IPv6, p.Src, p.Dst, p.Proto, p.HasProto = true, netip.MustParseAddr("::2"), netip.IPv6Loopback(), 47, true
				p.IPLen, p.TC, p.HopLimit, p.FlowLabel = 1, 0, 64, 0
			}),
		},
		{
			name: "sctp with ports (ulogd)",
			line: "Mar 11 20:35:11 host ulogd DROP IN=eth0 OUT= SRC=192.168.10.55 DST=192.168.10.1 LEN=48 TOS=0x00 PREC=0x00 TTL=64 ID=3 PROTO=SCTP SPT=5000 DPT=36412 ",
			want: want(func(p *Packet) {
				p.Timestamp, p.Host, p.Prefix = b("Mar 11 20:35:11"), b("host"), b("ulogd DROP")
				p.Chain, p.Intf, p.In = ChainInput, b("eth0"), b("eth0")
				p.Src, p.Dst, p.Proto, p.HasProto = v4a, v4b, ProtoSCTP, true
				p.IPLen, p.TTL, p.IPID = 48, 64, 3
				p.SrcPort, p.DstPort = 5000, 36412
			}),
		},
		{
			name: "sctp as the kernel prints it",
			line: "kernel: IN=eth0 OUT= SRC=192.168.10.55 DST=192.168.10.1 LEN=48 TOS=0x00 PREC=0x00 TTL=64 ID=3 PROTO=132 ",
			want: want(func(p *Packet) {
				p.Chain, p.Intf, p.In = ChainInput, b("eth0"), b("eth0")
				p.Src, p.Dst, p.Proto, p.HasProto = v4a, v4b, ProtoSCTP, true
				p.IPLen, p.TTL, p.IPID = 48, 64, 3
			}),
		},
		{
			name: "ah",
			line: "kernel: IN=eth0 OUT= SRC=192.168.10.55 DST=192.168.10.1 LEN=100 TOS=0x00 PREC=0x00 TTL=64 ID=3 PROTO=AH SPI=0x1234 ",
			want: want(func(p *Packet) {
				p.Chain, p.Intf, p.In = ChainInput, b("eth0"), b("eth0")
				p.Src, p.Dst, p.Proto, p.HasProto = v4a, v4b, ProtoAH, true
				p.IPLen, p.TTL, p.IPID = 100, 64, 3
			}),
		},
		{
			name: "esp",
			line: "kernel: IN=eth0 OUT= SRC=192.168.10.55 DST=192.168.10.1 LEN=100 TOS=0x00 PREC=0x00 TTL=64 ID=3 PROTO=ESP SPI=0x1234 ",
			want: want(func(p *Packet) {
				p.Chain, p.Intf, p.In = ChainInput, b("eth0"), b("eth0")
				p.Src, p.Dst, p.Proto, p.HasProto = v4a, v4b, ProtoESP, true
				p.IPLen, p.TTL, p.IPID = 100, 64, 3
			}),
		},
		{
			name: "esp truncated",
			line: "kernel: IN=eth0 OUT= SRC=192.168.10.55 DST=192.168.10.1 LEN=100 TOS=0x00 PREC=0x00 TTL=64 ID=3 PROTO=ESP INCOMPLETE [4 bytes] ",
			err:  ErrTruncated,
			want: want(func(p *Packet) {
				p.Chain, p.Intf, p.In = ChainInput, b("eth0"), b("eth0")
				p.Src, p.Dst, p.Proto, p.HasProto = v4a, v4b, ProtoESP, true
				p.IPLen, p.TTL, p.IPID = 100, 64, 3
			}),
		},
		{
			name: "numeric protocol (igmp), shorewall prefix",
			line: "Apr 24 12:06:50 localhost kernel: [ 3445.031964] Shorewall:wlan0_mac:DROP:IN=wlan0 OUT= MAC=02:00:5e:02:03:01:18:53:33:33:d6:41:03:00 SRC=192.168.10.55 DST=224.0.0.1 LEN=36 TOS=0x00 PREC=0xC0 TTL=1 ID=0 PROTO=2",
			want: want(func(p *Packet) {
				p.Timestamp, p.Host, p.Prefix = b("Apr 24 12:06:50"), b("localhost"), b("Shorewall:wlan0_mac:DROP:")
				p.Chain, p.Intf, p.In = ChainInput, b("wlan0"), b("wlan0")
				p.DstMAC, p.SrcMAC = b("02:00:5e:02:03:01"), b("18:53:33:33:d6:41")
				p.Src, p.Dst, p.Proto, p.HasProto = v4a, netip.MustParseAddr("224.0.0.1"), 2, true
				p.IPLen, p.TTL, p.IPID = 36, 1, 0
			}),
		},
		{
			name: "protocol 58 on ipv4 is a number (nmap -sO)",
			line: "kernel: DROP IN=eth0 OUT= SRC=192.168.10.55 DST=192.168.10.1 LEN=20 TOS=0x00 PREC=0x00 TTL=57 ID=52787 PROTO=58 ",
			want: want(func(p *Packet) {
				p.Prefix = b("DROP")
				p.Chain, p.Intf, p.In = ChainInput, b("eth0"), b("eth0")
				p.Src, p.Dst, p.Proto, p.HasProto = v4a, v4b, ProtoICMPv6, true
				p.IPLen, p.TTL, p.IPID = 20, 57, 52787
			}),
		},
		{
			name: "protocol 1 on ipv6 is a number",
			line: "kernel: IN=eth0 OUT= SRC=::2 DST=::1 LEN=40 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=1 ",
			want: want(func(p *Packet) {
				p.Chain, p.Intf, p.In = ChainInput, b("eth0"), b("eth0")
				p.IPv6, p.Src, p.Dst, p.Proto, p.HasProto = true, netip.MustParseAddr("::2"), netip.IPv6Loopback(), ProtoICMP, true
				p.IPLen, p.TC, p.HopLimit, p.FlowLabel = 40, 0, 64, 0
			}),
		},
		{
			name: "numeric protocol fragment is accepted",
			line: "kernel: IN=eth0 OUT= SRC=192.168.10.55 DST=192.168.10.1 LEN=100 TOS=0x00 PREC=0x00 TTL=64 ID=3 FRAG:100 PROTO=47 ",
			want: want(func(p *Packet) {
				p.Chain, p.Intf, p.In = ChainInput, b("eth0"), b("eth0")
				p.Src, p.Dst, p.Proto, p.HasProto = v4a, v4b, 47, true
				p.IPLen, p.TTL, p.IPID = 100, 64, 3
			}),
		},
		{
			name: "non-first tcp fragment",
			line: "kernel: IN=eth0 OUT= SRC=192.168.10.55 DST=192.168.10.1 LEN=100 TOS=0x00 PREC=0x00 TTL=64 ID=3 DF MF FRAG:185 PROTO=TCP ",
			err:  ErrFragment,
			want: want(func(p *Packet) {
				p.Chain, p.Intf, p.In = ChainInput, b("eth0"), b("eth0")
				p.Src, p.Dst, p.Proto, p.HasProto = v4a, v4b, ProtoTCP, true
				p.IPLen, p.TOS, p.TTL, p.IPID, p.DF = 100, 0, 64, 3, true
			}),
		},
		{
			name: "non-first ipv6 udp fragment",
			line: "kernel: IN=eth0 OUT= SRC=::2 DST=::1 LEN=100 TC=0 HOPLIMIT=64 FLOWLBL=0 FRAG:1448 ID:0000abcd PROTO=UDP MARK=0x1 ",
			err:  ErrFragment,
			want: want(func(p *Packet) {
				p.Chain, p.Intf, p.In = ChainInput, b("eth0"), b("eth0")
				p.IPv6, p.Src, p.Dst, p.Proto, p.HasProto = true, netip.MustParseAddr("::2"), netip.IPv6Loopback(), ProtoUDP, true
				p.IPLen, p.TC, p.HopLimit, p.FlowLabel = 100, 0, 64, 0
			}),
		},
		{
			name: "truncated tcp",
			line: "kernel: IN=eth0 OUT= SRC=192.168.10.55 DST=192.168.10.1 LEN=30 TOS=0x00 PREC=0x00 TTL=64 ID=3 PROTO=TCP INCOMPLETE [10 bytes] ",
			err:  ErrTruncated,
			want: want(func(p *Packet) {
				p.Chain, p.Intf, p.In = ChainInput, b("eth0"), b("eth0")
				p.Src, p.Dst, p.Proto, p.HasProto = v4a, v4b, ProtoTCP, true
				p.IPLen, p.TOS, p.TTL, p.IPID = 30, 0, 64, 3
			}),
		},
		{
			name: "fwsnort prefix",
			line: "Mar 11 20:35:11 fw kernel: [12] SID2003 ESTAB IN=eth0 OUT= SRC=192.168.10.55 DST=192.168.10.1 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=3 PROTO=TCP SPT=1 DPT=1433 WINDOW=3 RES=0x00 ACK PSH URGP=0 ",
			want: want(func(p *Packet) {
				p.Timestamp, p.Host, p.Prefix = b("Mar 11 20:35:11"), b("fw"), b("[12] SID2003 ESTAB")
				p.FwsnortSID, p.FwsnortRule, p.FwsnortEstab = 2003, 12, true
				p.Chain, p.Intf, p.In = ChainInput, b("eth0"), b("eth0")
				p.Src, p.Dst, p.Proto, p.HasProto = v4a, v4b, ProtoTCP, true
				p.IPLen, p.TOS, p.TTL, p.IPID = 40, 0, 64, 3
				p.SrcPort, p.DstPort, p.Window, p.Flags = 1, 1433, 3, FlagACK|FlagPSH
			}),
		},
		{
			name: "fwsnort disabled (--no-snort-sids)",
			opts: &Options{StripKernelTS: true},
			line: "kernel: [  12.5] [12] SID2003 ESTAB IN= OUT=eth0 SRC=192.168.10.55 DST=192.168.10.1 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=3 PROTO=2",
			want: want(func(p *Packet) {
				p.Prefix = b("[12] SID2003 ESTAB")
				p.Chain, p.Intf, p.Out = ChainOutput, b("eth0"), b("eth0")
				p.Src, p.Dst, p.Proto, p.HasProto = v4a, v4b, 2, true
				p.IPLen, p.TTL, p.IPID = 40, 64, 3
			}),
		},
		{
			name: "custom SID marker is literal; marker without digits skipped",
			opts: &Options{SIDMarker: []byte("S.D")},
			line: "kernel: SID1 S.Dx S.D77 IN=eth0 OUT= SRC=1.2.3.4 DST=5.6.7.8 LEN=1 TTL=1 ID=1 PROTO=2",
			want: want(func(p *Packet) {
				p.Prefix = b("SID1 S.Dx S.D77")
				p.FwsnortSID = 77
				p.Chain, p.Intf, p.In = ChainInput, b("eth0"), b("eth0")
				p.Src, p.Dst, p.Proto, p.HasProto = netip.MustParseAddr("1.2.3.4"), netip.MustParseAddr("5.6.7.8"), 2, true
				p.IPLen, p.TTL, p.IPID = 1, 1, 1
			}),
		},
		{
			name: "kernel timestamp kept without StripKernelTS",
			opts: &Options{},
			line: "Mar 11 20:35:11 h kernel: [  12.345678] IN=eth0 OUT= SRC=1.2.3.4 DST=5.6.7.8 LEN=1 TTL=1 ID=1 PROTO=2",
			want: want(func(p *Packet) {
				p.Timestamp, p.Host, p.Prefix = b("Mar 11 20:35:11"), b("h"), b("[  12.345678]")
				p.Chain, p.Intf, p.In = ChainInput, b("eth0"), b("eth0")
				p.Src, p.Dst, p.Proto, p.HasProto = netip.MustParseAddr("1.2.3.4"), netip.MustParseAddr("5.6.7.8"), 2, true
				p.IPLen, p.TTL, p.IPID = 1, 1, 1
			}),
		},
		{
			name: "kernel timestamp only: empty prefix",
			line: "Mar 11 20:35:11 h kernel: [  12.345678] IN=eth0 OUT= SRC=1.2.3.4 DST=5.6.7.8 LEN=1 TTL=1 ID=1 PROTO=2\r\n",
			want: want(func(p *Packet) {
				p.Timestamp, p.Host = b("Mar 11 20:35:11"), b("h")
				p.Chain, p.Intf, p.In = ChainInput, b("eth0"), b("eth0")
				p.Src, p.Dst, p.Proto, p.HasProto = netip.MustParseAddr("1.2.3.4"), netip.MustParseAddr("5.6.7.8"), 2, true
				p.IPLen, p.TTL, p.IPID = 1, 1, 1
			}),
		},
		{
			name: "last kernel: wins",
			line: "Mar  1 20:35:11 host2 kernel: kernel: DOUBLE IN=eth0 OUT=eth1 SRC=1.2.3.4 DST=5.6.7.8 LEN=1 TTL=1 ID=1 PROTO=2\n",
			want: want(func(p *Packet) {
				p.Timestamp, p.Host, p.Prefix = b("Mar  1 20:35:11"), b("host2"), b("DOUBLE")
				p.Chain, p.Intf, p.In, p.Out = ChainForward, b("eth0"), b("eth0"), b("eth1")
				p.Src, p.Dst, p.Proto, p.HasProto = netip.MustParseAddr("1.2.3.4"), netip.MustParseAddr("5.6.7.8"), 2, true
				p.IPLen, p.TTL, p.IPID = 1, 1, 1
			}),
		},
		{
			name: "compressed and mixed-case ipv6",
			line: "kernel: IN=eth0 OUT= SRC=2001:DB8::1 DST=::ffff:192.0.2.1 LEN=1 TC=0 HOPLIMIT=1 FLOWLBL=0 PROTO=ICMPv6 TYPE=1 CODE=4",
			want: want(func(p *Packet) {
				p.Chain, p.Intf, p.In = ChainInput, b("eth0"), b("eth0")
				p.IPv6, p.Src, p.Dst = true, netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("::ffff:192.0.2.1")
				p.Proto, p.HasProto = ProtoICMPv6, true
				p.IPLen, p.TC, p.HopLimit, p.FlowLabel = 1, 0, 1, 0
				p.ICMPType, p.ICMPCode = 1, 4
			}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := defaultParser()
			if tt.opts != nil {
				ps = NewParser(*tt.opts)
			}
			var p Packet
			err := ps.Parse([]byte(tt.line), &p)
			if !errors.Is(err, tt.err) || (err == nil) != (tt.err == nil) {
				t.Errorf("err = %v, want %v", err, tt.err)
			}
			if d := diffPacket(&p, tt.want); d != "" {
				t.Errorf("packet differs:%s", d)
			}
		})
	}
}

// base is a valid line; the tests below edit it into each error case.
const base = "Mar 11 20:35:11 h kernel: DROP IN=eth0 OUT= SRC=192.168.10.55 DST=192.168.10.1 LEN=44 TOS=0x00 PREC=0x00 TTL=53 ID=15270 PROTO=TCP SPT=56247 DPT=1025 WINDOW=3072 RES=0x00 SYN URGP=0 "

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, line string
		err        error
		field      string // Field of the returned error, "" to skip
		hasProto   bool
		proto      uint8
	}{
		{"empty", "", ErrNotFirewall, "", false, 0},
		{"no IN=", "Mar 11 20:35:11 h kernel: hello world", ErrNotFirewall, "", false, 0},
		{"no OUT=", "kernel: IN=eth0 SRC=1.2.3.4", ErrNotFirewall, "", false, 0},
		{"IN= OUT=", strings.Replace(base, "IN=eth0", "IN=", 1), ErrNoChain, "", false, 0},
		{"no SRC", strings.Replace(base, "SRC=192.168.10.55 ", "", 1), ErrNoAddr, "SRC", true, ProtoTCP},
		{"no DST", strings.Replace(base, "DST=192.168.10.1 ", "", 1), ErrNoAddr, "DST", true, ProtoTCP},
		{"bad SRC octet", strings.Replace(base, "SRC=192.168.10.55", "SRC=192.168.10.256", 1), ErrBadAddr, "SRC", true, ProtoTCP},
		{"bad SRC v6", strings.Replace(base, "SRC=192.168.10.55", "SRC=1:2:3:4:5:6:7:8:9", 1), ErrBadAddr, "SRC", true, ProtoTCP},
		{"mixed families", strings.Replace(base, "DST=192.168.10.1", "DST=::1", 1), ErrBadAddr, "DST", true, ProtoTCP},
		{"no TTL", strings.Replace(base, "TTL=53 ", "", 1), ErrBadIP, "TTL", true, ProtoTCP},
		{"TTL range", strings.Replace(base, "TTL=53", "TTL=256", 1), ErrBadNumber, "TTL", true, ProtoTCP},
		{"no PROTO", strings.Replace(base, "PROTO=TCP", "PROT=TCP", 1), ErrNoProto, "", false, 0},
		{"unknown proto", strings.Replace(base, "PROTO=TCP", "PROTO=XTP", 1), ErrBadProto, "", false, 0},
		{"proto 256", strings.Replace(base, "PROTO=TCP", "PROTO=256", 1), ErrBadProto, "", false, 0},
		{"icmpv6 on ipv4", strings.Replace(base, "PROTO=TCP", "PROTO=ICMPv6", 1), ErrBadProto, "", false, 0},
		{"port range", strings.Replace(base, "DPT=1025", "DPT=65536", 1), ErrBadNumber, "DPT", true, ProtoTCP},
		{"port sign", strings.Replace(base, "DPT=1025", "DPT=-1", 1), ErrBadNumber, "DPT", true, ProtoTCP},
		{"no WINDOW", strings.Replace(base, "WINDOW=3072 ", "", 1), ErrBadTCP, "WINDOW", true, ProtoTCP},
		{"no URGP", strings.Replace(base, "URGP=0 ", "", 1), ErrBadTCP, "URGP", true, ProtoTCP},
		{"bad flag word", strings.Replace(base, "SYN", "SYN BOGUS", 1), ErrBadFlags, "", true, ProtoTCP},
		{"CWR ECE alone", strings.Replace(base, "SYN", "CWR ECE", 1), ErrBadFlags, "", true, ProtoTCP},
		{"udp without LEN", strings.Replace(base, "PROTO=TCP SPT=56247 DPT=1025 WINDOW", "PROTO=UDP SPT=56247 DPT=1025 XWINDOW", 1), ErrBadUDP, "LEN", true, ProtoUDP},
		{"echo without ID/SEQ", strings.Replace(base, "PROTO=TCP SPT=56247 DPT=1025", "PROTO=ICMP TYPE=0 CODE=0", 1), ErrBadICMP, "ID", true, ProtoICMP},
		{"icmp without TYPE", strings.Replace(base, "PROTO=TCP SPT=56247 DPT=1025", "PROTO=ICMP CODE=0", 1), ErrBadICMP, "TYPE", true, ProtoICMP},
		{"icmp on ipv6", "kernel: IN=eth0 OUT= SRC=::1 DST=::2 LEN=1 TC=0 HOPLIMIT=1 FLOWLBL=0 PROTO=ICMP TYPE=8 CODE=0", ErrBadProto, "", false, 0},
		{"numeric 6 is TCP and needs ports", strings.Replace(base, "PROTO=TCP SPT=56247 DPT=1025", "PROTO=6", 1), ErrBadTCP, "SPT", true, ProtoTCP},
		{"ipv6 without HOPLIMIT", "kernel: IN=eth0 OUT= SRC=::1 DST=::2 LEN=1 TC=0 FLOWLBL=0 PROTO=TCP", ErrBadIP, "HOPLIMIT", true, ProtoTCP},
		{"ipv6 AH truncated", "kernel: IN=eth0 OUT= SRC=::1 DST=::2 LEN=1 TC=0 HOPLIMIT=1 FLOWLBL=0 OPT ( AH INCOMPLETE [4 bytes] )", ErrTruncated, "", false, 0},
		{"arp line (nftables arp family)", "kernel: arp IN=eth0 OUT= MACSRC=52:54:00:12:34:56 MACDST=ff:ff:ff:ff:ff:ff MACPROTO=0806 ARPHTYPE=1 ARPPTYPE=0x0800 ARPOPCODE=1", ErrNoAddr, "SRC", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p Packet
			err := defaultParser().Parse([]byte(tt.line), &p)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if tt.field != "" && err.(*ParseError).Field != tt.field {
				t.Errorf("err = %v, want field %s", err, tt.field)
			}
			if p.HasProto != tt.hasProto || p.Proto != tt.proto {
				t.Errorf("HasProto, Proto = %v, %d; want %v, %d", p.HasProto, p.Proto, tt.hasProto, tt.proto)
			}
		})
	}
}

// TestPartialFields checks what the caller's ignore rules rely on: the
// prefix, chain, interface and IPv6 flag survive a later failure.
func TestPartialFields(t *testing.T) {
	line := "Mar 11 20:35:11 h kernel: DROP IN=eth3 OUT= SRC=2001:db8::1 DST=2001:db8::zz LEN=1 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=UDP SPT=1 DPT=2 LEN=8"
	var p Packet
	err := defaultParser().Parse([]byte(line), &p)
	if !errors.Is(err, ErrBadAddr) {
		t.Fatalf("err = %v", err)
	}
	if string(p.Prefix) != "DROP" || p.Chain != ChainInput || string(p.Intf) != "eth3" ||
		!p.IPv6 || !p.HasProto || p.Proto != ProtoUDP || string(p.Host) != "h" {
		t.Errorf("partial packet: %+v", p)
	}
	// psad's IPv6 marker is found even when SRC is not an address.
	line = "kernel: IN=eth3 OUT= SRC=bogus DST=x LEN=1 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 TYPE=1 CODE=0"
	err = defaultParser().Parse([]byte(line), &p)
	if !errors.Is(err, ErrBadAddr) || !p.IPv6 || !p.HasProto || p.Proto != ProtoICMPv6 {
		t.Errorf("err = %v, IPv6 %v, HasProto %v, Proto %d", err, p.IPv6, p.HasProto, p.Proto)
	}
}

func TestChain(t *testing.T) {
	tests := []struct {
		inout string
		chain Chain
		intf  string
	}{
		{"IN=eth0 OUT=", ChainInput, "eth0"},
		{"IN=eth0 OUT=eth1", ChainForward, "eth0"},
		{"IN= OUT=eth1", ChainOutput, "eth1"},
		{"IN=br0 OUT=br0 PHYSIN=eth2 PHYSOUT=eth3", ChainForward, "br0"},
		{"IN=br0 PHYSIN=eth2 OUT=br0 PHYSOUT=eth3", ChainForward, "br0"},
		{"IN=br0 PHYSIN=eth2 OUT=", ChainInput, "br0"},
		{"IN= PHYSIN=eth5 OUT=eth6", ChainForward, "eth5"}, // psad quirk
		{"IN= OUT=eth6 PHYSIN=eth5", ChainOutput, "eth6"},
		{"IN= OUT=", ChainNone, ""},
	}
	for _, tt := range tests {
		t.Run(tt.inout, func(t *testing.T) {
			line := "kernel: DROP " + tt.inout + " SRC=1.2.3.4 DST=5.6.7.8 LEN=1 TTL=1 ID=1 PROTO=2"
			var p Packet
			err := defaultParser().Parse([]byte(line), &p)
			if p.Chain != tt.chain || string(p.Intf) != tt.intf {
				t.Errorf("chain, intf = %v, %q; want %v, %q", p.Chain, p.Intf, tt.chain, tt.intf)
			}
			if (err == nil) != (tt.chain != ChainNone) {
				t.Errorf("err = %v", err)
			}
		})
	}
}

func TestHeader(t *testing.T) {
	const rest = "IN=eth0 OUT= SRC=1.2.3.4 DST=5.6.7.8 LEN=1 TTL=1 ID=1 PROTO=2"
	tests := []struct {
		name, line, ts, host, prefix string
	}{
		{"classic", "Mar 11 20:35:11 host1 kernel: [463490.251762] DROP " + rest, "Mar 11 20:35:11", "host1", "DROP"},
		{"classic one-digit day", "Mar  1 20:35:11 host2 kernel: DROP: " + rest, "Mar  1 20:35:11", "host2", "DROP:"},
		{"rsyslog high precision", "2015-03-07T05:09:30.045015+02:00 host3 kernel: DROP " + rest, "2015-03-07T05:09:30.045015+02:00", "host3", "DROP"},
		{"short-iso", "2015-03-07T05:09:30+0200 host4 kernel: " + rest, "2015-03-07T05:09:30+0200", "host4", ""},
		{"iso without fraction or zone", "2015-03-07T05:09:30 host5 kernel: X " + rest, "2015-03-07T05:09:30", "host5", "X"},
		{"iso Z", "2015-03-07T05:09:30Z host5 kernel: X " + rest, "2015-03-07T05:09:30Z", "host5", "X"},
		{"short-precise", "Mar 07 05:09:30.123456 host6 kernel: X " + rest, "Mar 07 05:09:30.123456", "host6", "X"},
		{"rfc5424", "<4>1 2015-03-07T05:09:30.045015+02:00 host7 kernel - - - DROP " + rest, "2015-03-07T05:09:30.045015+02:00", "host7", "DROP"},
		{"rfc5424 structured data", `<4>1 2015-03-07T05:09:30Z host7 kernel 12 - [a b="x] \" y"][c] DROP ` + rest, "2015-03-07T05:09:30Z", "host7", "DROP"},
		{"rfc5424 nil timestamp", "<4>1 - host7 kernel - - - DROP " + rest, "", "", "DROP"},
		{"priority then classic", "<4>Mar 11 20:35:11 host1 kernel: DROP " + rest, "Mar 11 20:35:11", "host1", "DROP"},
		{"no kernel: (ulogd)", "Mar 11 20:35:11 host8 DROP " + rest, "Mar 11 20:35:11", "host8", "DROP"},
		{"no host", "Mar 11 20:35:11 " + rest, "Mar 11 20:35:11", "", ""},
		{"no host, kernel:", "Mar 11 20:35:11 kernel: A " + rest, "Mar 11 20:35:11", "", "A"},
		{"dmesg", "[12345.678] DROP " + rest, "", "", "DROP"},
		{"dmesg with priority", "<4>[12345.678] DROP " + rest, "", "", "DROP"},
		{"no header", "DROP " + rest, "", "", "DROP"},
		{"bare", rest, "", "", ""},
		{"unknown header with kernel:", "@12345 box kernel: DROP " + rest, "", "", "DROP"},
		{"journalctl monotonic", "[ 1234.567890] box kernel: DROP " + rest, "", "", "DROP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p Packet
			if err := defaultParser().Parse([]byte(tt.line), &p); err != nil {
				t.Fatal(err)
			}
			if string(p.Timestamp) != tt.ts || string(p.Host) != tt.host || string(p.Prefix) != tt.prefix {
				t.Errorf("ts, host, prefix = %q, %q, %q; want %q, %q, %q", p.Timestamp, p.Host, p.Prefix, tt.ts, tt.host, tt.prefix)
			}
		})
	}
}

func TestHasInOut(t *testing.T) {
	for line, w := range map[string]bool{
		"IN=eth0 OUT=":                 true,
		"DROPIN=eth0 OUT=eth1":         true,
		"OUT= IN=eth0":                 false,
		"-- Logs begin at Mon 2015 --": false,
		"IN=":                          false,
	} {
		if got := HasInOut([]byte(line)); got != w {
			t.Errorf("HasInOut(%q) = %v", line, got)
		}
	}
}

func TestParseErrorText(t *testing.T) {
	if got := ferr(kBadAddr, fSRC).Error(); got != "field SRC: not a valid IP address" {
		t.Errorf("got %q", got)
	}
	if !errors.Is(ferr(kBadNum, fSPT), ErrBadNumber) || errors.Is(ferr(kBadNum, fSPT), ErrBadAddr) {
		t.Error("errors.Is does not match by kind")
	}
}

// TestNoAllocs asserts the hot path's promise: a good line of each kind
// costs no allocation.
func TestNoAllocs(t *testing.T) {
	ps := defaultParser()
	for name, line := range map[string]string{
		"ipv4-syn": lineSYNOpts, "ipv4-udp": lineUDP, "ipv6-tcp": lineV6TCP,
		"icmp": lineICMP, "nft-flags-all": lineNftAll,
		"rfc5424":    "<4>1 2015-03-07T05:09:30Z h kernel - - - [12] SID9 ESTAB IN=eth0 OUT= SRC=::1 DST=::2 LEN=1 TC=0 HOPLIMIT=1 FLOWLBL=0 PROTO=ICMPv6 TYPE=128 CODE=0 ID=1 SEQ=2",
		"compressed": "kernel: IN=eth0 OUT= SRC=2001:db8::1 DST=::ffff:1.2.3.4 LEN=1 TC=0 HOPLIMIT=1 FLOWLBL=0 PROTO=UDP SPT=1 DPT=2 LEN=8",
	} {
		line := []byte(line)
		var p Packet
		if err := ps.Parse(line, &p); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if n := testing.AllocsPerRun(100, func() { ps.Parse(line, &p) }); n != 0 {
			t.Errorf("%s: %v allocs per Parse, want 0", name, n)
		}
	}
	// Errors are package values, so bad lines do not allocate either.
	bad := []byte(strings.Replace(base, "DPT=1025", "DPT=99999", 1))
	var p Packet
	if n := testing.AllocsPerRun(100, func() { ps.Parse(bad, &p) }); n != 0 {
		t.Errorf("bad line: %v allocs per Parse, want 0", n)
	}
}

// TestTokenEnd compares the eight-bytes-at-a-time scan, in tokenEnd and
// as cursor.next writes it out, with the obvious loop at every offset of
// inputs that put blanks at every word position.
func TestTokenEnd(t *testing.T) {
	inputs := []string{
		"", " ", "\t", "a", "abcdefgh", "abcdefghi jk", "abcdefg\th", "\x00\x20\x09\x21\x1f\x08\x0a\xff",
		"SRC=192.168.10.55 DST=192.168.10.1", "\xa0\xa0\xa0\xa0\xa0\xa0\xa0\xa0\xa0 \xa0", "!!!!!!!!!!!!!!!! ",
	}
	for pos := 0; pos < 20; pos++ {
		for _, c := range []byte{' ', '\t'} {
			b := bytes.Repeat([]byte{'\x21'}, 20)
			b[pos] = c
			inputs = append(inputs, string(b))
		}
	}
	for _, in := range inputs {
		b := []byte(in)
		for i := 0; i <= len(b); i++ {
			want := i
			for want < len(b) && b[want] != ' ' && b[want] != '\t' {
				want++
			}
			if got := tokenEnd(b, i); got != want {
				t.Errorf("tokenEnd(%q, %d) = %d, want %d", in, i, got, want)
			}
			start := i
			for start < len(b) && (b[start] == ' ' || b[start] == '\t') {
				start++
			}
			end := start
			for end < len(b) && b[end] != ' ' && b[end] != '\t' {
				end++
			}
			c := cursor{b: b, i: i}
			if got := c.next(); len(got) != end-start || (end > start && &got[0] != &b[start]) || c.i != end {
				t.Errorf("next at %d of %q = %q, cursor at %d; want %q, cursor at %d", i, in, got, c.i, b[start:end], end)
			}
		}
	}
}

func TestPacketProtoKey(t *testing.T) {
	tests := []struct {
		proto uint8
		ipv6  bool
		want  string
	}{
		{ProtoTCP, false, "tcp"}, {ProtoTCP, true, "tcp"},
		{ProtoICMP, false, "icmp"}, {ProtoICMP, true, "1"},
		{ProtoICMPv6, true, "icmp6"}, {ProtoICMPv6, false, "58"},
		{ProtoUDPLite, true, "udplite"}, {47, false, "47"},
	}
	for _, tt := range tests {
		p := Packet{Proto: tt.proto, IPv6: tt.ipv6}
		if got := p.ProtoKey(); got != tt.want {
			t.Errorf("Proto %d, IPv6 %v: ProtoKey() = %q, want %q", tt.proto, tt.ipv6, got, tt.want)
		}
	}
}

// TestCustomHeader: CUSTOM_SYSLOG_TS_RE reads a header the parser does
// not know; psad's default expression gives what the parser finds
// itself; a line it does not match is read as without it.
func TestCustomHeader(t *testing.T) {
	const rest = "DROP IN=eth0 OUT= SRC=1.2.3.4 DST=5.6.7.8 LEN=40 TOS=0x00 PREC=0x00 TTL=1 ID=1 PROTO=TCP SPT=1 DPT=2 WINDOW=1024 RES=0x00 SYN URGP=0"
	psadDefault := regexp.MustCompile(`^\s*((?:\S+\s+){2}\S+)\s+(\S+)\s+kernel\:`)
	custom := regexp.MustCompile(`^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) \[(\w+)\] kernel:`)
	for _, c := range []struct {
		name, line, ts, host string
		re                   *regexp.Regexp
	}{
		{"custom format", "2026-03-01 20:35:11 [fw7] kernel: " + rest, "2026-03-01 20:35:11", "fw7", custom},
		{"without the expression", "2026-03-01 20:35:11 [fw7] kernel: " + rest, "", "", nil},
		{"psad's default", "Mar 11 20:35:11 host1 kernel: " + rest, "Mar 11 20:35:11", "host1", psadDefault},
		{"no match falls back", "2015-03-07T05:09:30Z host5 kernel: " + rest, "2015-03-07T05:09:30Z", "host5", custom},
	} {
		var p Packet
		if err := NewParser(Options{Header: c.re}).Parse([]byte(c.line), &p); err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if string(p.Timestamp) != c.ts || string(p.Host) != c.host || string(p.Prefix) != "DROP" || p.DstPort != 2 {
			t.Errorf("%s: timestamp %q host %q prefix %q dport %d", c.name, p.Timestamp, p.Host, p.Prefix, p.DstPort)
		}
	}
}
