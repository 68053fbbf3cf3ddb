package sig

import (
	"slices"
	"strings"
	"testing"

	"github.com/psadgo/psad/internal/fwlog"
)

// FuzzParse feeds arbitrary signature files to Parse in both modes. The
// oracle: no panic; a loaded Set is consistent (Len, All, Lookup,
// NextID); Match never panics, does not report a signature twice, and
// agrees with evaluating every signature without the index.
func FuzzParse(f *testing.F) {
	// Seeds are in testdata/fuzz/FuzzParse; this one keeps the target
	// meaningful when that directory is absent.
	f.Add(`alert tcp any any -> any 80 (msg:"x"; flags:S; psad_id:1;)`, false, true)
	pkts := []*fwlog.Packet{
		tcpPkt(40000, 80, fwlog.FlagSYN), tcpPkt(0, 0, 0), udpPkt(53, 1024, 30), icmpPkt(3, 1, 56),
		with(tcpPkt(1, 2, fwlog.FlagSYN|fwlog.FlagFIN), func(p *fwlog.Packet) { p.IPOpts = []byte(fullRR); p.Dst = p.Src }),
	}
	f.Fuzz(func(t *testing.T, data string, compat, strict bool) {
		o := Options{Vars: testVars, Strict: strict, PsadCompat: compat}
		s, _, err := Parse(strings.NewReader(data), "f.sigs", o)
		if err != nil {
			if _, ok := err.(*ParseError); !ok && !strings.HasPrefix(err.Error(), "f.sigs: ") {
				t.Fatalf("error without a position: %v", err)
			}
			return
		}
		all := s.All()
		if len(all) != s.Len() {
			t.Fatalf("All has %d signatures, Len %d", len(all), s.Len())
		}
		for i, g := range all {
			if s.Lookup(g.ID) != g {
				t.Fatalf("Lookup(%d) fails", g.ID)
			}
			if g.ID >= s.NextID() || g.psadID >= s.NextID() {
				t.Fatalf("NextID %d not above %d", s.NextID(), g.ID)
			}
			if i > 0 && all[i-1].Line >= g.Line {
				t.Fatal("All is not in file order")
			}
		}
		for _, p := range pkts {
			got := hitIDs(s.Match(p, nil))
			if want := hitIDs(s.matchNaive(p, nil)); !slices.Equal(got, want) {
				t.Fatalf("Match = %v, naive = %v", got, want)
			}
			if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
				t.Fatalf("Match = %v: not sorted or repeated", got)
			}
		}
	})
}
