package sig

import (
	"encoding/binary"
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
	always gatedList
	// byFlags splits the always list of tcp signatures with a flags
	// keyword by their exact flag set, since most psad tcp rules have one.
	byFlags *[256]gatedList
	seg     *[65536]uint32
	segs    []gatedList
}

// gatedList is a list of signatures with the gate of each beside it.
type gatedList struct {
	sigs  []*Sig
	gates []gate
}

// gate holds, for each orientation of a signature, spans that contain
// every packet the orientation can match (hulls: negations and gaps left
// out), so that a packet outside all of them is not evaluated: a span of
// destination ports and one of source ports (tcp and udp rules), and
// for IPv4 packets a span of source addresses and one of destination
// addresses.
//
// Why the ports: a SYN meets the 13 tcp rules of psad's set whose flags
// are S and whose destination ports the index cannot narrow; 7 of them
// name a source port, or a destination port in one direction of <>,
// that a scan's packets rarely have, and evaluated in full they test
// their addresses too. With HOME_NET a list of local networks, as the
// daemon derives it, matching a flood's SYNs took 153 ns a packet, 130
// with the gates.
//
// Why the addresses: 4 of psad's rules name one host or network that
// most packets are not from or to (a trojan's server, 255.255.255.0/24,
// multicast), and 2 of them are ip rules, which meet every IPv4 packet.
// Of the 4.7 million signatures the 1M-line mixed log's packets were
// evaluated against, those 4 were 2.8 million, none of which matched.
//
// The gate also holds the hull of the first of the signature's transport
// checks (seq, window, dsize, ...) that has one, v, and of its first IP
// check (ttl, id, psad_ip_len), ipV: 6 of psad's S-flag rules meet every
// SYN whatever its ports, and 4 of them fail on such a check (a seq or
// window value, or dsize); "0 ttl" meets every IPv4 packet. Testing them
// here spares the call of Sig.match.
type gate struct {
	n      int32
	dp, sp [2][2]int32  // [orientation] = {lo, hi}
	sa, da [2][2]uint32 // [orientation] = {lo, hi} of IPv4 addresses
	// addrs says an orientation's address spans are not all addresses;
	// open says nothing here can keep a packet out, so that the gate,
	// which costs a rule with none of these tests a few nanoseconds a
	// packet, is not tested.
	addrs, open bool
	hasV        bool
	hasIP       bool
	f, ipF      field
	v, ipV      [2]int64 // {lo, hi} of field f (when hasV), ipF (when hasIP)
}

func (l *gatedList) add(g *Sig) {
	l.sigs = append(l.sigs, g)
	l.gates = append(l.gates, gateOf(g))
}

// gateOf is g's gate. Sig.match tests a tcp or udp rule's ports in every
// direction, and no other rule's.
func gateOf(g *Sig) gate {
	c := &g.c
	gt := gate{n: int32(c.nor)}
	ports := c.proto == protoTCP || c.proto == protoUDP
	for i := 0; i < c.nor; i++ {
		o := &c.or[i]
		gt.dp[i], gt.sp[i] = [2]int32{math.MinInt32, math.MaxInt32}, [2]int32{math.MinInt32, math.MaxInt32}
		if ports {
			gt.dp[i], gt.sp[i] = hull(&o.dp), hull(&o.sp)
		}
		gt.sa[i], gt.da[i] = [2]uint32{0, math.MaxUint32}, [2]uint32{0, math.MaxUint32}
		if !o.anyAddr {
			gt.sa[i], gt.da[i] = hull4(&o.src), hull4(&o.dst)
		}
	}
	for i := range c.protoChecks {
		if ch := &c.protoChecks[i]; !ch.set.all {
			gt.hasV, gt.f, gt.v = true, ch.f, hull64(&ch.set)
			break
		}
	}
	for i := range c.ipChecks {
		if ch := &c.ipChecks[i]; !ch.set.all {
			gt.hasIP, gt.ipF, gt.ipV = true, ch.f, hull64(&ch.set)
			break
		}
	}
	full32, full4 := [2]int32{math.MinInt32, math.MaxInt32}, [2]uint32{0, math.MaxUint32}
	portsOpen := true
	for i := 0; i < c.nor; i++ {
		gt.addrs = gt.addrs || gt.sa[i] != full4 || gt.da[i] != full4
		portsOpen = portsOpen && gt.dp[i] == full32 && gt.sp[i] == full32
	}
	gt.open = c.nor > 0 && portsOpen && !gt.addrs && !gt.hasV && !gt.hasIP
	return gt
}

// hull4 is the smallest span of IPv4 addresses (as numbers) that holds
// every IPv4 address a matches; {1, 0} when it matches none. An IPv6
// prefix, an IPv4-mapped one included, holds no IPv4 address.
func hull4(a *addrSet) [2]uint32 {
	switch {
	case a.none:
		return [2]uint32{1, 0}
	case a.all:
		return [2]uint32{0, math.MaxUint32}
	}
	h := [2]uint32{1, 0}
	for _, p := range a.pos {
		if !p.Addr().Is4() {
			continue
		}
		b := p.Addr().As4()
		lo := binary.BigEndian.Uint32(b[:]) // as newPkt reads a packet's
		hi := lo | uint32(uint64(1)<<(32-p.Bits())-1)
		if h[0] > h[1] {
			h = [2]uint32{lo, hi}
		} else {
			h = [2]uint32{min(h[0], lo), max(h[1], hi)}
		}
	}
	return h
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

// valueMay reports whether k may pass the signature's check of field f
// and, on IPv4, of field ipF (Sig.match skips IP checks on IPv6).
func (gt *gate) valueMay(k *pkt) bool {
	if gt.hasV {
		if v := k.value(gt.f); v < gt.v[0] || v > gt.v[1] {
			return false
		}
	}
	if gt.hasIP && !k.p.IPv6 {
		if v := k.value(gt.ipF); v < gt.ipV[0] || v > gt.ipV[1] {
			return false
		}
	}
	return true
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

// may reports whether a packet with ports dp and sp (saturated), and
// IPv4 addresses k.src4 and k.dst4 when k.v4, may pass the signature's
// port and address tests in one of its orientations.
func (gt *gate) may(dp, sp int32, k *pkt) bool {
	for i := int32(0); i < gt.n; i++ {
		if dp >= gt.dp[i][0] && dp <= gt.dp[i][1] && sp >= gt.sp[i][0] && sp <= gt.sp[i][1] &&
			(!k.v4 || !gt.addrs || k.src4 >= gt.sa[i][0] && k.src4 <= gt.sa[i][1] && k.dst4 >= gt.da[i][0] && k.dst4 <= gt.da[i][1]) {
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
				x.byFlags = new([256]gatedList)
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
	x.segs = make([]gatedList, len(b)-1)
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
	always gatedList
	byType [256]gatedList
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
			x.always.add(g)
			continue
		}
		for t := range 256 {
			if it.match(int64(t)) {
				x.byType[t].add(g)
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
	// v4 says both addresses are IPv4, src4 and dst4 are them as numbers
	// (see gate).
	v4         bool
	src4, dst4 uint32
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
	dp, sp := sat32(k.dp), sat32(k.sp)
	switch {
	case p.Proto == fwlog.ProtoTCP:
		dst = s.tcp.match(dp, sp, t, &k, dst)
	case p.Proto == fwlog.ProtoUDP:
		dst = s.udp.match(dp, sp, t, &k, dst)
	case p.Proto == fwlog.ProtoICMP && !p.IPv6:
		dst = s.icmp.always.match(dp, sp, t, &k, dst)
		dst = s.icmp.byType[uint8(k.value(fIType))].match(dp, sp, t, &k, dst)
	}
	if !p.IPv6 {
		dst = s.ip.match(dp, sp, t, &k, dst)
		if len(p.IPOpts) > 0 {
			dst = s.ipOpts.match(dp, sp, t, &k, dst)
		}
		if p.Src == p.Dst {
			dst = s.ipSame.match(dp, sp, t, &k, dst)
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
	if p.Src.Is4() && p.Dst.Is4() {
		s4, d4 := p.Src.As4(), p.Dst.As4()
		k.v4, k.src4, k.dst4 = true, binary.BigEndian.Uint32(s4[:]), binary.BigEndian.Uint32(d4[:])
	}
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

func (x *portIndex) match(dp, sp int32, t *optTable, k *pkt, dst []Hit) []Hit {
	dst = x.always.match(dp, sp, t, k, dst)
	if x.byFlags != nil {
		dst = x.byFlags[k.p.Flags].match(dp, sp, t, k, dst)
	}
	if x.seg != nil && k.dp <= 65535 {
		dst = x.segs[x.seg[k.dp]].match(dp, sp, t, k, dst)
	}
	return dst
}

// match appends the signatures of l that match k, whose ports dp and sp
// are saturated, evaluating only those whose gates let k through.
func (l *gatedList) match(dp, sp int32, t *optTable, k *pkt, dst []Hit) []Hit {
	gates := l.gates[:len(l.sigs)]
	for i, g := range l.sigs {
		if gt := &gates[i]; (gt.open || gt.may(dp, sp, k) && gt.valueMay(k)) && g.match(k, t) {
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
