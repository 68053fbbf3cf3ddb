// Package loggen writes synthetic kernel netfilter LOG lines, byte for byte
// in the format the Linux kernel's packet logger prints them for the
// iptables/ip6tables LOG target and the nftables log statement
// (net/netfilter/nf_log_syslog.c), behind a choice of syslog headers.
//
// The project ships its own sample logs instead of psad's: every scenario
// in [Scenarios] rebuilds the traffic of one of psad's upstream test inputs
// (same addresses, ports, counts, flags, interfaces and prefixes) from a
// fixed seed, so the output is byte-identical on every run. [Mixed] streams
// an arbitrarily long log of a busy firewall for benchmarks.
package loggen

import (
	"math/rand/v2"
	"net/netip"
	"strconv"
	"time"
)

// Header selects the syslog header written before "kernel: ".
type Header int

const (
	// HeaderClassic is BSD syslog and journalctl's default "short" output:
	// "Mar 11 20:35:11 fw kernel: " (day padded with a blank).
	HeaderClassic Header = iota
	// HeaderRFC3339 is rsyslog's high-precision format:
	// "2015-03-08T02:22:57.444022+02:00 servername kernel: ".
	HeaderRFC3339
	// HeaderISOShort is journalctl -o short-iso: "2015-03-07T05:09:30+0200 host kernel: ".
	HeaderISOShort
	// HeaderShortPrecise is journalctl -o short-precise:
	// "Mar 07 05:09:30.123456 host kernel: " (day padded with a zero).
	HeaderShortPrecise
	// HeaderNone is raw dmesg output: no syslog header, the line starts
	// with the kernel time stamp if [Gen.KernelTS] is set.
	HeaderNone
)

// Chain selects which of IN= and OUT= the kernel fills in, which is all
// psad looks at to infer the netfilter chain.
type Chain int

const (
	Input   Chain = iota // IN=<if> OUT=
	Forward              // IN=<if> OUT=<if>
	Output               // IN= OUT=<if>, no MAC header
)

// MACStyle selects how the link-layer header of incoming packets is logged.
type MACStyle int

const (
	// MACRaw is the default "MAC=<dst>:<src>:<ethertype>" hex dump.
	MACRaw MACStyle = iota
	// MACDecode is nftables "log flags ether" (or "flags all"):
	// "MACSRC=.. MACDST=.. MACPROTO=0800".
	MACDecode
	// MACNone logs no link-layer header (tunnels, ppp).
	MACNone
)

// Gen writes LOG lines. Its exported fields may be changed between lines;
// a Gen is not safe for concurrent use.
type Gen struct {
	Rand *rand.Rand

	// Start is the wall-clock time of the first line; Uptime the kernel
	// uptime printed in its "[sec.usec]" stamp at that moment. Both advance
	// together by Step plus a uniform random part below Jitter after every
	// line, and by Sleep.
	Start  time.Time
	Uptime time.Duration
	Step   time.Duration
	Jitter time.Duration

	Host     string // syslog host name
	Header   Header
	KernelTS bool // print the kernel's "[  uptime] " stamp after "kernel: "

	// Prefix is the --log-prefix / nftables prefix, printed verbatim right
	// before "IN=": iptables users end it with a blank ("DROP "), nftables
	// users often do not ("DROP" gives "DROPIN=eth0").
	Prefix string
	InIf   string // default IN= interface (Input, Forward)
	OutIf  string // default OUT= interface (Forward, Output); InIf when empty

	MAC      MACStyle
	LocalMAC [6]byte // this host's interface: destination of incoming frames
	PeerMAC  [6]byte // the next hop: source of incoming frames

	// Logging options of the rule.
	LogTCPOpts bool // --log-tcp-options: "OPT (hex) " after URGP
	LogIPOpts  bool // --log-ip-options: IPv4 "OPT (hex) ", IPv6 "OPT ( ) " per extension header
	LogSeq     bool // --log-tcp-sequence: "SEQ= ACK=" after DPT
	LogUID     bool // --log-uid: "UID= GID=" on locally generated packets

	elapsed time.Duration

	// Formatting the date dominates the cost of a line, and it changes
	// once a second: dateBuf holds the header up to the seconds for
	// dateSec, written in style dateHdr and zone dateLoc.
	dateBuf []byte
	dateSec int64
	dateHdr Header
	dateLoc *time.Location
	// macRaw caches the MAC= field of unicast IPv4 and IPv6 frames
	// between LocalMAC and PeerMAC (macFor).
	macRaw [2][]byte
	macFor [2][6]byte
}

// New returns a Gen seeded with seed: classic header with kernel time
// stamps, host "fw", prefix "DROP ", INPUT on eth0, TCP options logged.
func New(seed int64) *Gen {
	g := &Gen{
		Rand:       rand.New(rand.NewPCG(uint64(seed), 0x7073616467656e)),
		Start:      time.Date(2015, time.March, 11, 20, 35, 11, 0, time.UTC),
		Uptime:     5*24*time.Hour + 8*time.Hour + 44*time.Minute + 1250*time.Millisecond,
		Step:       50 * time.Microsecond,
		Jitter:     40 * time.Microsecond,
		Host:       "fw",
		KernelTS:   true,
		Prefix:     "DROP ",
		InIf:       "eth0",
		LogTCPOpts: true,
	}
	// 52:54:00 is the QEMU/KVM prefix: obviously synthetic, never a
	// vendor's real card.
	g.LocalMAC = [6]byte{0x52, 0x54, 0x00, byte(g.Rand.Uint32()), byte(g.Rand.Uint32()), byte(g.Rand.Uint32())}
	g.PeerMAC = [6]byte{0x52, 0x54, 0x00, byte(g.Rand.Uint32()), byte(g.Rand.Uint32()), byte(g.Rand.Uint32())}
	return g
}

// Now returns the wall-clock time the next line will carry.
func (g *Gen) Now() time.Time { return g.Start.Add(g.elapsed) }

// Sleep advances the clock by d without writing anything.
func (g *Gen) Sleep(d time.Duration) { g.elapsed += d }

// IntRange returns a uniform random int in [lo, hi].
func (g *Gen) IntRange(lo, hi int) int { return lo + g.Rand.IntN(hi-lo+1) }

// IP holds the network-layer fields of a packet, shared by every builder.
type IP struct {
	Src, Dst netip.Addr // IPv4 or IPv6 (both the same family)

	TTL       int // IPv4 TTL or IPv6 HOPLIMIT; 0 means 64
	ID        int // IPv4 identification
	Len       int // IP LEN= (whole datagram); 0 computes it from the headers and payload
	TOS       int // IPv4 TOS byte, logged split as TOS=(tos&0x1E) PREC=(tos&0xE0); IPv6 traffic class
	FlowLabel int // IPv6 flow label
	DF, MF    bool
	// FragOff is the IPv4 fragment offset in 8-byte units, logged as
	// "FRAG:<n> "; a non-first fragment carries no transport header, so
	// only "PROTO=<name> " is logged.
	FragOff int
	// IPOpts is the IPv4 options as hex; it counts in LEN and is logged
	// only when Gen.LogIPOpts is set.
	IPOpts string
	// ExtHdrs is the number of empty 8-byte IPv6 extension headers (as
	// Topera sends); they count in LEN and each is logged as "OPT ( ) "
	// when Gen.LogIPOpts is set.
	ExtHdrs int

	Chain           Chain
	InIf, OutIf     string // override the Gen's interfaces when set
	PhysIn, PhysOut string // bridge ports (br_netfilter)
	UID, GID        int    // socket owner, logged on Output when Gen.LogUID is set
	Mark            uint32 // skb mark, logged as "MARK=0x<hex> " when non-zero
}

// TCPSpec is one TCP segment.
type TCPSpec struct {
	IP
	SrcPort, DstPort int
	Seq, Ack         uint32 // logged when Gen.LogSeq is set
	Window           int
	// Flags is the kernel's flag list in its order, CWR ECE URG ACK PSH
	// RST SYN FIN, blank separated: "SYN", "URG PSH FIN", "ACK RST"; ""
	// is a NULL segment.
	Flags string
	Urgp  int
	// Opts is the TCP options as upper-case hex ("020405B4" is MSS 1460).
	// They count in LEN; logged when Gen.LogTCPOpts is set.
	Opts    string
	Payload int
}

// UDPSpec is one UDP (or UDP-Lite) datagram.
type UDPSpec struct {
	IP
	SrcPort, DstPort int
	Payload          int
	UDPLen           int // UDP LEN=; 0 means 8 + Payload
}

// ICMPSpec is one ICMP or ICMPv6 message (the family follows the addresses).
type ICMPSpec struct {
	IP
	Type, Code int
	// EchoID and EchoSeq are logged as "ID= SEQ=" for echo request/reply
	// (and the other query types that carry them).
	EchoID, EchoSeq int
	Gateway         netip.Addr // IPv4 redirect (type 5)
	Param           int        // IPv4 parameter problem pointer (type 12)
	MTU             int        // fragmentation needed (3/4) or ICMPv6 packet too big (2)
	// Quote is the offending packet of an error message (destination
	// unreachable, time exceeded, ...), logged in brackets: a *TCPSpec,
	// *UDPSpec or *ProtoSpec.
	Quote   Quoted
	Payload int // bytes after the 8-byte ICMP header, when Quote is nil
}

// ProtoSpec is a datagram of a protocol the kernel does not decode, logged
// as "PROTO=<number> ", except AH (51) and ESP (50) on IPv4, logged with
// their SPI.
type ProtoSpec struct {
	IP
	Proto   int
	SPI     uint32 // AH and ESP
	Payload int    // bytes after the IP header
}

// Quoted is a packet that can appear inside an ICMP error message.
type Quoted interface {
	ipLen() int
	appendInner(g *Gen, dst []byte) []byte
}

// TCP appends one TCP LOG line (with "\n") to dst.
func (g *Gen) TCP(dst []byte, t TCPSpec) []byte {
	dst = g.begin(dst, &t.IP)
	dst = t.appendBody(g, dst)
	return g.end(dst, &t.IP)
}

// UDP appends one UDP LOG line.
func (g *Gen) UDP(dst []byte, u UDPSpec) []byte {
	dst = g.begin(dst, &u.IP)
	dst = u.appendBody(g, dst, "UDP")
	return g.end(dst, &u.IP)
}

// UDPLite appends one UDP-Lite LOG line ("PROTO=UDPLITE").
func (g *Gen) UDPLite(dst []byte, u UDPSpec) []byte {
	dst = g.begin(dst, &u.IP)
	dst = u.appendBody(g, dst, "UDPLITE")
	return g.end(dst, &u.IP)
}

// ICMP appends one ICMP LOG line, or an ICMPv6 one for IPv6 addresses.
func (g *Gen) ICMP(dst []byte, c ICMPSpec) []byte {
	dst = g.begin(dst, &c.IP)
	dst = c.appendBody(g, dst, true)
	return g.end(dst, &c.IP)
}

// ICMPv6 is ICMP; it reads better where the caller means ICMPv6.
func (g *Gen) ICMPv6(dst []byte, c ICMPSpec) []byte { return g.ICMP(dst, c) }

// Proto appends one LOG line for a protocol logged by number (or AH/ESP).
func (g *Gen) Proto(dst []byte, p ProtoSpec) []byte {
	dst = g.begin(dst, &p.IP)
	dst = p.appendBody(g, dst)
	return g.end(dst, &p.IP)
}

// Raw appends a kernel line with the usual header and time stamp but the
// given message text, for lines the packet builders cannot produce (ARP,
// truncated or otherwise malformed lines).
func (g *Gen) Raw(dst []byte, msg string) []byte {
	dst = g.appendHeader(dst, "kernel", g.KernelTS)
	dst = append(dst, msg...)
	dst = append(dst, '\n')
	g.tick()
	return dst
}

// Other appends a syslog line from another program ("sshd[812]"), such as
// shares a real log with the kernel's lines. With HeaderNone it has no
// header at all.
func (g *Gen) Other(dst []byte, tag, msg string) []byte {
	if g.Header != HeaderNone {
		dst = g.appendHeader(dst, tag, false)
	}
	dst = append(dst, msg...)
	dst = append(dst, '\n')
	g.tick()
	return dst
}

func (g *Gen) tick() {
	g.elapsed += g.Step
	if g.Jitter > 0 {
		g.elapsed += time.Duration(g.Rand.Int64N(int64(g.Jitter)))
	}
}

var months = [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

func append2(dst []byte, n int) []byte { return append(dst, byte('0'+n/10%10), byte('0'+n%10)) }

func appendPad(dst []byte, n, width int, pad byte) []byte {
	var buf [20]byte
	b := strconv.AppendInt(buf[:0], int64(n), 10)
	for i := len(b); i < width; i++ {
		dst = append(dst, pad)
	}
	return append(dst, b...)
}

func (g *Gen) appendHeader(dst []byte, tag string, kts bool) []byte {
	t := g.Now()
	if g.Header != HeaderNone {
		if sec := t.Unix(); g.dateBuf == nil || sec != g.dateSec || g.Header != g.dateHdr || t.Location() != g.dateLoc {
			g.dateBuf = g.appendDate(g.dateBuf[:0], t)
			g.dateSec, g.dateHdr, g.dateLoc = sec, g.Header, t.Location()
		}
		dst = append(dst, g.dateBuf...)
	}
	switch g.Header {
	case HeaderShortPrecise:
		dst = append(dst, '.')
		dst = appendPad(dst, t.Nanosecond()/1000, 6, '0')
	case HeaderRFC3339, HeaderISOShort:
		if g.Header == HeaderRFC3339 {
			dst = append(dst, '.')
			dst = appendPad(dst, t.Nanosecond()/1000, 6, '0')
		}
		_, off := t.Zone()
		sign := byte('+')
		if off < 0 {
			sign, off = '-', -off
		}
		dst = append(dst, sign)
		dst = append2(dst, off/3600)
		if g.Header == HeaderRFC3339 {
			dst = append(dst, ':')
		}
		dst = append2(dst, off/60%60)
	}
	if g.Header != HeaderNone {
		dst = append(dst, ' ')
		dst = append(dst, g.Host...)
		dst = append(dst, ' ')
		dst = append(dst, tag...)
		dst = append(dst, ": "...)
	}
	if kts {
		// printk's "[%5lu.%06lu] ".
		up := g.Uptime + g.elapsed
		dst = append(dst, '[')
		dst = appendPad(dst, int(up/time.Second), 5, ' ')
		dst = append(dst, '.')
		dst = appendPad(dst, int(up%time.Second/time.Microsecond), 6, '0')
		dst = append(dst, "] "...)
	}
	return dst
}

// appendDate writes the date and time of the header down to the second.
func (g *Gen) appendDate(dst []byte, t time.Time) []byte {
	y, mon, day := t.Date()
	hh, mm, ss := t.Clock()
	switch g.Header {
	case HeaderClassic, HeaderShortPrecise:
		dst = append(dst, months[mon-1]...)
		dst = append(dst, ' ')
		if g.Header == HeaderClassic && day < 10 {
			dst = append(dst, ' ', byte('0'+day))
		} else {
			dst = append2(dst, day)
		}
		dst = append(dst, ' ')
	case HeaderRFC3339, HeaderISOShort:
		dst = appendPad(dst, y, 4, '0')
		dst = append(dst, '-')
		dst = append2(dst, int(mon))
		dst = append(dst, '-')
		dst = append2(dst, day)
		dst = append(dst, 'T')
	}
	dst = append2(dst, hh)
	dst = append(dst, ':')
	dst = append2(dst, mm)
	dst = append(dst, ':')
	return append2(dst, ss)
}

// begin writes the header, prefix, interfaces and link-layer header.
func (g *Gen) begin(dst []byte, ip *IP) []byte {
	dst = g.appendHeader(dst, "kernel", g.KernelTS)
	dst = append(dst, g.Prefix...)
	in, out := ip.InIf, ip.OutIf
	if in == "" {
		in = g.InIf
	}
	if out == "" {
		out = g.OutIf
		if out == "" {
			out = g.InIf
		}
	}
	switch ip.Chain {
	case Input:
		out = ""
	case Output:
		in = ""
	}
	dst = append(dst, "IN="...)
	dst = append(dst, in...)
	dst = append(dst, " OUT="...)
	dst = append(dst, out...)
	dst = append(dst, ' ')
	if ip.PhysIn != "" {
		dst = append(dst, "PHYSIN="...)
		dst = append(dst, ip.PhysIn...)
		dst = append(dst, ' ')
	}
	if ip.PhysOut != "" {
		dst = append(dst, "PHYSOUT="...)
		dst = append(dst, ip.PhysOut...)
		dst = append(dst, ' ')
	}
	if in != "" {
		dst = g.appendMAC(dst, ip, in)
	}
	return dst
}

// end writes the trailing socket owner and mark fields and the newline.
func (g *Gen) end(dst []byte, ip *IP) []byte {
	if g.LogUID && ip.Chain == Output {
		dst = append(dst, "UID="...)
		dst = strconv.AppendInt(dst, int64(ip.UID), 10)
		dst = append(dst, " GID="...)
		dst = strconv.AppendInt(dst, int64(ip.GID), 10)
		dst = append(dst, ' ')
	}
	if ip.Mark != 0 {
		dst = append(dst, "MARK=0x"...)
		dst = strconv.AppendUint(dst, uint64(ip.Mark), 16)
		dst = append(dst, ' ')
	}
	dst = append(dst, '\n')
	g.tick()
	return dst
}

const hexLower = "0123456789abcdef"

func appendMACAddr(dst []byte, m [6]byte) []byte {
	for i, b := range m {
		if i > 0 {
			dst = append(dst, ':')
		}
		dst = append(dst, hexLower[b>>4], hexLower[b&15])
	}
	return dst
}

// multicastMAC maps a multicast IP address to its Ethernet group address
// (RFC 1112 for IPv4, RFC 2464 for IPv6).
func multicastMAC(a netip.Addr) ([6]byte, bool) {
	if !a.IsMulticast() {
		return [6]byte{}, false
	}
	if a.Is4() {
		b := a.As4()
		return [6]byte{0x01, 0x00, 0x5e, b[1] & 0x7f, b[2], b[3]}, true
	}
	b := a.As16()
	return [6]byte{0x33, 0x33, b[12], b[13], b[14], b[15]}, true
}

func (g *Gen) appendMAC(dst []byte, ip *IP, in string) []byte {
	if g.MAC == MACNone {
		return dst
	}
	var src, dmac [6]byte
	mcast := false
	if in != "lo" { // loopback frames carry all-zero addresses
		src, dmac = g.PeerMAC, g.LocalMAC
		var m [6]byte
		if m, mcast = multicastMAC(ip.Dst); mcast {
			dmac = m
		}
	}
	etype := [2]byte{0x08, 0x00}
	if ip.Dst.Is6() {
		etype = [2]byte{0x86, 0xdd}
	}
	if g.MAC == MACRaw && in != "lo" && !mcast {
		if g.macRaw[0] == nil || g.macFor != [2][6]byte{g.LocalMAC, g.PeerMAC} {
			g.macFor = [2][6]byte{g.LocalMAC, g.PeerMAC}
			g.macRaw[0] = appendRawMAC(nil, dmac, src, [2]byte{0x08, 0x00})
			g.macRaw[1] = appendRawMAC(nil, dmac, src, [2]byte{0x86, 0xdd})
		}
		if ip.Dst.Is6() {
			return append(dst, g.macRaw[1]...)
		}
		return append(dst, g.macRaw[0]...)
	}
	if g.MAC == MACDecode {
		dst = append(dst, "MACSRC="...)
		dst = appendMACAddr(dst, src)
		dst = append(dst, " MACDST="...)
		dst = appendMACAddr(dst, dmac)
		dst = append(dst, " MACPROTO="...)
		dst = append(dst, hexLower[etype[0]>>4], hexLower[etype[0]&15], hexLower[etype[1]>>4], hexLower[etype[1]&15], ' ')
		return dst
	}
	return appendRawMAC(dst, dmac, src, etype)
}

// appendRawMAC writes the link-layer header as the kernel dumps it:
// destination, source and ethertype bytes, colon separated.
func appendRawMAC(dst []byte, dmac, src [6]byte, etype [2]byte) []byte {
	dst = append(dst, "MAC="...)
	dst = appendMACAddr(dst, dmac)
	dst = append(dst, ':')
	dst = appendMACAddr(dst, src)
	return append(dst, ':', hexLower[etype[0]>>4], hexLower[etype[0]&15], ':', hexLower[etype[1]>>4], hexLower[etype[1]&15], ' ')
}

// AppendAddr appends a the way the kernel prints it: IPv4 dotted quad,
// IPv6 as eight groups of four lower-case hex digits (%pI6).
func AppendAddr(dst []byte, a netip.Addr) []byte {
	if a.Is4() {
		return a.AppendTo(dst)
	}
	b := a.As16()
	for i := 0; i < 16; i += 2 {
		if i > 0 {
			dst = append(dst, ':')
		}
		dst = append(dst, hexLower[b[i]>>4], hexLower[b[i]&15], hexLower[b[i+1]>>4], hexLower[b[i+1]&15])
	}
	return dst
}

func appendKV(dst []byte, key string, v int) []byte {
	dst = append(dst, key...)
	dst = strconv.AppendInt(dst, int64(v), 10)
	return append(dst, ' ')
}

func appendHex2(dst []byte, v int) []byte {
	const hexUpper = "0123456789ABCDEF"
	return append(dst, '0', 'x', hexUpper[v>>4&15], hexUpper[v&15])
}

func ttlOr64(ttl int) int {
	if ttl == 0 {
		return 64
	}
	return ttl
}

// appendNet writes the network header part up to (not including) PROTO=.
func (ip *IP) appendNet(g *Gen, dst []byte, length int) []byte {
	if ip.Len != 0 {
		length = ip.Len
	}
	dst = append(dst, "SRC="...)
	dst = AppendAddr(dst, ip.Src)
	dst = append(dst, " DST="...)
	dst = AppendAddr(dst, ip.Dst)
	dst = append(dst, ' ')
	if ip.Src.Is6() {
		dst = appendKV(dst, "LEN=", length)
		dst = appendKV(dst, "TC=", ip.TOS)
		dst = appendKV(dst, "HOPLIMIT=", ttlOr64(ip.TTL))
		dst = appendKV(dst, "FLOWLBL=", ip.FlowLabel)
		if g.LogIPOpts {
			for range ip.ExtHdrs {
				// The kernel opens "OPT ( " per extension header and
				// closes it with ") " once the header is walked.
				dst = append(dst, "OPT ( ) "...)
			}
		}
		return dst
	}
	dst = appendKV(dst, "LEN=", length)
	dst = append(dst, "TOS="...)
	dst = appendHex2(dst, ip.TOS&0x1e)
	dst = append(dst, " PREC="...)
	dst = appendHex2(dst, ip.TOS&0xe0)
	dst = append(dst, ' ')
	dst = appendKV(dst, "TTL=", ttlOr64(ip.TTL))
	dst = appendKV(dst, "ID=", ip.ID)
	if ip.DF {
		dst = append(dst, "DF "...)
	}
	if ip.MF {
		dst = append(dst, "MF "...)
	}
	if ip.FragOff != 0 {
		dst = appendKV(dst, "FRAG:", ip.FragOff)
	}
	if g.LogIPOpts && ip.IPOpts != "" {
		dst = append(dst, "OPT ("...)
		dst = append(dst, ip.IPOpts...)
		dst = append(dst, ") "...)
	}
	return dst
}

// hdrLen is the IP header length including options or extension headers.
func (ip *IP) hdrLen() int {
	if ip.Src.Is6() {
		return 40 + 8*ip.ExtHdrs
	}
	return 20 + len(ip.IPOpts)/2
}

func (t *TCPSpec) ipLen() int {
	if t.Len != 0 {
		return t.Len
	}
	return t.hdrLen() + 20 + len(t.Opts)/2 + t.Payload
}

func (t *TCPSpec) appendInner(g *Gen, dst []byte) []byte { return t.appendBody(g, dst) }

func (t *TCPSpec) appendBody(g *Gen, dst []byte) []byte {
	dst = t.appendNet(g, dst, t.ipLen())
	dst = append(dst, "PROTO=TCP "...)
	if t.FragOff != 0 {
		return dst
	}
	dst = appendKV(dst, "SPT=", t.SrcPort)
	dst = appendKV(dst, "DPT=", t.DstPort)
	if g.LogSeq {
		dst = append(dst, "SEQ="...)
		dst = strconv.AppendUint(dst, uint64(t.Seq), 10)
		dst = append(dst, " ACK="...)
		dst = strconv.AppendUint(dst, uint64(t.Ack), 10)
		dst = append(dst, ' ')
	}
	dst = appendKV(dst, "WINDOW=", t.Window)
	dst = append(dst, "RES=0x00 "...)
	if t.Flags != "" {
		dst = append(dst, t.Flags...)
		dst = append(dst, ' ')
	}
	dst = appendKV(dst, "URGP=", t.Urgp)
	if g.LogTCPOpts && t.Opts != "" {
		dst = append(dst, "OPT ("...)
		dst = append(dst, t.Opts...)
		dst = append(dst, ") "...)
	}
	return dst
}

func (u *UDPSpec) udpLen() int {
	if u.UDPLen != 0 {
		return u.UDPLen
	}
	return 8 + u.Payload
}

func (u *UDPSpec) ipLen() int {
	if u.Len != 0 {
		return u.Len
	}
	return u.hdrLen() + 8 + u.Payload
}

func (u *UDPSpec) appendInner(g *Gen, dst []byte) []byte { return u.appendBody(g, dst, "UDP") }

func (u *UDPSpec) appendBody(g *Gen, dst []byte, name string) []byte {
	dst = u.appendNet(g, dst, u.ipLen())
	dst = append(dst, "PROTO="...)
	dst = append(dst, name...)
	dst = append(dst, ' ')
	if u.FragOff != 0 {
		return dst
	}
	dst = appendKV(dst, "SPT=", u.SrcPort)
	dst = appendKV(dst, "DPT=", u.DstPort)
	return appendKV(dst, "LEN=", u.udpLen())
}

func (c *ICMPSpec) ipLen() int {
	if c.Len != 0 {
		return c.Len
	}
	n := c.hdrLen() + 8 + c.Payload
	if c.Quote != nil {
		n = c.hdrLen() + 8 + c.Quote.ipLen()
	}
	return n
}

func (c *ICMPSpec) appendBody(g *Gen, dst []byte, outer bool) []byte {
	dst = c.appendNet(g, dst, c.ipLen())
	v6 := c.Src.Is6()
	if v6 {
		dst = append(dst, "PROTO=ICMPv6 "...)
	} else {
		dst = append(dst, "PROTO=ICMP "...)
	}
	if c.FragOff != 0 {
		return dst
	}
	dst = appendKV(dst, "TYPE=", c.Type)
	dst = appendKV(dst, "CODE=", c.Code)
	quote := false
	if v6 {
		switch c.Type {
		case 128, 129: // echo request, reply
			dst = appendKV(dst, "ID=", c.EchoID)
			dst = appendKV(dst, "SEQ=", c.EchoSeq)
		case 1, 2, 3, 4: // unreachable, too big, time exceeded, parameter problem
			if c.Type == 4 {
				dst = append(dst, "POINTER="...)
				for sh := 28; sh >= 0; sh -= 4 {
					dst = append(dst, hexLower[c.Param>>sh&15])
				}
				dst = append(dst, ' ')
			}
			quote = true
		}
	} else {
		switch c.Type {
		case 0, 8, 13, 14, 15, 16, 17, 18: // query types with id/sequence
			dst = appendKV(dst, "ID=", c.EchoID)
			dst = appendKV(dst, "SEQ=", c.EchoSeq)
		case 12:
			dst = appendKV(dst, "PARAMETER=", c.Param)
		case 5:
			dst = append(dst, "GATEWAY="...)
			dst = AppendAddr(dst, c.Gateway)
			dst = append(dst, ' ')
			quote = true
		case 3, 4, 11:
			quote = true
		}
	}
	if quote && outer && c.Quote != nil { // the kernel recurses only once
		dst = append(dst, '[')
		dst = c.Quote.appendInner(g, dst)
		dst = append(dst, "] "...)
	}
	if quote && c.MTU != 0 && ((!v6 && c.Type == 3 && c.Code == 4) || (v6 && c.Type == 2)) {
		dst = appendKV(dst, "MTU=", c.MTU)
	}
	return dst
}

func (p *ProtoSpec) ipLen() int {
	if p.Len != 0 {
		return p.Len
	}
	return p.hdrLen() + p.Payload
}

func (p *ProtoSpec) appendInner(g *Gen, dst []byte) []byte { return p.appendBody(g, dst) }

func (p *ProtoSpec) appendBody(g *Gen, dst []byte) []byte {
	dst = p.appendNet(g, dst, p.ipLen())
	if p.Src.Is4() && (p.Proto == 50 || p.Proto == 51) {
		if p.Proto == 51 {
			dst = append(dst, "PROTO=AH "...)
		} else {
			dst = append(dst, "PROTO=ESP "...)
		}
		if p.FragOff != 0 {
			return dst
		}
		dst = append(dst, "SPI=0x"...)
		dst = strconv.AppendUint(dst, uint64(p.SPI), 16)
		return append(dst, ' ')
	}
	return appendKV(dst, "PROTO=", p.Proto)
}
