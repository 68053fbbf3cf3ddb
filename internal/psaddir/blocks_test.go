package psaddir

import (
	"net/netip"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/psadgo/psad/internal/block"
)

// TestBlocksRoundTrip: records survive a close and reopen, a Put replaces
// the record of its prefix, v4 and v6 keys do not collide and Delete
// forgets exactly one.
func TestBlocksRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	st, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if recs, err := st.Blocks().Load(); err != nil || len(recs) != 0 {
		t.Fatalf("fresh store: %v, %v", recs, err)
	}
	since := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	a := block.Record{Prefix: netip.MustParsePrefix("192.0.2.7/32"), State: block.Blocked, DL: 5, Since: since, Expires: since.Add(time.Hour)}
	b := block.Record{Prefix: netip.MustParsePrefix("2001:db8::/48"), State: block.Unblocked, DL: 3, Since: since, Ended: since.Add(time.Minute), Manual: true}
	c := block.Record{Prefix: netip.MustParsePrefix("10.0.0.0/8"), State: block.Blocked, DL: 4, Since: since}
	bl := st.Blocks()
	for _, r := range []block.Record{a, b, c} {
		if err := bl.Put(r); err != nil {
			t.Fatal(err)
		}
	}
	a.State = block.Renewed
	a.Expires = time.Time{}
	if err := bl.Put(a); err != nil {
		t.Fatal(err)
	}
	if err := bl.Delete(c.Prefix); err != nil {
		t.Fatal(err)
	}
	if err := bl.Delete(netip.MustParsePrefix("198.51.100.0/24")); err != nil {
		t.Errorf("deleting an absent record: %v", err)
	}
	if err := bl.Put(block.Record{}); err == nil {
		t.Error("Put of a record without a prefix succeeded")
	}
	st.Close()

	st = openStore(t, path)
	got, err := st.Blocks().Load()
	if err != nil {
		t.Fatal(err)
	}
	byPrefix := map[netip.Prefix]block.Record{}
	for _, r := range got {
		byPrefix[r.Prefix] = r
	}
	want := map[netip.Prefix]block.Record{a.Prefix: a, b.Prefix: b}
	if len(got) != 2 || !reflect.DeepEqual(normalise(byPrefix), normalise(want)) {
		t.Errorf("Load = %+v, want %+v", got, want)
	}
}

// normalise drops monotonic and location details gob does not keep.
func normalise(m map[netip.Prefix]block.Record) map[netip.Prefix]block.Record {
	out := map[netip.Prefix]block.Record{}
	for k, r := range m {
		r.Since, r.Expires, r.Ended, r.Until = r.Since.UTC(), r.Expires.UTC(), r.Ended.UTC(), r.Until.UTC()
		out[k] = r
	}
	return out
}
