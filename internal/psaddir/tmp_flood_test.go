package psaddir

import (
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/scan"
)

func TestTmpAllGone(t *testing.T) {
	const n = 100000
	tr := scan.NewTracker(scan.DefaultSettings())
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	for i := range n {
		var p fwlog.Packet
		p.Reset()
		p.Src = netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		p.Dst = netip.MustParseAddr("192.168.10.1")
		p.Proto, p.HasProto, p.Chain, p.Intf = fwlog.ProtoUDP, true, fwlog.ChainInput, []byte("eth0")
		p.SrcPort, p.DstPort = 40000, 1+i%1024
		tr.Observe(now, &p)
	}
	tr.EndBatch()
	var srcs []scan.SourceState
	var gone []netip.Addr
	tr.EachSource(func(s *scan.Source) {
		srcs = append(srcs, s.Export())
		gone = append(gone, s.Addr)
	})
	path := filepath.Join(t.TempDir(), "state.db")
	st := openStore(t, path)
	if err := st.Save(records(t, srcs...), nil, tr.ExportCounters(), nil); err != nil {
		t.Fatal(err)
	}
	t.Logf("peak %d", size(t, path))
	if err := st.Save(nil, gone, scan.CounterState{}, nil); err != nil {
		t.Fatal(err)
	}
	s := st.db.Stats()
	t.Logf("after %d free %d pending %d", size(t, path), s.FreePageN, s.PendingPageN)
}
