// Package netset holds sets of IP networks such as psad's HOME_NET: a
// comma-separated list of CIDR blocks, dotted-mask networks, bare addresses
// or the word "any". Contains runs once per logged packet, so a Set keeps
// its networks in sorted, non-overlapping slices and answers with a binary
// search instead of walking every prefix.
package netset

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Set is an immutable set of networks. The zero value is empty and contains
// nothing. A Set is safe for concurrent use once built.
type Set struct {
	any bool
	// v4 and v6 hold the masked prefixes sorted by address with every prefix
	// that lies inside another one removed, so at most one candidate can
	// contain a given address.
	v4, v6 []netip.Prefix
	// list keeps the parsed prefixes in input order for String and Prefixes.
	list []netip.Prefix
}

// Parse parses a HOME_NET-style list. Entries are separated by commas, with
// optional blanks around them, and each is one of
//
//	a.b.c.d/nn         IPv4 network with prefix length
//	a.b.c.d/m.m.m.m    IPv4 network with a dotted (contiguous) netmask
//	a.b.c.d            a single IPv4 host
//	2001:db8::/32      IPv6 network, compressed or full form
//	2001:db8::1        a single IPv6 host
//	any                every address (case-insensitive)
//
// Host bits below the prefix length are cleared, as psad compares networks
// and not addresses. Empty entries (for example after a trailing comma) are
// skipped, but a list with no entry at all is an error.
func Parse(s string) (Set, error) {
	var set Set
	seen := false
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		seen = true
		if strings.EqualFold(f, "any") {
			set.any = true
			continue
		}
		p, err := ParsePrefix(f)
		if err != nil {
			return Set{}, err
		}
		set.list = append(set.list, p)
	}
	if !seen {
		return Set{}, fmt.Errorf("empty network list %q", s)
	}
	set.v4 = compact(set.list, true)
	set.v6 = compact(set.list, false)
	return set, nil
}

// MustParse is like [Parse] but panics on error; it is meant for tests and
// package-level tables with constant input.
func MustParse(s string) Set {
	set, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return set
}

// ParsePrefix parses one network entry of the forms accepted by [Parse]
// (except "any") and returns it masked. Other packages reading psad files
// with the same address syntax (auto_dl, signatures) share it.
func ParsePrefix(s string) (netip.Prefix, error) {
	addrPart, maskPart, hasMask := strings.Cut(s, "/")
	addrPart = strings.TrimSpace(addrPart)
	maskPart = strings.TrimSpace(maskPart)
	a, err := netip.ParseAddr(addrPart)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("bad address in %q", s)
	}
	if a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("zoned address not allowed in %q", s)
	}
	bits := a.BitLen()
	if hasMask {
		switch {
		case a.Is4() && strings.Contains(maskPart, "."):
			bits, err = maskBits(maskPart)
			if err != nil {
				return netip.Prefix{}, fmt.Errorf("%w in %q", err, s)
			}
		default:
			n, err := strconv.Atoi(maskPart)
			if err != nil || n < 0 || n > a.BitLen() || maskPart[0] == '+' || maskPart[0] == '-' {
				return netip.Prefix{}, fmt.Errorf("bad prefix length in %q", s)
			}
			bits = n
		}
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("bad network %q", s)
	}
	return p, nil
}

// maskBits converts a dotted IPv4 netmask to a prefix length. Masks whose
// one bits are not contiguous from the left cannot be written as a prefix
// and are rejected.
func maskBits(mask string) (int, error) {
	m, err := netip.ParseAddr(mask)
	if err != nil || !m.Is4() {
		return 0, fmt.Errorf("bad netmask %q", mask)
	}
	b := m.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	n := 0
	for v&(1<<31) != 0 {
		n++
		v <<= 1
	}
	if v != 0 {
		return 0, fmt.Errorf("non-contiguous netmask %q", mask)
	}
	return n, nil
}

// compact returns the prefixes of one family sorted by address with every
// prefix covered by another removed. Two CIDR blocks either nest or are
// disjoint, so what remains is a list of disjoint blocks.
func compact(all []netip.Prefix, v4 bool) []netip.Prefix {
	var ps []netip.Prefix
	for _, p := range all {
		if p.Addr().Is4() == v4 {
			ps = append(ps, p)
		}
	}
	// Sort by start address, widest first, so a covering block comes before
	// the blocks it covers.
	slices.SortFunc(ps, func(a, b netip.Prefix) int {
		if c := a.Addr().Compare(b.Addr()); c != 0 {
			return c
		}
		return a.Bits() - b.Bits()
	})
	out := ps[:0]
	for _, p := range ps {
		if n := len(out); n > 0 && out[n-1].Contains(p.Addr()) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// Contains reports whether a lies in one of the networks, or the set
// includes "any". IPv4-mapped IPv6 addresses are not unmapped: an address
// matches only networks of its own family, as in psad.
func (s Set) Contains(a netip.Addr) bool {
	if s.any {
		return true
	}
	ps := s.v6
	if a.Is4() {
		ps = s.v4
	}
	// Find the first block starting after a; only the block before it can
	// contain a, because the blocks are disjoint.
	lo, hi := 0, len(ps)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if ps[m].Addr().Compare(a) <= 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo > 0 && ps[lo-1].Contains(a)
}

// Any reports whether the list contained the word "any".
func (s Set) Any() bool { return s.any }

// Prefixes returns the parsed networks in input order, without "any".
func (s Set) Prefixes() []netip.Prefix { return slices.Clone(s.list) }

// String renders the set as a comma-separated list in input order, with
// "any" first when present.
func (s Set) String() string {
	var parts []string
	if s.any {
		parts = append(parts, "any")
	}
	for _, p := range s.list {
		parts = append(parts, p.String())
	}
	return strings.Join(parts, ", ")
}

// FromPrefixes makes a set of the given networks (masked), as Parse
// would from their text: for lists found rather than written, such as a
// host's connected networks.
func FromPrefixes(ps []netip.Prefix) Set {
	var set Set
	for _, p := range ps {
		set.list = append(set.list, p.Masked())
	}
	set.v4 = compact(set.list, true)
	set.v6 = compact(set.list, false)
	return set
}
