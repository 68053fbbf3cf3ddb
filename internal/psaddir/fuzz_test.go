package psaddir

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/psadgo/psad/internal/scan"
)

// FuzzDecodeSource checks that a saved source record of any bytes (a
// damaged state database) is refused or read, never a panic or an
// allocation beyond the record, and that a record that reads writes back
// to bytes that read to the same record again.
func FuzzDecodeSource(f *testing.F) {
	for _, st := range []scan.SourceState{full(), {Addr: netip.MustParseAddr("10.0.0.1")}} {
		rec, err := appendSource(nil, &st)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(rec)
	}
	f.Fuzz(func(t *testing.T, rec []byte) {
		var st scan.SourceState
		if decodeSource(nil, rec, &st) != nil || len(rec) == 0 || rec[0] != binaryTag {
			return
		}
		once, err := appendSource(nil, &st)
		if err != nil {
			return // an address the store does not key by
		}
		var again scan.SourceState
		if err := decodeBinary(once, &again); err != nil {
			t.Fatalf("record written back does not read: %v\nin:  %x\nout: %x", err, rec, once)
		}
		twice, err := appendSource(nil, &again)
		if err != nil || !bytes.Equal(once, twice) {
			t.Fatalf("record changes when read and written again (%v)\nonce:  %x\ntwice: %x", err, once, twice)
		}
	})
}
