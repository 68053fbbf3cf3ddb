package sig

import (
	"fmt"
	"net/netip"
	"strings"
)

// addrSet is a compiled address field: an address matches when it is in
// pos (or all is set) and not in neg; none matches nothing.
type addrSet struct {
	all, none bool
	pos, neg  []netip.Prefix
}

func (a *addrSet) match(ip netip.Addr) bool {
	if a.none {
		return false
	}
	ok := a.all
	if !ok {
		for _, p := range a.pos {
			if p.Contains(ip) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	for _, p := range a.neg {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// parseNet parses a.b.c.d, a.b.c.d/nn, a.b.c.d/m.m.m.m, an IPv6 address
// or an IPv6 prefix. Host bits are cleared.
func parseNet(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	addr, mask, slash := strings.Cut(s, "/")
	ip, err := netip.ParseAddr(addr)
	if err != nil || ip.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("%q is not an IP address or network", s)
	}
	bits := ip.BitLen()
	if slash {
		if m, err := netip.ParseAddr(mask); err == nil {
			if !ip.Is4() || !m.Is4() {
				return netip.Prefix{}, fmt.Errorf("bad netmask in %q", s)
			}
			if bits = maskBits(m.As4()); bits < 0 {
				return netip.Prefix{}, fmt.Errorf("bad netmask in %q", s)
			}
		} else {
			n, ok := parseNum(mask)
			if !ok || n > int64(ip.BitLen()) {
				return netip.Prefix{}, fmt.Errorf("bad prefix length in %q", s)
			}
			bits = int(n)
		}
	}
	return netip.PrefixFrom(ip, bits).Masked(), nil
}

// maskBits returns the length of a contiguous netmask, or -1.
func maskBits(m [4]byte) int {
	v := uint32(m[0])<<24 | uint32(m[1])<<16 | uint32(m[2])<<8 | uint32(m[3])
	n := 0
	for v&(1<<31) != 0 {
		v <<= 1
		n++
	}
	if v != 0 {
		return -1
	}
	return n
}

// parseAddrs compiles an address field with its Snort meaning: "any",
// networks, [lists], "!" negation, $VAR. It returns a warning text when
// the field can match nothing ("!any", e.g. EXTERNAL_NET !$HOME_NET with
// HOME_NET any).
func parseAddrs(val string, vars func(string) (string, bool)) (addrSet, string, error) {
	n, err := parseExpr(val, vars, 0)
	if err != nil {
		return addrSet{}, "", fmt.Errorf("bad address %q: %w", val, err)
	}
	var a addrSet
	negAny := false
	err = flatten(n, false, false, func(s string, neg bool) error {
		if s == "any" {
			if neg {
				negAny = true
			} else {
				a.all = true
			}
			return nil
		}
		p, err := parseNet(s)
		if err != nil {
			return err
		}
		if neg {
			a.neg = append(a.neg, p)
		} else {
			a.pos = append(a.pos, p)
		}
		return nil
	})
	if err != nil {
		return addrSet{}, "", fmt.Errorf("bad address %q: %w", val, err)
	}
	if negAny {
		if a.all || len(a.pos) > 0 || len(a.neg) > 0 {
			return addrSet{}, "", fmt.Errorf("bad address %q: !any inside a list", val)
		}
		return addrSet{none: true}, fmt.Sprintf("address %q matches nothing (!any)", val), nil
	}
	if !a.all && len(a.pos) == 0 {
		a.all = true // only negations: everything else
	}
	return a, "", nil
}

// parseAddrsCompat reproduces psad's address handling (spec 9.3): one
// $VAR at most, negation and brackets ignored, comma lists keep their
// IPv4/IPv6 networks and drop everything else.
func parseAddrsCompat(val string, vars func(string) (string, bool)) (addrSet, error) {
	s, err := expandVars(val, vars, 1)
	if err != nil {
		return addrSet{}, err
	}
	var a addrSet
	if strings.IndexByte(s, ',') >= 0 {
		for _, e := range strings.Split(s, ",") {
			p, ok, err := findIPv4(e)
			if err != nil {
				return addrSet{}, err
			}
			if !ok {
				if strings.IndexByte(e, ':') < 0 {
					continue
				}
				if p, err = parseNet(strings.Trim(e, " \t[]!")); err != nil {
					return addrSet{}, err
				}
			}
			a.pos = append(a.pos, p)
		}
		return a, nil
	}
	p, ok, err := findIPv4(s)
	if err != nil {
		return addrSet{}, err
	}
	if !ok {
		t := strings.Trim(s, " \t[]!")
		switch {
		case strings.IndexByte(t, ':') >= 0:
			if p, err = parseNet(t); err != nil {
				return addrSet{}, err
			}
		case t == "any" || t == "NOT_USED" || t == "NOTUSED":
			return addrSet{all: true}, nil
		default:
			return addrSet{}, fmt.Errorf("unrecognized address %q", val)
		}
	}
	a.pos = append(a.pos, p)
	return a, nil
}

// findIPv4 finds the first a.b.c.d[/nn|/m.m.m.m] in s, as psad's pattern
// does, and parses it.
func findIPv4(s string) (netip.Prefix, bool, error) {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			continue
		}
		j, ok := dottedQuad(s, i)
		if !ok {
			continue
		}
		if j < len(s) && s[j] == '/' {
			if k, ok := dottedQuad(s, j+1); ok {
				j = k
			} else if k := digits(s, j+1); k > j+1 {
				j = k
			}
		}
		p, err := parseNet(s[i:j])
		return p, err == nil, err
	}
	return netip.Prefix{}, false, nil
}

// dottedQuad matches \d+\.\d+\.\d+\.\d+ at i and returns its end.
func dottedQuad(s string, i int) (int, bool) {
	for k := 0; k < 4; k++ {
		if k > 0 {
			if i >= len(s) || s[i] != '.' {
				return 0, false
			}
			i++
		}
		j := digits(s, i)
		if j == i {
			return 0, false
		}
		i = j
	}
	return i, true
}

func digits(s string, i int) int {
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
