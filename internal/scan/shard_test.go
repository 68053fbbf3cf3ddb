package scan

import (
	"net/netip"
	"reflect"
	"testing"

	"github.com/psadgo/psad/internal/fwlog"
)

// TestAbsorbLikeOneTracker: packets split by source across two trackers,
// each told every packet's place in the input, end as one tracker that
// saw them all: the batch in first-packet order, the counters summed,
// every source's state the same.
func TestAbsorbLikeOneTracker(t *testing.T) {
	var pkts []fwlog.Packet
	for i := range 300 {
		src := netip.AddrFrom4([4]byte{10, 0, byte(i % 37), byte(i % 11)}).String()
		p := syn(src, netip.AddrFrom4([4]byte{192, 168, 0, byte(i % 13)}).String(), 1+i%50)
		if i%7 == 0 {
			p.TCPOpts = []byte("020405B4")
		}
		pkts = append(pkts, p)
	}
	one := NewTracker(DefaultSettings())
	for i := range pkts {
		one.Observe(t0, &pkts[i])
	}
	a, b := NewTracker(DefaultSettings()), NewTracker(DefaultSettings())
	optsAt := -1
	for i := range pkts {
		if optsAt < 0 && len(pkts[i].TCPOpts) > 0 {
			optsAt = i
		}
		tr := a
		if pkts[i].Src.As4()[2]%2 == 1 {
			tr = b
		}
		tr.SetOrder(uint64(i+1), optsAt >= 0 && optsAt < i)
		tr.Observe(t0, &pkts[i])
	}
	if a.Sources() == 0 || b.Sources() == 0 {
		t.Fatal("the split left a tracker empty")
	}
	a.Absorb(b)
	if a.Counters.TCPPort != one.Counters.TCPPort || a.Counters.Proto != one.Counters.Proto || a.Sources() != one.Sources() {
		t.Fatal("counters or sources differ after Absorb")
	}
	got, want := a.EndBatch(), one.EndBatch()
	if len(got) != len(want) {
		t.Fatalf("batch of %d sources, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Addr != want[i].Addr {
			t.Fatalf("batch[%d] is %v, want %v: not in first-packet order", i, got[i].Addr, want[i].Addr)
		}
		var gs, ws SourceState
		got[i].ExportTo(&gs)
		want[i].ExportTo(&ws)
		if !reflect.DeepEqual(gs, ws) {
			t.Fatalf("source %v differs:\n got %+v\nwant %+v", want[i].Addr, gs, ws)
		}
	}
}
