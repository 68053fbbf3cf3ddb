package sig

import (
	"strconv"
	"strings"

	"github.com/psadgo/psad/internal/fwlog"
)

// Failure is one test of a signature that a packet did not pass, in the
// rule's own words and the packet's value, so whoever reads it knows
// whether to fix the rule or accept the miss.
type Failure struct {
	// Test names what was compared: a keyword ("flags", "ttl") or a
	// header field ("protocol", "dst port", "src address").
	Test string
	Want string // as the rule writes it ("S", "$HOME_NET", "ttl:>220")
	Got  string // the packet's value
}

func (f Failure) String() string { return f.Test + ": wanted " + f.Want + " got " + f.Got }

// Explain returns every test of g that p fails, in the order Match
// evaluates them; an empty result means g matches p, exactly when Match
// reports it. When the protocol does not fit, that is the only failure,
// since the other tests would compare fields the packet does not have.
// g must come from s.
func (s *Set) Explain(g *Sig, p *fwlog.Packet) []Failure {
	if !p.HasProto {
		return []Failure{{"protocol", g.Proto, "none logged"}}
	}
	if got, ok := protoFits(g.c.proto, p); !ok {
		return []Failure{{"protocol", g.Proto, got}}
	}
	k := s.newPkt(p)
	c := &g.c
	var out []Failure
	switch c.flagsMode {
	case flagsNever:
		out = append(out, Failure{"flags", g.text.flags + " (no flag letter: never matches with psad's flags semantics)", flagLetters(p.Flags)})
	case flagsExact:
		if p.Flags != c.flags {
			out = append(out, Failure{"flags", flagLetters(c.flags), flagLetters(p.Flags)})
		}
	}
	for i := range c.protoChecks {
		out = k.checkFailure(out, &c.protoChecks[i])
	}
	if !p.IPv6 {
		for i := range c.ipChecks {
			out = k.checkFailure(out, &c.ipChecks[i])
		}
		if c.sameip && (p.Src != p.Dst || string(p.Intf) == "lo") {
			got := "src " + p.Src.String() + " dst " + p.Dst.String()
			if string(p.Intf) == "lo" {
				got += " on lo"
			}
			out = append(out, Failure{"sameip", "the same source and destination, not on lo", got})
		}
		if c.ipopts {
			if len(p.IPOpts) == 0 {
				out = append(out, Failure{"ipopts", g.text.ipopts, "no IP options logged"})
			} else if m := s.optTab.decode(p.IPOpts); !c.ipoptsAny && !m.hits(&c.ipoptMask) {
				out = append(out, Failure{"ipopts", g.text.ipopts, "IP options " + string(p.IPOpts)})
			}
		}
	}
	// Addresses and ports: an orientation that fits is a match; else
	// report the one that came closest.
	var best []Failure
	for i := 0; i < c.nor; i++ {
		f := g.orientFailures(i, &k)
		if len(f) == 0 {
			return out
		}
		if i == 1 {
			for j := range f {
				f[j].Test += " (reverse direction of <>)"
			}
		}
		if best == nil || len(f) < len(best) {
			best = f
		}
	}
	return append(out, best...)
}

// orientFailures lists the header fields of orientation i that p fails.
func (g *Sig) orientFailures(i int, k *pkt) []Failure {
	o, t, p := &g.c.or[i], &g.text.or[i], k.p
	var out []Failure
	if g.c.proto == protoTCP || g.c.proto == protoUDP {
		if !o.sp.match(k.sp) {
			out = append(out, Failure{"src port", t.sp, strconv.FormatInt(k.sp, 10)})
		}
		if !o.dp.match(k.dp) {
			out = append(out, Failure{"dst port", t.dp, strconv.FormatInt(k.dp, 10)})
		}
	}
	if o.anyAddr {
		return out
	}
	if !o.src.match(p.Src) {
		out = append(out, Failure{"src address", t.src, p.Src.String()})
	}
	if !o.dst.match(p.Dst) {
		out = append(out, Failure{"dst address", t.dst, p.Dst.String()})
	}
	return out
}

// checkFailure appends the failure of one range keyword, if it fails.
func (k *pkt) checkFailure(out []Failure, c *check) []Failure {
	v := k.value(c.f)
	if c.set.match(v) {
		return out
	}
	got := strconv.FormatInt(v, 10)
	if c.f == fDsize {
		got += " bytes of payload (estimated from LEN)"
	}
	return append(out, Failure{strings.SplitN(c.text, ":", 2)[0], c.text, got})
}

// protoFits reports whether a signature of protocol sp can meet p, as
// Match decides which lists to search, and otherwise names p's protocol.
func protoFits(sp uint8, p *fwlog.Packet) (string, bool) {
	name := p.ProtoKey()
	if p.IPv6 {
		name += " (IPv6)"
	}
	switch sp {
	case protoTCP:
		return name, p.Proto == fwlog.ProtoTCP
	case protoUDP:
		return name, p.Proto == fwlog.ProtoUDP
	case protoICMP:
		return name, p.Proto == fwlog.ProtoICMP && !p.IPv6
	}
	return name, !p.IPv6 // ip signatures never match IPv6 packets
}

// flagLetters writes a flag set with the letters of the flags keyword,
// in the order rules usually list them ("SA", "FPU"); "0" is no flag.
func flagLetters(f fwlog.TCPFlags) string {
	var b strings.Builder
	for _, l := range []struct {
		f fwlog.TCPFlags
		c byte
	}{{fwlog.FlagSYN, 'S'}, {fwlog.FlagACK, 'A'}, {fwlog.FlagFIN, 'F'}, {fwlog.FlagRST, 'R'},
		{fwlog.FlagPSH, 'P'}, {fwlog.FlagURG, 'U'}, {fwlog.FlagECE, 'E'}, {fwlog.FlagCWR, 'C'}} {
		if f&l.f != 0 {
			b.WriteByte(l.c)
		}
	}
	if b.Len() == 0 {
		return "0"
	}
	return b.String()
}
