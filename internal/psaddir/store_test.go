package psaddir

import (
	"bytes"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/scan"
)

// scanned returns a tracker that has seen a 16-port SYN scan from src.
func scanned(t *testing.T, src string) *scan.Tracker {
	t.Helper()
	tr := scan.NewTracker(scan.DefaultSettings())
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	for i := 0; i < 16; i++ {
		var p fwlog.Packet
		p.Reset()
		p.Src, p.Dst = netip.MustParseAddr(src), netip.MustParseAddr("2001:db8::1")
		p.IPv6, p.Proto, p.HasProto, p.Chain, p.Intf = true, fwlog.ProtoTCP, true, fwlog.ChainInput, []byte("eth0")
		p.SrcPort, p.DstPort, p.Flags = 40000, 100+i, fwlog.FlagSYN
		tr.Observe(now, &p)
	}
	tr.EndBatch()
	return tr
}

// records encodes states as the daemon does before a Save.
func records(t *testing.T, srcs ...scan.SourceState) [][]byte {
	t.Helper()
	recs := make([][]byte, len(srcs))
	for i := range srcs {
		r, err := appendSource(nil, &srcs[i])
		if err != nil {
			t.Fatal(err)
		}
		recs[i] = r
	}
	return recs
}

func openStore(t *testing.T, path string) *Store {
	t.Helper()
	st, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestStoreRestart saves state and positions, closes the store as a
// stopping daemon does, and checks a new daemon gets both back: the scan
// with IMPORT_OLD_SCANS=Y, only the positions with N, after which the scan
// is gone for good.
func TestStoreRestart(t *testing.T) {
	tr := scanned(t, "2001:db8::7")
	path := filepath.Join(t.TempDir(), "state.db")
	st := openStore(t, path)
	var srcs []scan.SourceState
	mark := tr.ChangedSince(0, func(s *scan.Source) { srcs = append(srcs, s.Export()) })
	pos := map[string][]byte{PosFile: []byte(`{"Inode":7,"Offset":1234}`), PosKmsg: []byte(`{"Boot":"b","Seq":9}`)}
	if err := st.Save(records(t, srcs...), nil, tr.ExportCounters(), pos); err != nil {
		t.Fatal(err)
	}
	if n := tr.ChangedSince(mark, func(*scan.Source) { t.Error("unchanged source reported") }); n != mark {
		t.Errorf("stamp moved without packets")
	}
	// A later Save of one position alone keeps the counters and the
	// other position.
	if err := st.Save(nil, nil, scan.CounterState{}, map[string][]byte{PosFile: []byte(`{"Inode":7,"Offset":2000}`)}); err != nil {
		t.Fatal(err)
	}
	pos[PosFile] = []byte(`{"Inode":7,"Offset":2000}`)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st = openStore(t, path)
	tr2 := scan.NewTracker(scan.DefaultSettings())
	got, n, bad, err := st.Load(tr2, true)
	if err != nil || n != 1 || bad != 0 {
		t.Fatalf("Load: %d sources, %d bad, %v", n, bad, err)
	}
	if !maps.EqualFunc(got, pos, bytes.Equal) {
		t.Errorf("positions = %q, want %q", got, pos)
	}
	s := tr2.Source(netip.MustParseAddr("2001:db8::7"))
	if s == nil || s.DL != 2 || len(s.Pairs()) != 1 || s.Pairs()[0].AbsNum != 16 || tr2.Counters.TCPPort[110] != 1 {
		t.Fatalf("restored %+v, TCP port 110 count %d", s, tr2.Counters.TCPPort[110])
	}

	// IMPORT_OLD_SCANS=N: positions still come back, the scan does not,
	// neither now nor at the next start.
	tr3 := scan.NewTracker(scan.DefaultSettings())
	got, n, _, err = st.Load(tr3, false)
	if err != nil || n != 0 || tr3.Source(netip.MustParseAddr("2001:db8::7")) != nil {
		t.Fatalf("Load without import: %d sources, %v", n, err)
	}
	if !maps.EqualFunc(got, pos, bytes.Equal) {
		t.Errorf("positions without import = %q, want %q", got, pos)
	}
	tr4 := scan.NewTracker(scan.DefaultSettings())
	if _, n, _, err := st.Load(tr4, true); err != nil || n != 0 || tr4.Counters.TCPPort[110] != 0 {
		t.Errorf("forgotten scan came back: %d sources, port 110 count %d, %v", n, tr4.Counters.TCPPort[110], err)
	}
}

// TestStoreSaveIsOneTransaction fails a Save of a position, the counters,
// one good source and one damaged record and checks that none of it
// reached the file: state and positions are always from the same Save.
func TestStoreSaveIsOneTransaction(t *testing.T) {
	tr := scanned(t, "2001:db8::7")
	path := filepath.Join(t.TempDir(), "state.db")
	st := openStore(t, path)
	var srcs []scan.SourceState
	tr.ChangedSince(0, func(s *scan.Source) { srcs = append(srcs, s.Export()) })
	if _, err := st.AppendSource(nil, &scan.SourceState{DL: 3}); err == nil {
		t.Error("a source without an address was encoded")
	}
	recs := append(records(t, srcs...), []byte{binaryTag, 7, 1}) // no address
	err := st.Save(recs, nil, tr.ExportCounters(), map[string][]byte{PosFile: []byte(`{"Offset":1}`)})
	if err == nil {
		t.Fatal("Save of a source without an address succeeded")
	}
	if !bytes.Contains([]byte(err.Error()), []byte(path)) {
		t.Errorf("error %q does not name the store", err)
	}
	tr2 := scan.NewTracker(scan.DefaultSettings())
	pos, n, bad, err := st.Load(tr2, true)
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 || bad != 0 || len(pos) != 0 || tr2.Counters.TCPPort[110] != 0 {
		t.Errorf("failed Save left %d sources, %d bad, positions %q, port 110 count %d", n, bad, pos, tr2.Counters.TCPPort[110])
	}
}

// TestStoreMigratesJSONPositions starts a store beside the position files
// of the JSON-era daemon: they come back unchanged under the new names
// until the first Save of positions, after which the store's own win.
func TestStoreMigratesJSONPositions(t *testing.T) {
	dir := t.TempDir()
	legacy := map[string]string{
		"input_pos":      `{"Inode":42,"Size":900,"Offset":850}`,
		"kmsg_seq":       `{"Boot":"6b2c","Seq":1234}`,
		"journal_cursor": `"s=abc;i=1f"`,
	}
	for f, v := range legacy {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	st := openStore(t, filepath.Join(dir, "psad_state.db"))
	got, _, _, err := st.Load(scan.NewTracker(scan.DefaultSettings()), false)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{
		PosFile:    []byte(legacy["input_pos"]),
		PosKmsg:    []byte(legacy["kmsg_seq"]),
		PosJournal: []byte(legacy["journal_cursor"]),
	}
	if !maps.EqualFunc(got, want, bytes.Equal) {
		t.Errorf("migrated positions = %q, want %q", got, want)
	}

	if err := st.Save(nil, nil, scan.CounterState{}, map[string][]byte{PosFile: []byte(`{"Offset":1}`)}); err != nil {
		t.Fatal(err)
	}
	got, _, _, err = st.Load(scan.NewTracker(scan.DefaultSettings()), true)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string][]byte{PosFile: []byte(`{"Offset":1}`)}; !maps.EqualFunc(got, want, bytes.Equal) {
		t.Errorf("after a Save, positions = %q, want only the saved %q", got, want)
	}
}

// TestStoreMigrationPartial: a daemon that read only a file has only
// input_pos; the others are simply absent.
func TestStoreMigrationPartial(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "input_pos"), []byte(`{"Offset":5}`), 0o600); err != nil {
		t.Fatal(err)
	}
	st := openStore(t, filepath.Join(dir, "psad_state.db"))
	got, _, _, err := st.Load(scan.NewTracker(scan.DefaultSettings()), true)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string][]byte{PosFile: []byte(`{"Offset":5}`)}; !maps.EqualFunc(got, want, bytes.Equal) {
		t.Errorf("positions = %q, want %q", got, want)
	}
}
