package report

import (
	"bytes"
	"fmt"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/scan"
)

// TestDetailSameOnAnyCores checks that the detail section rendered in
// blocks on several cores is byte for byte what one core writes, with
// more sources than one block holds and sources split in pieces, and
// that both are the sources' blocks one after another.
func TestDetailSameOnAnyCores(t *testing.T) {
	tr := detailTracker()
	srcs := listedSources(tr, 1)
	if !anyBig(srcs) {
		t.Fatal("no source is split in pieces")
	}
	// What the section is, source by source, without blocks or pieces.
	var want strings.Builder
	want.WriteString("[+] IP Status Detail:\n")
	var ps scan.PairSorter
	for _, s := range srcs {
		want.Write(appendSource(nil, s, ps.Pairs(s), Options{}, nil))
	}
	if len(srcs) <= 2*detailBlock {
		t.Fatalf("listed %d sources, want more than two blocks", len(srcs))
	}
	render := func(procs int, big map[*scan.Source][]*scan.Pair) (string, Totals) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		var b bytes.Buffer
		tot := writeDetail(&b, srcs, big, Options{})
		return b.String(), tot
	}
	// The big sources' pairs sorted by the listing, as Write has them.
	listed, big := listSources(tr, 1, true)
	if !slices.Equal(listed, srcs) || len(big) != 2 {
		t.Fatalf("the listing with sorted pairs lists other sources or %d big ones", len(big))
	}
	one, tot1 := render(1, nil)
	many, totN := render(4, nil)
	sorted, totS := render(4, big)
	if one != many || tot1 != totN {
		t.Fatalf("detail differs between 1 and 4 cores (totals %+v vs %+v)", tot1, totN)
	}
	if sorted != one || totS != tot1 {
		t.Fatal("detail differs with the big sources' pairs sorted by the listing")
	}
	if !strings.HasPrefix(one, want.String()+"\n    Total scan sources: ") {
		t.Fatal("detail differs from its sources' blocks written one after another")
	}
	if n := strings.Count(one, "\nSRC:  "); n != len(srcs) {
		t.Errorf("detail has %d SRC blocks, want %d", n, len(srcs))
	}
	dsts := map[netip.Addr]bool{}
	for _, s := range srcs {
		for _, pr := range s.Pairs() {
			dsts[pr.Dst] = true
		}
	}
	if want := fmt.Sprintf("Total scan destinations: %d\n", len(dsts)); !strings.Contains(one, want) {
		t.Errorf("detail lacks %q", want)
	}
}

// detailTracker is a tracker with more sources than one rendering block
// holds, and two sources split in pieces.
func detailTracker() *scan.Tracker {
	tr := scan.NewTracker(scan.DefaultSettings())
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	const nsrc = 6*detailBlock + 17
	for i := range nsrc {
		src := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		for k := range 6 + i%5 {
			p := fwlog.Packet{
				Chain: fwlog.ChainInput, Intf: []byte("eth0"),
				Src: src, Dst: netip.AddrFrom4([4]byte{192, 168, 1, byte(1 + k%(1+i%3))}),
				Proto: fwlog.ProtoTCP, SrcPort: 40000, DstPort: 20 + k*7 + i%11,
				Flags: fwlog.FlagSYN, TOS: -1, TTL: 64, IPID: 1,
			}
			if i%4 == 0 {
				p.Proto = fwlog.ProtoUDP
			}
			tr.Observe(now, &p)
		}
	}
	// Two scanners too big for one job, split across several: one with
	// destinations in several pieces, one a piece and a bit.
	for i, n := range []int{3*detailWeight + 7, detailWeight + 1} {
		src := netip.AddrFrom4([4]byte{172, 16, 0, byte(i)})
		for k := range n {
			p := fwlog.Packet{
				Chain: fwlog.ChainInput, Intf: []byte("eth0"),
				Src: src, Dst: netip.AddrFrom4([4]byte{10, 200, byte(k >> 8), byte(k)}),
				Proto: fwlog.ProtoTCP, SrcPort: 40000, DstPort: 22,
				Flags: fwlog.FlagSYN, TOS: -1, TTL: 64, IPID: 1,
			}
			tr.Observe(now, &p)
		}
	}
	tr.EndBatch()
	return tr
}

// TestDetailOneCoreWritesAsItGoes checks that on one core the detail is
// written block by block, not built whole first: a buffer holding the
// whole section was copied at each growth (0.66 CPU-s of 2.4 on the
// 1M-line log) and held it all in memory.
func TestDetailOneCoreWritesAsItGoes(t *testing.T) {
	srcs := listedSources(detailTracker(), 1)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var w largestWrite
	writeDetail(&w, srcs, nil, Options{})
	if w.largest > w.total/4 {
		t.Errorf("largest write %d bytes of %d: the detail was built whole", w.largest, w.total)
	}
}

// largestWrite keeps the size of the largest write and the total.
type largestWrite struct{ largest, total int }

func (w *largestWrite) Write(p []byte) (int, error) {
	w.largest = max(w.largest, len(p))
	w.total += len(p)
	return len(p), nil
}
