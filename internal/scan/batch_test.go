package scan

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/psadgo/psad/internal/fwlog"
)

// TestBatchListsLikeModel: a pair's batch lists (protocols, flag sets,
// prefixes, hosts) keep first-seen order and counts whether they stay in
// the Batch's inline entry or move out at their second entry, and a
// Batch reused by a later batch, with or without moved lists, starts
// empty. A model of plain ordered lists is the reference.
func TestBatchListsLikeModel(t *testing.T) {
	type model struct {
		pkts   []ProtoCount
		flags  []FlagCount
		prefix []PrefixCount
		hosts  []string
	}
	rng := rand.New(rand.NewPCG(1, 2))
	tr := NewTracker(DefaultSettings())
	t0 := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	src := netip.MustParseAddr("203.0.113.1")
	dsts := []netip.Addr{netip.MustParseAddr("192.168.10.1"), netip.MustParseAddr("192.168.10.2")}
	protos := []uint8{fwlog.ProtoTCP, fwlog.ProtoUDP, fwlog.ProtoICMP}
	flags := []fwlog.TCPFlags{fwlog.FlagSYN, fwlog.FlagFIN, fwlog.FlagSYN | fwlog.FlagACK}
	prefixes := []string{"DROP", "SID1 ESTAB", ""}
	chains := []fwlog.Chain{fwlog.ChainInput, fwlog.ChainForward}
	hosts := []string{"fw1", "fw2", "fw3", ""}
	moved := false
	for round := range 200 {
		// Round sizes from 1 to 12 packets: single entries, and lists
		// that move out and then come back to one entry on reuse.
		n := 1 + rng.IntN(12)
		if round%3 == 0 {
			n = 1
		}
		models := map[netip.Addr]*model{}
		for range n {
			var p fwlog.Packet
			p.Reset()
			p.Src, p.Dst = src, dsts[rng.IntN(len(dsts))]
			p.Proto, p.HasProto = protos[rng.IntN(len(protos))], true
			p.Chain, p.Intf = chains[rng.IntN(len(chains))], []byte("eth0")
			p.Prefix, p.Host = []byte(prefixes[rng.IntN(len(prefixes))]), []byte(hosts[rng.IntN(len(hosts))])
			p.SrcPort, p.DstPort = 40000, 1+rng.IntN(1024)
			if p.Proto == fwlog.ProtoTCP {
				p.Flags = flags[rng.IntN(len(flags))]
			}
			if p.Proto == fwlog.ProtoICMP {
				p.SrcPort, p.DstPort, p.ICMPType = 0, 0, 8
			}
			if !tr.Observe(t0.Add(time.Duration(round)*time.Second), &p) {
				t.Fatalf("round %d: packet not taken", round)
			}
			m := models[p.Dst]
			if m == nil {
				m = &model{}
				models[p.Dst] = m
			}
			if i := slices.IndexFunc(m.pkts, func(c ProtoCount) bool { return c.Proto == p.Proto }); i >= 0 {
				m.pkts[i].Pkts++
			} else {
				m.pkts = append(m.pkts, ProtoCount{Proto: p.Proto, Pkts: 1})
			}
			if p.Proto == fwlog.ProtoTCP {
				if i := slices.IndexFunc(m.flags, func(c FlagCount) bool { return c.Flags == p.Flags }); i >= 0 {
					m.flags[i].Pkts++
				} else {
					m.flags = append(m.flags, FlagCount{Flags: p.Flags, Pkts: 1})
				}
			}
			if i := slices.IndexFunc(m.prefix, func(c PrefixCount) bool {
				return c.Proto == p.Proto && c.Chain == p.Chain && c.Prefix == string(p.Prefix)
			}); i >= 0 {
				m.prefix[i].Pkts++
			} else {
				m.prefix = append(m.prefix, PrefixCount{Proto: p.Proto, Chain: p.Chain, Prefix: string(p.Prefix), Pkts: 1})
			}
			if len(p.Host) > 0 && !slices.Contains(m.hosts, string(p.Host)) {
				m.hosts = append(m.hosts, string(p.Host))
			}
		}
		for dst, m := range models {
			b := tr.Source(src).Dst(dst).Batch
			if b == nil || b.No != tr.batchNo {
				t.Fatalf("round %d: %v has no batch detail for this batch", round, dst)
			}
			moved = moved || b.more != nil
			if !slices.Equal(b.Pkts(), m.pkts) || !slices.Equal(b.Flags(), m.flags) ||
				!slices.Equal(b.Prefix(), m.prefix) || !slices.Equal(b.Hosts(), m.hosts) {
				t.Fatalf("round %d, %v:\n got  %v %v %v %v\n want %v %v %v %v", round, dst,
					b.Pkts(), b.Flags(), b.Prefix(), b.Hosts(), m.pkts, m.flags, m.prefix, m.hosts)
			}
			if b.TotProtocols() != len(m.pkts) {
				t.Fatalf("round %d: TotProtocols %d, want %d", round, b.TotProtocols(), len(m.pkts))
			}
		}
		// Every other round gives the details back for reuse, the others
		// keep them on their pairs for the next batch to reset.
		if round%2 == 0 {
			tr.ReleaseBatches(tr.EndBatch())
		} else {
			tr.EndBatch()
		}
	}
	if !moved {
		t.Fatal("no list ever moved out of its Batch: the test did not test that")
	}
}

// TestBatchDsts: a batch's destinations are those its packets went to,
// in first-seen order, whether the source keeps a list of them or they
// are its destinations (a source whose pairs all began in the batch, or
// whose one old pair its first packet of the batch went to); a pair that
// expires during the batch stays in the batch's list.
func TestBatchDsts(t *testing.T) {
	addr := netip.MustParseAddr
	dsts := func(s *Source) []string {
		var out []string
		for _, p := range s.BatchDsts() {
			out = append(out, p.Dst.String())
		}
		return out
	}
	tr := NewTracker(DefaultSettings())
	send := func(at time.Time, src, dst string) {
		p := syn(src, dst, 80)
		tr.Observe(at, &p)
	}
	// Batch 1: a new source (no list), one with an old pair and a new one.
	send(t0, "10.0.0.2", "10.9.0.1")
	tr.EndBatch()
	send(t0, "10.0.0.1", "10.9.0.1")
	send(t0, "10.0.0.1", "10.9.0.2")
	send(t0, "10.0.0.1", "10.9.0.1")
	send(t0, "10.0.0.2", "10.9.0.2")
	send(t0, "10.0.0.2", "10.9.0.1")
	tr.EndBatch()
	if got := dsts(tr.Source(addr("10.0.0.1"))); !slices.Equal(got, []string{"10.9.0.1", "10.9.0.2"}) {
		t.Errorf("new source's batch: %v", got)
	}
	if got := dsts(tr.Source(addr("10.0.0.2"))); !slices.Equal(got, []string{"10.9.0.2", "10.9.0.1"}) {
		t.Errorf("batch of a source with an old pair, first to a new one: %v", got)
	}
	// Batch 2: 10.0.0.1 has two old pairs and goes to one of them only;
	// 10.0.0.3 is new, and its first pair expires during the batch.
	send(t0.Add(time.Minute), "10.0.0.1", "10.9.0.2")
	send(t0, "10.0.0.3", "10.9.0.7")
	later := t0.Add(2 * time.Hour)
	send(later, "10.0.0.3", "10.9.0.8")
	if n := tr.Expire(later, time.Hour); n == 0 {
		t.Fatal("nothing expired")
	}
	send(later, "10.0.0.3", "10.9.0.9")
	tr.EndBatch()
	if got := dsts(tr.Source(addr("10.0.0.1"))); !slices.Equal(got, []string{"10.9.0.2"}) {
		t.Errorf("source with old pairs, one of them in the batch: %v", got)
	}
	if got := dsts(tr.Source(addr("10.0.0.3"))); !slices.Equal(got, []string{"10.9.0.7", "10.9.0.8", "10.9.0.9"}) {
		t.Errorf("batch of a source whose first pair expired during it: %v", got)
	}
	if got := len(tr.Source(addr("10.0.0.3")).DstList()); got != 2 {
		t.Errorf("10.0.0.3 has %d pairs after the expiry, want 2", got)
	}
	// A source loaded from saved state sent nothing in any batch.
	tr2 := NewTracker(DefaultSettings())
	tr2.Import(tr.Source(addr("10.0.0.3")).Export())
	if got := dsts(tr2.Source(addr("10.0.0.3"))); len(got) != 0 {
		t.Errorf("imported source's batch: %v", got)
	}
}
