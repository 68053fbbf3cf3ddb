package scan

import (
	"math/bits"
	"math/rand/v2"
	"net/netip"
)

// dstTable finds the pair of a source with more than smallDsts
// destinations: open addressing with linear probing over (hash, pair)
// slots, at most half full. Expire rebuilds it rather than deleting.
//
// Why not a map[addrKey]*Pair, as before: a third of a busy log's
// packets come from such sources (318,000 of the 1M-line mixed log's),
// and the map's look-up hashed a 24-byte key field by field, 55 ms of
// -A's tracker goroutine. Here a look-up is one multiply-mix and the
// slot's cache line; and Warm can read the slot and the pair ahead for
// these sources too, which the map's look-up made as costly as Observe's.
//
// The hash is seeded per table: the destinations of a sweep are the
// scanner's choice.
type dstTable struct {
	slots []dstSlot
	n     int
	shift uint // 64 - log2(len(slots))
	seed  [3]uint64
}

// dstSlot holds a pair and its destination's hash; p nil is empty.
type dstSlot struct {
	h uint64
	p *Pair
}

// newDstTable returns a table for the pairs ps, with room to grow.
func newDstTable(ps []*Pair) *dstTable {
	t := &dstTable{seed: [3]uint64{rand.Uint64(), rand.Uint64(), rand.Uint64()}}
	size := 16
	for size < 4*len(ps) {
		size *= 2
	}
	t.alloc(size)
	for _, p := range ps {
		t.put(keyOf(p.Dst), p)
	}
	return t
}

func (t *dstTable) alloc(size int) {
	t.slots = make([]dstSlot, size)
	t.n = 0
	t.shift = uint(64 - bits.TrailingZeros(uint(size)))
}

// slot returns the index of the first slot to probe for k, and k's hash.
func (t *dstTable) slot(k addrKey) (int, uint64) {
	h := seededHash(k, &t.seed)
	return int(h >> t.shift), h
}

// get returns the pair of dst (keyed k), or nil.
func (t *dstTable) get(k addrKey, dst netip.Addr) *Pair {
	i, h := t.slot(k)
	mask := len(t.slots) - 1
	for ; ; i = (i + 1) & mask {
		sl := &t.slots[i]
		if sl.p == nil {
			return nil
		}
		if sl.h == h && sl.p.Dst == dst {
			return sl.p
		}
	}
}

// put adds p, keyed k (keyOf(p.Dst)), which must not be in the table.
func (t *dstTable) put(k addrKey, p *Pair) {
	if (t.n+1)*2 > len(t.slots) {
		old := t.slots
		t.alloc(2 * len(old))
		for _, sl := range old {
			if sl.p != nil {
				t.insert(sl.h, sl.p)
			}
		}
	}
	t.insert(seededHash(k, &t.seed), p)
}

func (t *dstTable) insert(h uint64, p *Pair) {
	mask := len(t.slots) - 1
	i := int(h >> t.shift)
	for t.slots[i].p != nil {
		i = (i + 1) & mask
	}
	t.slots[i] = dstSlot{h, p}
	t.n++
}
