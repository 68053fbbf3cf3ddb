package autodl

import (
	"net/netip"
	"strings"
	"testing"
)

// FuzzParse: no auto_dl text crashes the reader, and whatever loads can
// be matched against.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"192.168.10.55 5;\n", "192.168.10.0/24 5 tcp/22, udp/53;\n", "10.0.0.0 / 255.0.0.0 3 icmp;\n",
		"2001:DB8:0:F101::2 0;\n", "host.example 2;\n", "# comment\n\n1.2.3.4 9;\n", "1.2.3.4 2 tcp/1-1024 udplite;"} {
		f.Add(s)
	}
	src := netip.MustParseAddr("192.168.10.55")
	f.Fuzz(func(t *testing.T, text string) {
		l, _, err := Parse(strings.NewReader(text), "fuzz", func(string) ([]netip.Addr, error) { return nil, nil })
		if err != nil || l == nil {
			return
		}
		l.Match(src, 0, 6, 22)
		l.Match(netip.MustParseAddr("2001:db8:0:f101::2"), 1, 17, 53)
	})
}
