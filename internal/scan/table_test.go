package scan

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

// TestSrcTableMatchesMap runs random adds, look-ups, deletes (some while
// iterating), shrinks and growths on a table and on a Go map, over few
// enough keys that probe runs, tombstones and reused slots all occur,
// and checks that they always hold the same.
func TestSrcTableMatchesMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	tab := newSrcTable(0)
	oracle := map[addrKey]*Source{}
	addrs := map[addrKey]netip.Addr{}
	addrOf := func(k addrKey) netip.Addr { return addrs[k] }
	keyN := func(i int) addrKey {
		a := netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})
		if i%3 == 0 { // IPv6, and "::" (the zero key) among them
			a = netip.AddrFrom16([16]byte{15: byte(i), 14: byte(i >> 8)})
		}
		addrs[keyOf(a)] = a
		return keyOf(a)
	}
	check := func(step int) {
		t.Helper()
		if tab.len() != len(oracle) {
			t.Fatalf("step %d: table holds %d, map %d", step, tab.len(), len(oracle))
		}
		seen := map[*Source]bool{}
		for s := range tab.all {
			if seen[s] {
				t.Fatalf("step %d: all yielded %p twice", step, s)
			}
			seen[s] = true
		}
		for k, s := range oracle {
			if !seen[s] || tab.get(k) != s {
				t.Fatalf("step %d: key %v: table has %p, map %p", step, k, tab.get(k), s)
			}
		}
	}
	for step := range 200000 {
		k := keyN(rng.IntN(3000))
		switch r := rng.IntN(100); {
		case r < 45:
			if oracle[k] == nil {
				s := &Source{Addr: addrOf(k)}
				tab.put(k, s)
				oracle[k] = s
			}
		case r < 85:
			tab.del(k)
			delete(oracle, k)
		case r < 98:
			if got := tab.get(k); got != oracle[k] {
				t.Fatalf("step %d: get %v = %p, map has %p", step, k, got, oracle[k])
			}
		case r < 99:
			// Delete about half while iterating, as Expire does.
			for s := range tab.all {
				if rng.IntN(2) == 0 {
					for k2, s2 := range oracle {
						if s2 == s {
							tab.del(k2)
							delete(oracle, k2)
							break
						}
					}
				}
			}
			check(step)
		default:
			tab.rehash(tab.len()) // shrinkTable
			check(step)
		}
	}
	check(-1)
}

// TestSrcTableProbesStayShort: the addresses a flood or a busy log bring
// (consecutive IPv4 addresses, IPv6 addresses in one /64) must spread
// over the table, not pile up in runs that every look-up walks.
func TestSrcTableProbesStayShort(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		tab := newSrcTable(0)
		const n = 200000
		keys := make([]addrKey, n)
		for i := range keys {
			j := uint32(i + 1)
			a := netip.AddrFrom4([4]byte{10, byte(j >> 16), byte(j >> 8), byte(j)})
			if v6 {
				a = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 13: byte(j >> 16), 14: byte(j >> 8), 15: byte(j)})
			}
			keys[i] = keyOf(a)
			tab.put(keys[i], &Source{Addr: a})
		}
		mask := len(tab.slots) - 1
		total, worst := 0, 0
		for _, k := range keys {
			d := 1
			h := tab.hash(k)
			for i := int(h >> tab.shift); !tab.slots[i].holds(h, k); i = (i + 1) & mask {
				d++
			}
			total += d
			worst = max(worst, d)
		}
		mean := float64(total) / n
		t.Logf("IPv6 %v: %d sources in %d slots, mean probe %.2f slots, worst %d", v6, n, len(tab.slots), mean, worst)
		// Linear probing at under three quarters full averages under 2.5.
		if mean > 3 || worst > 200 {
			t.Errorf("IPv6 %v: mean probe %.2f slots, worst %d: the hash does not spread these addresses", v6, mean, worst)
		}
	}
}

// TestSrcTableGrowsIntoTablesMadeAhead checks that with ahead set each
// doubling of a big table takes the table made off the loop, and that
// the sources all move into it.
func TestSrcTableGrowsIntoTablesMadeAhead(t *testing.T) {
	tab := newSrcTable(0)
	tab.ahead = make(chan []srcSlot, 1)
	const n = 100000
	keys := make([]addrKey, n)
	var ready *srcSlot // the table waiting on ahead
	doublings, ahead := 0, 0
	for i := range keys {
		j := uint32(i + 1)
		a := netip.AddrFrom4([4]byte{10, byte(j >> 16), byte(j >> 8), byte(j)})
		keys[i] = keyOf(a)
		size := len(tab.slots)
		tab.put(keys[i], &Source{Addr: a})
		if len(tab.slots) != size {
			if size >= aheadFrom {
				doublings++
				if &tab.slots[0] == ready {
					ahead++
				}
			}
			ready = nil
		}
		if tab.asked != 0 && ready == nil {
			// A readiness wait: the table is made on its own goroutine.
			b := <-tab.ahead
			if len(b) != tab.asked {
				t.Fatalf("asked for %d slots, got %d", tab.asked, len(b))
			}
			ready = &b[0]
			tab.ahead <- b
		}
	}
	if doublings < 3 || ahead != doublings {
		t.Errorf("%d of %d doublings from %d slots took the table made ahead", ahead, doublings, aheadFrom)
	}
	for i, k := range keys {
		if s := tab.get(k); s == nil || keyOf(s.Addr) != k {
			t.Fatalf("source %d lost in the growth", i)
		}
	}
	if tab.len() != n {
		t.Errorf("table holds %d sources, want %d", tab.len(), n)
	}
}

// BenchmarkSourceIndex compares the tracker's source table with the Go
// map it replaced, at a flood's 400,000 sources in random order: adding
// each (insert) and finding each again (hit). One op is one source.
func BenchmarkSourceIndex(b *testing.B) {
	const n = 400000
	rng := rand.New(rand.NewPCG(1, 2))
	keys := make([]addrKey, n)
	srcs := make([]Source, n)
	for i := range keys {
		j := uint32(i + 1)
		srcs[i].Addr = netip.AddrFrom4([4]byte{10, byte(j >> 16), byte(j >> 8), byte(j)})
	}
	rng.Shuffle(n, func(i, j int) { srcs[i], srcs[j] = srcs[j], srcs[i] })
	for i := range srcs {
		keys[i] = keyOf(srcs[i].Addr)
	}
	var sink *Source
	b.Run("table/insert", func(b *testing.B) {
		for i := 0; i < b.N; i += n {
			tab := newSrcTable(0)
			for j, k := range keys[:min(n, b.N-i)] {
				if tab.get(k) == nil {
					tab.put(k, &srcs[j])
				}
			}
		}
	})
	b.Run("map/insert", func(b *testing.B) {
		for i := 0; i < b.N; i += n {
			m := map[addrKey]*Source{}
			for j, k := range keys[:min(n, b.N-i)] {
				if m[k] == nil {
					m[k] = &srcs[j]
				}
			}
		}
	})
	tab := newSrcTable(0)
	m := map[addrKey]*Source{}
	for i, k := range keys {
		tab.put(k, &srcs[i])
		m[k] = &srcs[i]
	}
	b.Run("table/hit", func(b *testing.B) {
		for i := range b.N {
			sink = tab.get(keys[i%n])
		}
	})
	b.Run("map/hit", func(b *testing.B) {
		for i := range b.N {
			sink = m[keys[i%n]]
		}
	})
	_ = sink
}
