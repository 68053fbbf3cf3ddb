package scan

import (
	"net/netip"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/psadgo/psad/internal/fwlog"
)

// TestEndBatchSameOnAnyCores: a batch big enough for EndBatch to split
// among the cores ends in the state one core gives it, danger levels and
// port sweep marks included.
func TestEndBatchSameOnAnyCores(t *testing.T) {
	run := func(procs int) map[netip.Addr]SourceState {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		tr := NewTracker(DefaultSettings())
		t0 := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
		var p fwlog.Packet
		for i := range parallelLevels + 3000 {
			src := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
			// Some sources sweep one port over many hosts, some scan
			// many ports of one, some send one packet.
			hosts, ports := 1, 1
			switch i % 3 {
			case 0:
				hosts = 1 + i%40
			case 1:
				ports = 1 + i%300
			}
			if i == 2 { // more pairs than EndBatch reads ahead at once
				hosts = warmPairs + 100
			}
			for h := range hosts {
				for q := range ports {
					p.Reset()
					p.Src, p.Dst = src, netip.AddrFrom4([4]byte{192, 168, byte(h >> 8), byte(h)})
					p.Proto, p.HasProto, p.Chain, p.Intf = fwlog.ProtoTCP, true, fwlog.ChainInput, []byte("eth0")
					p.SrcPort, p.DstPort, p.Flags = 40000, 1000+q, fwlog.FlagSYN
					tr.Observe(t0, &p)
				}
			}
		}
		if n := len(tr.EndBatch()); n < parallelLevels {
			t.Fatalf("batch of %d sources, want at least %d", n, parallelLevels)
		}
		return sourceStates(tr)
	}
	one, many := run(1), run(4)
	levels := map[int]int{}
	for _, st := range one {
		levels[st.DL]++
	}
	if len(levels) < 3 {
		t.Fatalf("danger levels %v: the batch should reach several", levels)
	}
	if !reflect.DeepEqual(one, many) {
		t.Errorf("the state after EndBatch differs between 1 and 4 cores")
	}
}

// sourceStates is every tracked source's exported state, by address.
func sourceStates(tr *Tracker) map[netip.Addr]SourceState {
	out := map[netip.Addr]SourceState{}
	tr.EachSource(func(s *Source) {
		var st SourceState
		s.ExportTo(&st)
		out[s.Addr] = st
	})
	return out
}
