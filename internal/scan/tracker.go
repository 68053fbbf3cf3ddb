// Package scan keeps psad's per-source and per-(source, destination) scan
// state and assigns danger levels. It does no I/O and reads no clock: the
// caller passes the time of each packet (log timestamps in analysis mode,
// the wall clock in the daemon), so both modes share one code path.
package scan

import (
	"encoding/binary"
	"io"
	"math"
	"net/netip"
	"slices"
	"sync"
	"time"
	"unsafe"

	"github.com/psadgo/psad/internal/fwlog"
)

// Settings are the detection thresholds of psad.conf that the tracker uses.
type Settings struct {
	// DangerLevel[n] is DANGER_LEVELn (packet counts), index 1..5.
	DangerLevel [6]int
	// UniqueHosts[n] is DLn_UNIQUE_HOSTS (destination counts), index 1..5.
	UniqueHosts             [6]int
	PortRangeScanThreshold  int // PORT_RANGE_SCAN_THRESHOLD
	PortRangeSweepThreshold int // PORT_RANGE_SWEEP_THRESHOLD
	ProtocolScanThreshold   int // PROTOCOL_SCAN_THRESHOLD
	// MaxScanIPPairs is MAX_SCAN_IP_PAIRS: 0 means unlimited.
	MaxScanIPPairs int
	// MaxSources caps the tracked sources; the least recently seen source
	// is forgotten to make room. 0 means unlimited. psad has no such cap
	// and grows without bound under a spoofed-source flood.
	MaxSources int
	// ForgetBelowDL makes Expire forget a source whose every pair has
	// expired when its danger level is below this (psad-go's
	// PSAD_DIR_FILES_MIN_DL; 0 keeps every source, as psad does). A
	// spoofed-source flood leaves a million one-packet sources whose
	// danger level nobody needs once their scans are gone.
	ForgetBelowDL int
	// TrackGone records every source the tracker forgets (eviction,
	// expiry) for TakeGone, so the daemon can delete it from the state
	// store and PSAD_DIR. Off unless someone drains the list.
	TrackGone bool
	// ExpectTCPOptions is EXPECT_TCP_OPTIONS (the Masscan heuristic).
	ExpectTCPOptions bool
	// NoBatchDetail skips the per-batch protocol, flag, prefix and host
	// counts that only alerts use (analysis mode without alerts); the
	// batch's destination sets, which drive danger levels, are kept.
	NoBatchDetail bool
	// Live assigns danger levels as packets land instead of only when the
	// batch ends (the daemon: -S and blocking see a scan within a second,
	// not at the next CHECK_INTERVAL tick). The batch's final levels are
	// the same either way.
	Live bool
	// HomeNet reports whether an address is inside HOME_NET; nil means
	// HOME_NET is "any", in which case nothing is marked local (1.3).
	HomeNet func(netip.Addr) bool
}

// DefaultSettings are psad 2.4.6's shipped thresholds.
func DefaultSettings() Settings {
	return Settings{
		DangerLevel:            [6]int{0, 5, 15, 150, 1500, 10000},
		UniqueHosts:            [6]int{0, 10, 20, 50, 100, 500},
		PortRangeScanThreshold: 1,
		ProtocolScanThreshold:  5,
		ExpectTCPOptions:       true,
	}
}

// SigHit is one signature (psad or fwsnort) that matched a packet.
type SigHit struct {
	ID      int
	Proto   string // the signature's protocol: "tcp", "udp", "icmp", "ip"
	DL      int
	Fwsnort bool
	Rule    int // fwsnort rule number, -1 when absent
	Estab   bool
}

// Inspection is what the signature, ICMP and fwsnort engines report about
// a packet. The tracker resets it before each call of Settings' Inspect
// hook.
type Inspection struct {
	// Drop removes the packet from scan state after the global counters
	// (a DL-0 signature or fwsnort rule: psad's per-signature whitelist).
	Drop bool
	Sigs []SigHit
	// SigDL and SidDL are the packet's psad-signature and fwsnort DLs
	// (0 when none matched).
	SigDL, SidDL int
	// InvalidType / InvalidCode mark an ICMP type or code missing from the
	// ICMP tables; they raise the source to DL 2 at once.
	InvalidType, InvalidCode bool
}

// Counters are the global counters of the report.
type Counters struct {
	// Proto is indexed by Packet.ProtoIndex.
	Proto   [fwlog.NumProtoIndex]int64
	TCPPort [65536]int64
	UDPPort [65536]int64
	// UDPLitePort is kept like psad does but never displayed by it.
	UDPLitePort [65536]int64
	// Prefix counts log prefixes; keys are interned.
	Prefix map[string]*int64
	// SigCount counts matches and SigSources distinct sources per
	// signature id.
	SigCount   map[int]int64
	SigSources map[int]int64
}

// Tracker is the scan state of psad. It is not safe for concurrent use:
// the analysis loop or the daemon goroutine owns it.
type Tracker struct {
	set Settings

	// Inspect, when set, runs the signature/ICMP engines on a packet after
	// auto_dl (psad step 10-11).
	Inspect func(p *fwlog.Packet, src *Source, ins *Inspection)
	// AutoDL, when set, returns psad's auto_dl verdict for a packet.
	AutoDL func(p *fwlog.Packet, curDL int) (level int, ignore, assigned bool)
	// Fingerprint, when set, runs passive OS fingerprinting for SYN
	// packets (psad step 16).
	Fingerprint func(p *fwlog.Packet, src *Source, pair *Pair)
	// Debug receives psad's debug lines (port sweeps, Topera, Masscan).
	Debug io.Writer
	// OnRaise, when set, is told every time a source's danger level rises,
	// with the level it had (the daemon's blocking decisions and change
	// tracking). It runs inside Observe or EndBatch: it must not call back
	// into the tracker.
	OnRaise func(src *Source, old int)

	Counters Counters

	// sources finds a source; its destinations hang off it (Source.dst).
	// A global map of (source, destination) pairs was one hash look-up
	// per packet instead of two, but cost over 100 bytes per pair: a busy
	// log has half a million pairs, and the page faults of that memory
	// outweighed the look-up it saved.
	sources srcTable
	// prefixCache holds recent prefixes' counters (see CountPrefix).
	prefixCache [prefixCacheSize]prefixCount
	// warmed is the sum of Warm's reads, kept so that the compiler
	// keeps the reads.
	warmed uint64
	// hints are what the last Warm found for its packets, in order, for
	// Observe to take instead of looking them up again; hintAt is the
	// next one to consider. removals counts the sources and pairs
	// forgotten, and a hint taken under another count is not trusted:
	// between Warm and Observe only a removal can make a source or pair
	// found stop being the one its packet's addresses name.
	hints    [WarmGroup]hint
	hintN    int
	hintAt   int
	removals uint64
	// tablePeak is the most sources the table has held since it was
	// made (as Expire saw it; see shrinkTable).
	tablePeak int
	// byDL counts the sources at each danger level, 0 to 5 (DLCounts).
	byDL [6]int
	// batchLevels is BatchLevels.
	batchLevels [6]int
	slab        []Pair      // Pairs are allocated in blocks to spare the allocator and GC
	ahead       chan []Pair // blocks made ready by Prefault; nil without
	// freeBatches holds batch detail handed back by ReleaseBatches.
	freeBatches []*Batch
	// srcSlab and srcAhead are Prefault's source blocks (see there).
	srcSlab  []Source
	srcAhead chan []Source
	// seen stamps every packet; Source.seen is the stamp of its last one.
	seen uint64
	// age holds one entry per source for eviction, a min-heap by stamp.
	// An entry goes stale when its source sends again (only Source.seen
	// is updated, a single write); stale entries are repaired when they
	// reach the top, so eviction is exactly least-recently-seen while a
	// packet costs no list surgery.
	age []ageEntry
	// ageOn says the age heap is kept. It is built only when MaxSources
	// first forces an eviction: a run that never evicts (every -A of a
	// normal log) pays nothing for it.
	ageOn bool
	pairs int
	// Evicted counts sources forgotten because of MaxSources.
	Evicted int
	// gone lists the sources forgotten since the last TakeGone
	// (Settings.TrackGone).
	gone []Gone
	// PairLimitHit reports that MAX_SCAN_IP_PAIRS dropped a packet in the
	// current batch.
	PairLimitHit bool
	// autoRaised lists the raises auto_dl made since TakeAutoRaised
	// (Live trackers only).
	autoRaised []AutoRaise

	optionsSeen bool // EXPECT_TCP_OPTIONS: any packet had TCP options

	// changed logs the sources touched since the last ChangedSince, once
	// that has been called (logOn) and while callers hand back the stamp
	// it returned (logMark): a saving daemon then looks at what changed
	// instead of walking every source each second.
	changed []*Source
	logOn   bool
	logMark uint64

	batch   []*Source
	batchNo uint32
	// seq and batchSeq are a shard's packet positions (see SetOrder):
	// batchSeq[i] is the position of the packet that put batch[i] there.
	seq      uint64
	batchSeq []uint64
	ordered  bool
	strs     map[string]string
	ins      Inspection
}

// Source is the state of one scanning address.
//
// The fields every packet touches come first. A busy log's sources do
// not fit any cache, and a packet should read as few of a source's cache
// lines as it can: the first line holds what finding the source and its
// pair reads (Addr, dtag, dstOrder), the second what every packet
// writes, the third what fewer packets and the reports read; 192 bytes
// apiece. With Addr and dtag in the third and fourth lines, as before,
// finding a source and its pair read three of its lines, and -A's
// tracker goroutine spent a fifth of its time waiting for them.
type Source struct {
	Addr netip.Addr
	// dtag holds a byte of each destination of a small source (see dst).
	dtag [smallDsts]uint8
	// dstOrder keeps destinations in first-seen order; dstIndex is built
	// only for sources with many destinations, because most sources hit one
	// or two and an index per source would dominate memory.
	dstOrder []*Pair
	// dst0 and bdst0 back dstOrder and batchDsts for the usual single
	// destination: a busy log has hundreds of thousands of sources, and
	// two tiny allocations each cost more than the 16 bytes here.
	dst0 [1]*Pair

	// DL is the danger level, 0..5; it only ever rises (psad 7.3).
	DL       int
	Packets  int64 // packets accepted for this source ("Packets:")
	seen     uint64
	lastSeen int64 // LastSeen in Unix nanoseconds (noStart: the zero Time)
	// batchNo and startNo are batch numbers; a batch per CHECK_INTERVAL
	// second does not wrap 32 bits in a lifetime.
	batchNo, startNo uint32
	Local            bool
	AutoDL           bool // an auto_dl entry assigned DL
	sentOpts         bool // sent TCP options at least once (Masscan rule)
	logged           bool // in the tracker's change log (see ChangedSince)
	gone             bool // removed (replaced by Import); its age entry is void
	// batchSigDL and batchSidDL are the highest levels the current
	// batch's signature matches gave; startDL is the DL the source had
	// when the current batch first saw it (startNo), before anything of
	// that batch raised it. Levels are 0..5.
	batchSigDL, batchSidDL, startDL int8
	SigCount                        int64 // signature matches ("Sig count:")
	bdst0                           [1]*Pair

	// Below: what a source's first packet of a batch, packets with
	// signatures, OS fingerprints or many destinations read, and what
	// reports read.
	batchDsts []*Pair
	dstIndex  *dstTable
	sigIDs    []int // distinct signature ids matched
	// os is what passive OS fingerprinting found, nil until it finds or
	// keeps anything: a busy log's sources mostly have none, and the
	// three fields were 56 of the 256 bytes every source had.
	os *SourceOS
}

// SourceOS is a source's passive OS fingerprinting: its guesses and the
// engines' state (see Source.OS).
type SourceOS struct {
	// Guesses are passive OS fingerprint guesses (p0f method), sorted.
	Guesses []string
	// Posf is the posf guess for option-less SYNs, if any.
	Posf string
	// Scratch is the engines' state for the source.
	Scratch any
}

// OS returns s's fingerprinting, nil when there is none.
func (s *Source) OS() *SourceOS { return s.os }

// MakeOS returns s's fingerprinting, made if need be.
func (s *Source) MakeOS() *SourceOS {
	if s.os == nil {
		s.os = new(SourceOS)
	}
	return s.os
}

// SetOS makes o s's fingerprinting: an engine may hold a SourceOS in
// its own state for the source, one allocation for both.
func (s *Source) SetOS(o *SourceOS) { s.os = o }

// OSGuesses returns s's p0f guesses (nil when none).
func (s *Source) OSGuesses() []string {
	if s.os == nil {
		return nil
	}
	return s.os.Guesses
}

// PosfGuess returns s's posf guess ("" when none).
func (s *Source) PosfGuess() string {
	if s.os == nil {
		return ""
	}
	return s.os.Posf
}

// LastSeen is the time of the source's last packet.
func (s *Source) LastSeen() time.Time { return timeOfNanos(s.lastSeen) }

// BatchStartDL returns the danger level the source had before the
// current batch first saw it (the alert cycle's "did DL rise" test). It is
// valid for sources of the current batch, and inside EndBatch's result
// until the next packet.
func (s *Source) BatchStartDL() int { return int(s.startDL) }

// PortRange is the lowest and highest destination port of a protocol.
type PortRange struct {
	Lo, Hi uint16
	Seen   bool
}

// add widens the range to port, which the parser bounds to 0-65535.
func (r *PortRange) add(port int) {
	v := uint16(port)
	if !r.Seen {
		r.Lo, r.Hi, r.Seen = v, v, true
		return
	}
	r.Lo, r.Hi = min(r.Lo, v), max(r.Hi, v)
}

// ChainCount counts packets per chain, interface and protocol.
type ChainCount struct {
	Intf  string
	Pkts  int32 // saturates; 32 bits keep a Pair in two cache lines
	Chain fwlog.Chain
	Proto uint8
}

// SigRecord is one signature recorded for a pair (psad's <proto>.sid).
//
// The one-byte fields come last, together: spread among the others they
// padded a record to 104 bytes (112 allocated), 80 now.
type SigRecord struct {
	ID    int
	Proto string // the signature's protocol key
	Pkts  int
	DP    int    // last matching packet's destination port, -1 if none
	Flags string // last matching packet's TCP flags, "" if not TCP
	Rule  int
	// Shown is Pkts when an alert last listed the record: with
	// SHOW_ALL_SIGNATURES N alerts list only the matches since (psad
	// deletes the record after an alert; the report still needs it).
	Shown   int
	Chain   fwlog.Chain
	Fwsnort bool
	Estab   bool
}

// ICMPRecord counts invalid ICMP types or codes for a pair.
type ICMPRecord struct {
	V6    bool
	Type  int
	Code  int // -1 for an invalid type
	Chain fwlog.Chain
	Pkts  int
	Shown int // as SigRecord.Shown
}

// Unshown returns the pair with only the signature and invalid-ICMP
// matches no alert has listed yet, counted since (SHOW_ALL_SIGNATURES
// N); the pair itself is not changed.
func (p *Pair) Unshown() *Pair {
	if len(p.Sigs()) == 0 && len(p.ICMP()) == 0 {
		return p // the usual alert: nothing to leave out, nothing to copy
	}
	q := *p
	q.rare = new(pairRare)
	for _, r := range p.rare.sigs {
		if r.Pkts > r.Shown {
			r.Pkts -= r.Shown
			q.rare.sigs = append(q.rare.sigs, r)
		}
	}
	for _, r := range p.rare.icmp {
		if r.Pkts > r.Shown {
			r.Pkts -= r.Shown
			q.rare.icmp = append(q.rare.icmp, r)
		}
	}
	return &q
}

// MarkShown records that an alert has listed every match of the pair.
func (p *Pair) MarkShown() {
	sigs, icmp := p.Sigs(), p.ICMP()
	for i := range sigs {
		sigs[i].Shown = sigs[i].Pkts
	}
	for i := range icmp {
		icmp[i].Shown = icmp[i].Pkts
	}
}

// addrKey is an address as a pointer-free map key: cheaper to hash than
// netip.Addr (which carries a zone handle) and invisible to the garbage
// collector's scan of the map.
type addrKey struct {
	hi, lo uint64
	v4     bool
}

func keyOf(a netip.Addr) addrKey {
	b := a.As16()
	return addrKey{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:]), a.Is4()}
}

// Pair is the persistent state of one (source, destination).
//
// As in Source, what every packet touches fills the first 128 bytes.
type Pair struct {
	Dst netip.Addr
	// chain0 is the pair's count for its first chain, interface and
	// protocol, and the usual only one; moreChains, once there is a
	// second, holds them all (see Chains). Why not a slice here backed by
	// chain0: its header took 24 bytes of every pair.
	chain0     [1]ChainCount
	moreChains *[]ChainCount
	// AbsNum counts every packet of the pair that reached scan state
	// (saturating).
	AbsNum int32
	// batchNo is the batch in which the pair last sent a packet.
	batchNo uint32
	// mirai23 counts SYNs to port 23 (the Mirai rule, step 3).
	mirai23 int32
	// ToperaPkts, MasscanPkts and MiraiPkts count packets that carried the
	// marks of those scanners, so the report can name them (psad only
	// names them in alerts, from the last packet of a batch).
	ToperaPkts, MasscanPkts, MiraiPkts int32
	// Ranges holds TCP, UDP and UDP-Lite destination port ranges.
	Ranges [3]PortRange
	// PortSweep marks a pair found to be part of a port sweep (psad 14.2).
	PortSweep bool
	Local     bool
	// hasChain0 says chain0 holds a count.
	hasChain0 bool
	// Alerted marks a pair the alert cycle has reported; with
	// ALERT_ALL=N it is not reported again until its source's DL rises
	// (psad keeps the flag in the pair's scan record). It lives here, not
	// in a map beside the tracker, so that it goes with the pair when the
	// source expires.
	Alerted bool
	// Batch is the alert detail of the current batch; nil when the
	// tracker keeps no batch detail, and after ReleaseBatches.
	Batch *Batch
	// start is the time of the pair's first packet (Start), in Unix
	// nanoseconds: a time.Time takes 24 bytes, and a busy log has half a
	// million pairs.
	start int64
	// rare holds the pair's signature and invalid-ICMP matches (Sigs,
	// ICMP), which few pairs have. Why not two slices here: their headers
	// were 48 of a pair's 224 bytes, in every pair, and a busy log has
	// half a million pairs (-A's peak RSS on the 1M-line log 310 -> 300
	// MB; a one-packet source 516 -> 484 bytes).
	rare *pairRare
}

// Chains is the pair's packet counts per chain, interface and protocol,
// in first-seen order. The slice is the pair's own: do not change it.
func (p *Pair) Chains() []ChainCount {
	switch {
	case p.moreChains != nil:
		return *p.moreChains
	case p.hasChain0:
		return p.chain0[:]
	}
	return nil
}

// setChains gives the pair the counts cs, a copy of them.
func (p *Pair) setChains(cs []ChainCount) {
	p.moreChains, p.hasChain0 = nil, len(cs) > 0
	switch {
	case len(cs) == 1:
		p.chain0[0] = cs[0]
	case len(cs) > 1:
		p.chain0[0] = cs[0]
		more := slices.Clone(cs)
		p.moreChains = &more
	}
}

// Start is the time of the pair's first packet (psad's scan start), in
// the local time zone; the zero Time for a pair imported without one.
func (p *Pair) Start() time.Time { return timeOfNanos(p.start) }

// timeOfNanos is the Time unixNanos gave n for.
func timeOfNanos(n int64) time.Time {
	if n == noStart {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// unixNanos is t as Pair.start holds it.
func unixNanos(t time.Time) int64 {
	if t.IsZero() {
		return noStart
	}
	return t.UnixNano()
}

// noStart stands for the zero Time, which UnixNano cannot represent.
const noStart = math.MinInt64

// pairRare is the part of a Pair few pairs need.
type pairRare struct {
	sigs []SigRecord
	icmp []ICMPRecord
	// sig0 backs sigs for a pair's first signature: most pairs that
	// match one match one, and a busy log has hundreds of thousands.
	sig0 [1]SigRecord
}

// Sigs is the pair's signature matches, one record per signature.
func (p *Pair) Sigs() []SigRecord {
	if p.rare == nil {
		return nil
	}
	return p.rare.sigs
}

// ICMP is the pair's invalid ICMP types and codes, one record each.
func (p *Pair) ICMP() []ICMPRecord {
	if p.rare == nil {
		return nil
	}
	return p.rare.icmp
}

// rareOf returns p.rare, made if need be.
func (p *Pair) rareOf() *pairRare {
	if p.rare == nil {
		p.rare = new(pairRare)
	}
	return p.rare
}

// ReleaseBatches takes back the batch detail of srcs' pairs (the sources
// EndBatch returned) once the alert cycle has read it, for the pairs of
// later batches. Why: nothing reads a pair's batch detail after its
// batch's alerts (psad rebuilds it every batch), and a pair that keeps
// it until it expires carries a Batch (128 bytes) for nothing, a fifth
// of a one-packet source's memory (675 bytes against 555 released, as
// TestReleasedBatchesFreeMemory measures) in a daemon that keeps an hour
// of them.
func (t *Tracker) ReleaseBatches(srcs []*Source) {
	for _, s := range srcs {
		for _, p := range s.BatchDsts() {
			b := p.Batch
			if b == nil {
				continue
			}
			p.Batch = nil
			if len(t.freeBatches) < maxFreeBatches {
				t.freeBatches = append(t.freeBatches, b)
			}
		}
	}
}

// maxFreeBatches bounds the batch detail ReleaseBatches keeps for reuse:
// enough for a busy batch, not a flood's worth kept after it.
const maxFreeBatches = 4096

// Batch is the part of a pair's state rebuilt for every batch (psad 5.3);
// the daemon's alerts are built from it.
//
// Its lists (Pkts, Flags, Prefix, Hosts) nearly always hold one entry
// each: a spoofed-source flood makes a batch per one-packet pair. So the
// first entries live in the Batch itself and only a second one moves a
// list out to more. Why: with four slice headers and their one-entry
// backing arrays a Batch was 248 bytes, a third of the live heap at a
// flood's peak, and the daemon read a flood 40% faster without batch
// detail at all; in this form it is 128.
type Batch struct {
	No uint32
	// n* are the lengths of the inline lists; a list that has moved to
	// more has its n* at 0.
	nPkts, nFlags, nPrefix, nHosts uint8
	Ranges                         [3]PortRange
	Topera                         bool
	Masscan                        bool
	Mirai                          bool

	pkts0   [1]ProtoCount
	flags0  [1]FlagCount
	prefix0 [1]PrefixCount
	hosts0  [1]string
	SrcMAC  string
	DstMAC  string
	more    *batchMore
}

// batchMore holds the lists of a Batch that outgrew one entry. A reused
// Batch keeps it with the lists emptied, their arrays kept.
type batchMore struct {
	pkts   []ProtoCount
	flags  []FlagCount
	prefix []PrefixCount
	hosts  []string
}

// Pkts is the batch's packet count per protocol, one entry per protocol.
func (b *Batch) Pkts() []ProtoCount { return entries(&b.pkts0, b.nPkts, b.lists().pkts) }

// Flags is the batch's packet count per TCP flag combination.
func (b *Batch) Flags() []FlagCount { return entries(&b.flags0, b.nFlags, b.lists().flags) }

// Prefix is the batch's packet count per protocol, chain and log prefix,
// in first-seen order.
func (b *Batch) Prefix() []PrefixCount { return entries(&b.prefix0, b.nPrefix, b.lists().prefix) }

// Hosts is the syslog host names of the batch's packets, in first-seen
// order.
func (b *Batch) Hosts() []string { return entries(&b.hosts0, b.nHosts, b.lists().hosts) }

// noLists stands for the overflow lists of a Batch that has none; it is
// only read.
var noLists batchMore

// lists returns b's overflow lists, or empty ones when it has none.
func (b *Batch) lists() *batchMore {
	if b.more == nil {
		return &noLists
	}
	return b.more
}

// entries is one of a Batch's lists: the overflow slice once it holds
// the list, else the n (0 or 1) inline entries.
func entries[T any](first *[1]T, n uint8, over []T) []T {
	if len(over) > 0 {
		return over
	}
	return first[:n]
}

// addEntry appends v to one of b's lists, whose inline entry is first
// with count n and whose overflow slice list selects: the first entry
// stays inline, a second moves both to the overflow slice.
func addEntry[T any](b *Batch, first *[1]T, n *uint8, list func(*batchMore) *[]T, v T) {
	switch {
	case len(*list(b.lists())) > 0:
		l := list(b.more)
		*l = append(*l, v)
	case *n == 0:
		first[0], *n = v, 1
	default:
		l := list(b.grow())
		*l, *n = append(*l, first[0], v), 0
		var zero T
		first[0] = zero // drop its strings
	}
}

func pktsList(m *batchMore) *[]ProtoCount    { return &m.pkts }
func flagsList(m *batchMore) *[]FlagCount    { return &m.flags }
func prefixList(m *batchMore) *[]PrefixCount { return &m.prefix }
func hostsList(m *batchMore) *[]string       { return &m.hosts }

// reset empties b for batch no, keeping its overflow arrays.
func (b *Batch) reset(no uint32) {
	more := b.more
	if more != nil {
		clear(more.prefix) // interned strings: let a rare prefix go
		clear(more.hosts)
		more.pkts, more.flags, more.prefix, more.hosts = more.pkts[:0], more.flags[:0], more.prefix[:0], more.hosts[:0]
	}
	*b = Batch{No: no, more: more}
}

// grow returns b's overflow lists, made on first need.
func (b *Batch) grow() *batchMore {
	if b.more == nil {
		b.more = new(batchMore)
	}
	return b.more
}

// ProtoCount counts packets of one protocol in a batch.
type ProtoCount struct {
	Pkts  int32 // a batch lasts CHECK_INTERVAL seconds
	Proto uint8
}

// FlagCount counts one TCP flag combination in a batch.
type FlagCount struct {
	Pkts  int32
	Flags fwlog.TCPFlags
}

// PrefixCount counts packets per protocol, chain and log prefix in a batch.
type PrefixCount struct {
	Prefix string
	Pkts   int32
	Proto  uint8
	Chain  fwlog.Chain
}

// NewTracker returns an empty tracker.
func NewTracker(s Settings) *Tracker {
	t := &Tracker{
		set:     s,
		sources: newSrcTable(0),
		strs:    make(map[string]string),
	}
	t.Counters.Prefix = make(map[string]*int64)
	t.Counters.SigCount = make(map[int]int64)
	t.Counters.SigSources = make(map[int]int64)
	t.batchNo = 1
	return t
}

// Reserve sizes the tracker's tables for about n sources and pairs, so a
// large analysis does not rehash them again and again as they grow.
func (t *Tracker) Reserve(n int) {
	if t.set.MaxSources > 0 && n > t.set.MaxSources {
		n = t.set.MaxSources
	}
	if t.sources.len() > 0 || n <= 0 {
		return
	}
	t.sources = newSrcTable(n / 4)
	// A one-batch run lists every source in its batch: grown by append,
	// the list allocated five times its final size (8.4 MB for the 1M-line
	// log's 200,000 sources), which -A's collector never takes back.
	t.batch = make([]*Source, 0, n/4)
}

// Settings returns the tracker's settings.
func (t *Tracker) Settings() Settings { return t.set }

// SetSettings replaces the thresholds (a config reload) keeping all state.
func (t *Tracker) SetSettings(s Settings) { t.set = s }

// intern returns a string equal to b, allocating only the first time a
// value is seen: interfaces, prefixes and host names repeat endlessly.
func (t *Tracker) intern(b []byte) string {
	if s, ok := t.strs[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(t.strs) < 1<<16 {
		t.strs[s] = s
	}
	return s
}

// CountPrefix counts a log prefix (psad counts it before every other
// check, so the caller calls this for ignored and malformed lines too).
//
// The counters of the last prefixes seen are kept in a small cache
// beside the map: a busy log has a handful of prefixes, and hashing one
// per packet for the map was 7% of -A's tracker goroutine.
func (t *Tracker) CountPrefix(prefix []byte) {
	slot := &t.prefixCache[prefixSlot(prefix)]
	if slot.n != nil && slot.key == string(prefix) {
		*slot.n++
		return
	}
	key := t.intern(prefix)
	n, ok := t.Counters.Prefix[key]
	if !ok {
		n = new(int64)
		t.Counters.Prefix[key] = n
	}
	*n++
	*slot = prefixCount{key, n}
}

// prefixCacheSize is the entries of Tracker.prefixCache, a power of two.
const prefixCacheSize = 8

// prefixCount is an entry of Tracker.prefixCache: a prefix and its
// counter in Counters.Prefix, whose entries are never replaced.
type prefixCount struct {
	key string
	n   *int64
}

// prefixSlot is the prefixCache entry for prefix: its length and last
// byte tell a firewall's few prefixes apart well enough.
func prefixSlot(prefix []byte) int {
	h := len(prefix)
	if h > 0 {
		h += 3 * int(prefix[h-1])
	}
	return h & (prefixCacheSize - 1)
}

// Sources returns the number of tracked sources.
func (t *Tracker) Sources() int { return t.sources.len() }

// DLCounts returns how many tracked sources are at each danger level,
// below 0 counted at 0 and above 5 at 5.
//
// Why kept as levels change rather than counted when asked: the metrics
// scrape asks on the daemon's loop, and a walk over every source there
// stalled the loop for as long as the walk took (1 ms per 50,000
// sources; 6% of the CPU of a 100,000-source flood read while scraped
// every 10 ms).
func (t *Tracker) DLCounts() [6]int { return t.byDL }

// dlIndex is the byDL index of danger level dl.
func dlIndex(dl int) int { return min(max(dl, 0), 5) }

// setDL sets src's danger level, keeping byDL.
func (t *Tracker) setDL(src *Source, dl int) {
	t.byDL[dlIndex(src.DL)]--
	t.byDL[dlIndex(dl)]++
	src.DL = dl
}

// Source returns the state of addr, or nil.
func (t *Tracker) Source(addr netip.Addr) *Source { return t.sources.get(keyOf(addr)) }

// EachSource calls fn for every tracked source in no particular order.
func (t *Tracker) EachSource(fn func(*Source)) {
	for s := range t.sources.all {
		fn(s)
	}
}

// EachSourcePart calls fn for the sources in part part of parts (0 <=
// part < parts) of the tracker's table: the parts together are every
// source once, and goroutines may walk them at once while nothing
// changes the tracker.
func (t *Tracker) EachSourcePart(part, parts int, fn func(*Source)) {
	t.sources.part(part, parts, func(s *Source) bool { fn(s); return true })
}

func (t *Tracker) source(addr netip.Addr, now time.Time) *Source {
	k := keyOf(addr)
	if s := t.sources.get(k); s != nil {
		t.touch(s, now)
		return s
	}
	return t.newSource(k, addr, now)
}

// touch stamps a source as the most recently seen.
func (t *Tracker) touch(s *Source, now time.Time) {
	t.seen++
	s.seen = t.seen
	s.lastSeen = unixNanos(now)
	if t.logOn && !s.logged {
		s.logged = true
		t.changed = append(t.changed, s)
	}
}

// newSource adds a source that is not tracked yet, evicting the least
// recently seen one when MaxSources is reached.
func (t *Tracker) newSource(k addrKey, addr netip.Addr, now time.Time) *Source {
	if t.set.MaxSources > 0 && t.sources.len() >= t.set.MaxSources {
		t.evict()
	}
	s := t.allocSource()
	s.Addr = addr
	t.byDL[dlIndex(s.DL)]++
	t.touch(s, now)
	if t.ageOn {
		t.pushAge(ageEntry{s, s.seen})
	}
	t.sources.put(k, s)
	return s
}

// buildAge builds the age heap from every tracked source at once, in
// linear time.
func (t *Tracker) buildAge() {
	t.age = make([]ageEntry, 0, t.sources.len()+t.sources.len()/4)
	for s := range t.sources.all {
		t.age = append(t.age, ageEntry{s, s.seen})
	}
	for i := len(t.age)/2 - 1; i >= 0; i-- {
		t.siftDown(i)
	}
	t.ageOn = true
}

func (t *Tracker) evict() {
	if !t.ageOn {
		t.buildAge()
	}
	var s *Source
	for len(t.age) > 0 {
		e := t.popAge()
		if e.src.gone {
			continue
		}
		if e.src.seen != e.seen {
			t.pushAge(ageEntry{e.src, e.src.seen})
			continue
		}
		s = e.src
		break
	}
	if s == nil {
		return
	}
	t.remove(s) // drops it from the current batch too
	t.Evicted++
	t.forgot(s)
}

// Gone is a source the tracker forgot, with the danger level it had: it
// says whether the source had files under PSAD_DIR to remove.
type Gone struct {
	Addr netip.Addr
	DL   int
}

func (t *Tracker) forgot(s *Source) {
	if t.set.TrackGone {
		t.gone = append(t.gone, Gone{s.Addr, s.DL})
	}
}

// TakeGone returns the sources forgotten since the last call (recorded
// only with Settings.TrackGone) and starts a new list. A source
// forgotten and seen again is in the list and in the tracker; callers
// delete before they save.
func (t *Tracker) TakeGone() []Gone {
	g := t.gone
	t.gone = nil
	return g
}

// Observe runs psad's per-packet pipeline (section 4, steps 2-16) for a
// packet that parsed and passed the ignore rules. now is the packet's
// time. It reports whether the packet reached scan state.
func (t *Tracker) Observe(now time.Time, p *fwlog.Packet) bool {
	// Step 2: global counters.
	c := &t.Counters
	c.Proto[p.ProtoIndex()]++
	switch p.Proto {
	case fwlog.ProtoTCP:
		c.TCPPort[p.DstPort]++
	case fwlog.ProtoUDP:
		c.UDPPort[p.DstPort]++
	case fwlog.ProtoUDPLite:
		c.UDPLitePort[p.DstPort]++
	}

	sentOpts := p.Proto == fwlog.ProtoTCP && t.set.ExpectTCPOptions && len(p.TCPOpts) > 0
	if sentOpts {
		t.optionsSeen = true
	}

	src, pair := t.hinted(p)
	if pair == nil {
		// The hint's source stands (only a removal ends one), but an
		// earlier packet may have added the source or the pair since.
		if src == nil {
			src = t.sources.get(keyOf(p.Src))
		}
		if src != nil {
			pair = src.dst(keyOf(p.Dst), p.Dst)
		}
	}
	if pair == nil {
		// Step 4: MAX_SCAN_IP_PAIRS.
		if t.set.MaxScanIPPairs > 0 && t.pairs >= t.set.MaxScanIPPairs {
			t.PairLimitHit = true
			return false
		}
		if src == nil {
			src = t.newSource(keyOf(p.Src), p.Src, now)
		} else {
			t.touch(src, now)
		}
		pair = t.newPair()
		pair.Dst, pair.start = p.Dst, unixNanos(now)
		src.addDst(pair)
		t.pairs++
	} else {
		t.touch(src, now)
	}

	// Masscan: option-less SYNs from a source that never sent options,
	// while other sources did. psad asks only whether anyone sent
	// options, so hping3 -S from a host with ordinary connections was
	// labelled Masscan too; the stack that put options on this source's
	// other SYNs is no masscan.
	if sentOpts {
		src.sentOpts = true
	}
	masscan := p.Proto == fwlog.ProtoTCP && p.Flags == fwlog.FlagSYN && len(p.TCPOpts) == 0 &&
		t.optionsSeen && !src.sentOpts

	if src.startNo != t.batchNo+1 {
		src.startNo, src.startDL = t.batchNo+1, int8(src.DL)
	}
	entryDL := src.DL
	if t.OnRaise != nil {
		defer func() {
			if src.DL > entryDL {
				t.OnRaise(src, entryDL)
			}
		}()
	}

	// Step 3: Mirai (telnet default-credential scanners hit 23, then 2323).
	mirai := false
	if p.Proto == fwlog.ProtoTCP && p.Flags&fwlog.FlagSYN != 0 {
		switch p.DstPort {
		case 23:
			inc32(&pair.mirai23)
		case 2323:
			mirai = pair.mirai23 >= 10
		}
	}

	// Step 5: "Packets:" of Top attackers.
	src.Packets++

	// Step 6: local marks (only when HOME_NET is not "any").
	if t.set.HomeNet != nil {
		switch p.Chain {
		case fwlog.ChainInput:
			pair.Local = true
		case fwlog.ChainOutput:
			src.Local = true
		case fwlog.ChainForward:
			if t.set.HomeNet(p.Src) {
				src.Local = true
			}
		}
	}

	// Step 8: auto_dl.
	if t.AutoDL != nil {
		level, ignore, assigned := t.AutoDL(p, src.DL)
		if ignore {
			return false
		}
		if assigned && level > src.DL {
			t.setDL(src, level)
			src.AutoDL = true
			if t.set.Live {
				t.autoRaised = append(t.autoRaised, AutoRaise{src, level})
			}
		}
	}

	// Steps 10-11: ICMP validation and signatures.
	ins := &t.ins
	if t.Inspect != nil {
		ins.Sigs = ins.Sigs[:0]
		ins.Drop, ins.SigDL, ins.SidDL, ins.InvalidType, ins.InvalidCode = false, 0, 0, false, false
		t.Inspect(p, src, ins)
		if ins.InvalidType || ins.InvalidCode {
			if src.DL < 2 {
				t.setDL(src, 2)
			}
			t.recordICMP(pair, p, ins.InvalidType)
		}
		if ins.Drop {
			return false
		}
	}

	// Step 14: persistent record.
	inc32(&pair.AbsNum)
	t.countChain(pair, p)
	switch p.Proto {
	case fwlog.ProtoTCP:
		pair.Ranges[0].add(p.DstPort)
	case fwlog.ProtoUDP:
		pair.Ranges[1].add(p.DstPort)
	case fwlog.ProtoUDPLite:
		pair.Ranges[2].add(p.DstPort)
	}
	if t.Inspect != nil && len(ins.Sigs) > 0 {
		t.recordSigs(src, pair, p, ins)
	}

	// Step 15: batch record. A source with no pair but this packet's at
	// its first packet of the batch keeps no list of the batch's pairs:
	// they are dstOrder (see BatchDsts).
	if src.batchNo != t.batchNo {
		src.batchNo = t.batchNo
		switch {
		case len(src.dstOrder) == 1:
			src.batchDsts = nil
		case src.batchDsts == nil:
			src.batchDsts = src.bdst0[:0]
		default:
			src.batchDsts = src.batchDsts[:0]
		}
		src.batchSigDL, src.batchSidDL = 0, 0
		t.batch = append(t.batch, src)
		if t.ordered {
			t.batchSeq = append(t.batchSeq, t.seq)
		}
	}
	newDst := pair.batchNo != t.batchNo
	if newDst {
		pair.batchNo = t.batchNo
		if src.batchDsts != nil {
			src.batchDsts = append(src.batchDsts, pair)
		}
		if !t.set.NoBatchDetail {
			if b := pair.Batch; b == nil {
				if n := len(t.freeBatches); n > 0 {
					b = t.freeBatches[n-1]
					t.freeBatches[n-1] = nil
					t.freeBatches = t.freeBatches[:n-1]
					b.reset(t.batchNo)
				} else {
					b = &Batch{No: t.batchNo}
				}
				pair.Batch = b
			} else {
				b.reset(t.batchNo)
			}
		}
	}
	if p.Topera {
		inc32(&pair.ToperaPkts)
	}
	if masscan {
		inc32(&pair.MasscanPkts)
	}
	if mirai {
		inc32(&pair.MiraiPkts)
	}
	if b := pair.Batch; b != nil && !t.set.NoBatchDetail {
		t.countBatch(b, p)
		b.Topera, b.Masscan, b.Mirai = p.Topera, masscan, mirai
	}
	if ins.SigDL > int(src.batchSigDL) && t.Inspect != nil {
		src.batchSigDL = int8(ins.SigDL)
	}
	if ins.SidDL > int(src.batchSidDL) && t.Inspect != nil {
		src.batchSidDL = int8(ins.SidDL)
	}
	if t.Debug != nil {
		if p.Topera {
			io.WriteString(t.Debug, "    Topera IPv6 scan\n")
		}
		if masscan {
			io.WriteString(t.Debug, "    Masscan SYN scan\n")
		}
	}

	if t.set.Live {
		t.assessLive(src, pair, newDst)
	}

	// Step 16: passive OS fingerprinting of SYN packets.
	if t.Fingerprint != nil && p.Proto == fwlog.ProtoTCP && p.Flags&fwlog.FlagSYN != 0 {
		t.Fingerprint(p, src, pair)
	}
	return true
}

// HasProto reports whether the pair has seen protocol proto.
func (pr *Pair) HasProto(proto uint8) bool {
	for _, c := range pr.Chains() {
		if c.Proto == proto {
			return true
		}
	}
	return false
}

// ProtoSet is the set of protocol numbers the pair has seen, a bit per
// number: those of its chain counts, which every counted packet has. Why
// not a field: a 32-byte copy of this in each of a busy log's half a
// million pairs was memory -A faulted in for nothing.
func (pr *Pair) ProtoSet() (set [4]uint64) {
	for _, c := range pr.Chains() {
		set[c.Proto>>6] |= 1 << (c.Proto & 63)
	}
	return set
}

// TotProtocols is the number of distinct protocols the pair has seen; it
// is psad's tot_protocols, counted correctly (see docs/compat.md).
func (pr *Pair) TotProtocols() int { return popcount(pr.ProtoSet()) }

// TotProtocols is the number of distinct protocols in the batch.
func (b *Batch) TotProtocols() int { return len(b.Pkts()) }

func popcount(s [4]uint64) int {
	n := 0
	for _, w := range s {
		for w != 0 {
			w &= w - 1
			n++
		}
	}
	return n
}

func (t *Tracker) countChain(pair *Pair, p *fwlog.Packet) {
	cs := pair.Chains()
	for i := range cs {
		cc := &cs[i]
		if cc.Chain == p.Chain && cc.Proto == p.Proto && cc.Intf == string(p.Intf) {
			inc32(&cc.Pkts)
			return
		}
	}
	c := ChainCount{Chain: p.Chain, Intf: t.intern(p.Intf), Proto: p.Proto, Pkts: 1}
	switch {
	case !pair.hasChain0:
		pair.chain0[0], pair.hasChain0 = c, true
	case pair.moreChains == nil:
		more := []ChainCount{pair.chain0[0], c}
		pair.moreChains = &more
	default:
		*pair.moreChains = append(*pair.moreChains, c)
	}
}

func (t *Tracker) countBatch(b *Batch, p *fwlog.Packet) {
	countProto(b, p.Proto)
	switch p.Proto {
	case fwlog.ProtoTCP:
		b.Ranges[0].add(p.DstPort)
		countFlags(b, p.Flags)
	case fwlog.ProtoUDP:
		b.Ranges[1].add(p.DstPort)
	case fwlog.ProtoUDPLite:
		b.Ranges[2].add(p.DstPort)
	}
	t.countPrefix(b, p)
	if len(p.Host) > 0 && !slices.Contains(b.Hosts(), string(p.Host)) {
		addEntry(b, &b.hosts0, &b.nHosts, hostsList, t.intern(p.Host))
	}
	if len(p.SrcMAC) > 0 {
		if b.SrcMAC != string(p.SrcMAC) {
			b.SrcMAC = t.intern(p.SrcMAC)
		}
		if b.DstMAC != string(p.DstMAC) {
			b.DstMAC = t.intern(p.DstMAC)
		}
	}
}

func countProto(b *Batch, proto uint8) {
	pk := b.Pkts()
	for i := range pk {
		if pk[i].Proto == proto {
			pk[i].Pkts++
			return
		}
	}
	addEntry(b, &b.pkts0, &b.nPkts, pktsList, ProtoCount{Proto: proto, Pkts: 1})
}

func countFlags(b *Batch, flags fwlog.TCPFlags) {
	fl := b.Flags()
	for i := range fl {
		if fl[i].Flags == flags {
			fl[i].Pkts++
			return
		}
	}
	addEntry(b, &b.flags0, &b.nFlags, flagsList, FlagCount{Flags: flags, Pkts: 1})
}

func (t *Tracker) countPrefix(b *Batch, p *fwlog.Packet) {
	pr := b.Prefix()
	for i := range pr {
		pc := &pr[i]
		if pc.Proto == p.Proto && pc.Chain == p.Chain && pc.Prefix == string(p.Prefix) {
			pc.Pkts++
			return
		}
	}
	addEntry(b, &b.prefix0, &b.nPrefix, prefixList, PrefixCount{Proto: p.Proto, Chain: p.Chain, Prefix: t.intern(p.Prefix), Pkts: 1})
}

func (t *Tracker) recordICMP(pair *Pair, p *fwlog.Packet, badType bool) {
	code := p.ICMPCode
	if badType {
		code = -1
	}
	v6 := p.Proto == fwlog.ProtoICMPv6
	rare := pair.rareOf()
	for i := range rare.icmp {
		r := &rare.icmp[i]
		if r.V6 == v6 && r.Type == p.ICMPType && r.Code == code && r.Chain == p.Chain {
			r.Pkts++
			return
		}
	}
	rare.icmp = append(rare.icmp, ICMPRecord{V6: v6, Type: p.ICMPType, Code: code, Chain: p.Chain, Pkts: 1})
}

func (t *Tracker) recordSigs(src *Source, pair *Pair, p *fwlog.Packet, ins *Inspection) {
	c := &t.Counters
	for _, h := range ins.Sigs {
		if h.DL <= 0 {
			continue
		}
		found := false
		rare := pair.rareOf()
		for i := range rare.sigs {
			r := &rare.sigs[i]
			if r.ID == h.ID && r.Proto == h.Proto && r.Chain == p.Chain {
				r.Pkts++
				r.DP, r.Flags = sigPort(p), sigFlags(p)
				r.Rule, r.Estab = h.Rule, h.Estab
				found = true
				break
			}
		}
		if !found {
			if rare.sigs == nil {
				rare.sigs = rare.sig0[:0]
			}
			rare.sigs = append(rare.sigs, SigRecord{
				ID: h.ID, Proto: h.Proto, Chain: p.Chain, Pkts: 1,
				DP: sigPort(p), Flags: sigFlags(p), Fwsnort: h.Fwsnort, Rule: h.Rule, Estab: h.Estab,
			})
		}
		c.SigCount[h.ID]++
		if !slices.Contains(src.sigIDs, h.ID) {
			// A source matches few distinct signatures: a short list on
			// the source beats a set of sources per signature.
			src.sigIDs = append(src.sigIDs, h.ID)
			c.SigSources[h.ID]++
		}
		src.SigCount++
	}
}

func sigPort(p *fwlog.Packet) int {
	switch p.Proto {
	case fwlog.ProtoTCP, fwlog.ProtoUDP, fwlog.ProtoUDPLite:
		return p.DstPort
	}
	return -1
}

func sigFlags(p *fwlog.Packet) string {
	if p.Proto == fwlog.ProtoTCP {
		return p.Flags.String()
	}
	return ""
}

// AutoRaise is one rise of a source's DL by an auto_dl entry.
type AutoRaise struct {
	Src *Source
	DL  int
}

// TakeAutoRaised returns the raises auto_dl made since the last call, in
// order, and forgets them: psad says each in syslog. Only a Live tracker
// (the daemon) keeps them.
func (t *Tracker) TakeAutoRaised() []AutoRaise {
	out := t.autoRaised
	t.autoRaised = nil
	return out
}

// BatchSources returns the sources that sent packets in the current batch.
// The list is sized once: grown by append it allocated five times its
// final size, 9 MB of fresh memory for the 1M-line log's 200,000
// sources, in EndBatch, where -A waits for it.
func (t *Tracker) BatchSources() []*Source {
	out := make([]*Source, 0, len(t.batch))
	for _, s := range t.batch {
		if s.batchNo == t.batchNo {
			out = append(out, s)
		}
	}
	return out
}

// BatchDsts returns the destinations src sent packets to in the current
// batch, in first-seen order.
//
// A source that had only the pair of its first packet of the batch keeps
// no list of them (batchDsts nil): every pair it has is then in the
// batch, in the same order, so they are dstOrder, until Expire takes one
// (which makes the list) or the next batch. Why: in -A, one batch, every
// source's list was a copy of dstOrder, grown pointer by pointer for
// half a million pairs.
func (s *Source) BatchDsts() []*Pair {
	if s.batchDsts == nil {
		return s.dstOrder
	}
	return s.batchDsts
}

// DstList returns the source's destinations in first-seen order.
func (s *Source) DstList() []*Pair { return s.dstOrder }

type ageEntry struct {
	src  *Source
	seen uint64
}

// pushAge adds an entry to the age heap. New sources carry the newest
// stamp, so the sift-up usually stops at once.
func (t *Tracker) pushAge(e ageEntry) {
	h := append(t.age, e)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if h[p].seen <= h[i].seen {
			break
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
	t.age = h
}

func (t *Tracker) popAge() ageEntry {
	h := t.age
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h[n] = ageEntry{}
	t.age = h[:n]
	t.siftDown(0)
	return top
}

func (t *Tracker) siftDown(i int) {
	h := t.age
	n := len(h)
	for {
		l, m := 2*i+1, i
		if l < n && h[l].seen < h[m].seen {
			m = l
		}
		if r := l + 1; r < n && h[r].seen < h[m].seen {
			m = r
		}
		if m == i {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// pairSlab is how many Pairs are allocated at once: what fills 40 KB,
// since an allocation that size takes whole 8 KB pages, and a Pair size
// that left part of the last page empty (144 bytes, 256 to a block)
// saved no memory at all.
const pairSlab = 5 * 8192 / int(unsafe.Sizeof(Pair{}))

// sourceBlock is how many Sources are allocated at once: what fits in
// 8 KB, the span the allocator itself would put 42 Sources in, so that a
// block a long-lived source keeps alive holds no more than its span
// would. The allocator puts an 8-byte header before an object of over
// 512 bytes that holds pointers: 32 Sources of 256 bytes made a
// 8,200-byte block, in the 9,472-byte size class whose 56 KB spans hold
// six blocks, and a flood's expiry around scanners left three times the
// memory in use (TestSourceBlocksKeepNoMoreThanSpans).
const sourceBlock = (8<<10 - 64) / int(unsafe.Sizeof(Source{}))

// sourceArena is a block of Sources placed so that each starts a cache
// line (see Source): the allocator's header takes the first 8 bytes of
// the 8 KB slot, so a []Source of its own began 8 bytes past a line,
// and every source lay across four lines instead of three
// (TestSourceBlocksAligned).
type sourceArena struct {
	_   [64 - 8]byte
	src [sourceBlock]Source
}

func newSourceBlock() []Source { return new(sourceArena).src[:0] }

// allocSource returns a zero Source: from Prefault's blocks while they
// run and the tracker is below MaxSources (see Prefault), on its own
// otherwise.
func (t *Tracker) allocSource() *Source {
	if t.srcAhead == nil || t.set.MaxSources > 0 && t.sources.len() >= t.set.MaxSources {
		return &Source{}
	}
	return fromBlock(&t.srcSlab, t.srcAhead, newSourceBlock)
}

// fromBlock returns the next zero element of *block, starting a new
// block, one made ready on ahead if there is one, when it is full.
func fromBlock[T any](block *[]T, ahead chan []T, newBlock func() []T) *T {
	b := *block
	if len(b) == cap(b) {
		select {
		case b = <-ahead:
		default:
			b = newBlock()
		}
	}
	b = b[:len(b)+1]
	*block = b
	return &b[len(b)-1]
}

// Prefault has goroutines make pair blocks (and source blocks with
// sources) ahead of the tracker and write to every page of them, until
// stop is called; the tracker takes a ready block when there is one and
// makes its own otherwise.
//
// Why: the first write to a page the process has never used is a page
// fault, and a one-shot analysis of a busy log makes hundreds of
// thousands of pairs and sources on its one tracker goroutine, which
// then spent a fifth of its time in the kernel while the other cores
// had time to spare (-A on a 1M-line log: 14-18% faster; the daemon's
// read of a flood, BenchmarkDaemonLines/flood, 11% faster). A block
// stays in memory while one of its members does, which for sources is
// what the allocator's own span would do (see sourceBlock), and a
// forgotten source in a block points at nothing (see remove). Sources
// come from blocks only until MaxSources is reached: once eviction
// starts, the sources it leaves in blocks add at most the cap's worth
// again. Pairs always come from blocks (see newPair).
func (t *Tracker) Prefault(sources bool) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	t.ahead = prefault(&wg, done, newPairBlock)
	if sources {
		t.srcAhead = prefault(&wg, done, newSourceBlock)
		t.sources.ahead = make(chan []srcSlot, 1)
	}
	return func() {
		close(done)
		wg.Wait()
		t.ahead, t.srcAhead = nil, nil
		t.sources.ahead, t.sources.asked = nil, 0
	}
}

// prefault makes blocks of T on a goroutine of wg until done, writing to
// every page of each, and keeps prefaultAhead of them ready in the
// returned channel.
func prefault[T any](wg *sync.WaitGroup, done <-chan struct{}, newBlock func() []T) chan []T {
	ch := make(chan []T, prefaultAhead)
	next := func() []T {
		var zero T
		b := newBlock()
		b = b[:cap(b)]
		for i := 0; i < len(b); i += max(4096/int(unsafe.Sizeof(zero)), 1) {
			b[i] = zero // a write: a read would map the shared zero page
		}
		return b[:0]
	}
	wg.Go(func() {
		for {
			select {
			case ch <- next():
			case <-done:
				return
			}
		}
	})
	return ch
}

// prefaultAhead is how many blocks Prefault keeps ready of each kind.
const prefaultAhead = 8

func (t *Tracker) newPair() *Pair { return fromBlock(&t.slab, t.ahead, newPairBlock) }

func newPairBlock() []Pair { return make([]Pair, 0, pairSlab) }

// smallDsts is how many destinations a source may have before a table
// indexes them; a linear scan of a few bytes beats hashing.
const smallDsts = 8

// Dst returns the pair state for dst, or nil.
func (s *Source) Dst(dst netip.Addr) *Pair { return s.dst(keyOf(dst), dst) }

// dst finds a destination of a small source by its tag byte before it
// looks at a pair. Why: a busy log's pairs do not fit any cache, and
// comparing each pair's address was a trip to memory per destination
// on every packet, a fifth of the tracker's time in -A; the tags sit in
// the source, so a new destination costs no pair reads and a known one
// the read of its own pair.
func (s *Source) dst(k addrKey, dst netip.Addr) *Pair {
	if len(s.dstOrder) > smallDsts {
		return s.dstIndex.get(k, dst)
	}
	tag := k.tag()
	for i, p := range s.dstOrder {
		if s.dtag[i] == tag && p.Dst == dst {
			return p
		}
	}
	return nil
}

func (s *Source) addDst(p *Pair) {
	if s.dstOrder == nil {
		s.dstOrder = s.dst0[:0]
	}
	s.dstOrder = append(s.dstOrder, p)
	switch n := len(s.dstOrder); {
	case n <= smallDsts:
		s.dtag[n-1] = keyOf(p.Dst).tag()
	case s.dstIndex != nil:
		s.dstIndex.put(keyOf(p.Dst), p)
	default:
		s.dstIndex = newDstTable(s.dstOrder)
	}
}

// retag rebuilds the destination tags, or the index, of a source whose
// destinations Expire cut.
func (s *Source) retag() {
	if len(s.dstOrder) > smallDsts {
		s.dstIndex = newDstTable(s.dstOrder)
		return
	}
	s.dstIndex = nil
	for i, p := range s.dstOrder {
		s.dtag[i] = keyOf(p.Dst).tag()
	}
}

// tag folds an address into a byte; in a sweep of a network the last
// octet alone tells the destinations apart.
func (k addrKey) tag() uint8 {
	x := k.hi ^ k.lo
	x ^= x >> 32
	x ^= x >> 16
	x ^= x >> 8
	return uint8(x)
}

// inc32 counts one more packet in a 32-bit counter, saturating: a count
// past two billion only ever means "many".
func inc32(n *int32) {
	if *n < math.MaxInt32 {
		*n++
	}
}
