package scan

import "github.com/psadgo/psad/internal/fwlog"

// WarmGroup is the most packets one Warm call reads ahead for: the more
// reads a loop of Warm issues, the more misses the core waits for at
// once. 64 against 16: BenchmarkTrackerMixed 8 alternated runs, median
// 202 -> 194 ms (32: 201); -A on the 1M-line log, 10 alternated runs,
// user CPU median 1.64 -> 1.60 s. 8 was slower than 16.
const WarmGroup = 64

// Warm reads, for each of ps, the table slot, the source and the pair
// that Observe will look up for it, so that Observe finds them in the
// cache, and keeps what it found for Observe to take (see hinted). Call
// it on the next packets to be observed, in order; it changes no state.
//
// Why: in -A on the 1M-line busy log each look-up was a cache miss, one
// after another: the source table (8 MB for 200,000 sources), then the
// source, then its pair, 0.33 s of the tracker goroutine's 0.85 s. A
// miss stalls the core for as long as the memory takes, but misses
// whose addresses are all known can be waited for together: each loop
// here does one kind of read for all of ps, and only the reads' sum is
// kept. The slots' indexes (idx) come from a loop of their own: with
// the hashing and the reads in one loop, too few reads were in flight
// at once, and a slot's read cost -A 145 ns instead of 35.
//
// Measured: the tracker goroutine's share of -A's CPU profile 0.85 ->
// 0.61 s (Warm's 0.13 s included); BenchmarkTrackerMixed 5-13% faster
// in alternated runs.
func (t *Tracker) Warm(ps []*fwlog.Packet) {
	tb := &t.sources
	t.hintN, t.hintAt = 0, 0
	if tb.live == 0 {
		return
	}
	ps = ps[:min(len(ps), WarmGroup)]
	var idx [WarmGroup]uint64
	mask := uint64(len(tb.slots) - 1)
	for i, p := range ps {
		idx[i] = tb.hash(keyOf(p.Src)) >> tb.shift & mask
	}
	var sum uint64
	for i := range ps {
		sum += tb.slots[idx[i]].h
	}
	// The slot is where the source's probe starts; it holds another
	// source on a collision, which is read for nothing and not hinted.
	// No loop below branches on what its own reads return: a branch on a
	// value still on its way from memory, mispredicted, throws away the
	// reads issued after it, and the group's misses were waited for one
	// by one again. The reads come in one loop, the checks of what they
	// found in the next.
	var srcs [WarmGroup]*Source
	for i := range ps {
		if s := tb.slots[idx[i]].s; s != nil && s != &tombstone {
			srcs[i] = s
			sum += uint64(len(s.dstOrder))
		}
	}
	for i, p := range ps {
		if s := srcs[i]; s != nil && s.Addr != p.Src {
			srcs[i] = nil
		}
	}
	// A small source's tags sit in the source and pick the pair to read
	// (a false pick, 1 in 256, is read for nothing); a big source's table
	// slot is read, and the pair it holds (the one sought, unless the
	// look-up probes on).
	var prs [WarmGroup]*Pair
	for i, p := range ps {
		switch s := srcs[i]; {
		case s == nil:
		case len(s.dstOrder) <= smallDsts:
			tag := keyOf(p.Dst).tag()
			for j := range s.dstOrder {
				if s.dtag[j] == tag {
					prs[i] = s.dstOrder[j]
					break
				}
			}
		default:
			j, _ := s.dstIndex.slot(keyOf(p.Dst))
			prs[i] = s.dstIndex.slots[j].p
		}
	}
	for _, pr := range prs {
		if pr != nil {
			sum += uint64(pr.AbsNum)
		}
	}
	for i, pr := range prs {
		t.hints[i].pair = nil
		if pr != nil && pr.Dst == ps[i].Dst {
			t.hints[i].pair = pr
		}
	}
	for i, p := range ps {
		h := &t.hints[i]
		h.p, h.src, h.removals = p, srcs[i], t.removals
	}
	t.hintN = len(ps)
	t.warmed += sum
}

// hint is what Warm found for one packet: its source, and the pair of
// its destination when the source had one. Nil means not found then.
type hint struct {
	p        *fwlog.Packet
	src      *Source
	pair     *Pair
	removals uint64
}

// hinted returns the source and pair Warm found for p, the next packet
// Observe takes: a packet Warm was given and the caller then skipped is
// passed over, and a packet Warm was not given (the daemon parses a line
// again after a reload) finds nothing and leaves the hints after it.
//
// Why: Observe looked up the source and the pair again, which Warm had
// just found (keyOf twice, the table probe, the destination tags): 0.08 s
// of the tracker goroutine's CPU in -A on the 1M-line log.
func (t *Tracker) hinted(p *fwlog.Packet) (*Source, *Pair) {
	for i := t.hintAt; i < t.hintN; i++ {
		if h := &t.hints[i]; h.p == p {
			t.hintAt = i + 1
			if h.removals != t.removals {
				return nil, nil
			}
			return h.src, h.pair
		}
	}
	return nil, nil
}
