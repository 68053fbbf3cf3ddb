package inspect

import (
	"encoding/binary"
	"math/bits"
)

// fpMemo remembers the fingerprints of recent SYN shapes (fpKey): a
// direct-mapped cache, each key in the one slot its hash picks, a newer
// key taking the slot of an older one.
//
// Why not a map[fpKey]fpResult, cleared when full, as before: fpKey is a
// 100-byte struct with padding, which a Go map hashes field by field;
// its look-ups and inserts were 5% of -A's CPU on the 1M-line log. Here
// a look-up is a hash of the key's words and one comparison.
//
// The slots (864 KB) are made at the first put: a preparer whose engines
// never fingerprint, or that sees no SYN, costs nothing.
type fpMemo struct {
	slots *[memoSlots]memoSlot
}

type memoSlot struct {
	used bool
	k    fpKey
	r    fpResult
}

// memoSlots is the memo's size, a power of two: as many keys as the map
// held before it was cleared.
const memoSlots = 4096

func (m *fpMemo) slot(k *fpKey) *memoSlot {
	return &m.slots[k.hash()&(memoSlots-1)]
}

// get returns the result remembered for k.
func (m *fpMemo) get(k *fpKey) (fpResult, bool) {
	if m.slots == nil {
		return fpResult{}, false
	}
	if s := m.slot(k); s.used && s.k == *k {
		return s.r, true
	}
	return fpResult{}, false
}

// put remembers r for k, in place of whatever held its slot.
func (m *fpMemo) put(k *fpKey, r fpResult) {
	if m.slots == nil {
		m.slots = new([memoSlots]memoSlot)
	}
	*m.slot(k) = memoSlot{used: true, k: *k, r: r}
}

// hash mixes every field of k; equal keys hash alike, which is all the
// memo needs (unequal keys in one slot only cost a recomputation).
func (k *fpKey) hash() uint64 {
	h := uint64(k.ttl) | uint64(k.ipLen)<<16 | uint64(k.win)<<32 | uint64(k.tos)<<48
	h2 := uint64(k.tc) | uint64(k.nopts)<<8 | uint64(k.ipOptsLen)<<16 | uint64(k.flags)<<24 |
		uint64(uint8(k.ipid))<<40 | uint64(uint8(k.flow))<<44 | uint64(uint8(k.seq))<<48 | uint64(uint8(k.ack))<<52
	if k.df {
		h2 |= 1 << 60
	}
	if k.v6 {
		h2 |= 1 << 61
	}
	for i := 0; i < len(k.opts); i += 8 {
		hi, lo := bits.Mul64(h^binary.LittleEndian.Uint64(k.opts[i:]), h2^0x9e3779b97f4a7c15)
		h, h2 = hi^lo, h2+0x632be59bd9b4e019
	}
	hi, lo := bits.Mul64(h, h2|1)
	return hi ^ lo
}
