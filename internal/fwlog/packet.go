// Package fwlog turns one kernel netfilter LOG line (iptables, ip6tables or
// nftables "log") into a Packet without regular expressions and without
// allocating, because it sits on the hot path of every mode of psad.
package fwlog

import (
	"net/netip"
)

// Chain is the netfilter chain psad infers from which of IN= and OUT= are
// empty (psad cannot see the real chain name in a LOG line).
type Chain uint8

const (
	ChainNone Chain = iota
	ChainInput
	ChainForward
	ChainOutput
)

// String returns the chain name exactly as psad prints it.
func (c Chain) String() string {
	switch c {
	case ChainInput:
		return "INPUT"
	case ChainForward:
		return "FORWARD"
	case ChainOutput:
		return "OUTPUT"
	}
	return ""
}

// Protocol numbers psad gives a name of its own; every other protocol is
// keyed by its decimal number.
const (
	ProtoICMP    uint8 = 1
	ProtoTCP     uint8 = 6
	ProtoUDP     uint8 = 17
	ProtoESP     uint8 = 50 // named in PROTO= by the kernel; psad rejects the line
	ProtoAH      uint8 = 51 // likewise
	ProtoICMPv6  uint8 = 58
	ProtoSCTP    uint8 = 132
	ProtoUDPLite uint8 = 136
)

// ProtoKey returns psad's protocol key for an IP protocol number: the
// names psad uses for its counters ("tcp", "udp", "udplite", "icmp",
// "icmp6") and the decimal number for everything else. The result is a
// constant string, so calling it allocates nothing.
func ProtoKey(p uint8) string {
	switch p {
	case ProtoTCP:
		return "tcp"
	case ProtoUDP:
		return "udp"
	case ProtoUDPLite:
		return "udplite"
	case ProtoICMP:
		return "icmp"
	case ProtoICMPv6:
		return "icmp6"
	}
	return decimal[p]
}

// ProtoKey returns psad's protocol key for the packet. It is
// [ProtoKey](p.Proto) except for the two numbers the kernel prints as
// numbers in the other family: protocol 58 on IPv4 and 1 on IPv6 are
// keyed "58" and "1", as in psad, not "icmp6" and "icmp" (Parse accepts
// ICMPv6 and ICMP by name only in their own family).
func (p *Packet) ProtoKey() string {
	if p.Proto == ProtoICMPv6 && !p.IPv6 || p.Proto == ProtoICMP && p.IPv6 {
		return decimal[p.Proto]
	}
	return ProtoKey(p.Proto)
}

var decimal = func() (t [256]string) {
	for i := range t {
		n := i
		var b [3]byte
		k := len(b)
		for {
			k--
			b[k] = byte('0' + n%10)
			n /= 10
			if n == 0 {
				break
			}
		}
		t[i] = string(b[k:])
	}
	return t
}()

// TCPFlags is the set of TCP flag words the kernel logs.
type TCPFlags uint8

const (
	FlagFIN TCPFlags = 1 << iota
	FlagSYN
	FlagRST
	FlagPSH
	FlagACK
	FlagURG
	FlagECE
	FlagCWR
)

// flagOrder is the order in which the kernel prints flag words, which is
// also the order of psad's flag strings ("URG PSH FIN").
var flagOrder = [...]struct {
	f    TCPFlags
	name string
}{
	{FlagCWR, "CWR"}, {FlagECE, "ECE"}, {FlagURG, "URG"}, {FlagACK, "ACK"},
	{FlagPSH, "PSH"}, {FlagRST, "RST"}, {FlagSYN, "SYN"}, {FlagFIN, "FIN"},
}

// flagStrings caches every rendering so String never allocates.
var flagStrings = func() (t [256]string) {
	for i := range t {
		s := ""
		for _, fo := range flagOrder {
			if TCPFlags(i)&fo.f != 0 {
				if s != "" {
					s += " "
				}
				s += fo.name
			}
		}
		if s == "" {
			s = "NULL"
		}
		t[i] = s
	}
	return t
}()

// String returns psad's flag string: the flag words in kernel order
// separated by one blank, or "NULL" when no flag is set.
func (f TCPFlags) String() string { return flagStrings[f] }

// Has reports whether every flag in g is set in f.
func (f TCPFlags) Has(g TCPFlags) bool { return f&g == g }

// Packet is one parsed LOG line. Byte-slice fields point into the line
// given to Parse and are valid only as long as that buffer is; copy what
// must be kept. Numeric fields that the line did not carry are -1, as in
// psad (its "unset" value), so --analysis-fields and CSV print them the
// same way.
type Packet struct {
	// Syslog header (psad 3.2). Timestamp is empty when the header was not
	// recognised; Host is empty then too (psad prints "unknown").
	Timestamp []byte
	Host      []byte
	// Prefix is the log prefix with a kernel [uptime] stamp removed when
	// StripKernelTS is set in the Parser; empty when there was none.
	Prefix []byte

	Chain Chain
	// Intf is IN= for INPUT and FORWARD, OUT= for OUTPUT.
	Intf   []byte
	In     []byte
	Out    []byte
	SrcMAC []byte // "aa:bb:cc:dd:ee:ff" or empty
	DstMAC []byte

	IPv6 bool
	Src  netip.Addr
	Dst  netip.Addr

	// Proto is the IP protocol number (ProtoTCP, ProtoICMPv6, ...).
	Proto uint8
	// HasProto reports whether a PROTO= field was understood; it is set
	// even when the rest of the line turned out malformed, so ignore rules
	// that only need the protocol can still apply (psad checks
	// IGNORE_PROTOCOLS before field extraction).
	HasProto bool

	IPLen     int    // LEN= of the IP header
	TOS       int    // IPv4 TOS (TCP/UDP only, as psad), else -1
	TTL       int    // IPv4 TTL, else -1
	IPID      int    // IPv4 ID, else -1
	DF        bool   // IPv4 DF flag
	IPOpts    []byte // IPv4 "OPT (hex)" before PROTO=, hex text
	TC        int    // IPv6 traffic class, else -1
	HopLimit  int    // IPv6 hop limit, else -1
	FlowLabel int    // IPv6 flow label, else -1

	SrcPort int // -1 when the protocol has no ports
	DstPort int

	// TCP
	Flags   TCPFlags
	Window  int   // -1 when not TCP
	TCPSeq  int64 // -1 when not logged (--log-tcp-sequence)
	TCPAck  int64
	TCPOpts []byte // hex text of "OPT (...)" after URGP=, empty when absent

	UDPLen int // UDP/UDP-Lite length field, else -1

	// ICMP / ICMPv6
	ICMPType int // -1 when not ICMP
	ICMPCode int
	ICMPID   int // echo request/reply only, else -1
	ICMPSeq  int

	// fwsnort (psad 3.6): FwsnortSID > 0 when the prefix carried
	// SNORT_SID_STR followed by digits.
	FwsnortSID   int
	FwsnortRule  int // the [n] rule number, -1 when absent
	FwsnortEstab bool

	// Topera is set when the line carries seven or more empty IPv6
	// "OPT ( )" groups, the padding the Topera scanner uses.
	Topera bool
}

// Reset prepares p for reuse by Parse.
func (p *Packet) Reset() {
	*p = Packet{
		TOS: -1, TTL: -1, IPID: -1, TC: -1, HopLimit: -1, FlowLabel: -1,
		SrcPort: -1, DstPort: -1, Window: -1, TCPSeq: -1, TCPAck: -1,
		UDPLen: -1, ICMPType: -1, ICMPCode: -1, ICMPID: -1, ICMPSeq: -1,
		IPLen: -1, FwsnortRule: -1,
	}
}

// NumProtoIndex is the size of tables indexed by ProtoIndex.
const NumProtoIndex = 512

// ProtoIndex numbers psad's protocol keys densely for counter tables:
// the protocol number, or 256 plus it for the two keys that are a bare
// number although the number has a name (IPv4 "58", IPv6 "1").
func (p *Packet) ProtoIndex() int {
	if p.Proto == ProtoICMPv6 && !p.IPv6 || p.Proto == ProtoICMP && p.IPv6 {
		return 256 + int(p.Proto)
	}
	return int(p.Proto)
}

// IndexKey is the protocol key of a ProtoIndex value.
func IndexKey(i int) string {
	if i >= 256 {
		return decimal[i-256]
	}
	return ProtoKey(uint8(i))
}

// IndexProto is the protocol number of a ProtoIndex value.
func IndexProto(i int) uint8 { return uint8(i) }
