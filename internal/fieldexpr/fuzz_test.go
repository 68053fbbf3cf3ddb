package fieldexpr

import (
	"net/netip"
	"testing"

	"github.com/psadgo/psad/internal/fwlog"
)

// FuzzParse: any --analysis-fields / --CSV-fields text either fails with
// an error or yields an expression that can match and render a packet.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"SRC:192.168.10.55, DST:192.168.10.1", "DPT:>1400", "dst_mac:/23:87/", "src dp:not1025 proto:'tcp'",
		"SRC:2001:db8::/32", "flags:/SYN/ ttl:<64", "dp:count,countuniq", "LEN:", "BOGUS:44", "src:a,dst:b"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	var p fwlog.Packet
	p.Reset()
	p.Src, p.Dst = netip.MustParseAddr("192.168.10.55"), netip.MustParseAddr("192.168.10.1")
	p.Proto, p.HasProto, p.DstPort, p.SrcPort, p.Flags = fwlog.ProtoTCP, true, 1433, 40000, fwlog.FlagSYN
	f.Fuzz(func(t *testing.T, spec string, require bool) {
		e, err := Parse(spec, require)
		if err != nil {
			return
		}
		e.Match(&p, nil)
		for _, name := range e.Fields() {
			AppendValue(nil, name, &p, nil)
		}
	})
}
