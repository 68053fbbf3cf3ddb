package sig

import (
	"math"
	"slices"

	"github.com/psadgo/psad/internal/fwlog"
)

// Signature protocols. protoAnyL4 marks keywords (dsize) that apply to
// tcp, udp and icmp signatures but not to ip ones.
const (
	protoTCP uint8 = iota + 1
	protoUDP
	protoICMP
	protoIP
	protoAnyL4
)

// field is the packet value a range keyword tests.
type field uint8

const (
	fTTL field = iota
	fIPID
	fIPLen
	fWindow
	fSeq
	fAck
	fIType
	fICode
	fICMPSeq
	fICMPID
	fDsize
)

type check struct {
	f   field
	set numSet
	// text is the option as written ("ttl:>220"), for Explain.
	text string
}

// orient is one way a signature can meet a packet, in packet terms: src
// and sp are the packet's source side. "<>" has two.
type orient struct {
	src, dst addrSet
	sp, dp   numSet
	anyAddr  bool // src and dst match every address
}

type flagsMode uint8

const (
	flagsNone  flagsMode = iota // no flags keyword
	flagsExact                  // the packet's flag set must equal flags
	flagsNever                  // flags:0 and the like (spec 19, #12)
)

// compiled is everything Match needs from a signature.
type compiled struct {
	proto       uint8
	or          [2]orient
	nor         int
	ipChecks    []check // ttl, id, psad_ip_len: IPv4 only
	sameip      bool
	ipopts      bool
	ipoptsAny   bool
	ipoptMask   optMask
	flagsMode   flagsMode
	flags       fwlog.TCPFlags
	protoChecks []check // window, seq, ack, itype, icode, icmp_*, dsize
}

// portIndex finds the tcp or udp signatures that can match a destination
// port: seg maps a port to a segment whose list holds the signatures
// whose destination ports cover it; always holds those whose destination
// ports are negated, "any" or wider than half the port space. Both lists
// are sorted by ID.
type portIndex struct {
	always portList
	// byFlags splits the always list of tcp signatures with a flags
	// keyword by their exact flag set, since most psad tcp rules have one.
	byFlags *[256]portList
	seg     *[65536]uint32
	segs    []portList
}

// portList is a list of tcp or udp signatures with the port gate of
// each beside it.
type portList struct {
	sigs  []*Sig
	gates []portGate
}

// portGate holds, for each orientation of a signature, a span of
// destination ports and one of source ports that contain every port
// pair the orientation can match (a hull: negations and gaps left out).
// A packet outside all of them cannot match, and the signature is not
// evaluated.
//
// Why: a SYN meets the 13 tcp rules of psad's set whose flags are S and
// whose destination ports the index cannot narrow; 7 of them name a
// source port, or a destination port in one direction of <>, that a
// scan's packets rarely have, and evaluated in full they test their
// addresses too. With HOME_NET a list of local networks, as the daemon
// derives it, matching a flood's SYNs took 153 ns a packet, 130 with
// the gates.
//
// The gate also holds the hull of the first of the signature's transport
// checks (seq, window, dsize, ...) that has one, v: 6 of psad's S-flag
// rules meet every SYN whatever its ports (every SYN of the mixed log
// was evaluated against them), and 4 of them fail on such a check (a
// seq or window value, or dsize). Testing v here spares the call of
// Sig.match.
type portGate struct {
	n      int32
	dp, sp [2][2]int32 // [orientation] = {lo, hi}
	hasV   bool
	f      field
	v      [2]int64 // {lo, hi} of field f, when hasV
}

func (l *portList) add(g *Sig) {
	l.sigs = append(l.sigs, g)
	l.gates = append(l.gates, gateOf(g))
}

// gateOf is g's gate; g is a tcp or udp rule, whose ports Sig.match
// tests in every direction.
func gateOf(g *Sig) portGate {
	c := &g.c
	pg := portGate{n: int32(c.nor)}
	for i := 0; i < c.nor; i++ {
		pg.dp[i], pg.sp[i] = hull(&c.or[i].dp), hull(&c.or[i].sp)
	}
	for i := range c.protoChecks {
		if ch := &c.protoChecks[i]; !ch.set.all {
			pg.hasV, pg.f, pg.v = true, ch.f, hull64(&ch.set)
			break
		}
	}
	return pg
}

// hull64 is hull without saturation, for a set that is not all; {1, 0}
// when it matches none.
func hull64(n *numSet) [2]int64 {
	if len(n.pos) == 0 {
		return [2]int64{1, 0}
	}
	lo, hi := n.pos[0].lo, n.pos[0].hi
	for _, s := range n.pos[1:] {
		lo, hi = min(lo, s.lo), max(hi, s.hi)
	}
	return [2]int64{lo, hi}
}

// valueMay reports whether k may pass the signature's check of field f.
func (pg *portGate) valueMay(k *pkt) bool {
	if !pg.hasV {
		return true
	}
	v := k.value(pg.f)
	return v >= pg.v[0] && v <= pg.v[1]
}

// hull is the smallest span, in int32 with values beyond it saturated,
// that contains every value n matches; {1, 0} when it matches none.
func hull(n *numSet) [2]int32 {
	if n.all {
		return [2]int32{math.MinInt32, math.MaxInt32}
	}
	h := hull64(n)
	return [2]int32{sat32(h[0]), sat32(h[1])}
}

// sat32 is v saturated to int32. It keeps the order of any two values,
// so a value in a span is in the saturated span.
func sat32(v int64) int32 { return int32(min(max(v, math.MinInt32), math.MaxInt32)) }

// may reports whether a packet with ports dp and sp (saturated) may
// pass the signature's port tests.
func (pg *portGate) may(dp, sp int32) bool {
	for i := int32(0); i < pg.n; i++ {
		if dp >= pg.dp[i][0] && dp <= pg.dp[i][1] && sp >= pg.sp[i][0] && sp <= pg.sp[i][1] {
			return true
		}
	}
	return false
}

// wideSpan is the width above which a signature's destination ports are
// not worth indexing (it would sit in most segments).
const wideSpan = 32768

// dstSpans returns the destination ports a signature can match, as
// spans, or false when they are not worth indexing.
func dstSpans(g *Sig) ([]span, bool) {
	var out []span
	var width int64
	for i := 0; i < g.c.nor; i++ {
		dp := &g.c.or[i].dp
		if dp.all {
			return nil, false
		}
		for _, s := range dp.pos {
			s.lo, s.hi = max(s.lo, 0), min(s.hi, 65535)
			if s.lo > s.hi {
				continue
			}
			if width += s.hi - s.lo + 1; width > wideSpan {
				return nil, false
			}
			out = append(out, s)
		}
	}
	return out, true
}

func (x *portIndex) build(sigs []*Sig) {
	type ent struct {
		g     *Sig
		spans []span
	}
	var idx []ent
	b := []int64{0, 65536}
	for _, g := range sigs {
		if g.c.flagsMode == flagsNever {
			continue // flags:0 never matches (spec 9.4)
		}
		sp, ok := dstSpans(g)
		if !ok && g.c.flagsMode == flagsExact {
			if x.byFlags == nil {
				x.byFlags = new([256]portList)
			}
			x.byFlags[g.c.flags].add(g)
			continue
		}
		if !ok {
			x.always.add(g)
			continue
		}
		idx = append(idx, ent{g, sp})
		for _, s := range sp {
			b = append(b, s.lo, s.hi+1)
		}
	}
	if len(idx) == 0 {
		return
	}
	slices.Sort(b)
	b = slices.Compact(b)
	x.segs = make([]portList, len(b)-1)
	for _, e := range idx {
		for _, s := range e.spans {
			k, _ := slices.BinarySearch(b, s.lo)
			for ; b[k] <= s.hi; k++ {
				if l := x.segs[k].sigs; len(l) == 0 || l[len(l)-1] != e.g {
					x.segs[k].add(e.g)
				}
			}
		}
	}
	x.seg = new([65536]uint32)
	for k := 0; k+1 < len(b); k++ {
		for port := b[k]; port < b[k+1]; port++ {
			x.seg[port] = uint32(k)
		}
	}
}

// icmpIndex finds the icmp signatures that can match an ICMP type:
// byType holds those with a plain itype, always the others.
type icmpIndex struct {
	always []*Sig
	byType [256][]*Sig
}

func (x *icmpIndex) build(sigs []*Sig) {
	for _, g := range sigs {
		var it *numSet
		for i := range g.c.protoChecks {
			if g.c.protoChecks[i].f == fIType {
				it = &g.c.protoChecks[i].set
			}
		}
		if it == nil || it.all {
			x.always = append(x.always, g)
			continue
		}
		for t := range 256 {
			if it.match(int64(t)) {
				x.byType[t] = append(x.byType[t], g)
			}
		}
	}
}

// pkt holds the values of one packet that signatures compare with.
type pkt struct {
	p        *fwlog.Packet
	sp, dp   int64
	dsize    int64
	optsDone bool
	opts     optMask
}

func unset(v int) int64 {
	if v < 0 {
		return 0
	}
	return int64(v)
}

func (k *pkt) value(f field) int64 {
	p := k.p
	switch f {
	case fTTL:
		return unset(p.TTL)
	case fIPID:
		return unset(p.IPID)
	case fIPLen:
		return unset(p.IPLen)
	case fWindow:
		return unset(p.Window)
	case fSeq:
		return max(p.TCPSeq, 0)
	case fAck:
		return max(p.TCPAck, 0)
	case fIType:
		return unset(p.ICMPType)
	case fICode:
		return unset(p.ICMPCode)
	case fICMPSeq:
		return unset(p.ICMPSeq)
	case fICMPID:
		return unset(p.ICMPID)
	case fDsize:
		return k.dsize
	}
	return 0
}

// ipHeaderLen is the IPv4 header length: 20 bytes plus the logged IP
// options (hex text, two digits a byte). IPv6 has a 40-byte header.
func ipHeaderLen(p *fwlog.Packet) int64 {
	if p.IPv6 {
		return 40
	}
	return 20 + int64(len(p.IPOpts)/2)
}

// Match appends to dst every signature that matches p, each once, in
// order of ID, and returns the extended slice. It does not allocate when
// dst has room. Hit.DL may be 0: such a signature asks for the packet to
// be ignored (spec 9.7).
//
// A TCP packet meets tcp and ip signatures, UDP udp and ip, IPv4 ICMP
// icmp and ip; any other protocol (ICMPv6, UDP-Lite, numbers) only ip
// signatures, and ip signatures never match IPv6 packets (spec 9.6).
func (s *Set) Match(p *fwlog.Packet, dst []Hit) []Hit {
	if !p.HasProto {
		return dst
	}
	start := len(dst)
	k := s.newPkt(p)
	t := &s.optTab
	switch {
	case p.Proto == fwlog.ProtoTCP:
		dst = s.tcp.match(t, &k, dst)
	case p.Proto == fwlog.ProtoUDP:
		dst = s.udp.match(t, &k, dst)
	case p.Proto == fwlog.ProtoICMP && !p.IPv6:
		dst = matchList(s.icmp.always, t, &k, dst)
		dst = matchList(s.icmp.byType[uint8(k.value(fIType))], t, &k, dst)
	}
	if !p.IPv6 {
		dst = matchList(s.ip, t, &k, dst)
		if len(p.IPOpts) > 0 {
			dst = matchList(s.ipOpts, t, &k, dst)
		}
		if p.Src == p.Dst {
			dst = matchList(s.ipSame, t, &k, dst)
		}
	}
	// The lists are each sorted by ID; merge them by insertion, n is tiny.
	h := dst[start:]
	for i := 1; i < len(h); i++ {
		for j := i; j > 0 && h[j].Sig.ID < h[j-1].Sig.ID; j-- {
			h[j], h[j-1] = h[j-1], h[j]
		}
	}
	return dst
}

// newPkt prepares the values of p that signatures test, dsize among them.
func (s *Set) newPkt(p *fwlog.Packet) pkt {
	k := pkt{p: p, sp: unset(p.SrcPort), dp: unset(p.DstPort)}
	switch {
	case p.Proto == fwlog.ProtoTCP && s.exactDsize && len(p.TCPOpts) > 0:
		// The options were logged, so the TCP header length is known.
		k.dsize = unset(p.IPLen) - ipHeaderLen(p) - 20 - int64(len(p.TCPOpts)/2)
	case p.Proto == fwlog.ProtoTCP:
		// psad's payload estimate (spec 9.4): 40 bytes of headers, and 44
		// more for the options a SYN may carry. Without logged options
		// the header length is unknown, so Snort semantics keep it too.
		k.dsize = unset(p.IPLen) - 40
		if p.Flags&fwlog.FlagSYN != 0 {
			k.dsize -= 44
		}
	case p.Proto == fwlog.ProtoUDP:
		k.dsize = unset(p.UDPLen) - 8
	case p.Proto == fwlog.ProtoICMP && s.exactDsize:
		// psad's LEN-24 leaves 4 bytes of a bare echo request (nmap's
		// ping) as payload, so "ICMP PING NMAP" (dsize:0) never fires;
		// the IP header plus the 8-byte ICMP header is what precedes the
		// data.
		k.dsize = unset(p.IPLen) - ipHeaderLen(p) - 8
	case p.Proto == fwlog.ProtoICMP:
		k.dsize = unset(p.IPLen) - 24
	}
	k.dsize = max(k.dsize, 0)
	return k
}

func (x *portIndex) match(t *optTable, k *pkt, dst []Hit) []Hit {
	dp, sp := sat32(k.dp), sat32(k.sp)
	dst = x.always.match(dp, sp, t, k, dst)
	if x.byFlags != nil {
		dst = x.byFlags[k.p.Flags].match(dp, sp, t, k, dst)
	}
	if x.seg != nil && k.dp <= 65535 {
		dst = x.segs[x.seg[k.dp]].match(dp, sp, t, k, dst)
	}
	return dst
}

// match is matchList for the signatures whose port gates let ports dp
// and sp (k's, saturated) through.
func (l *portList) match(dp, sp int32, t *optTable, k *pkt, dst []Hit) []Hit {
	gates := l.gates[:len(l.sigs)]
	for i, g := range l.sigs {
		if gt := &gates[i]; gt.may(dp, sp) && gt.valueMay(k) && g.match(k, t) {
			dst = append(dst, Hit{g, g.DL})
		}
	}
	return dst
}

func matchList(l []*Sig, t *optTable, k *pkt, dst []Hit) []Hit {
	for _, g := range l {
		if g.match(k, t) {
			dst = append(dst, Hit{g, g.DL})
		}
	}
	return dst
}

// match evaluates one signature (spec 9.6 steps 1-4).
func (g *Sig) match(k *pkt, t *optTable) bool {
	c := &g.c
	p := k.p
	if c.proto == protoIP && p.IPv6 {
		return false
	}
	// Cheap scalar tests first; all tests must hold, so order is free.
	switch c.flagsMode {
	case flagsNever:
		return false
	case flagsExact:
		if p.Flags != c.flags {
			return false
		}
	}
	for i := range c.protoChecks {
		if !c.protoChecks[i].set.match(k.value(c.protoChecks[i].f)) {
			return false
		}
	}
	if !p.IPv6 { // IP-layer keywords are skipped for IPv6 packets
		for i := range c.ipChecks {
			if !c.ipChecks[i].set.match(k.value(c.ipChecks[i].f)) {
				return false
			}
		}
		if c.sameip && (p.Src != p.Dst || string(p.Intf) == "lo") {
			return false
		}
		if c.ipopts {
			if len(p.IPOpts) == 0 {
				return false
			}
			if !c.ipoptsAny {
				if !k.optsDone {
					k.opts, k.optsDone = t.decode(p.IPOpts), true
				}
				if !k.opts.hits(&c.ipoptMask) {
					return false
				}
			}
		}
	}
	ports := c.proto == protoTCP || c.proto == protoUDP
	ok := false
	for i := 0; i < c.nor; i++ {
		o := &c.or[i]
		if ports && !(o.dp.match(k.dp) && o.sp.match(k.sp)) {
			continue
		}
		if o.anyAddr || o.src.match(p.Src) && o.dst.match(p.Dst) {
			ok = true
			break
		}
	}
	return ok
}
