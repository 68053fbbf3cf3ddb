package fwcheck

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

// candidate finds anything that might be an IPv4 or IPv6 address, prefix
// or MAC address; netip has the last word on what is one, so times
// ("08:59:24"), versions ("v1.8.9") and counters ("[0:0]") survive.
var candidate = regexp.MustCompile(`[0-9A-Fa-f:.]*[:.][0-9A-Fa-f:.]*(?:/[0-9]{1,3})?`)

// Scrub returns text with every IPv4, IPv6 and MAC address replaced by
// one from the documentation ranges (192.0.2.0/24, 198.51.100.0/24,
// 203.0.113.0/24, 2001:db8::/32, 00:00:5e:00:53:00), the same address
// always by the same stand-in, so a dump for a bug report still shows
// which rules name the same host without saying which host. The
// unspecified addresses and /0 ("any") are kept: they reveal nothing and
// carry meaning. psad's --fw-dump missed IPv6 addresses without a prefix
// length and every MAC address.
func Scrub(text string) string {
	s := &scrubber{v4: map[netip.Addr]string{}, v6: map[netip.Addr]string{}, mac: map[string]string{}}
	return candidate.ReplaceAllStringFunc(text, s.replace)
}

type scrubber struct {
	v4, v6 map[netip.Addr]string
	mac    map[string]string
}

func (s *scrubber) replace(m string) string {
	// A sentence may end right after an address.
	core := strings.TrimRight(m, ".:")
	tail := m[len(core):]
	addr, bits := core, ""
	if i := strings.IndexByte(core, '/'); i >= 0 {
		addr, bits = core[:i], core[i:]
	}
	if a, err := netip.ParseAddr(addr); err == nil {
		if bits == "/0" || a.IsUnspecified() {
			return m
		}
		return s.addr(a) + bits + tail
	}
	if isMAC(core) {
		k := strings.ToLower(core)
		if _, ok := s.mac[k]; !ok {
			s.mac[k] = fmt.Sprintf("00:00:5e:00:53:%02x", len(s.mac)%256)
		}
		return s.mac[k] + tail
	}
	return m
}

// docV4 are the three IPv4 documentation networks (RFC 5737).
var docV4 = [...]string{"192.0.2.", "198.51.100.", "203.0.113."}

func (s *scrubber) addr(a netip.Addr) string {
	a = a.WithZone("")
	if a.Is4() {
		if r, ok := s.v4[a]; ok {
			return r
		}
		n := len(s.v4)
		r := "[removed]"
		if n < 3*254 {
			r = fmt.Sprintf("%s%d", docV4[n/254], n%254+1)
		}
		s.v4[a] = r
		return r
	}
	if r, ok := s.v6[a]; ok {
		return r
	}
	r := fmt.Sprintf("2001:db8::%x", len(s.v6)+1)
	s.v6[a] = r
	return r
}

// isMAC reports whether s is six colon-separated pairs of hex digits.
func isMAC(s string) bool {
	if len(s) != 17 {
		return false
	}
	for i := 0; i < 17; i++ {
		c := s[i]
		if i%3 == 2 {
			if c != ':' {
				return false
			}
			continue
		}
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
