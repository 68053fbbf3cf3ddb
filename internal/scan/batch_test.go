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
