package psaddir

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/scan"
)

// TestStoreShrinksAfterFlood saves a flood of one-packet sources, as the
// daemon does after a spoofed-source flood, then deletes them, as it does
// when their scans expire: the file must end far smaller than at its peak
// (bbolt alone never shrinks it), and a source saved after that must still
// load.
func TestStoreShrinksAfterFlood(t *testing.T) {
	const n = 40000
	tr, srcs, gone := flood(n, fwlog.ProtoTCP)
	path := filepath.Join(t.TempDir(), "state.db")
	st := openStore(t, path)
	if err := st.Save(records(t, srcs...), nil, tr.ExportCounters(), nil); err != nil {
		t.Fatal(err)
	}
	peak := size(t, path)
	// 2.4 KB a source with a gob stream per record; the budget is
	// 64 MB for 100,000 sources.
	if per := peak / n; per > 640 {
		t.Errorf("%d bytes on disk per one-packet source, want at most 640", per)
	}
	keep := scanned(t, "2001:db8::7")
	var kept []scan.SourceState
	keep.EachSource(func(s *scan.Source) { kept = append(kept, s.Export()) })
	if err := st.Save(records(t, kept...), gone, scan.CounterState{}, nil); err != nil {
		t.Fatal(err)
	}
	if after := size(t, path); after > peak/10 {
		t.Errorf("store is %d bytes after the flood expired, was %d at its peak: want at most a tenth", after, peak)
	}
	loaded := scan.NewTracker(scan.DefaultSettings())
	if _, got, bad, err := st.Load(loaded, true); err != nil || got != 1 || bad != 0 {
		t.Fatalf("Load after compaction: %d sources, %d bad, %v; want 1, 0, nil", got, bad, err)
	}
	if s := loaded.Source(netip.MustParseAddr("2001:db8::7")); s == nil || s.Packets != 16 {
		t.Errorf("kept source after compaction: %+v", s)
	}
}

// TestStoreShrinksWhenEverySourceIsGone: a save that only deletes, every
// source of a flood with nothing kept (a UDP flood leaves no source at DL
// 2), compacts the file too.
func TestStoreShrinksWhenEverySourceIsGone(t *testing.T) {
	tr, srcs, gone := flood(40000, fwlog.ProtoUDP)
	path := filepath.Join(t.TempDir(), "state.db")
	st := openStore(t, path)
	if err := st.Save(records(t, srcs...), nil, tr.ExportCounters(), nil); err != nil {
		t.Fatal(err)
	}
	peak := size(t, path)
	if err := st.Save(nil, gone, scan.CounterState{}, nil); err != nil {
		t.Fatal(err)
	}
	if after := size(t, path); after > peak/10 {
		t.Errorf("store is %d bytes once every source is gone, was %d at its peak: want at most a tenth", after, peak)
	}
	if _, got, _, err := st.Load(scan.NewTracker(scan.DefaultSettings()), true); err != nil || got != 0 {
		t.Errorf("Load after compaction: %d sources, %v; want 0, nil", got, err)
	}
}

// flood is a tracker after n one-packet sources (a SYN each for TCP, a
// datagram for UDP), with their exported states and addresses.
func flood(n int, proto uint8) (*scan.Tracker, []scan.SourceState, []netip.Addr) {
	tr := scan.NewTracker(scan.DefaultSettings())
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	for i := range n {
		var p fwlog.Packet
		p.Reset()
		p.Src = netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		p.Dst = netip.MustParseAddr("192.168.10.1")
		p.Proto, p.HasProto, p.Chain, p.Intf = proto, true, fwlog.ChainInput, []byte("eth0")
		p.SrcPort, p.DstPort = 40000, 1+i%1024
		if proto == fwlog.ProtoTCP {
			p.Flags = fwlog.FlagSYN
		}
		tr.Observe(now, &p)
	}
	tr.EndBatch()
	var srcs []scan.SourceState
	var gone []netip.Addr
	tr.EachSource(func(s *scan.Source) {
		srcs = append(srcs, s.Export())
		gone = append(gone, s.Addr)
	})
	return tr, srcs, gone
}

func size(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// TestStoreReadsWholeGobRecords: a store written before records lost
// their type description still loads, and its records are rewritten in
// the compact form.
func TestStoreReadsWholeGobRecords(t *testing.T) {
	tr := scanned(t, "2001:db8::7")
	path := filepath.Join(t.TempDir(), "state.db")
	st := openStore(t, path)
	var old []byte
	tr.EachSource(func(s *scan.Source) {
		v, err := encode(s.Export())
		if err != nil {
			t.Fatal(err)
		}
		old = v
	})
	err := st.db.Update(func(tx *bolt.Tx) error {
		key, _ := netip.MustParseAddr("2001:db8::7").MarshalBinary()
		return tx.Bucket(bucketSources).Put(key, old)
	})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second Load reads the rewritten record
		loaded := scan.NewTracker(scan.DefaultSettings())
		if _, got, bad, err := st.Load(loaded, true); err != nil || got != 1 || bad != 0 {
			t.Fatalf("Load: %d sources, %d bad, %v; want 1, 0, nil", got, bad, err)
		}
		if s := loaded.Source(netip.MustParseAddr("2001:db8::7")); s == nil || s.Packets != 16 {
			t.Fatalf("loaded source: %+v", s)
		}
	}
	st.db.View(func(tx *bolt.Tx) error {
		key, _ := netip.MustParseAddr("2001:db8::7").MarshalBinary()
		if v := tx.Bucket(bucketSources).Get(key); len(v) == 0 || v[0] != binaryTag {
			t.Errorf("record not rewritten in the compact form")
		}
		return nil
	})
}
