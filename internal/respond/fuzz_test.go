package respond

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"
)

// FuzzParseBlockArg guards the address or network given to
// --fw-block-ip and --fw-rm-block-ip and sent over the control socket,
// which the firewall backends turn into rules. Whatever net/netip reads
// as an address or network must be accepted, and only that; a network
// must stay the network written (masked, with its length), and an
// address must become the single-host network of that address, so that
// a block covers no other host: an IPv4-mapped address as the IPv4
// address the iptables backends see, a zone, which no firewall rule
// carries, left out. A refusal quotes the argument.
func FuzzParseBlockArg(f *testing.F) {
	for _, s := range []string{
		"192.0.2.7", "198.51.100.0/24", "203.0.113.77/24", "2001:db8::1", "2001:db8::/32",
		"::ffff:192.0.2.1", "::ffff:192.0.2.0/120", "fe80::1%eth0", "10.0.0.0/33", "192.0.2.1 ", "host.example",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parseBlockArg(s)
		q, qerr := netip.ParsePrefix(s)
		a, aerr := netip.ParseAddr(s)
		if (err == nil) != (qerr == nil || aerr == nil) {
			t.Fatalf("parseBlockArg(%q) = %v, %v; net/netip: prefix %v, address %v", s, p, err, qerr, aerr)
		}
		if err != nil {
			if !strings.Contains(err.Error(), strconv.Quote(s)) {
				t.Fatalf("parseBlockArg(%q): error %q does not quote the argument", s, err)
			}
			return
		}
		if !p.IsValid() || p != p.Masked() || p.Addr().Zone() != "" {
			t.Fatalf("parseBlockArg(%q) = %v, not a valid masked network", s, p)
		}
		if qerr == nil {
			if p.Bits() != q.Bits() || !p.Contains(q.Addr()) {
				t.Fatalf("parseBlockArg(%q) = %v, not the network %v", s, p, q)
			}
			return
		}
		if want := a.Unmap().WithZone(""); p.Addr() != want || p.Bits() != want.BitLen() {
			t.Fatalf("parseBlockArg(%q) = %v, want the single host %v", s, p, want)
		}
	})
}
