package scan

import (
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/psadgo/psad/internal/fwlog"
)

// TestPrefaultSameState: a tracker taking its pairs and sources from
// Prefault's blocks, with and without a source cap, ends in the state
// of one allocating them itself.
func TestPrefaultSameState(t *testing.T) {
	for _, maxSrc := range []int{0, 700} {
		run := func(prefault bool) map[netip.Addr]SourceState {
			set := DefaultSettings()
			set.MaxSources = maxSrc
			tr := NewTracker(set)
			if prefault {
				defer tr.Prefault(true)()
			}
			t0 := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
			for i := range 3000 { // more than a block of each
				for d := range 1 + i%3 {
					var p fwlog.Packet
					p.Reset()
					p.Src = netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})
					p.Dst = netip.AddrFrom4([4]byte{192, 168, 10, byte(d)})
					p.Proto, p.HasProto, p.Chain, p.Intf = fwlog.ProtoTCP, true, fwlog.ChainInput, []byte("eth0")
					p.SrcPort, p.DstPort, p.Flags = 40000, 1+i%1024, fwlog.FlagSYN
					tr.Observe(t0.Add(time.Duration(i)*time.Millisecond), &p)
				}
			}
			tr.EndBatch()
			return sourceStates(tr)
		}
		own, ahead := run(false), run(true)
		if len(own) == 0 || !reflect.DeepEqual(own, ahead) {
			t.Errorf("MaxSources %d: %d sources made ahead differ from %d made by the tracker", maxSrc, len(ahead), len(own))
		}
	}
}
