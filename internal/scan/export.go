package scan

import (
	"math"
	"net/netip"
	"time"
)

// SourceState is the saved form of a Source and its pairs, so a daemon
// restart (IMPORT_OLD_SCANS) continues with the danger levels, counts and
// signature records it had. Batch-only state is not kept.
type SourceState struct {
	Addr      netip.Addr
	DL        int
	Packets   int64
	SigCount  int64
	Local     bool
	AutoDL    bool
	OSGuesses []string
	PosfGuess string
	SigIDs    []int
	LastSeen  time.Time
	Pairs     []PairState
}

// PairState is the saved form of a Pair.
type PairState struct {
	Dst                                         netip.Addr
	Start                                       time.Time
	AbsNum                                      int
	Protos                                      [4]uint64 // written for older readers; read from Chains
	Chains                                      []ChainCount
	Ranges                                      [3]PortRange
	Sigs                                        []SigRecord
	ICMP                                        []ICMPRecord
	PortSweep, Local                            bool
	ToperaPkts, MasscanPkts, MiraiPkts, Mirai23 int
}

// CounterState is the saved form of the global counters, sparse.
type CounterState struct {
	Proto, TCPPort, UDPPort, UDPLitePort map[int]int64
	Prefix                               map[string]int64
	SigCount, SigSources                 map[int]int64
}

// Export returns the saved form of src.
func (s *Source) Export() SourceState {
	var st SourceState
	s.ExportTo(&st)
	return st
}

// ExportTo writes the saved form of src into st, reusing the memory of
// st's slices (those of an earlier ExportTo): the daemon encodes a flood's
// hundred thousand changed sources one after the other, and a fresh
// SourceState for each was a fifth of what it allocated.
func (s *Source) ExportTo(st *SourceState) {
	old := st.Pairs[:cap(st.Pairs)]
	*st = SourceState{Addr: s.Addr, DL: s.DL, Packets: s.Packets, SigCount: s.SigCount, Local: s.Local, AutoDL: s.AutoDL,
		OSGuesses: append(st.OSGuesses[:0], s.OSGuesses()...), PosfGuess: s.PosfGuess(), SigIDs: append(st.SigIDs[:0], s.sigIDs...),
		LastSeen: s.LastSeen()}
	pairs := old[:0]
	for i, p := range s.dstOrder {
		var ps PairState
		if i < len(old) {
			ps = old[i]
		}
		ps = PairState{
			Dst: p.Dst, Start: p.Start(), AbsNum: int(p.AbsNum), Protos: p.ProtoSet(),
			Chains: append(ps.Chains[:0], p.Chains()...), Ranges: p.Ranges,
			Sigs: append(ps.Sigs[:0], p.Sigs()...), ICMP: append(ps.ICMP[:0], p.ICMP()...),
			PortSweep: p.PortSweep, Local: p.Local, ToperaPkts: int(p.ToperaPkts), MasscanPkts: int(p.MasscanPkts),
			MiraiPkts: int(p.MiraiPkts), Mirai23: int(p.mirai23),
		}
		pairs = append(pairs, ps)
	}
	st.Pairs = pairs
}

// Import adds a saved source (replacing one with the same address).
func (t *Tracker) Import(st SourceState) {
	if old := t.sources.get(keyOf(st.Addr)); old != nil {
		t.remove(old)
	}
	s := t.source(st.Addr, st.LastSeen)
	s.batchDsts = s.bdst0[:0] // in no batch yet: none of its pairs (see BatchDsts)
	t.setDL(s, st.DL)
	s.Packets, s.SigCount, s.Local, s.AutoDL = st.Packets, st.SigCount, st.Local, st.AutoDL
	if len(st.OSGuesses) > 0 || st.PosfGuess != "" {
		s.MakeOS().Guesses, s.os.Posf = st.OSGuesses, st.PosfGuess
	}
	s.sigIDs = st.SigIDs
	for _, ps := range st.Pairs {
		p := t.newPair()
		*p = Pair{Dst: ps.Dst, start: unixNanos(ps.Start), AbsNum: Count32(ps.AbsNum), Ranges: ps.Ranges,
			PortSweep: ps.PortSweep, Local: ps.Local,
			ToperaPkts: Count32(ps.ToperaPkts), MasscanPkts: Count32(ps.MasscanPkts), MiraiPkts: Count32(ps.MiraiPkts),
			mirai23: Count32(ps.Mirai23)}
		p.setChains(ps.Chains)
		if len(ps.Sigs) > 0 || len(ps.ICMP) > 0 {
			p.rare = &pairRare{sigs: ps.Sigs, icmp: ps.ICMP}
		}
		s.addDst(p)
		t.pairs++
	}
}

// remove forgets a source and its pairs.
func (t *Tracker) remove(s *Source) {
	t.removals++
	t.sources.del(keyOf(s.Addr))
	t.byDL[dlIndex(s.DL)]--
	t.pairs -= len(s.dstOrder)
	s.batchNo = 0
	s.gone = true // its age-heap entry is dropped when reached
	// Nothing reads a forgotten source's pairs, and left whole they would
	// keep it alive through the pair blocks it shares with live sources
	// (see Expire): an evicting flood would then outgrow MaxSources.
	for _, p := range s.dstOrder {
		*p = Pair{}
	}
	clear(s.dstOrder)
	clear(s.batchDsts)
	s.dstOrder, s.batchDsts, s.dstIndex = nil, nil, nil
	// A source from Prefault's blocks stays in memory while its block
	// does, so it must point at nothing: not the pair its inline arrays
	// held (a batch list emptied at its batch's end still does), nor its
	// fingerprints and signatures.
	s.dst0[0], s.bdst0[0] = nil, nil
	s.os, s.sigIDs = nil, nil
}

// Changing bounds how many sources ChangedSince(mark, ...) will call fn
// for, so that a caller can size its list once: a flood's hundred
// thousand changed sources made a list grown by append copy itself
// over and over, half of the save's time on the daemon's loop.
func (t *Tracker) Changing(mark uint64) int {
	if t.logOn && mark == t.logMark {
		return len(t.changed)
	}
	return t.sources.len()
}

// ChangedSince calls fn for every source that saw a packet after the
// stamp mark and returns the current stamp, for incremental saving.
//
// From the first call on, the tracker logs the sources it touches, and a
// call with the stamp the previous one returned reads that log: under a
// spoofed-source flood the walk over every source, each second, was a
// sixth of the daemon's time. Any other mark walks every source.
func (t *Tracker) ChangedSince(mark uint64, fn func(*Source)) uint64 {
	if t.logOn && mark == t.logMark {
		for _, s := range t.changed {
			s.logged = false
			if !s.gone && s.seen > mark {
				fn(s)
			}
		}
	} else {
		for _, s := range t.changed {
			s.logged = false
		}
		for s := range t.sources.all {
			if s.seen > mark {
				fn(s)
			}
		}
	}
	clear(t.changed) // the log must not keep forgotten sources alive
	t.changed = t.changed[:0]
	t.logOn, t.logMark = true, t.seen
	return t.seen
}

// ExportCounters returns the global counters in saved form.
func (t *Tracker) ExportCounters() CounterState {
	c := &t.Counters
	st := CounterState{Proto: map[int]int64{}, TCPPort: map[int]int64{}, UDPPort: map[int]int64{}, UDPLitePort: map[int]int64{},
		Prefix: map[string]int64{}, SigCount: map[int]int64{}, SigSources: map[int]int64{}}
	for i, n := range c.Proto {
		if n != 0 {
			st.Proto[i] = n
		}
	}
	for i := range c.TCPPort {
		if c.TCPPort[i] != 0 {
			st.TCPPort[i] = c.TCPPort[i]
		}
		if c.UDPPort[i] != 0 {
			st.UDPPort[i] = c.UDPPort[i]
		}
		if c.UDPLitePort[i] != 0 {
			st.UDPLitePort[i] = c.UDPLitePort[i]
		}
	}
	for k, v := range c.Prefix {
		st.Prefix[k] = *v
	}
	for k, v := range c.SigCount {
		st.SigCount[k] = v
	}
	for k, v := range c.SigSources {
		st.SigSources[k] = v
	}
	return st
}

// ImportCounters replaces the global counters with saved ones.
func (t *Tracker) ImportCounters(st CounterState) {
	c := &t.Counters
	for i, n := range st.Proto {
		if i >= 0 && i < len(c.Proto) {
			c.Proto[i] = n
		}
	}
	for i, n := range st.TCPPort {
		if i >= 0 && i < 65536 {
			c.TCPPort[i] = n
		}
	}
	for i, n := range st.UDPPort {
		if i >= 0 && i < 65536 {
			c.UDPPort[i] = n
		}
	}
	for i, n := range st.UDPLitePort {
		if i >= 0 && i < 65536 {
			c.UDPLitePort[i] = n
		}
	}
	// A counter is set in place, never replaced: CountPrefix keeps
	// pointers to them.
	for k, v := range st.Prefix {
		if n, ok := c.Prefix[k]; ok {
			*n = v
		} else {
			c.Prefix[k] = &v
		}
	}
	for k, v := range st.SigCount {
		c.SigCount[k] = v
	}
	for k, v := range st.SigSources {
		c.SigSources[k] = v
	}
}

// Count32 narrows a saved packet count to a pair's 32-bit fields
// (AbsNum, ChainCount.Pkts and the scanner counts), saturating: a count
// past two billion only ever means "many".
func Count32(n int) int32 {
	return int32(min(max(n, 0), math.MaxInt32))
}
