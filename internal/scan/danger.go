package scan

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/psadgo/psad/internal/fwlog"
)

// Raise records one danger-level increase for the alert logic of the
// daemon (psad clears a pair's "alerted" flag when DL rises).
type Raise struct {
	Src  *Source
	Pair *Pair // nil when a signature raised the whole source
	From int
	To   int
}

// EndBatch assigns danger levels to every source of the batch (psad 7.2)
// and starts a new batch. It returns the sources of the finished batch in
// the order they first sent a packet. The outcome does not depend on the
// order of evaluation: every rule only raises a DL to a maximum.
func (t *Tracker) EndBatch() []*Source {
	srcs := t.BatchSources()
	t.batchLevels = [6]int{}
	if n := runtime.GOMAXPROCS(0); n > 1 && t.OnRaise == nil && t.Debug == nil && len(srcs) >= parallelLevels {
		// Nothing is told in order (raises, debug lines), and a source's
		// level reads and writes only its own state and its own pairs:
		// the sources of a big batch (all of -A's) are split among the
		// cores. Each reads every pair of its sources once, a trip to
		// memory apiece (80 ms of the 1M-line log on one core).
		//
		// The cores take the sources in spans of levelSpan as they get
		// to them: split in halves, the half with the 1M-line log's big
		// scanners took 21-26 ms against the other's 11-20 ms.
		var wg sync.WaitGroup
		var next atomic.Int64
		moved := make([][6]int, n)  // each goroutine's changes to byDL
		levels := make([][6]int, n) // each goroutine's batchLevels
		warmed := make([]uint64, n)
		for i := range n {
			by, lv, sum := &moved[i], &levels[i], &warmed[i]
			wg.Go(func() {
				for {
					start := int(next.Add(levelSpan)) - levelSpan
					if start >= len(srcs) {
						return
					}
					part := srcs[start:min(start+levelSpan, len(srcs))]
					for len(part) > 0 {
						k, w := warmLevels(part)
						*sum += w
						for _, src := range part[:k] {
							t.levelSource(src, by)
							lv[dlIndex(src.DL)]++
						}
						part = part[k:]
					}
				}
			})
		}
		wg.Wait()
		for i := range moved {
			for l := range moved[i] {
				t.byDL[l] += moved[i][l]
				t.batchLevels[l] += levels[i][l]
			}
			t.warmed += warmed[i]
		}
	} else {
		for _, src := range srcs {
			t.levelSource(src, &t.byDL)
			t.batchLevels[dlIndex(src.DL)]++
		}
	}
	t.batchNo++
	// Cleared, not only cut: the array would otherwise keep every source
	// of the biggest batch alive after it is forgotten.
	clear(t.batch)
	t.batch = t.batch[:0]
	t.batchSeq = t.batchSeq[:0]
	t.PairLimitHit = false
	return srcs
}

// BatchLevels counts the sources EndBatch last returned by the danger
// level it gave them (index 0 for none), as the report's "Level n: m IP
// addresses" lines need. Why not count them afterwards: -A's batch is
// every source of the log, and a walk reading each source's level again
// took 1.5-4.3 ms for 200,000 sources on one core (a temporary test),
// while EndBatch has each source at hand on every core.
func (t *Tracker) BatchLevels() [6]int { return t.batchLevels }

// parallelLevels is the batch size from which EndBatch splits the
// sources among the cores.
const parallelLevels = 8192

// levelSpan is how many sources a core takes at a time in EndBatch.
const levelSpan = 1024

// warmLevels reads what levelSource will read for the first sources of
// srcs, up to warmPairs of their batch's pairs (at least one source),
// and returns how many sources it took and the reads' sum. Why: -A's
// batch is every source of the log, their pairs all over the heap, and
// levelSource met them one cache miss at a time; these loops' reads do
// not depend on each other, so the core waits for many at once (the
// reads ahead of Warm and of the report's rendering). A temporary
// benchmark of EndBatch on a 500,000-line mixed log's tracker, 6
// alternated runs: median 23 to 18 ms.
func warmLevels(srcs []*Source) (int, uint64) {
	var sum uint64
	k, n := 0, 0
	for k < len(srcs) && (k == 0 || n+len(srcs[k].BatchDsts()) <= warmPairs) {
		n += len(srcs[k].BatchDsts())
		k++
	}
	for _, s := range srcs[:k] {
		for _, p := range s.BatchDsts() {
			sum += uint64(p.AbsNum)
		}
	}
	for _, s := range srcs[:k] {
		for _, p := range s.BatchDsts() {
			sum += uint64(p.Ranges[0].Hi) + uint64(p.chain0[0].Pkts)
		}
	}
	return k, sum
}

// warmPairs bounds warmLevels' reads to what the cache keeps until
// levelSource comes to them (96 KB of pairs).
const warmPairs = 512

// levelSource sets src's danger level from its batch (psad 7.2-7.3),
// moving it between the counts of by (byDL, or a part's own changes to
// it when the cores share the batch).
func (t *Tracker) levelSource(src *Source, by *[6]int) {
	s := &t.set
	old := src.DL
	// Signature DLs: the highest of the batch (psad keeps the last
	// matching packet's; see docs/compat.md).
	if int(src.batchSigDL) > src.DL {
		src.DL = int(src.batchSigDL)
	}
	if int(src.batchSidDL) > src.DL {
		src.DL = int(src.batchSidDL)
	}
	dsts := src.BatchDsts()
	nDst := len(dsts)
	for _, pair := range dsts {
		l, lo, hi, ok := t.pairLevel(pair, nDst)
		if !ok {
			continue
		}
		if l > src.DL {
			src.DL = l
		}
		// A port sweep: one port (or a span equal to the sweep
		// threshold) across at least DL1_UNIQUE_HOSTS destinations.
		// psad marks only pairs evaluated while DL rose and then reads
		// the mark from the wrong record; we mark every such pair.
		if hi != 0 && hi-lo == s.PortRangeSweepThreshold && nDst >= s.UniqueHosts[1] && !pair.PortSweep {
			pair.PortSweep = true
			if t.Debug != nil {
				fmt.Fprintf(t.Debug, "    Port sweep %s -> %s port %d\n",
					fwlog.AddrString(src.Addr), fwlog.AddrString(pair.Dst), hi)
			}
		}
	}
	if src.DL != old {
		by[dlIndex(old)]--
		by[dlIndex(src.DL)]++
	}
	if src.DL > old && t.OnRaise != nil {
		t.OnRaise(src, old)
	}
}

// pairLevel is psad's danger-level rule (7.2) for one pair of a batch with
// nDst destinations: the level the pair's packet count and the batch's
// destination count reach, and whether the pair counts as a scan at all.
// lo and hi are the pair's lowest and highest destination port (hi is 0
// without ports). Every input only grows during a batch, so the level
// computed part-way through is never above the one at the batch's end.
func (t *Tracker) pairLevel(pair *Pair, nDst int) (level, lo, hi int, ok bool) {
	return t.pairLevelAs(pair, nDst, false)
}

// pairLevelAs is pairLevel; live leaves out the one input that can shrink
// during a batch: a pair without ports counts its packets as its span,
// and its first port replaces that with the port range (an ICMP flood of
// one host is a scan until the host also gets one TCP packet). Live
// levels wait for ports, so they never run ahead of psad's.
func (t *Tracker) pairLevelAs(pair *Pair, nDst int, live bool) (level, lo, hi int, ok bool) {
	s := &t.set
	abs := int(pair.AbsNum)
	lo, hi = 65535, 0
	for _, r := range pair.Ranges {
		if r.Seen {
			lo = min(lo, int(r.Lo))
			hi = max(hi, int(r.Hi))
		}
	}
	span := abs
	if hi != 0 {
		span = hi - lo
	} else if live {
		span = 0
	}
	if abs < s.DangerLevel[1] && nDst < s.UniqueHosts[1] {
		return 0, lo, hi, false
	}
	if span < s.PortRangeScanThreshold && pair.TotProtocols() < s.ProtocolScanThreshold && nDst < s.UniqueHosts[1] {
		return 0, lo, hi, false
	}
	return max(levelFor(abs, s.DangerLevel), levelFor(nDst, s.UniqueHosts)), lo, hi, true
}

// assessLive raises src's danger level toward the batch so far, as the
// packet for pair lands (Settings.Live: the daemon, whose -S and blocking
// must not wait for the CHECK_INTERVAL tick). newDst tells that pair just
// joined the batch. Only pair needs a look: another pair's inputs change
// with its own packets, except the batch's destination count, which makes
// every pair count once it reaches DL1_UNIQUE_HOSTS; that moment gets one
// pass over them all. Port-sweep marks, which compare a span for equality
// and so are not monotonic, stay with EndBatch.
func (t *Tracker) assessLive(src *Source, pair *Pair, newDst bool) {
	dl := max(src.DL, int(src.batchSigDL), int(src.batchSidDL))
	dsts := src.BatchDsts()
	nDst := len(dsts)
	if l, _, _, ok := t.pairLevelAs(pair, nDst, true); ok {
		dl = max(dl, l)
	}
	if newDst && nDst == max(t.set.UniqueHosts[1], 1) {
		for _, q := range dsts {
			if l, _, _, ok := t.pairLevelAs(q, nDst, true); ok {
				dl = max(dl, l)
			}
		}
	}
	if dl != src.DL {
		t.setDL(src, dl)
	}
}

// levelFor maps a count onto thresholds th[1..5]: below th[2] is 1, below
// th[3] is 2, and so on up to 5.
func levelFor(n int, th [6]int) int {
	switch {
	case n < th[2]:
		return 1
	case n < th[3]:
		return 2
	case n < th[4]:
		return 3
	case n < th[5]:
		return 4
	}
	return 5
}

// Pairs returns the destinations that reached scan state, sorted by the
// address string as psad prints it (the report's recommended order).
func (s *Source) Pairs() []*Pair { return new(PairSorter).Pairs(s) }

// PairSorter does what Source.Pairs does, reusing its storage from one
// source to the next: a busy day's report sorts half a million
// destinations, and fresh key strings and lists for each source were
// 25 MB of garbage in -A, where the collector is off and every new page
// costs a fault.
type PairSorter struct {
	out  []*Pair
	buf  []byte // the printed addresses, back to back
	keys []pairKey
}

// pairKey is a pair with its printed address: the first 16 bytes packed
// big-endian in two words, zero-padded, which order as the strings do
// (no address text holds a zero byte, and a shorter text that is a
// prefix of a longer one sorts first either way), and the text's span
// in PairSorter.buf for the longer IPv6 texts that tie on those. Why:
// the report sorts the biggest scanner's pairs on its way (30,635 for
// the 1M-line log, 11-22 ms); comparing words instead of texts through
// sort.Interface sorts 30,000 pairs in 4.3 ms instead of 5.3 (a
// temporary benchmark, 3 runs each).
type pairKey struct {
	hi, lo     uint64
	start, end int32
	p          *Pair
}

// Pairs returns s's listed pairs in report order, valid until the next
// call.
func (ps *PairSorter) Pairs(s *Source) []*Pair {
	ps.out = ps.out[:0]
	for _, p := range s.dstOrder {
		if p.Listed() {
			ps.out = append(ps.out, p)
		}
	}
	if len(ps.out) < 2 {
		return ps.out
	}
	// Sized once: a scanner's thousands of keys grown by append's steps
	// were megabytes of fresh memory, each page a fault.
	ps.buf, ps.keys = slices.Grow(ps.buf[:0], 16*len(ps.out)), slices.Grow(ps.keys[:0], len(ps.out))
	for _, p := range ps.out {
		start := len(ps.buf)
		ps.buf = fwlog.AppendAddr(ps.buf, p.Dst)
		var w [16]byte
		copy(w[:], ps.buf[start:])
		ps.keys = append(ps.keys, pairKey{
			hi: binary.BigEndian.Uint64(w[:8]), lo: binary.BigEndian.Uint64(w[8:]),
			start: int32(start), end: int32(len(ps.buf)), p: p,
		})
	}
	buf := ps.buf
	slices.SortFunc(ps.keys, func(a, b pairKey) int {
		if a.hi != b.hi {
			return cmp.Compare(a.hi, b.hi)
		}
		if a.lo != b.lo {
			return cmp.Compare(a.lo, b.lo)
		}
		return strings.Compare(string(buf[a.start:a.end]), string(buf[b.start:b.end]))
	})
	for i, k := range ps.keys {
		ps.out[i] = k.p
	}
	return ps.out
}

// Listed reports whether the report lists the pair: it has packets in
// scan state, or signature or ICMP records.
func (p *Pair) Listed() bool { return p.AbsNum > 0 || len(p.Sigs()) > 0 || len(p.ICMP()) > 0 }

// addrStringLess orders addresses by their printed form, as psad's sort
// of address strings does (10.1.1.10 before 10.1.1.9).
func addrStringLess(a, b netip.Addr) bool {
	var ab, bb [39]byte
	return string(fwlog.AppendAddr(ab[:0], a)) < string(fwlog.AppendAddr(bb[:0], b))
}

// AddrStringLess is addrStringLess for other packages' sorts.
func AddrStringLess(a, b netip.Addr) bool { return addrStringLess(a, b) }

// Expire forgets every (source, destination) pair whose scan started at
// least timeout before now (psad's SCAN_TIMEOUT with ENABLE_PERSISTENCE=N:
// a long scan is forgotten an hour after it started, even if still
// active). Sources, their danger levels and the global counters are
// kept, as in psad, except that a source left without pairs whose danger
// level is below Settings.ForgetBelowDL is forgotten. It returns the
// number of pairs removed.
func (t *Tracker) Expire(now time.Time, timeout time.Duration) int {
	removed := 0
	t.tablePeak = max(t.tablePeak, t.sources.len())
	for src := range t.sources.all {
		// Outside its batch nothing reads a source's batch list, so its
		// expired pairs can be wiped: pairs share slabs, and a dead pair
		// left whole keeps its slab, and through the slab's other dead
		// pairs their sources and batch detail, alive. After a flood one
		// surviving source per slab held the whole flood in memory.
		idle := src.batchNo != t.batchNo
		kept := src.dstOrder[:0]
		for _, pr := range src.dstOrder {
			if now.Sub(pr.Start()) < timeout {
				kept = append(kept, pr)
				continue
			}
			if idle {
				*pr = Pair{}
			} else if src.batchDsts == nil {
				// The batch's pairs were dstOrder, which is about to
				// lose this one: they get a list of their own, taken
				// while dstOrder is whole (kept has only rewritten what
				// came before this pair, in place).
				src.batchDsts = append(src.bdst0[:0], src.dstOrder...)
			}
		}
		n := len(src.dstOrder) - len(kept)
		if n == 0 {
			continue
		}
		if idle {
			clear(src.batchDsts)
			src.batchDsts = src.batchDsts[:0]
		}
		t.removals++
		clear(src.dstOrder[len(kept):])
		src.dstOrder = kept
		src.retag()
		t.pairs -= n
		removed += n
		if len(kept) == 0 && src.DL < t.set.ForgetBelowDL {
			t.remove(src)
			t.forgot(src)
		}
	}
	t.shrinkTable()
	return removed
}

// shrinkTable copies the source table into a new one once it holds
// under an eighth of the most it held: deleting never makes a table
// smaller, and the table a flood grew (4 MB at 100,000 sources) would
// stay after the flood had expired.
func (t *Tracker) shrinkTable() {
	n := t.sources.len()
	if t.tablePeak < shrinkFrom || n > t.tablePeak/8 {
		return
	}
	t.sources.rehash(n)
	t.tablePeak = n
}

// shrinkFrom is the smallest table shrinkTable bothers with.
const shrinkFrom = 4096
