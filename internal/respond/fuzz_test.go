package respond

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/psadgo/psad/internal/netset"
)

// FuzzParseBlockArg guards the address or network given to
// --fw-block-ip and --fw-rm-block-ip and sent over the control socket,
// which the firewall backends turn into rules. It must accept what
// psad's files accept for a network (netset.ParsePrefix: dotted masks
// too), with blanks around it as psad allows, and only that; a network
// must stay the network written, and an IPv4-mapped address must become
// the IPv4 address the iptables backends see, so that a block covers no
// other host. A refusal is psad's message naming the option.
func FuzzParseBlockArg(f *testing.F) {
	for _, s := range []string{
		"192.0.2.7", "198.51.100.0/24", "203.0.113.77/24", "2001:db8::1", "2001:db8::/32", " 10.1.2.3/255.255.0.0 ",
		"::ffff:192.0.2.1", "::ffff:192.0.2.0/120", "fe80::1%eth0", "10.0.0.0/33", "10.0.0.0/255.0.255.0", "host.example",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parseBlockArg(s, "--fw-rm-block-ip")
		q, qerr := netset.ParsePrefix(strings.TrimSpace(s))
		if (err == nil) != (qerr == nil) {
			t.Fatalf("parseBlockArg(%q) = %v, %v; netset.ParsePrefix: %v, %v", s, p, err, q, qerr)
		}
		if err != nil {
			if err.Error() != "The --fw-rm-block-ip argument accepts an IP address or network." {
				t.Fatalf("parseBlockArg(%q): error %q, not psad's", s, err)
			}
			return
		}
		if !p.IsValid() || p != p.Masked() || p.Addr().Zone() != "" {
			t.Fatalf("parseBlockArg(%q) = %v, not a valid masked network", s, p)
		}
		want := q
		if q.IsSingleIP() && q.Addr().Is4In6() {
			want = netip.PrefixFrom(q.Addr().Unmap(), 32)
		}
		if p != want {
			t.Fatalf("parseBlockArg(%q) = %v, want %v", s, p, want)
		}
	})
}
