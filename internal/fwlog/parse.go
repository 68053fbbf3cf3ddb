package fwlog

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"regexp"
)

// Options are the psad settings that change how a line is parsed.
type Options struct {
	// StripKernelTS is IGNORE_KERNEL_TIMESTAMP=Y: drop a leading
	// "[  123.456]" uptime stamp (and the blanks after it) from the
	// prefix, so that lines of one rule share one prefix.
	StripKernelTS bool
	// SIDMarker is SNORT_SID_STR (psad's default is "SID"). It is matched
	// literally, not as a regular expression. Empty disables fwsnort SID
	// extraction (--no-snort-sids).
	SIDMarker []byte
	// Header is CUSTOM_SYSLOG_TS_RE when ENABLE_CUSTOM_SYSLOG_TS_RE is Y:
	// tried on a line before the headers the parser knows, its first
	// group is the timestamp, its second the host, and the message
	// starts where the match ends. A line it does not match is read as
	// without it. It costs a regular expression and an allocation per
	// line, which only those who ask for it pay.
	Header *regexp.Regexp
}

// Parser parses LOG lines. It holds only its Options, so one Parser may
// be used by many goroutines at once.
type Parser struct {
	opts Options
}

// NewParser returns a Parser for o.
func NewParser(o Options) *Parser { return &Parser{opts: o} }

var (
	inEq      = []byte("IN=")
	outEq     = []byte("OUT=")
	kernelTag = []byte("kernel:")
	estab     = []byte("ESTAB")
)

// HasInOut reports whether line contains "IN=" followed later by "OUT=",
// psad's pre-filter for firewall lines (its pattern is IN.*OUT).
func HasInOut(line []byte) bool {
	i := bytes.Index(line, inEq)
	return i >= 0 && bytes.Contains(line[i+len(inEq):], outEq)
}

// Parse fills *p from one LOG line (a trailing "\n" or "\r\n" is
// ignored). It calls p.Reset first. It returns nil for a usable packet,
// otherwise one of the package's *ParseError values.
//
// Even on error p keeps everything read before the failure, in psad's
// order: header, prefix and fwsnort fields, chain and interfaces, MACs,
// IPv6, then Proto/HasProto. When the network header is broken before
// PROTO=, Parse still looks for the outer PROTO= and the IPv6 markers, so
// the caller can apply IGNORE_PROTOCOLS and ENABLE_IPV6_DETECTION first,
// as psad does, before counting the line as malformed.
//
// Parse reads fields left to right in the kernel's order and stops after
// the transport header, so it never looks inside the bracketed copy of the
// offending packet in ICMP errors. It does not allocate (Options.Header
// aside).
func (ps *Parser) Parse(line []byte, p *Packet) error {
	p.Reset()
	for len(line) > 0 && (line[len(line)-1] == '\n' || line[len(line)-1] == '\r') {
		line = line[:len(line)-1]
	}
	msg := -1
	if ps.opts.Header != nil {
		msg = customHeader(ps.opts.Header, line, p)
	}
	if msg < 0 {
		msg = parseHeader(line, p)
	}
	in := bytes.Index(line[msg:], inEq)
	if in < 0 {
		return ErrNotFirewall
	}
	in += msg
	ps.setPrefix(line, msg, in, p)

	c := cursor{b: line, i: in + len(inEq)}
	body := c.i
	err := parseBody(&c, p)
	if err != nil && err != ErrNotFirewall && err != ErrNoChain && !p.HasProto {
		salvage(line, body, p)
	}
	return err
}

// setPrefix implements psad's prefix capture, .*kernel:\s+(.*?)\s*IN= :
// the text after the last "kernel:" and before IN=, blanks trimmed. Lines
// without "kernel:" (dmesg, ulogd) take the text after the header, where
// psad has no prefix at all.
func (ps *Parser) setPrefix(line []byte, msg, in int, p *Packet) {
	start := msg
	// Most lines have no further "kernel:"; the forward search is vectorised,
	// LastIndex is not.
	if k := bytes.Index(line[msg:in], kernelTag); k >= 0 {
		k += bytes.LastIndex(line[msg+k:in], kernelTag)
		start = msg + k + len(kernelTag)
	}
	start = skipBlanks(line, start)
	end := in
	for end > start && isBlank(line[end-1]) {
		end--
	}
	if ps.opts.StripKernelTS {
		start = stripKernelTS(line[:end], start)
	}
	if start >= end {
		return
	}
	pre := line[start:end]
	p.Prefix = pre
	ps.fwsnort(pre, p)
}

// stripKernelTS skips a "[<blanks><digits>.<digits><blanks>]" stamp and
// the blanks after it when it starts b[i:]. psad removes the first such
// stamp anywhere in the prefix; only a leading one is removed here, since
// Prefix is a slice of the line and the kernel puts the stamp first.
func stripKernelTS(b []byte, i int) int {
	if i >= len(b) || b[i] != '[' {
		return i
	}
	j := skipBlanks(b, i+1)
	d := j
	for j < len(b) && isDigit(b[j]) {
		j++
	}
	if j == d || j == len(b) || b[j] != '.' {
		return i
	}
	j++
	d = j
	for j < len(b) && isDigit(b[j]) {
		j++
	}
	if j == d {
		return i
	}
	j = skipBlanks(b, j)
	if j == len(b) || b[j] != ']' {
		return i
	}
	return skipBlanks(b, j+1)
}

// fwsnort sets the fwsnort fields (psad 3.6) when the prefix carries the
// SID marker followed by digits; the rule number "[n]" and "ESTAB" are
// only looked for then, as they mean nothing outside an fwsnort prefix.
func (ps *Parser) fwsnort(pre []byte, p *Packet) {
	m := ps.opts.SIDMarker
	if len(m) == 0 {
		return
	}
	sid := -1
	for off := 0; off < len(pre); {
		k := bytes.Index(pre[off:], m)
		if k < 0 {
			break
		}
		j := off + k + len(m)
		e := j
		for e < len(pre) && isDigit(pre[e]) {
			e++
		}
		if e > j {
			if n, ok := parseUint(pre[j:e], 1<<31-1); ok {
				sid = int(n)
			}
			break
		}
		off = j
	}
	if sid < 0 {
		return
	}
	p.FwsnortSID = sid
	for k := 0; k < len(pre); k++ {
		if pre[k] != '[' {
			continue
		}
		e := k + 1
		for e < len(pre) && isDigit(pre[e]) {
			e++
		}
		if e > k+1 && e < len(pre) && pre[e] == ']' {
			if n, ok := parseUint(pre[k+1:e], 1<<31-1); ok {
				p.FwsnortRule = int(n)
				break
			}
		}
	}
	p.FwsnortEstab = bytes.Contains(pre, estab)
}

// parseBody parses from just after "IN=" to the end of the transport
// header.
func parseBody(c *cursor, p *Packet) error {
	p.In = c.value()
	src, err := parseIfaces(c, p)
	if err != nil {
		return err
	}
	if src == nil {
		return ferr(kNoAddr, fSRC)
	}
	a, ok := parseAddr(src)
	if !ok {
		return ferr(kBadAddr, fSRC)
	}
	p.Src = a
	p.IPv6 = a.Is6()
	t := c.next()
	if !hasPrefix(t, "DST=") {
		return ferr(kNoAddr, fDST)
	}
	if a, ok = parseAddr(t[4:]); !ok || a.Is6() != p.IPv6 {
		return ferr(kBadAddr, fDST)
	}
	p.Dst = a

	var frag int
	if p.IPv6 {
		frag, err = parseIPv6Header(c, p)
	} else {
		frag, err = parseIPv4Header(c, p)
	}
	if err != nil {
		return err
	}
	return parseTransport(c, p, frag)
}

// parseIfaces reads IN=, OUT=, PHYSIN=, PHYSOUT= and the MAC fields up to
// SRC=, infers the chain as psad does (3.4) and returns SRC='s value, or
// nil when there is no SRC=.
func parseIfaces(c *cursor, p *Packet) ([]byte, error) {
	var (
		src, physIn []byte
		sawOut      bool
	)
	for {
		t := c.next()
		if len(t) == 0 {
			break
		}
		if hasPrefix(t, "SRC=") {
			src = t[4:]
			break
		}
		switch {
		case hasPrefix(t, "OUT="):
			if !sawOut {
				p.Out = t[4:]
				sawOut = true
			}
		case hasPrefix(t, "PHYSIN="):
			if !sawOut && physIn == nil {
				physIn = t[7:]
			}
		case hasPrefix(t, "MAC="):
			v := t[4:]
			if len(v) >= 35 && isMAC(v[:17]) && v[17] == ':' && isMAC(v[18:35]) && (len(v) == 35 || v[35] == ':') {
				p.DstMAC, p.SrcMAC = v[:17], v[18:35]
			}
		case hasPrefix(t, "MACSRC="):
			if isMAC(t[7:]) {
				p.SrcMAC = t[7:]
			}
		case hasPrefix(t, "MACDST="):
			if isMAC(t[7:]) {
				p.DstMAC = t[7:]
			}
		}
	}
	if !sawOut {
		return nil, ErrNotFirewall
	}
	in := p.In
	if len(in) == 0 && len(physIn) > 0 {
		// psad quirk kept: with "IN= PHYSIN=eth5 OUT=eth6" its pattern
		// IN=(\S+) matches inside PHYSIN=, so eth5 becomes the interface.
		in = physIn
	}
	switch {
	case len(in) > 0 && len(p.Out) == 0:
		p.Chain, p.Intf = ChainInput, in
	case len(in) > 0:
		p.Chain, p.Intf = ChainForward, in
	case len(p.Out) > 0:
		p.Chain, p.Intf = ChainOutput, p.Out
	default:
		return nil, ErrNoChain
	}
	return src, nil
}

// parseIPv4Header reads LEN TOS PREC TTL ID [CE] [DF] [MF] [FRAG:n]
// [OPT (hex)] up to PROTO= and returns the fragment offset. Unknown words
// are skipped, as psad's patterns allow anything between the fields.
func parseIPv4Header(c *cursor, p *Packet) (frag int, err error) {
	tos := -1
	for {
		t := c.next()
		if len(t) == 0 {
			return 0, ErrNoProto
		}
		if hasPrefix(t, "PROTO=") {
			c.i -= len(t)
			break
		}
		switch t[0] {
		case 'L':
			if hasPrefix(t, "LEN=") {
				if p.IPLen, err = num(t[4:], 65535, fLEN); err != nil {
					return 0, err
				}
			}
		case 'T':
			if hasPrefix(t, "TTL=") {
				if p.TTL, err = num(t[4:], 255, fTTL); err != nil {
					return 0, err
				}
			} else if hasPrefix(t, "TOS=") {
				// psad takes any word here (TOS=(\S+) for TCP and UDP,
				// nothing at all for ICMP), so no TOS text makes a line
				// malformed; only a byte in hex becomes a value, other
				// text counts as not logged.
				if v, ok := parseHexByte(t[4:]); ok {
					tos = v
				}
			}
		case 'I':
			if hasPrefix(t, "ID=") {
				if p.IPID, err = num(t[3:], 65535, fID); err != nil {
					return 0, err
				}
			}
		case 'D':
			// psad only sees DF right before PROTO=; the kernel prints it
			// before MF, FRAG: and OPT, so any DF word counts here.
			if string(t) == "DF" {
				p.DF = true
			}
		case 'F':
			if hasPrefix(t, "FRAG:") {
				if frag, err = num(t[5:], 65535, fFRAG); err != nil {
					return 0, err
				}
			}
		case 'O':
			if string(t) == "OPT" {
				if h, ok := parenHex(c.peek()); ok {
					p.IPOpts = h
					c.next()
				}
			}
		}
	}
	switch {
	case p.IPLen < 0:
		return 0, ferr(kBadIP, fLEN)
	case p.TTL < 0:
		return 0, ferr(kBadIP, fTTL)
	case p.IPID < 0:
		return 0, ferr(kBadIP, fID)
	}
	p.TOS = tos // kept for TCP/UDP only; parseTransport clears it otherwise
	return frag, nil
}

// toperaRun is how many consecutive empty "OPT ( )" extension headers
// mark the Topera scanner, which pads its IPv6 packets with them (psad's
// (?:OPT\s+\(\s+\)\s+){7,}).
const toperaRun = 7

// parseIPv6Header reads LEN TC HOPLIMIT FLOWLBL and the extension-header
// words the kernel prints with --log-ip-options (OPT ( ... ) groups,
// FRAG:n, ID:x, INCOMPLETE as the more-fragments flag) up to PROTO=.
func parseIPv6Header(c *cursor, p *Packet) (frag int, err error) {
	run := 0
	for {
		t := c.next()
		if len(t) == 0 {
			return 0, ErrNoProto
		}
		if hasPrefix(t, "PROTO=") {
			c.i -= len(t)
			break
		}
		if string(t) == "OPT" {
			if string(c.peek()) == "(" {
				c.next()
				if string(c.peek()) == ")" {
					c.next()
					if run++; run >= toperaRun {
						p.Topera = true
					}
					continue
				}
			}
			run = 0
			continue
		}
		run = 0
		switch {
		case hasPrefix(t, "LEN="):
			if p.IPLen, err = num(t[4:], 65535, fLEN); err != nil {
				return 0, err
			}
		case hasPrefix(t, "TC="):
			if p.TC, err = num(t[3:], 255, fTC); err != nil {
				return 0, err
			}
		case hasPrefix(t, "HOPLIMIT="):
			if p.HopLimit, err = num(t[9:], 255, fHOPLIMIT); err != nil {
				return 0, err
			}
		case hasPrefix(t, "FLOWLBL="):
			if p.FlowLabel, err = num(t[8:], 1<<20-1, fFLOWLBL); err != nil {
				return 0, err
			}
		case hasPrefix(t, "FRAG:"):
			if frag, err = num(t[5:], 65535, fFRAG); err != nil {
				return 0, err
			}
		case string(t) == "INCOMPLETE":
			// Alone it is the fragment header's M flag; with "[n bytes]"
			// an extension header (AH, ESP) was cut short.
			if n := c.peek(); len(n) > 0 && n[0] == '[' {
				return 0, ErrTruncated
			}
		}
	}
	switch {
	case p.IPLen < 0:
		return 0, ferr(kBadIP, fLEN)
	case p.HopLimit < 0:
		return 0, ferr(kBadIP, fHOPLIMIT)
	case p.FlowLabel < 0:
		return 0, ferr(kBadIP, fFLOWLBL)
	}
	return frag, nil
}

// protoByName maps the PROTO= token to a protocol number. The kernel
// names TCP, UDP, UDPLITE, AH, ESP, and ICMP (IPv4) or ICMPv6 (IPv6), and
// prints every other protocol as a number, including 58 on IPv4 and 1 on
// IPv6 (nmap -sO sends both), which psad keys by number. A name of the
// wrong family (ICMPv6 on IPv4, ICMP on IPv6) is rejected, as psad's
// per-protocol patterns reject it. A number the kernel would have named
// (PROTO=6) is parsed like the name, so that a TCP packet always has
// ports.
func protoByName(v []byte, ipv6 bool) (uint8, bool) {
	switch string(v) {
	case "TCP":
		return ProtoTCP, true
	case "UDP":
		return ProtoUDP, true
	case "UDPLITE":
		return ProtoUDPLite, true
	case "ICMP":
		return ProtoICMP, !ipv6
	case "ICMPv6":
		return ProtoICMPv6, ipv6
	case "SCTP":
		return ProtoSCTP, true
	case "AH":
		return ProtoAH, true
	case "ESP":
		return ProtoESP, true
	}
	n, ok := parseUint(v, 255)
	return uint8(n), ok
}

// parseTransport reads PROTO= and the transport header.
func parseTransport(c *cursor, p *Packet, frag int) error {
	t := c.next() // PROTO=, as the header parsers guarantee
	pr, ok := protoByName(t[6:], p.IPv6)
	if !ok {
		return ErrBadProto
	}
	p.Proto, p.HasProto = pr, true
	if pr != ProtoTCP && pr != ProtoUDP && pr != ProtoUDPLite {
		p.TOS = -1 // psad stores TOS for TCP and UDP only
	}
	t = c.next()
	if string(t) == "INCOMPLETE" {
		return ErrTruncated
	}
	// first is the field the kernel prints first for this protocol; a
	// non-first fragment stops right after PROTO=.
	var first string
	switch {
	case pr == ProtoTCP || pr == ProtoUDP || pr == ProtoUDPLite:
		first = "SPT="
	case pr == ProtoICMP && !p.IPv6 || pr == ProtoICMPv6 && p.IPv6:
		first = "TYPE="
	case pr == ProtoSCTP && hasPrefix(t, "SPT="):
		// The kernel prints PROTO=132 and nothing more; ulogd prints
		// PROTO=SCTP with ports.
		return parsePorts(c, p, t, kBadTCP)
	default:
		// Nothing psad uses follows (AH, ESP, GRE, IGMP, 58 on IPv4,
		// ...).
		return nil
	}
	if !hasPrefix(t, first) && frag > 0 {
		return ErrFragment
	}
	switch pr {
	case ProtoTCP:
		return parseTCP(c, p, t)
	case ProtoUDP, ProtoUDPLite:
		if err := parsePorts(c, p, t, kBadUDP); err != nil {
			return err
		}
		t = c.next()
		if !hasPrefix(t, "LEN=") {
			return ferr(kBadUDP, fLEN)
		}
		var err error
		p.UDPLen, err = num(t[4:], 65535, fLEN)
		return err
	default:
		return parseICMP(c, p, t)
	}
}

// parsePorts reads "SPT=n DPT=n"; t is the SPT= token.
func parsePorts(c *cursor, p *Packet, t []byte, k errKind) (err error) {
	if !hasPrefix(t, "SPT=") {
		return ferr(k, fSPT)
	}
	if p.SrcPort, err = num(t[4:], 65535, fSPT); err != nil {
		return err
	}
	t = c.next()
	if !hasPrefix(t, "DPT=") {
		return ferr(k, fDPT)
	}
	p.DstPort, err = num(t[4:], 65535, fDPT)
	return err
}

// parseTCP reads SPT DPT [SEQ ACK] WINDOW RES <flags> URGP [OPT (hex)].
// SEQ/ACK are accepted on IPv6 too, where psad calls the line malformed.
func parseTCP(c *cursor, p *Packet, t []byte) error {
	if err := parsePorts(c, p, t, kBadTCP); err != nil {
		return err
	}
	// psad allows anything between DPT and WINDOW (DPT=(\d+)\s.*\s*WINDOW=)
	// and takes the sequence numbers only from a "SEQ=n ACK=n" pair; the
	// kernel prints that pair there, other words are passed over.
	t = c.next()
	for len(t) > 0 && !hasPrefix(t, "WINDOW=") {
		if hasPrefix(t, "SEQ=") && hasPrefix(c.peek(), "ACK=") {
			seq, ok1 := parseUint(t[4:], 1<<32-1)
			t = c.next()
			ack, ok2 := parseUint(t[4:], 1<<32-1)
			if ok1 && ok2 {
				p.TCPSeq, p.TCPAck = int64(seq), int64(ack)
			}
		}
		t = c.next()
	}
	if !hasPrefix(t, "WINDOW=") {
		return ferr(kBadTCP, fWINDOW)
	}
	var err error
	if p.Window, err = num(t[7:], 65535, fWINDOW); err != nil {
		return err
	}
	t = c.next()
	if hasPrefix(t, "RES=") {
		t = c.next()
	}
	var flags TCPFlags
	for !hasPrefix(t, "URGP=") {
		if len(t) == 0 {
			return ferr(kBadTCP, fURGP)
		}
		f := flagWord(t)
		if f == 0 {
			return ErrBadFlags
		}
		flags |= f
		t = c.next()
	}
	if _, err := num(t[5:], 65535, fURGP); err != nil {
		return err
	}
	// psad: the flag string must hold one of ACK SYN RST URG PSH FIN, or
	// be empty (a NULL scan).
	if flags != 0 && flags&^(FlagCWR|FlagECE) == 0 {
		return ErrBadFlags
	}
	p.Flags = flags
	if string(c.next()) == "OPT" {
		if h, ok := parenHex(c.next()); ok {
			p.TCPOpts = h
		}
	}
	return nil
}

func flagWord(t []byte) TCPFlags {
	switch string(t) {
	case "CWR":
		return FlagCWR
	case "ECE":
		return FlagECE
	case "URG":
		return FlagURG
	case "ACK":
		return FlagACK
	case "PSH":
		return FlagPSH
	case "RST":
		return FlagRST
	case "SYN":
		return FlagSYN
	case "FIN":
		return FlagFIN
	}
	return 0
}

// parseICMP reads TYPE CODE and, for echo request/reply, ID SEQ. psad
// requires ID and SEQ on ICMP echo; ICMPv6 echo takes them when present.
func parseICMP(c *cursor, p *Packet, t []byte) (err error) {
	if !hasPrefix(t, "TYPE=") {
		return ferr(kBadICMP, fTYPE)
	}
	if p.ICMPType, err = num(t[5:], 255, fTYPE); err != nil {
		return err
	}
	t = c.next()
	if !hasPrefix(t, "CODE=") {
		return ferr(kBadICMP, fCODE)
	}
	if p.ICMPCode, err = num(t[5:], 255, fCODE); err != nil {
		return err
	}
	var echo, required bool
	if p.Proto == ProtoICMP {
		echo = p.ICMPType == 0 || p.ICMPType == 8
		required = echo
	} else {
		echo = p.ICMPType == 128 || p.ICMPType == 129
	}
	if !echo {
		return nil
	}
	t = c.next()
	if !hasPrefix(t, "ID=") {
		if required {
			return ferr(kBadICMP, fID)
		}
		return nil
	}
	if p.ICMPID, err = num(t[3:], 65535, fID); err != nil {
		return err
	}
	t = c.next()
	if !hasPrefix(t, "SEQ=") {
		if required {
			return ferr(kBadICMP, fSEQ)
		}
		return nil
	}
	p.ICMPSeq, err = num(t[4:], 65535, fSEQ)
	return err
}

// salvage runs after a failure before PROTO=: it finds the outer PROTO=
// and psad's IPv6 marker (HOPLIMIT=<n> FLOWLBL=<n>) anywhere outside
// brackets, so the caller's ignore rules see what psad would have seen.
func salvage(line []byte, i int, p *Packet) {
	c := cursor{b: line, i: i}
	var hop, flow bool
	var proto []byte
	for {
		t := c.next()
		if len(t) == 0 || t[0] == '[' {
			break
		}
		switch {
		case hasPrefix(t, "HOPLIMIT="):
			_, hop = parseUint(t[9:], 255)
		case hasPrefix(t, "FLOWLBL="):
			_, flow = parseUint(t[8:], 1<<20-1)
		case hasPrefix(t, "PROTO=") && proto == nil:
			proto = t[6:]
		}
	}
	if hop && flow {
		p.IPv6 = true
	}
	if proto != nil {
		if pr, ok := protoByName(proto, p.IPv6); ok {
			p.Proto, p.HasProto = pr, true
		}
	}
}

// cursor walks the blank-separated words of a line.
type cursor struct {
	b []byte
	i int
}

// next returns the next word, or an empty slice at the end of the line.
// It is tokenEnd written out: Parse calls it for every word, and the
// compiler inlines neither. With the call, BenchmarkParseOnly/mixed took
// 5-10% longer (8 alternated runs).
func (c *cursor) next() []byte {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	b, i := c.b, c.i
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	j := i
	for j+8 <= len(b) {
		x := binary.LittleEndian.Uint64(b[j:])
		s, t := x^(' '*ones), x^('\t'*ones)
		if m := ((s-ones)&^s | (t-ones)&^t) & highs; m != 0 {
			j += bits.TrailingZeros64(m) >> 3
			c.i = j
			return b[i:j]
		}
		j += 8
	}
	for j < len(b) && !isBlank(b[j]) {
		j++
	}
	c.i = j
	return b[i:j]
}

// peek returns the next word without consuming it.
func (c *cursor) peek() []byte {
	i := c.i
	t := c.next()
	c.i = i
	return t
}

// value returns the rest of the current word (possibly empty), as for
// "IN= OUT=" where IN='s value is empty.
func (c *cursor) value() []byte {
	i := c.i
	j := tokenEnd(c.b, i)
	c.i = j
	return c.b[i:j]
}

// num parses a decimal number up to max, naming f in the error.
func num(b []byte, max uint64, f field) (int, error) {
	n, ok := parseUint(b, max)
	if !ok {
		return 0, ferr(kBadNum, f)
	}
	return int(n), nil
}

// parseUint parses 1 to 19 decimal digits whose value is at most max
// (19 digits cannot overflow a uint64, so the loop needs no division).
func parseUint(b []byte, max uint64) (uint64, bool) {
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		d := c - '0'
		if d > 9 {
			return 0, false
		}
		n = n*10 + uint64(d)
	}
	return n, n <= max
}

// parseHexByte parses a byte written as one or two hex digits, with or
// without a 0x prefix, in either case: the kernel prints TOS=0x10, EdgeOS
// prints TOS=10.
func parseHexByte(b []byte) (int, bool) {
	if len(b) >= 2 && b[0] == '0' && (b[1] == 'x' || b[1] == 'X') {
		b = b[2:]
	}
	if len(b) < 1 || len(b) > 2 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		v := hexVal(c)
		if v < 0 {
			return 0, false
		}
		n = n<<4 | v
	}
	return n, true
}

// parenHex returns the hex digits of "(hex)", the form of IPv4 and TCP
// options in a LOG line.
func parenHex(t []byte) ([]byte, bool) {
	if len(t) < 3 || t[0] != '(' || t[len(t)-1] != ')' {
		return nil, false
	}
	h := t[1 : len(t)-1]
	for _, c := range h {
		if hexVal(c) < 0 {
			return nil, false
		}
	}
	return h, true
}

// isMAC reports whether b is "aa:bb:cc:dd:ee:ff" (any hex case).
func isMAC(b []byte) bool {
	if len(b) != 17 {
		return false
	}
	for k := 0; k < 17; k += 3 {
		if hexTab[b[k]] < 0 || hexTab[b[k+1]] < 0 || (k < 15 && b[k+2] != ':') {
			return false
		}
	}
	return true
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func skipBlanks(b []byte, i int) int {
	for i < len(b) && isBlank(b[i]) {
		i++
	}
	return i
}

// tokenEnd returns the index of the first blank at or after i, or
// len(b). Tokenising is most of Parse's work, so it tests eight bytes at a
// time: the word trick below flags the bytes equal to ' ' or '\t', and the
// lowest flag is always exact (a false flag can only follow a true one).
func tokenEnd(b []byte, i int) int {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	for i+8 <= len(b) {
		x := binary.LittleEndian.Uint64(b[i:])
		s, t := x^(' '*ones), x^('\t'*ones)
		if m := ((s-ones)&^s | (t-ones)&^t) & highs; m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
		i += 8
	}
	for i < len(b) && !isBlank(b[i]) {
		i++
	}
	return i
}

func hasByte(b []byte, c byte) bool { return bytes.IndexByte(b, c) >= 0 }

// hasPrefix is bytes.HasPrefix for a string prefix, without converting.
func hasPrefix(b []byte, s string) bool {
	return len(b) >= len(s) && string(b[:len(s)]) == s
}

// customHeader applies CUSTOM_SYSLOG_TS_RE (see Options.Header) and
// returns where the message starts, or -1 when re does not match or
// either group took no part in the match.
func customHeader(re *regexp.Regexp, line []byte, p *Packet) int {
	m := re.FindSubmatchIndex(line)
	if len(m) < 6 || m[2] < 0 || m[4] < 0 {
		return -1
	}
	p.Timestamp, p.Host = line[m[2]:m[3]], line[m[4]:m[5]]
	return m[1]
}
