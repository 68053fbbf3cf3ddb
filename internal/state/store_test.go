package state

import (
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/scan"
)

func TestStoreRoundTrip(t *testing.T) {
	tr := scan.NewTracker(scan.DefaultSettings())
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	for i := 0; i < 16; i++ {
		var p fwlog.Packet
		p.Reset()
		p.Src, p.Dst = netip.MustParseAddr("2001:db8::7"), netip.MustParseAddr("2001:db8::1")
		p.IPv6, p.Proto, p.HasProto, p.Chain, p.Intf = true, fwlog.ProtoTCP, true, fwlog.ChainInput, []byte("eth0")
		p.SrcPort, p.DstPort, p.Flags = 40000, 100+i, fwlog.FlagSYN
		tr.Observe(now, &p)
	}
	tr.EndBatch()
	path := filepath.Join(t.TempDir(), "state.db")
	st, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	var srcs []scan.SourceState
	mark := tr.ChangedSince(0, func(s *scan.Source) { srcs = append(srcs, s.Export()) })
	if err := st.Save(srcs, tr.ExportCounters()); err != nil {
		t.Fatal(err)
	}
	if n := tr.ChangedSince(mark, func(*scan.Source) { t.Error("unchanged source reported") }); n != mark {
		t.Errorf("stamp moved without packets")
	}
	st.Close()

	st, err = OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tr2 := scan.NewTracker(scan.DefaultSettings())
	n, bad, err := st.Load(tr2)
	if err != nil || n != 1 || bad != 0 {
		t.Fatalf("Load: %d sources, %d bad, %v", n, bad, err)
	}
	s := tr2.Source(netip.MustParseAddr("2001:db8::7"))
	if s == nil || s.DL != 2 || len(s.Pairs()) != 1 || s.Pairs()[0].AbsNum != 16 || tr2.Counters.TCPPort[110] != 1 {
		t.Fatalf("restored %+v", s)
	}
	if err := st.Forget(); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := st.Load(scan.NewTracker(scan.DefaultSettings())); n != 0 {
		t.Errorf("Forget left %d sources", n)
	}
}
