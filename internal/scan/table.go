package scan

import (
	"math/bits"
	"math/rand/v2"
	"unsafe"
)

// srcTable finds a tracked source by its address: open addressing with
// linear probing over one array of (hash, source) slots.
//
// Why not a Go map: every packet looks its source up, and under a
// spoofed-source flood every packet adds one. A map[addrKey]*Source took
// three times as long to add a source (218 against 72 ns at 400,000,
// BenchmarkSourceIndex), through a directory, a table and a group to
// reach a slot, and grew by splitting tables on the loop; a look-up here
// costs the slot's cache line and the source's, which the caller reads
// next anyway.
//
// Deleting leaves a tombstone (or empties the slot when the next one is
// empty), never moving other entries, so a source can be removed while
// all is running over the table; nothing may be added meanwhile.
//
// The hash is seeded at random per table: a flood's source addresses are
// the attacker's choice, and with a fixed hash they could be chosen to
// fall on one run of slots and make every insert walk all of them.
type srcTable struct {
	slots []srcSlot
	live  int  // sources in the table
	used  int  // slots not empty: sources and tombstones
	shift uint // 64 - log2(len(slots)): hash bits used as the index
	seed  [3]uint64

	// ahead, when set (Tracker.Prefault), receives the next, doubled
	// table, made and written to off the loop; asked is its size.
	//
	// Why: growing is the one allocation of a flood that Prefault's
	// blocks do not cover. Each doubling wrote to a table of fresh
	// memory, a page fault per 256 slots, on the loop: 11% of the page
	// faults taken while the daemon read a 100,000-source flood, and 40
	// ms of its read.
	ahead chan []srcSlot
	asked int
}

// srcSlot holds a source and the hash of its address. The source's own
// Addr is the key: a look-up that finds the hash reads the source to
// compare addresses, which a hit reads next anyway, and a slot of 16
// bytes instead of 32 (with the key) halves the memory a flood's table
// takes and the page faults of growing it.
type srcSlot struct {
	h uint64
	s *Source // nil: empty; &tombstone: deleted
}

// tombstone marks a deleted slot, which a probe must go past.
var tombstone Source

// minSlots is the smallest table.
const minSlots = 16

// newSrcTable returns a table that holds n sources without growing.
func newSrcTable(n int) srcTable {
	var t srcTable
	t.alloc(slotsFor(n), nil)
	return t
}

// slotsFor is the table size for n sources at most three quarters full.
func slotsFor(n int) int {
	size := minSlots
	for size/4*3 < n {
		size *= 2
	}
	return size
}

// alloc gives the table size empty slots, a power of two: fresh, or
// made if fresh is nil.
func (t *srcTable) alloc(size int, fresh []srcSlot) {
	if t.seed == [3]uint64{} {
		t.seed = [3]uint64{rand.Uint64(), rand.Uint64(), rand.Uint64()}
	}
	if fresh == nil {
		fresh = make([]srcSlot, size)
	}
	t.slots = fresh
	t.live, t.used = 0, 0
	t.shift = uint(64 - bits.TrailingZeros(uint(size)))
}

// hash is a wyhash-style mix of k with the table's seed; its top bits
// index the table.
func (t *srcTable) hash(k addrKey) uint64 { return seededHash(k, &t.seed) }

// seededHash mixes k with seed, as the source table and a source's
// destination table (dstTable) do.
func seededHash(k addrKey, seed *[3]uint64) uint64 {
	h1, l1 := bits.Mul64(k.lo^seed[0], k.hi^seed[1])
	h2, l2 := bits.Mul64(h1^l1^seed[2], 0x9e3779b97f4a7c15)
	return h2 ^ l2
}

// holds reports whether sl holds the source keyed k, whose hash is h.
func (sl *srcSlot) holds(h uint64, k addrKey) bool {
	return sl.h == h && sl.s != &tombstone && keyOf(sl.s.Addr) == k
}

func (t *srcTable) len() int { return t.live }

// get returns the source keyed k, or nil.
func (t *srcTable) get(k addrKey) *Source {
	if t.live == 0 {
		return nil
	}
	mask := len(t.slots) - 1
	h := t.hash(k)
	for i := int(h >> t.shift); ; i = (i + 1) & mask {
		sl := &t.slots[i]
		if sl.s == nil {
			return nil
		}
		if sl.holds(h, k) {
			return sl.s
		}
	}
}

// put adds s keyed k (keyOf(s.Addr)), which must not be in the table.
func (t *srcTable) put(k addrKey, s *Source) {
	if size := len(t.slots); (t.used+1)*4 > size*3 {
		if (t.live+1)*2 > size {
			size *= 2 // over half full of sources
		}
		t.resize(max(size, minSlots)) // else clear the tombstones
	} else if t.ahead != nil && size >= aheadFrom && t.asked < size*2 && (t.live+1)*8 > size*5 {
		// Sources fill five eighths, an eighth short of doubling: asked
		// earlier, a flood ending before the doubling would still make
		// the table (8 MB at 100,000 sources; peak RSS 10 MB higher).
		t.askAhead(size * 2)
	}
	mask := len(t.slots) - 1
	h := t.hash(k)
	for i := int(h >> t.shift); ; i = (i + 1) & mask {
		sl := &t.slots[i]
		if sl.s == nil {
			t.used++
		} else if sl.s != &tombstone {
			continue
		}
		*sl = srcSlot{h, s}
		t.live++
		return
	}
}

// del removes the source keyed k, if there is one.
func (t *srcTable) del(k addrKey) {
	if t.live == 0 {
		return
	}
	mask := len(t.slots) - 1
	h := t.hash(k)
	for i := int(h >> t.shift); ; i = (i + 1) & mask {
		sl := &t.slots[i]
		if sl.s == nil {
			return
		}
		if !sl.holds(h, k) {
			continue
		}
		t.live--
		if t.slots[(i+1)&mask].s == nil {
			// No probe goes past an empty slot, so none needs this one.
			*sl = srcSlot{}
			t.used--
		} else {
			*sl = srcSlot{s: &tombstone}
		}
		return
	}
}

// aheadFrom is the smallest table whose doubling is made ahead: below
// it the new table is a few pages.
const aheadFrom = 1 << 13

// askAhead has a goroutine make a table of size slots, write to each of
// its pages and hand it over on t.ahead, where resize looks first.
func (t *srcTable) askAhead(size int) {
	select {
	case <-t.ahead: // one made for a table that has since changed
	default:
	}
	t.asked = size
	ch := t.ahead
	go func() {
		b := make([]srcSlot, size)
		for i := 0; i < len(b); i += 4096 / int(unsafe.Sizeof(srcSlot{})) {
			b[i] = srcSlot{} // a write: a read would map the shared zero page
		}
		select {
		case ch <- b:
		default: // a stale one is waiting; resize makes its own
		}
	}()
}

// rehash moves the sources into a table sized for n of them, leaving
// the tombstones behind.
func (t *srcTable) rehash(n int) { t.resize(slotsFor(max(n, t.live))) }

// resize moves the sources into a table of size slots, leaving the
// tombstones behind.
func (t *srcTable) resize(size int) {
	old := t.slots
	var fresh []srcSlot
	if t.ahead != nil && t.asked != 0 {
		select {
		case b := <-t.ahead:
			if len(b) == size {
				fresh = b
			}
		default: // not ready: made here
		}
		t.asked = 0
	}
	t.alloc(size, fresh)
	mask := len(t.slots) - 1
	for _, sl := range old {
		if sl.s == nil || sl.s == &tombstone {
			continue
		}
		i := int(sl.h >> t.shift)
		for t.slots[i].s != nil {
			i = (i + 1) & mask
		}
		t.slots[i] = sl
		t.live++
		t.used++
	}
}

// all yields every source, in no particular order. The loop may delete
// (del) but not add.
func (t *srcTable) all(yield func(*Source) bool) { t.part(0, 1, yield) }

// part is all for part part of parts (0 <= part < parts) of the slots:
// the parts together yield every source once, and goroutines may walk
// them at once while nothing changes the table.
func (t *srcTable) part(part, parts int, yield func(*Source) bool) {
	for _, sl := range t.slots[part*len(t.slots)/parts : (part+1)*len(t.slots)/parts] {
		if s := sl.s; s != nil && s != &tombstone {
			if !yield(s) {
				return
			}
		}
	}
}
