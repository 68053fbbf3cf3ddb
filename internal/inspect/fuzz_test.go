package inspect

import (
	"net/netip"
	"reflect"
	"testing"

	"github.com/psadgo/psad/internal/fwlog"
)

// FuzzTSClasses: a SYN whose TCP options text has its timestamps classed
// (tsClasses) gets the fingerprints of the text as logged, from pf.os and
// from p0f v3 (tsEngines). The memo keys a SYN by the classed text, so this is what
// makes one key mean one fingerprint.
func FuzzTSClasses(f *testing.F) {
	engines := tsEngines(f)
	for _, s := range []string{
		"020405B40402080AFDCA9CBE0000000001030307", "020405B40402080A000000000000000001030307",
		"080A00000000ABCD000001", "080C0000000000001234567800000101", "0808000000000000", "080A1234", "0G080A00000001000000",
		"020405b40402080a0000abcd0000000101030307", "00080A00000001000000010000",
	} {
		f.Add(s, uint16(5840))
	}
	f.Fuzz(func(t *testing.T, opts string, win uint16) {
		if len(opts) > len(fpKey{}.opts) {
			return // keyFor leaves such SYNs out of the memo
		}
		var p fwlog.Packet
		p.Reset()
		p.Src, p.Dst = netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
		p.Proto, p.HasProto, p.Flags = fwlog.ProtoTCP, true, fwlog.FlagSYN
		p.IPLen, p.TTL, p.DF, p.IPID, p.Window = 60, 60, true, 1, int(win)
		p.TCPOpts = []byte(opts)
		classed := []byte(opts)
		tsClasses(classed)
		q := p
		q.TCPOpts = classed
		for name, e := range engines {
			if a, b := e.fingerprintOf(&p), e.fingerprintOf(&q); !reflect.DeepEqual(a, b) {
				t.Fatalf("%s: %q gives %+v, classed %q gives %+v", name, opts, a, classed, b)
			}
		}
	})
}
