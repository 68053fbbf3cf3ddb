package psaddir

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"math"
	"net/netip"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/scan"
)

// full is a source state with every field set to something other than
// its zero value, so a field the codec forgets shows up as a difference.
func full() scan.SourceState {
	// UTC: a zone name is not kept (as with gob), only the offset.
	at := time.Date(2026, 11, 21, 10, 0, 0, 123456789, time.UTC)
	return scan.SourceState{
		Addr: netip.MustParseAddr("2001:db8::7"), DL: 4, Packets: 1 << 40, SigCount: 1 << 33, Local: true, AutoDL: true,
		OSGuesses: []string{"Linux:2.6", "Windows:XP"}, PosfGuess: "Linux", SigIDs: []int{100, -2, math.MinInt},
		LastSeen: at.Add(time.Hour),
		Pairs: []scan.PairState{{
			Dst: netip.MustParseAddr("192.168.10.1"), Start: at, AbsNum: 17, Protos: [4]uint64{1 << 6, 0, 1 << 63, 5},
			Chains:    []scan.ChainCount{{Chain: fwlog.ChainInput, Intf: "eth0", Proto: 6, Pkts: 16}, {Chain: fwlog.ChainForward, Intf: "", Proto: 17, Pkts: 1}},
			Ranges:    [3]scan.PortRange{{Lo: 1, Hi: 65535, Seen: true}, {Lo: 53, Hi: 53, Seen: true}, {}},
			Sigs:      []scan.SigRecord{{ID: 100, Proto: "tcp", Chain: fwlog.ChainInput, Pkts: 2, DP: -1, Flags: "SYN FIN", Fwsnort: true, Rule: 7, Estab: true}},
			ICMP:      []scan.ICMPRecord{{V6: true, Type: 200, Code: -1, Chain: fwlog.ChainInput, Pkts: 9}},
			PortSweep: true, Local: true, ToperaPkts: 1, MasscanPkts: 2, MiraiPkts: 3, Mirai23: 4,
		}, {Dst: netip.MustParseAddr("2001:db8::1"), Start: at.Add(-time.Hour), AbsNum: 1}},
	}
}

func TestBinaryRecordRoundTrip(t *testing.T) {
	for _, st := range []scan.SourceState{full(), {Addr: netip.MustParseAddr("10.0.0.1")}} {
		rec, err := appendSource([]byte("prefix"), &st)
		if err != nil {
			t.Fatal(err)
		}
		rec = rec[len("prefix"):]
		key, err := recordKey(rec)
		if want, _ := st.Addr.MarshalBinary(); err != nil || !bytes.Equal(key, want) {
			t.Errorf("key %x, %v; want %x", key, err, want)
		}
		var got scan.SourceState
		if err := decodeSource(nil, rec, &got); err != nil {
			t.Fatalf("%s: %v", st.Addr, err)
		}
		if !reflect.DeepEqual(got, st) {
			t.Errorf("round trip of %s:\n got %+v\nwant %+v", st.Addr, got, st)
		}
		// Every shorter record is refused, never half-read or a panic.
		for n := range len(rec) {
			if err := decodeBinary(rec[:n], new(scan.SourceState)); err == nil {
				t.Fatalf("%s: record cut to %d of %d bytes decoded", st.Addr, n, len(rec))
			}
		}
	}
}

// TestBinaryRecordIsSmall pins the flood's cost: a one-packet source is
// what a spoofed-source flood leaves a hundred thousand of.
func TestBinaryRecordIsSmall(t *testing.T) {
	tr := scan.NewTracker(scan.DefaultSettings())
	var p fwlog.Packet
	p.Reset()
	p.Src, p.Dst = netip.MustParseAddr("10.1.2.3"), netip.MustParseAddr("192.168.10.1")
	p.Proto, p.HasProto, p.Chain, p.Intf = fwlog.ProtoTCP, true, fwlog.ChainInput, []byte("eth0")
	p.SrcPort, p.DstPort, p.Flags = 40000, 22, fwlog.FlagSYN
	tr.Observe(time.Now(), &p)
	tr.EndBatch()
	st := tr.Source(p.Src).Export()
	rec, err := appendSource(nil, &st)
	if err != nil {
		t.Fatal(err)
	}
	gobRec, err := encode(st)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec) > 100 {
		t.Errorf("one-packet source is %d bytes (gob stream: %d), want at most 100", len(rec), len(gobRec))
	}
}

// TestStoreReadsPrimedGobRecords: records of the second form (a gob value
// after a type description kept in the meta bucket) still load, are
// rewritten in the binary form, and the description is dropped.
func TestStoreReadsPrimedGobRecords(t *testing.T) {
	st0 := full()
	var buf bytes.Buffer
	enc := gob.NewEncoder(&buf)
	if err := enc.Encode(scan.SourceState{}); err != nil {
		t.Fatal(err)
	}
	primer := bytes.Clone(buf.Bytes())
	buf.Reset()
	buf.WriteByte(recordTag)
	if err := enc.Encode(&st0); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "state.db")
	st := openStore(t, path)
	key, _ := st0.Addr.MarshalBinary()
	err := st.db.Update(func(tx *bolt.Tx) error {
		return errorsJoin(tx.Bucket(bucketMeta).Put(keyPrimer, primer), tx.Bucket(bucketSources).Put(key, buf.Bytes()))
	})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second Load reads the rewritten record
		tr := scan.NewTracker(scan.DefaultSettings())
		if _, n, bad, err := st.Load(tr, true); err != nil || n != 1 || bad != 0 {
			t.Fatalf("Load: %d sources, %d bad, %v; want 1, 0, nil", n, bad, err)
		}
		if s := tr.Source(st0.Addr); s == nil || s.Packets != st0.Packets || s.DL != st0.DL {
			t.Fatalf("loaded source: %+v", s)
		}
	}
	st.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketSources).Get(key); len(v) == 0 || v[0] != binaryTag {
			t.Errorf("record not rewritten in the binary form")
		}
		if tx.Bucket(bucketMeta).Get(keyPrimer) != nil {
			t.Errorf("gob type description kept after every record was rewritten")
		}
		return nil
	})
}

func errorsJoin(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// TestStoreSavesBeyondOneChunk saves more sources than one transaction
// takes, in an order that is not the key order, and checks every one and
// the positions come back.
func TestStoreSavesBeyondOneChunk(t *testing.T) {
	n := 2*saveChunk + 17
	recs := make([][]byte, n)
	for i := range n {
		j := (i * 7919) % n // a permutation: 7919 is prime and does not divide n
		st := scan.SourceState{Addr: netip.AddrFrom4([4]byte{10, 0, byte(j >> 8), byte(j)}), Packets: int64(j + 1)}
		rec, err := appendSource(nil, &st)
		if err != nil {
			t.Fatal(err)
		}
		recs[i] = rec
	}
	st := openStore(t, filepath.Join(t.TempDir(), "state.db"))
	if err := st.Save(recs, nil, scan.CounterState{}, map[string][]byte{PosFile: []byte("end")}); err != nil {
		t.Fatal(err)
	}
	tr := scan.NewTracker(scan.DefaultSettings())
	pos, got, bad, err := st.Load(tr, true)
	if err != nil || got != n || bad != 0 || string(pos[PosFile]) != "end" {
		t.Fatalf("Load: %d sources, %d bad, positions %q, %v; want %d, 0, end", got, bad, pos, err, n)
	}
	for j := range n {
		a := netip.AddrFrom4([4]byte{10, 0, byte(j >> 8), byte(j)})
		if s := tr.Source(a); s == nil || s.Packets != int64(j+1) {
			t.Fatalf("source %s: %+v", a, s)
		}
	}
}

// TestBinaryRecordRefusesBadPort: ports are kept in 16 bits, so a record
// claiming port 65536 is refused rather than wrapped to port 0.
func TestBinaryRecordRefusesBadPort(t *testing.T) {
	st := full()
	rec, err := appendSource(nil, &st)
	if err != nil {
		t.Fatal(err)
	}
	// 65535 and 65536 are both three-byte varints, so the record keeps
	// its layout.
	hi := binary.AppendVarint(nil, 65535)
	bad := bytes.Replace(rec, hi, binary.AppendVarint(nil, 65536), 1)
	if bytes.Equal(bad, rec) {
		t.Fatal("port 65535 not found in the record")
	}
	err = decodeBinary(bad, new(scan.SourceState))
	if err == nil || !strings.Contains(err.Error(), "port out of range") {
		t.Fatalf("record with port 65536: err %v, want port out of range", err)
	}
}
