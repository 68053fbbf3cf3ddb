package netset

import (
	"math/bits"
	"net/netip"
	"strings"
	"testing"
)

// FuzzParse guards HOME_NET and the other address lists read from a
// hand-edited psad.conf. Contains answers from compacted, sorted slices
// by binary search, so a mistake there silently treats a scanner as local
// (or the reverse); it must agree with a plain scan of the parsed
// prefixes. The prefixes must be masked, the entries must be counted as
// the doc comment says (blanks and empty entries skipped, "any" in any
// case), and String, which psad prints, must parse back to the same set.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"192.0.2.0/24, 2001:db8::/32",
		"10.0.0.0/8, 10.1.0.0/16,10.1.2.3, ANY",
		" 192.168.10.77/255.255.255.0 , ,198.51.100.7,",
		"2001:0DB8:0000:F101:0000:0000:0000:0002, ::ffff:192.0.2.1/120",
		"0.0.0.0/0, ::/0",
		"any",
		"10.0.0.0/255.0.255.0",
		" , ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		set, err := Parse(s)
		if err != nil {
			return
		}
		var entries, anys int
		for _, e := range strings.Split(s, ",") {
			switch e = strings.TrimSpace(e); {
			case e == "":
			case strings.EqualFold(e, "any"):
				anys++
			default:
				entries++
			}
		}
		list := set.Prefixes()
		if len(list) != entries || set.Any() != (anys > 0) || entries+anys == 0 {
			t.Fatalf("Parse(%q): %d prefixes, Any %v; the text has %d entries and %d \"any\"", s, len(list), set.Any(), entries, anys)
		}
		for _, p := range list {
			if !p.IsValid() || p != p.Masked() || p.Addr().Zone() != "" {
				t.Fatalf("Parse(%q): prefix %v is not a valid masked network", s, p)
			}
		}
		for _, a := range probes(list) {
			want := set.Any()
			for _, p := range list {
				want = want || p.Contains(a)
			}
			if got := set.Contains(a); got != want {
				t.Fatalf("Parse(%q).Contains(%v) = %v, a scan of %v says %v", s, a, got, list, want)
			}
		}
		again, err := Parse(set.String())
		if err != nil {
			t.Fatalf("String() of Parse(%q) is %q, which does not parse: %v", s, set.String(), err)
		}
		if again.String() != set.String() || again.Any() != set.Any() || !equalPrefixes(again.Prefixes(), list) {
			t.Fatalf("Parse(%q) renders as %q (Any %v), which parses to %q (Any %v)", s, set.String(), set.Any(), again.String(), again.Any())
		}
	})
}

// FuzzParsePrefix guards the one-network parser that HOME_NET, auto_dl
// and the signatures share. What net/netip accepts as an address or CIDR
// block psad must accept too, as the same network; and whatever it
// accepts must come back as a valid, masked, zone-free network that
// contains the address written and prints in a form it reads again. A
// dotted netmask must give the length of its leading one bits, and must
// be refused when its one bits are not contiguous.
func FuzzParsePrefix(f *testing.F) {
	for _, s := range []string{
		"192.0.2.77/24", "192.0.2.77/255.255.255.0", "198.51.100.1", "2001:db8::1/32",
		"2001:0db8:0000:0000:0000:0000:0000:0001", "::ffff:192.0.2.1/104", " 10.0.0.0 / 8 ",
		"10.0.0.0/+8", "10.0.0.0/255.0.255.0", "fe80::1%eth0", "1.2.3.4/33", "::/0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePrefix(s)
		if q, qerr := netip.ParsePrefix(s); qerr == nil && (err != nil || p != q.Masked()) {
			t.Fatalf("ParsePrefix(%q) = %v, %v; net/netip reads the network %v", s, p, err, q.Masked())
		}
		if a, aerr := netip.ParseAddr(s); aerr == nil && a.Zone() == "" {
			if want := netip.PrefixFrom(a, a.BitLen()); err != nil || p != want {
				t.Fatalf("ParsePrefix(%q) = %v, %v; want the host network %v", s, p, err, want)
			}
		}
		addrPart, maskPart, hasMask := strings.Cut(s, "/")
		a, aerr := netip.ParseAddr(strings.TrimSpace(addrPart))
		if mask := strings.TrimSpace(maskPart); aerr == nil && a.Is4() && strings.Contains(mask, ".") {
			// A dotted netmask: its one bits, if contiguous from the left,
			// are the prefix length; any other mask is an error.
			m, merr := netip.ParseAddr(mask)
			if merr != nil || !m.Is4() {
				if err == nil {
					t.Fatalf("ParsePrefix(%q) = %v, but %q is no IPv4 netmask", s, p, mask)
				}
			} else {
				b := m.As4()
				v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
				ones := bits.LeadingZeros32(^v)
				want, _ := a.Prefix(ones)
				switch {
				case v<<ones != 0 && err == nil:
					t.Fatalf("ParsePrefix(%q) = %v, but netmask %s is not contiguous", s, p, mask)
				case v<<ones == 0 && (err != nil || p != want):
					t.Fatalf("ParsePrefix(%q) = %v, %v; want %v", s, p, err, want)
				}
			}
		}
		if err != nil {
			return
		}
		if !p.IsValid() || p != p.Masked() || p.Addr().Zone() != "" {
			t.Fatalf("ParsePrefix(%q) = %v, not a valid masked network", s, p)
		}
		if aerr != nil || !p.Contains(a) {
			t.Fatalf("ParsePrefix(%q) = %v, which does not contain the address written (%v)", s, p, aerr)
		}
		if !hasMask && p.Bits() != a.BitLen() {
			t.Fatalf("ParsePrefix(%q) = %v, want a single host", s, p)
		}
		if again, err := ParsePrefix(p.String()); err != nil || again != p {
			t.Fatalf("ParsePrefix(%q) = %v, whose text parses to %v, %v", s, p, again, err)
		}
	})
}

// probes are the addresses where a wrong binary search or compaction
// shows: both ends of every network, their neighbours, and the extremes
// of each family (with an IPv4-mapped form, which matches no IPv4
// network).
func probes(list []netip.Prefix) []netip.Addr {
	out := []netip.Addr{
		netip.IPv4Unspecified(), netip.AddrFrom4([4]byte{255, 255, 255, 255}),
		netip.IPv6Unspecified(), netip.AddrFrom16([16]byte{0: 0xff, 15: 0xff}),
	}
	for _, p := range list {
		first, last := p.Addr(), lastAddr(p)
		out = append(out, first, last, first.Prev(), last.Next())
		if first.Is4() {
			out = append(out, netip.AddrFrom16(first.As16()))
		}
	}
	valid := out[:0]
	for _, a := range out {
		if a.IsValid() {
			valid = append(valid, a)
		}
	}
	return valid
}

// lastAddr is the highest address of the masked prefix p.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().As16()
	start := 0
	if p.Addr().Is4() {
		start = 12
	}
	for i := start*8 + p.Bits(); i < 128; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	if p.Addr().Is4() {
		return netip.AddrFrom4([4]byte(b[12:]))
	}
	return netip.AddrFrom16(b)
}

func equalPrefixes(a, b []netip.Prefix) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
