package scan

import (
	"net/netip"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"github.com/psadgo/psad/internal/fwlog"
)

// TestReleasedBatchIsClean: batch detail handed back after one batch and
// taken by another pair starts empty, with nothing of its last owner.
func TestReleasedBatchIsClean(t *testing.T) {
	tr := NewTracker(DefaultSettings())
	t0 := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	var p fwlog.Packet
	p.Reset()
	p.Src, p.Dst = netip.MustParseAddr("203.0.113.1"), netip.MustParseAddr("192.168.10.1")
	p.Proto, p.HasProto, p.Chain, p.Intf = fwlog.ProtoTCP, true, fwlog.ChainInput, []byte("eth0")
	p.Prefix, p.Host, p.SrcMAC, p.DstMAC = []byte("SID1 ESTAB"), []byte("fw1"), []byte("52:54:00:00:00:01"), []byte("52:54:00:00:00:02")
	p.SrcPort, p.DstPort, p.Flags = 40000, 80, fwlog.FlagSYN|fwlog.FlagFIN
	tr.Observe(t0, &p)
	a := tr.Source(p.Src).Dst(p.Dst)
	old := a.Batch
	tr.ReleaseBatches(tr.EndBatch())
	if a.Batch != nil {
		t.Fatal("the pair kept its batch detail after ReleaseBatches")
	}

	p.Reset()
	p.Src, p.Dst = netip.MustParseAddr("198.51.100.7"), netip.MustParseAddr("192.168.10.2")
	p.Proto, p.HasProto, p.Chain, p.Intf = fwlog.ProtoUDP, true, fwlog.ChainInput, []byte("eth0")
	p.Prefix = []byte("DROP")
	p.SrcPort, p.DstPort = 5000, 53
	tr.Observe(t0.Add(time.Second), &p)
	b := tr.Source(p.Src).Dst(p.Dst).Batch
	if b != old {
		t.Fatal("the released batch detail was not used again")
	}
	if len(b.Pkts()) != 1 || b.Pkts()[0].Proto != fwlog.ProtoUDP || len(b.Flags()) != 0 || len(b.Prefix()) != 1 || b.Prefix()[0].Prefix != "DROP" ||
		len(b.Hosts()) != 0 || b.SrcMAC != "" || b.DstMAC != "" || b.TotProtocols() != 1 || b.Ranges[0].Seen || b.No != tr.batchNo {
		t.Errorf("reused batch detail carries its last owner's: %+v", *b)
	}
}

// TestReleasedBatchesFreeMemory: a daemon keeps its sources for
// SCAN_TIMEOUT, long after their batch; with the batch detail released
// after each batch, one-packet sources seen over many batches hold at
// least the detail's size less each.
func TestReleasedBatchesFreeMemory(t *testing.T) {
	const n, batches = 20000, 20
	run := func(release bool) float64 {
		tr := NewTracker(DefaultSettings())
		t0 := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
		base := liveHeap()
		for i := range n {
			var p fwlog.Packet
			p.Reset()
			p.Src, p.Dst = netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), netip.MustParseAddr("192.168.10.1")
			p.Proto, p.HasProto, p.Chain, p.Intf = fwlog.ProtoTCP, true, fwlog.ChainInput, []byte("eth0")
			p.Prefix = []byte("DROP")
			p.SrcPort, p.DstPort, p.Flags = 40000, 1+i%1024, fwlog.FlagSYN
			tr.Observe(t0, &p)
			if i%(n/batches) == n/batches-1 {
				srcs := tr.EndBatch()
				if release {
					tr.ReleaseBatches(srcs)
				}
			}
		}
		per := float64(liveHeap()-base) / n
		runtime.KeepAlive(tr)
		return per
	}
	kept, released := run(false), run(true)
	t.Logf("bytes per one-packet source: %.0f keeping the batch detail, %.0f releasing it", kept, released)
	if want := 0.9 * float64(unsafe.Sizeof(Batch{})); kept-released < want {
		t.Errorf("releasing the batch detail saved %.0f bytes per source, want at least %.0f (a Batch is %d)", kept-released, want, unsafe.Sizeof(Batch{}))
	}
}
