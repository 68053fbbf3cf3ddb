package scan

import (
	"cmp"
	"slices"
)

// A one-shot analysis can split its sources across several trackers,
// one per core, each owning the sources that hash to it, and Absorb them
// into one at the end. Why: psad's state is per source except for a few
// global sums, and the tracker's goroutine, not parsing, bounded -A on a
// busy log: each packet is a few trips to memory that no cache holds.
//
// Two things depend on the order of packets across sources, and a shard
// sees only its own: which source a batch saw first (the order EndBatch
// returns), and whether any packet with TCP options came before (the
// Masscan rule). SetOrder hands both in from the caller, who sees the
// whole input in order.

// SetOrder tells a shard the position of the next packet in the whole
// input (increasing) and whether a packet with TCP options reached any
// shard's Observe before it.
func (t *Tracker) SetOrder(seq uint64, optionsBefore bool) {
	t.ordered = true
	t.seq = seq
	if optionsBefore {
		t.optionsSeen = true
	}
}

// Absorb moves the sources and counters of the shards into t, which must
// be a shard itself (the caller's first), and leaves t a tracker as if
// it had seen every packet: sources keyed in its table, the current
// batch in the order the whole input first showed each source, and the
// global counters summed. The shards must not be used afterwards. It is
// for trackers that share settings and hold disjoint sources, without
// the daemon's change log or MAX_SCAN_IP_PAIRS (whose limit is global).
func (t *Tracker) Absorb(shards ...*Tracker) {
	n := t.sources.len()
	for _, o := range shards {
		n += o.sources.len()
	}
	t.sources.rehash(n)
	c := &t.Counters
	for _, o := range shards {
		for s := range o.sources.all {
			t.sources.put(keyOf(s.Addr), s)
		}
		for l, n := range o.byDL {
			t.byDL[l] += n
		}
		oc := &o.Counters
		for i := range c.Proto {
			c.Proto[i] += oc.Proto[i]
		}
		for i := range c.TCPPort {
			c.TCPPort[i] += oc.TCPPort[i]
			c.UDPPort[i] += oc.UDPPort[i]
			c.UDPLitePort[i] += oc.UDPLitePort[i]
		}
		for k, v := range oc.Prefix {
			if p, ok := c.Prefix[k]; ok {
				*p += *v
			} else {
				c.Prefix[k] = v
			}
		}
		// Each source is in one shard, so distinct sources add up.
		for id, v := range oc.SigCount {
			c.SigCount[id] += v
		}
		for id, v := range oc.SigSources {
			c.SigSources[id] += v
		}
		t.pairs += o.pairs
		t.Evicted += o.Evicted
		t.optionsSeen = t.optionsSeen || o.optionsSeen
		t.PairLimitHit = t.PairLimitHit || o.PairLimitHit
		t.gone = append(t.gone, o.gone...)
	}
	t.mergeBatches(shards)
	// The age heap, if a shard built one, holds only its sources; the
	// next eviction builds it again from all of them.
	t.age, t.ageOn = nil, false
	t.ordered, t.batchSeq = false, nil
}

// mergeBatches interleaves the shards' current batches with t's by the
// position of each source's first packet.
func (t *Tracker) mergeBatches(shards []*Tracker) {
	type entry struct {
		seq uint64
		src *Source
	}
	var all []entry
	add := func(o *Tracker) {
		for i, s := range o.batch {
			if s.batchNo == o.batchNo {
				all = append(all, entry{o.batchSeq[i], s})
			}
		}
	}
	add(t)
	for _, o := range shards {
		add(o)
	}
	slices.SortFunc(all, func(a, b entry) int { return cmp.Compare(a.seq, b.seq) })
	clear(t.batch)
	t.batch = t.batch[:0]
	for _, e := range all {
		t.batch = append(t.batch, e.src)
	}
}
