package scan

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/psadgo/psad/internal/fwlog"
)

// livePackets is a mixed stream: scans of many ports, sweeps of one port
// across many hosts, protocol scans and stray packets, from a few
// sources, in an order a random generator fixes.
func livePackets(seed uint64, n int, portsOnly bool) []fwlog.Packet {
	r := rand.New(rand.NewPCG(seed, 1))
	protos := []uint8{fwlog.ProtoTCP, fwlog.ProtoUDP, fwlog.ProtoICMP, 47, 50, 132}
	out := make([]fwlog.Packet, 0, n)
	for range n {
		src := fmt.Sprintf("203.0.113.%d", r.IntN(6))
		switch r.IntN(5) {
		case 4: // one port of one host, many times: no scan until the
			// source's other destinations make it one
			out = append(out, syn(src, "10.0.0.3", 80))
		case 0: // a sweep of one port across hosts
			out = append(out, syn(src, fmt.Sprintf("10.0.%d.%d", r.IntN(2), r.IntN(120)), 445))
		case 1: // a port scan of one host
			out = append(out, syn(src, "10.0.0.1", 1+r.IntN(2000)))
		case 2: // a protocol scan
			proto := protos[r.IntN(len(protos))]
			if portsOnly {
				proto = protos[r.IntN(2)]
			}
			out = append(out, pkt(src, "10.0.0.2", proto, 53, fwlog.FlagSYN))
		default:
			out = append(out, pkt(src, fmt.Sprintf("10.0.0.%d", r.IntN(30)), fwlog.ProtoUDP, r.IntN(65535), 0))
		}
	}
	return out
}

// TestLiveLevelsMatchBatchEnd checks the promise of Settings.Live: after
// every packet, each source's DL is never above the one EndBatch would
// give if the batch ended there, and equal to it when every packet has
// ports; EndBatch then gives psad's levels; OnRaise reports each rise
// with the old level.
func TestLiveLevelsMatchBatchEnd(t *testing.T) {
	for seed := range uint64(10) {
		portsOnly := seed%2 == 0
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			pkts := livePackets(seed, 400, portsOnly)
			s := DefaultSettings()
			s.Live = true
			live := NewTracker(s)
			seen := map[netip.Addr]int{}
			live.OnRaise = func(src *Source, old int) {
				if old != seen[src.Addr] || src.DL <= old {
					t.Errorf("OnRaise(%v, %d) with DL %d; last reported %d", src.Addr, old, src.DL, seen[src.Addr])
				}
				seen[src.Addr] = src.DL
			}
			for i := range pkts {
				live.Observe(t0, &pkts[i])
				if i%37 != 0 && i != len(pkts)-1 {
					continue
				}
				ref := run(t, DefaultSettings(), pkts[:i+1]...)
				ref.EachSource(func(want *Source) {
					got := live.Source(want.Addr)
					if got.DL > want.DL || portsOnly && got.DL != want.DL {
						t.Fatalf("after packet %d: %v live DL %d, batch end DL %d", i, want.Addr, got.DL, want.DL)
					}
				})
			}
			live.EndBatch()
			ref := run(t, DefaultSettings(), pkts...)
			ref.EachSource(func(want *Source) {
				if got := live.Source(want.Addr); got.DL != want.DL {
					t.Errorf("after EndBatch: %v live DL %d, batch DL %d", want.Addr, got.DL, want.DL)
				}
			})
			live.EachSource(func(src *Source) {
				if seen[src.Addr] != src.DL {
					t.Errorf("%v: DL %d, OnRaise last said %d", src.Addr, src.DL, seen[src.Addr])
				}
			})
		})
	}
}

// TestBatchStartDL: a DL raised by the batch's first packet (auto_dl)
// still counts as raised in this batch.
func TestBatchStartDL(t *testing.T) {
	tr := NewTracker(DefaultSettings())
	tr.AutoDL = func(p *fwlog.Packet, cur int) (int, bool, bool) { return 3, false, cur < 3 }
	p := syn("198.51.100.7", "10.0.0.1", 22)
	tr.Observe(t0, &p)
	src := tr.Source(p.Src)
	if src.DL != 3 || src.BatchStartDL() != 0 {
		t.Fatalf("DL %d, start %d; want 3, 0", src.DL, src.BatchStartDL())
	}
	tr.EndBatch()
	tr.Observe(t0, &p)
	if src.BatchStartDL() != 3 {
		t.Fatalf("next batch starts at %d, want 3", src.BatchStartDL())
	}
}
