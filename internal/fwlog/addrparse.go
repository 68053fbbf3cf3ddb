package fwlog

import "net/netip"

// parseAddr parses an IPv4 dotted quad or an IPv6 address straight from
// the line's bytes, because netip.ParseAddr would need a string and so an
// allocation per address.
func parseAddr(b []byte) (netip.Addr, bool) {
	for _, c := range b {
		if c == ':' {
			return parseIPv6(b)
		}
	}
	return parseIPv4(b)
}

// parseIPv4 accepts a.b.c.d with 1-3 decimal digits per octet. Leading
// zeros are accepted (psad's pattern allows them; the kernel never prints
// them) and read as decimal.
func parseIPv4(b []byte) (netip.Addr, bool) {
	var a [4]byte
	oct, n, digits := 0, 0, 0
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			n = n*10 + int(c-'0')
			digits++
			if digits > 3 || n > 255 {
				return netip.Addr{}, false
			}
		case c == '.':
			if digits == 0 || oct == 3 {
				return netip.Addr{}, false
			}
			a[oct] = byte(n)
			oct++
			n, digits = 0, 0
		default:
			return netip.Addr{}, false
		}
	}
	if oct != 3 || digits == 0 {
		return netip.Addr{}, false
	}
	a[3] = byte(n)
	return netip.AddrFrom4(a), true
}

// parseIPv6 accepts the kernel's full form (eight groups of four hex
// digits) and, for logs rewritten by other tools, the RFC 4291 compressed
// forms, including a trailing dotted quad. Zones are rejected. The
// algorithm follows net/netip's parseIPv6.
func parseIPv6(s []byte) (netip.Addr, bool) {
	var ip [16]byte
	ellipsis := -1 // position of the "::" in ip, if any

	if len(s) >= 2 && s[0] == ':' && s[1] == ':' {
		ellipsis = 0
		s = s[2:]
		if len(s) == 0 {
			return netip.IPv6Unspecified(), true
		}
	}

	i := 0
	for i < 16 {
		off, acc := 0, 0
		for ; off < len(s); off++ {
			c := s[off]
			v := hexVal(c)
			if v < 0 {
				break
			}
			if off == 4 {
				return netip.Addr{}, false // more than four digits
			}
			acc = acc<<4 + v
		}
		if off == 0 {
			return netip.Addr{}, false
		}
		if off < len(s) && s[off] == '.' {
			// Embedded IPv4 in the last 32 bits.
			if ellipsis < 0 && i != 12 || i > 12 {
				return netip.Addr{}, false
			}
			a4, ok := parseIPv4(s)
			if !ok {
				return netip.Addr{}, false
			}
			b4 := a4.As4()
			copy(ip[i:], b4[:])
			i += 4
			s = s[len(s):]
			break
		}
		ip[i] = byte(acc >> 8)
		ip[i+1] = byte(acc)
		i += 2
		s = s[off:]
		if len(s) == 0 {
			break
		}
		if s[0] != ':' || len(s) == 1 {
			return netip.Addr{}, false
		}
		s = s[1:]
		if s[0] == ':' {
			if ellipsis >= 0 {
				return netip.Addr{}, false // second "::"
			}
			ellipsis = i
			s = s[1:]
			if len(s) == 0 {
				break
			}
		}
	}
	if len(s) != 0 {
		return netip.Addr{}, false
	}
	if i < 16 {
		if ellipsis < 0 {
			return netip.Addr{}, false
		}
		n := 16 - i
		for j := i - 1; j >= ellipsis; j-- {
			ip[j+n] = ip[j]
		}
		clear(ip[ellipsis : ellipsis+n])
	} else if ellipsis >= 0 {
		return netip.Addr{}, false // "::" must stand for at least one group
	}
	return netip.AddrFrom16(ip), true
}

// hexTab maps a byte to its hex digit value, or -1.
var hexTab = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < 10; i++ {
		t['0'+i] = int8(i)
	}
	for i := 0; i < 6; i++ {
		t['a'+i] = int8(10 + i)
		t['A'+i] = int8(10 + i)
	}
	return t
}()

func hexVal(c byte) int { return int(hexTab[c]) }
