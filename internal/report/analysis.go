// Package report renders psad's human-read reports from scan state: the
// analysis (-A) report body, line for line in psad 2.4.6's layout, with
// deterministic ordering wherever psad left the order to Perl's hashes.
package report

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"net/netip"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/scan"
)

// ProtoNamer names protocol numbers for the protocol counters (the
// protocols file).
type ProtoNamer interface {
	Name(num int) (name, desc string, ok bool)
}

// SigInfo describes a signature id for the report: its message and
// protocol. ok is false for ids without a message (psad skips them).
type SigInfo func(id int) (msg, proto string, ok bool)

// ICMPTypeText returns the name psad quotes for an ICMP type ("Echo").
type ICMPTypeText func(v6 bool, typ int) string

// Options control the report.
type Options struct {
	Version string
	// MinDL is MIN_DANGER_LEVEL (sources below it are not listed).
	MinDL int
	// Thresholds: STATUS_SIGS_THRESHOLD, STATUS_IP_THRESHOLD,
	// STATUS_PORTS_THRESHOLD; 0 means unlimited.
	SigsMax, IPMax, PortsMax int
	// SummaryOnly stops after the protocol counters (--status-summary).
	SummaryOnly bool
	Protocols   ProtoNamer
	Sigs        SigInfo
	// DetailSigs names signatures in IP Status Detail (psad prefers the
	// fwsnort rule text there); nil means Sigs.
	DetailSigs SigInfo
	ICMPType   ICMPTypeText
	// EmailAlerts, set for -S, gives a source's "Email alerts" count,
	// which psad prints on the SRC line of -S (and -A does not).
	EmailAlerts func(*scan.Source) int
	// StatusSections, set for -S, writes psad's DShield and auto-blocked
	// IP sections, which come between the prefix counters and the
	// protocol counters. It runs on another goroutine while the report
	// lists the sources.
	StatusSections func(io.Writer)
}

// Totals are the counts the report ends with.
type Totals struct {
	Sources, Destinations int
}

// Write renders the report from "[+] Version:" through the blank line
// after "Total scan destinations" (the text psad also copies to
// ANALYSIS_OUTPUT_FILE).
func Write(out io.Writer, t *scan.Tracker, o Options) (Totals, error) {
	w := bufio.NewWriterSize(out, 64<<10)
	var tot Totals
	fmt.Fprintf(w, "[+] Version: psad v%s\n\n", o.Version)
	writeTopSigs(w, t, o)
	// The sections after Top attackers read only the tracker's counters:
	// they are written to a buffer on another core while this one lists
	// the sources (9-16 ms and 33-52 ms of -A's report on the 1M-line
	// log, each keeping the other core idle before the detail).
	var counters bytes.Buffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		writeTopPorts(&counters, t, o)
		writePrefixes(&counters, t)
		if o.StatusSections != nil {
			o.StatusSections(&counters)
		}
		writeProtoCounters(&counters, t, o)
	}()
	srcs, big := listSources(t, o.MinDL, !o.SummaryOnly)
	writeTopAttackers(w, srcs, o)
	<-done
	w.Write(counters.Bytes())
	if !o.SummaryOnly {
		tot = writeDetail(w, srcs, big, o)
	}
	return tot, w.Flush()
}

func header(w io.Writer, what string, n int) {
	if n > 0 {
		fmt.Fprintf(w, "[+] Top %d %s:\n", n, what)
	} else {
		fmt.Fprintf(w, "[+] Top %s:\n", what)
	}
}

const none = "        [NONE]\n"

// sigCount is one signature's match count.
type sigCount struct {
	id int
	n  int64
}

// sigsByCount returns the matched signature ids, most matches first, then
// by id (psad left ties to hash order).
func sigsByCount(t *scan.Tracker) []sigCount {
	var ents []sigCount
	for id, n := range t.Counters.SigCount {
		if n > 0 {
			ents = append(ents, sigCount{id, n})
		}
	}
	sort.Slice(ents, func(i, j int) bool {
		if ents[i].n != ents[j].n {
			return ents[i].n > ents[j].n
		}
		return ents[i].id < ents[j].id
	})
	return ents
}

// uniqueSigs counts a pair's (protocol, id) signature records, once each
// whatever the chains; ip signatures only when withIP.
//
// The records are read through pointers: copied, each 80-byte record
// was read whole, two cache lines, for the two fields compared
// (BenchmarkWriteMixed, 8 alternated runs: median 73.2 to 72.0 ms).
func uniqueSigs(pr *scan.Pair, withIP bool) int {
	n := 0
	sg := pr.Sigs()
	for i := range sg {
		r := &sg[i]
		if r.Proto == "ip" && !withIP {
			continue
		}
		dup := false
		for j := range i {
			if q := &sg[j]; q.ID == r.ID && q.Proto == r.Proto {
				dup = true
				break
			}
		}
		if !dup {
			n++
		}
	}
	return n
}

func writeTopSigs(w io.Writer, t *scan.Tracker, o Options) {
	header(w, "signature matches", o.SigsMax)
	ents := sigsByCount(t)
	printed := 0
	for _, e := range ents {
		if o.SigsMax > 0 && printed >= o.SigsMax {
			break
		}
		if o.Sigs == nil {
			break
		}
		msg, proto, ok := o.Sigs(e.id)
		if !ok {
			continue
		}
		fmt.Fprintf(w, "      \"%s\" (%s),  Count: %d,  Unique sources: %d,  Sid: %d\n",
			msg, proto, e.n, t.Counters.SigSources[e.id], e.id)
		printed++
	}
	if printed == 0 {
		io.WriteString(w, none)
	}
	io.WriteString(w, "\n")
}

// listedSources are the sources shown in Top attackers and IP Status
// Detail: DL >= max(1, MIN_DANGER_LEVEL), by DL descending and then by the
// printed address (psad's order).
//
// The table is walked in parts on every core, each part's sources
// sorted there, and the sorted parts merged: on one core the walk and
// the sort took 28-43 ms of -A's report on the 1M-line log (77,000 of
// 200,000 sources listed), with the detail's rendering waiting for them;
// in two parts, 22-25 ms.
func listedSources(t *scan.Tracker, minDL int) []*scan.Source {
	srcs, _ := listSources(t, minDL, false)
	return srcs
}

// listSources is listedSources, and with sortBig the pairs in report
// order of each listed source that the detail renders in pieces (see
// pieces), sorted by the walk that finds them. Why there: sorted when
// the detail reaches them, the 1M-line log's biggest scanner (30,635
// destinations) kept the rendering goroutines waiting 11-22 ms, while
// the walk's parts end at different times anyway.
func listSources(t *scan.Tracker, minDL int, sortBig bool) ([]*scan.Source, map[*scan.Source][]*scan.Pair) {
	if minDL < 1 {
		minDL = 1
	}
	n := 0
	for dl, c := range t.DLCounts() {
		if dl >= minDL {
			n += c
		}
	}
	parts := 1
	if n >= listParallel {
		parts = min(runtime.GOMAXPROCS(0), 8)
	}
	sorted := make([][]sourceKey, parts)
	bigs := make([][]bigPairs, parts)
	var wg sync.WaitGroup
	for part := range parts {
		wg.Go(func() {
			sorted[part], bigs[part] = listPart(t, part, parts, minDL, n/parts+n/16, sortBig)
		})
	}
	wg.Wait()
	var big map[*scan.Source][]*scan.Pair
	for _, b := range bigs {
		for _, x := range b {
			if big == nil {
				big = make(map[*scan.Source][]*scan.Pair)
			}
			big[x.src] = x.pairs
		}
	}
	out := make([]*scan.Source, 0, n)
	for {
		best := -1
		for i, s := range sorted {
			if len(s) > 0 && (best < 0 || compareKeys(s[0], sorted[best][0]) < 0) {
				best = i
			}
		}
		if best < 0 {
			return out, big
		}
		out = append(out, sorted[best][0].src)
		sorted[best] = sorted[best][1:]
	}
}

// bigPairs is a source rendered in pieces, with its pairs in report
// order.
type bigPairs struct {
	src   *scan.Source
	pairs []*scan.Pair
}

// listParallel is the number of listed sources from which listedSources
// walks the table on several cores.
const listParallel = 4096

// listPart returns the listed sources of one part of the tracker's table,
// sorted; size is the room to make for them.
//
// The walk keeps what the sort needs beside each source: read through
// the source pointers afterwards, each address and level was a cache
// miss once more, one after another (the addresses' printing took 17-31
// ms for the 1M-line log's 77,000 listed sources). The slices are made
// for about the sources at the listed levels, which the tracker counts:
// grown by append, their copies and fresh pages cost more than the walk
// saved.
//
// With sortBig it also returns the part's sources that the detail
// renders in pieces, each with its pairs in report order.
func listPart(t *scan.Tracker, part, parts, minDL, size int, sortBig bool) ([]sourceKey, []bigPairs) {
	ents := make([]sourceKey, 0, size)
	addrs := make([]netip.Addr, 0, size)
	var bigs []bigPairs
	t.EachSourcePart(part, parts, func(s *scan.Source) {
		if s.DL >= minDL && s.DL <= 5 && (s.Packets > 0 || s.SigCount > 0) {
			ents = append(ents, sourceKey{src: s, dl: s.DL})
			addrs = append(addrs, s.Addr)
			if sortBig && isBig(s) {
				bigs = append(bigs, bigPairs{s, nil})
			}
		}
	})
	for i := range bigs {
		bigs[i].pairs = new(scan.PairSorter).Pairs(bigs[i].src)
	}
	keys := fwlog.AddrStrings(len(addrs), func(i int) netip.Addr { return addrs[i] })
	// The sort compares copies of the levels beside the keys: reading
	// them through the source pointers was a trip to memory per
	// comparison, over a million of them for a busy day's sources.
	for i := range ents {
		ents[i].key = keys[i]
	}
	slices.SortFunc(ents, compareKeys)
	return ents, bigs
}

// compareKeys orders listed sources: DL descending, then the printed
// address.
func compareKeys(a, b sourceKey) int {
	if a.dl != b.dl {
		return cmp.Compare(b.dl, a.dl)
	}
	return strings.Compare(a.key, b.key)
}

// sourceKey is a listed source with what orders it: DL, highest first,
// then the printed address, as psad's sort of the address strings.
type sourceKey struct {
	key string
	src *scan.Source
	dl  int
}

func writeTopAttackers(w io.Writer, srcs []*scan.Source, o Options) {
	header(w, "attackers", o.IPMax)
	n := len(srcs)
	if o.IPMax > 0 && n > o.IPMax {
		n = o.IPMax
	}
	width := 0
	for _, s := range srcs[:n] {
		if s.Addr.Is6() {
			width = max(width, len(ShortV6(s.Addr)))
		}
	}
	for _, s := range srcs[:n] {
		full := fwlog.AddrString(s.Addr)
		if s.Addr.Is6() {
			fmt.Fprintf(w, "      %s (%-*s) DL: %d", full, width, ShortV6(s.Addr), s.DL)
		} else {
			fmt.Fprintf(w, "      %-15s DL: %d", full, s.DL)
		}
		fmt.Fprintf(w, ", Packets: %d, Sig count: %d", s.Packets, s.SigCount)
		if s.Local {
			io.WriteString(w, ", (local IP)")
		}
		io.WriteString(w, "\n")
	}
	if n == 0 {
		io.WriteString(w, none)
	}
	io.WriteString(w, "\n")
}

func topPorts(counts *[65536]int64, max int) []int {
	n := 0
	for _, c := range counts {
		if c > 0 {
			n++
		}
	}
	// Sized first: grown by append, a busy log's list of every port it
	// saw left 5 MB behind in the report, where -A waits for it.
	ports := make([]int, 0, n)
	for p, n := range counts {
		if n > 0 {
			ports = append(ports, p)
		}
	}
	sort.SliceStable(ports, func(i, j int) bool { return counts[ports[i]] > counts[ports[j]] })
	if max > 0 && len(ports) > max {
		ports = ports[:max]
	}
	return ports
}

func writeTopPorts(w io.Writer, t *scan.Tracker, o Options) {
	header(w, "scanned ports", o.PortsMax)
	tcp := topPorts(&t.Counters.TCPPort, o.PortsMax)
	udp := topPorts(&t.Counters.UDPPort, o.PortsMax)
	for _, p := range tcp {
		fmt.Fprintf(w, "      tcp %-5d %d packets\n", p, t.Counters.TCPPort[p])
	}
	if len(udp) > 0 {
		io.WriteString(w, "\n")
		for _, p := range udp {
			fmt.Fprintf(w, "      udp %-5d %d packets\n", p, t.Counters.UDPPort[p])
		}
	}
	if len(tcp) == 0 && len(udp) == 0 {
		io.WriteString(w, none)
	}
	io.WriteString(w, "\n")
}

func writePrefixes(w io.Writer, t *scan.Tracker) {
	io.WriteString(w, "[+] iptables log prefix counters:\n")
	type ent struct {
		p string
		n int64
	}
	var ents []ent
	for p, n := range t.Counters.Prefix {
		ents = append(ents, ent{p, *n})
	}
	sort.Slice(ents, func(i, j int) bool {
		if ents[i].n != ents[j].n {
			return ents[i].n > ents[j].n
		}
		return ents[i].p < ents[j].p
	})
	for _, e := range ents {
		fmt.Fprintf(w, "      \"%s\": %d\n", e.p, e.n)
	}
	if len(ents) == 0 {
		io.WriteString(w, none)
	}
	io.WriteString(w, "\n")
}

func writeProtoCounters(w io.Writer, t *scan.Tracker, o Options) {
	io.WriteString(w, "    Total protocol packet counters:\n")
	var keys []int
	for p, n := range t.Counters.Proto {
		if n > 0 {
			keys = append(keys, p)
		}
	}
	// psad sorts the protocol keys as strings: "10" < "2" < "icmp" < "tcp".
	sort.Slice(keys, func(i, j int) bool {
		return fwlog.IndexKey(keys[i]) < fwlog.IndexKey(keys[j])
	})
	for _, p := range keys {
		key := fwlog.IndexKey(p)
		n := t.Counters.Proto[p]
		if key[0] >= '0' && key[0] <= '9' && o.Protocols != nil {
			if name, desc, ok := o.Protocols.Name(int(fwlog.IndexProto(p))); ok {
				fmt.Fprintf(w, "%12s: %d pkts, (%s)\n", name, n, desc)
				continue
			}
		}
		fmt.Fprintf(w, "%12s: %d pkts\n", key, n)
	}
	io.WriteString(w, "\n")
}

var chainOrder = []fwlog.Chain{fwlog.ChainInput, fwlog.ChainForward, fwlog.ChainOutput}

// protoRank orders protocols inside a destination block: tcp, udp,
// udplite, then the rest by number.
func protoRank(p uint8) int {
	switch p {
	case fwlog.ProtoTCP:
		return -3
	case fwlog.ProtoUDP:
		return -2
	case fwlog.ProtoUDPLite:
		return -1
	}
	return int(p)
}

// compareSigProtos orders signature protocols in a destination block:
// tcp, udp, udplite, then the rest by name.
func compareSigProtos(a, b string) int {
	rank := func(p string) int {
		switch p {
		case "tcp":
			return 0
		case "udp":
			return 1
		case "udplite":
			return 2
		}
		return 3
	}
	if ra, rb := rank(a), rank(b); ra != rb {
		return ra - rb
	}
	return strings.Compare(a, b)
}

// writeDetail writes IP Status Detail for srcs. big holds the pairs in
// report order of sources rendered in pieces (listSources); those
// missing are sorted here.
func writeDetail(w io.Writer, srcs []*scan.Source, big map[*scan.Source][]*scan.Pair, o Options) Totals {
	io.WriteString(w, "[+] IP Status Detail:\n")
	if len(srcs) == 0 {
		io.WriteString(w, none)
	}
	detailSigs := o.DetailSigs
	if detailSigs == nil {
		detailSigs = o.Sigs
	}
	// A busy day's detail section is over a million lines: sources are
	// rendered in blocks on every core and written in order, while this
	// goroutine counts the destinations. The rendering goroutines, which
	// read each listed pair anyway, hand over its destination: read here
	// again, half a million pairs were as many cache misses, 0.11 s of
	// this goroutine's 0.2 s on the 1M-line log.
	// IPv4 destinations are counted in a map of their own with a 32-bit
	// key, which Go hashes far faster than an address: a busy day has
	// half a million listed pairs to count.
	dst4 := make(map[uint32]struct{})
	dst6 := make(map[netip.Addr]struct{})
	var sorters sync.Pool // one per rendering goroutine, in effect
	eachBlock(srcs, big, func(pc piece, out *block) {
		if pc.big != nil {
			out.warm += warmList(pc.pairs[pc.lo:pc.hi])
			if pc.lo == 0 {
				out.text = appendSourceHead(out.text, pc.big, pc.pairs, o)
			}
			out.text = slices.Grow(out.text, 256*(pc.hi-pc.lo))
			for _, pr := range pc.pairs[pc.lo:pc.hi] {
				out.text = appendDst(out.text, pr, o, detailSigs)
				out.addDst(pr.Dst)
			}
			return
		}
		ps, _ := sorters.Get().(*scan.PairSorter)
		if ps == nil {
			ps = new(scan.PairSorter)
		}
		out.warm += warmPairs(pc.srcs)
		for _, s := range pc.srcs {
			pairs := ps.Pairs(s)
			// A scanner's block can be megabytes: grow once, not by
			// append's steps (five times the final size in garbage).
			out.text = slices.Grow(out.text, 256+256*len(pairs))
			out.text = appendSource(out.text, s, pairs, o, detailSigs)
			for _, pr := range pairs {
				out.addDst(pr.Dst)
			}
		}
		sorters.Put(ps)
	}, func(out *block) {
		w.Write(out.text)
		for _, a := range out.dst4 {
			dst4[a] = struct{}{}
		}
		for _, a := range out.dst6 {
			dst6[a] = struct{}{}
		}
	})
	tot := Totals{Sources: len(srcs), Destinations: len(dst4) + len(dst6)}
	fmt.Fprintf(w, "\n    Total scan sources: %d\n    Total scan destinations: %d\n\n", tot.Sources, tot.Destinations)
	return tot
}

// detailBlock is how many sources one rendering job takes: big enough to
// amortise the hand-over, small enough that the in-flight output stays a
// few megabytes.
const detailBlock = 256

// detailWeight bounds a rendering job's destinations (see pieces).
const detailWeight = 1024

// detailBuf is a rendering buffer's first size: more than most blocks
// take (1,024 destinations of a few lines each).
const detailBuf = 1 << 20

// block is a rendering job's output: the text, and the destinations of
// the listed pairs it rendered.
type block struct {
	text []byte
	dst4 []uint32
	dst6 []netip.Addr
	warm uint64 // warmPairs' sums, kept so that its reads are kept
}

// warmPairs reads each of blk's sources and its pairs, then each pair's
// signature records, before the block is rendered. Why: the pairs of a
// busy day's sources lie all over the heap (half a million of them for the 1M-line
// log), and rendering met them one cache miss at a time, between the
// text it wrote; here the reads of a loop do not depend on each other,
// so the core waits for many misses at once, and a block's pairs (at
// most detailWeight, 200 KB) stay in the cache for the rendering.
func warmPairs(blk []*scan.Source) uint64 {
	var sum uint64
	for _, s := range blk {
		// The source's OS guesses are behind a cache line nothing read
		// since the loop (BenchmarkWriteMixed, 5 alternated runs, when
		// the guesses were in the source: median 76.6 to 73.9 ms).
		if s.OS() != nil {
			sum++
		}
		for _, p := range s.DstList() {
			sum += uint64(p.AbsNum)
		}
	}
	for _, s := range blk {
		for _, p := range s.DstList() {
			if sg := p.Sigs(); len(sg) > 0 {
				sum += uint64(sg[0].Pkts)
			}
		}
	}
	return sum
}

// warmList is warmPairs for the pairs of one piece of a big source.
func warmList(pairs []*scan.Pair) uint64 {
	var sum uint64
	for _, p := range pairs {
		sum += uint64(p.AbsNum)
	}
	for _, p := range pairs {
		if sg := p.Sigs(); len(sg) > 0 {
			sum += uint64(sg[0].Pkts)
		}
	}
	return sum
}

// reset empties b for reuse, keeping its memory.
func (b *block) reset() { b.text, b.dst4, b.dst6 = b.text[:0], b.dst4[:0], b.dst6[:0] }

// addDst notes a rendered pair's destination for the emitter's count.
func (b *block) addDst(a netip.Addr) {
	if a.Is4() {
		v := a.As4()
		b.dst4 = append(b.dst4, binary.BigEndian.Uint32(v[:]))
	} else {
		b.dst6 = append(b.dst6, a)
	}
}

// piece is one rendering job: whole sources, or, for a source with more
// than detailWeight destinations, the destinations lo to hi of its pairs
// in report order (the first piece with the SRC header). Why split: a
// busy day has scanners that sweep whole networks (the 1M-line log has
// one with 30,000 destinations), and rendered as one job such a source
// kept one core busy while the other, its window of jobs done, waited.
type piece struct {
	srcs   []*scan.Source
	big    *scan.Source
	pairs  []*scan.Pair
	lo, hi int
}

// pieces cuts srcs into rendering jobs, in order: a job ends at
// detailBlock sources or detailWeight destinations, whichever comes
// first, and a source bigger than detailWeight is a job of its own,
// split in pieces of detailWeight destinations.
func pieces(srcs []*scan.Source, big map[*scan.Source][]*scan.Pair, yield func(piece)) {
	for i := 0; i < len(srcs); {
		if s := srcs[i]; isBig(s) {
			pairs, ok := big[s]
			if !ok {
				pairs = new(scan.PairSorter).Pairs(s)
			}
			for lo := 0; lo == 0 || lo < len(pairs); lo += detailWeight {
				yield(piece{big: s, pairs: pairs, lo: lo, hi: min(lo+detailWeight, len(pairs))})
			}
			i++
			continue
		}
		// Sources are sorted by DL, and the first blocks' scanners may
		// have hundreds of destinations each, which would grow every
		// reused buffer to the largest block's size.
		n, w := 0, 0
		for i+n < len(srcs) && n < detailBlock && w < detailWeight && !isBig(srcs[i+n]) {
			w += 1 + len(srcs[i+n].DstList())
			n++
		}
		yield(piece{srcs: srcs[i : i+n]})
		i += n
	}
}

// eachBlock renders srcs in blocks with render on up to GOMAXPROCS
// goroutines and hands each block's output to emit in input order, on
// the calling goroutine. render must only read shared state.
func eachBlock(srcs []*scan.Source, big map[*scan.Source][]*scan.Pair, render func(piece, *block), emit func(*block)) {
	workers := runtime.GOMAXPROCS(0)
	if workers < 2 || len(srcs) <= detailBlock && !anyBig(srcs) {
		// Each block is emitted as soon as it is rendered, into one
		// reused buffer. Why: one core renders the whole report here,
		// and a buffer holding all of it (74 MB for the 1M-line log)
		// was copied at each growth: 0.66 CPU-s of that run's 2.4.
		var out block
		pieces(srcs, big, func(pc piece) {
			render(pc, &out)
			emit(&out)
			out.reset()
		})
		return
	}
	type job struct {
		pc   piece
		out  *block
		done chan struct{}
	}
	inFlight := 4 * workers
	jobs := make(chan *job, inFlight)
	order := make(chan *job, inFlight)
	free := make(chan *block, inFlight+1)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				select {
				case j.out = <-free:
					j.out.reset()
				default:
					// Growing from nothing by append's steps
					// allocates about five times the final size.
					j.out = &block{text: make([]byte, 0, detailBuf)}
				}
				render(j.pc, j.out)
				close(j.done)
			}
		}()
	}
	go func() {
		defer close(order)
		defer close(jobs)
		pieces(srcs, big, func(pc piece) {
			j := &job{pc: pc, done: make(chan struct{})}
			order <- j // bounds the jobs in flight
			jobs <- j
		})
	}()
	for j := range order {
		<-j.done
		emit(j.out)
		select {
		case free <- j.out:
		default:
		}
	}
	wg.Wait()
}

// isBig reports whether the detail renders s in pieces.
func isBig(s *scan.Source) bool { return len(s.DstList()) > detailWeight }

// anyBig reports whether a source of srcs is split in pieces.
func anyBig(srcs []*scan.Source) bool { return slices.ContainsFunc(srcs, isBig) }

// appendSource appends one source's block of IP Status Detail; pairs
// are its pairs in report order (Source.Pairs).
func appendSource(b []byte, s *scan.Source, pairs []*scan.Pair, o Options, detailSigs SigInfo) []byte {
	b = appendSourceHead(b, s, pairs, o)
	for _, pr := range pairs {
		b = appendDst(b, pr, o, detailSigs)
	}
	return b
}

// appendSourceHead appends the part of a source's block before its
// destinations: the SRC line, its sums over pairs, and the OS guesses.
func appendSourceHead(b []byte, s *scan.Source, pairs []*scan.Pair, o Options) []byte {
	pkts, uniq := 0, 0
	var protos [4]uint64
	for _, pr := range pairs {
		pkts += int(pr.AbsNum)
		ps := pr.ProtoSet()
		for i := range protos {
			protos[i] |= ps[i]
		}
		uniq += uniqueSigs(pr, false)
	}
	tp := 0
	for _, x := range protos {
		for ; x != 0; x &= x - 1 {
			tp++
		}
	}
	b = append(b, "\nSRC:  "...)
	b = appendAddr(b, s.Addr)
	b = append(b, ", DL: "...)
	b = strconv.AppendInt(b, int64(s.DL), 10)
	b = append(b, ", Dsts: "...)
	b = strconv.AppendInt(b, int64(len(pairs)), 10)
	b = append(b, ", Pkts: "...)
	b = strconv.AppendInt(b, int64(pkts), 10)
	b = append(b, ", Total protocols: "...)
	b = strconv.AppendInt(b, int64(tp), 10)
	b = append(b, ", Unique sigs: "...)
	b = strconv.AppendInt(b, int64(uniq), 10)
	if o.EmailAlerts != nil {
		b = append(b, ", Email alerts: "...)
		b = strconv.AppendInt(b, int64(o.EmailAlerts(s)), 10)
	}
	if s.Local {
		b = append(b, ", Local IP"...)
	}
	b = append(b, '\n')
	if gs := s.OSGuesses(); len(gs) > 0 {
		b = append(b, "    Source OS fingerprint(s):\n"...)
		g := append([]string(nil), gs...)
		sort.Strings(g)
		for _, x := range g {
			b = append(b, "        "...)
			b = append(b, x...)
			b = append(b, '\n')
		}
	} else if g := s.PosfGuess(); g != "" {
		b = append(b, "    Source OS fingerprint:\n        "...)
		b = append(b, g...)
		b = append(b, '\n')
	}
	if len(pairs) > 0 {
		b = append(b, '\n')
	}
	return b
}

// appendAddr appends an address as the detail section prints it: IPv6
// with its short form in parentheses.
func appendAddr(b []byte, a netip.Addr) []byte {
	b = fwlog.AppendAddr(b, a)
	if a.Is6() {
		b = append(b, " ("...)
		b = AppendShortV6(b, a)
		b = append(b, ')')
	}
	return b
}

// appendDst appends one destination block. A busy log's report has
// hundreds of thousands of them, so nothing here formats through fmt or
// allocates for the usual single chain and no signatures.
func appendDst(b []byte, pr *scan.Pair, o Options, sigs SigInfo) []byte {
	b = append(b, "    DST: "...)
	b = appendAddr(b, pr.Dst)
	if pr.Local {
		b = append(b, ", Local IP"...)
	}
	b = append(b, '\n')
	cc := pr.Chains()
	if len(cc) > 1 {
		cc = append([]scan.ChainCount(nil), cc...)
		slices.SortFunc(cc, func(a, b scan.ChainCount) int {
			if a.Chain != b.Chain {
				return chainIdx(a.Chain) - chainIdx(b.Chain)
			}
			if a.Intf != b.Intf {
				return strings.Compare(a.Intf, b.Intf)
			}
			return protoRank(a.Proto) - protoRank(b.Proto)
		})
	}
	for i := 0; i < len(cc); {
		j := i
		for j < len(cc) && cc[j].Chain == cc[i].Chain && cc[j].Intf == cc[i].Intf {
			j++
		}
		for _, c := range cc[i:j] {
			ri := -1
			switch c.Proto {
			case fwlog.ProtoTCP:
				ri = 0
			case fwlog.ProtoUDP:
				ri = 1
			case fwlog.ProtoUDPLite:
				ri = 2
			}
			if ri < 0 {
				continue
			}
			r := pr.Ranges[ri]
			b = append(b, "        Scanned ports: "...)
			b = append(b, upperProto[ri]...)
			b = append(b, ' ')
			b = strconv.AppendInt(b, int64(r.Lo), 10)
			if r.Hi != r.Lo {
				b = append(b, '-')
				b = strconv.AppendInt(b, int64(r.Hi), 10)
			}
			b = append(b, ", Pkts: "...)
			b = strconv.AppendInt(b, int64(c.Pkts), 10)
			b = appendChainIntf(b, c.Chain, c.Intf)
		}
		b = append(b, "        Total scanned IP protocols: "...)
		b = strconv.AppendInt(b, int64(j-i), 10)
		b = appendChainIntf(b, cc[i].Chain, cc[i].Intf)
		i = j
	}
	if pr.PortSweep {
		for ri, name := range [...]string{"TCP", "UDP", "UDPLITE"} {
			if r := pr.Ranges[ri]; r.Seen && r.Hi != 0 {
				b = append(b, "        Port sweep: "...)
				b = append(b, name...)
				b = append(b, " port "...)
				if r.Lo != r.Hi {
					b = strconv.AppendInt(b, int64(r.Lo), 10)
					b = append(b, '-')
				}
				b = strconv.AppendInt(b, int64(r.Hi), 10)
				b = append(b, '\n')
			}
		}
	}
	for _, sc := range [...]struct {
		n    int
		what string
	}{
		{int(pr.ToperaPkts), "Topera IPv6 scan (SYNs padded with empty extension headers)"},
		{int(pr.MasscanPkts), "Masscan SYN scan (option-less SYNs where others carry options)"},
		{int(pr.MiraiPkts), "Mirai botnet default credentials scan (telnet 23, then 2323)"},
	} {
		if sc.n > 0 {
			b = append(b, "        Scanner: "...)
			b = append(b, sc.what...)
			b = append(b, ", Pkts: "...)
			b = strconv.AppendInt(b, int64(sc.n), 10)
			b = append(b, '\n')
		}
	}
	recs := pr.Sigs()
	if len(recs) > 1 {
		recs = append([]scan.SigRecord(nil), recs...)
		slices.SortFunc(recs, func(a, b scan.SigRecord) int {
			if a.Proto != b.Proto {
				return compareSigProtos(a.Proto, b.Proto)
			}
			if a.ID != b.ID {
				return a.ID - b.ID
			}
			return chainIdx(a.Chain) - chainIdx(b.Chain)
		})
	}
	for _, r := range recs {
		if r.Proto == "ip" {
			continue
		}
		msg := "[NA]"
		if sigs != nil {
			if m, _, ok := sigs(r.ID); ok {
				msg = m
			}
		}
		b = append(b, "        Signature match: \""...)
		b = append(b, msg...)
		b = append(b, "\"\n            "...)
		b = appendUpper(b, r.Proto)
		b = append(b, ", Chain: "...)
		b = append(b, r.Chain.String()...)
		b = append(b, ", Count: "...)
		b = strconv.AppendInt(b, int64(r.Pkts), 10)
		if r.DP >= 0 {
			b = append(b, ", DP: "...)
			b = strconv.AppendInt(b, int64(r.DP), 10)
			if r.Flags != "" {
				b = append(b, ", "...)
				b = append(b, r.Flags...)
			}
		}
		b = append(b, ", Sid: "...)
		b = strconv.AppendInt(b, int64(r.ID), 10)
		b = append(b, '\n')
	}
	icmp := pr.ICMP()
	if len(icmp) > 1 {
		icmp = append([]scan.ICMPRecord(nil), icmp...)
		// psad's order: ICMP before ICMP6, and in each the invalid types
		// before the invalid codes.
		slices.SortFunc(icmp, func(a, b scan.ICMPRecord) int {
			if a.V6 != b.V6 {
				if b.V6 {
					return -1
				}
				return 1
			}
			if (a.Code < 0) != (b.Code < 0) {
				if a.Code < 0 {
					return -1
				}
				return 1
			}
			if a.Type != b.Type {
				return a.Type - b.Type
			}
			if a.Code != b.Code {
				return a.Code - b.Code
			}
			return chainIdx(a.Chain) - chainIdx(b.Chain)
		})
	}
	for _, r := range icmp {
		fam := "ICMP"
		if r.V6 {
			fam = "ICMP6"
		}
		if r.Code < 0 {
			b = fmt.Appendf(b, "        Invalid %s type: \"%d\" Chain: %s, Packets: %d\n", fam, r.Type, r.Chain, r.Pkts)
			continue
		}
		text := strconv.Itoa(r.Type)
		if o.ICMPType != nil {
			text = o.ICMPType(r.V6, r.Type)
		}
		b = fmt.Appendf(b, "        Invalid %s code: \"%d\" for %s \"%s\" packet Chain: %s, Packets: %d\n",
			fam, r.Code, fam, text, r.Chain, r.Pkts)
	}
	return b
}

func chainIdx(c fwlog.Chain) int {
	for i, x := range chainOrder {
		if x == c {
			return i
		}
	}
	return len(chainOrder)
}

// ShortV6 is psad's compressed IPv6 form: upper-case hex, leading zeros
// dropped, the first longest run of two or more zero groups replaced by
// "::" (IPv4-mapped addresses stay in hex, e.g. "::FFFF:A00:1").
func ShortV6(a netip.Addr) string { return string(AppendShortV6(nil, a)) }

// AppendShortV6 appends ShortV6(a) to b. Why not the string: the detail
// section prints it for every IPv6 address it lists, and building each
// through strconv, strings.ToUpper and a Builder was a tenth of the
// report's rendering CPU on a busy log with a tenth of IPv6.
func AppendShortV6(b []byte, a netip.Addr) []byte {
	x := a.As16()
	var g [8]uint16
	for i := range g {
		g[i] = uint16(x[2*i])<<8 | uint16(x[2*i+1])
	}
	bestAt, bestLen := -1, 1
	for i := 0; i < 8; {
		if g[i] != 0 {
			i++
			continue
		}
		j := i
		for j < 8 && g[j] == 0 {
			j++
		}
		if j-i > bestLen {
			bestAt, bestLen = i, j-i
		}
		i = j
	}
	for i := 0; i < 8; i++ {
		if i == bestAt {
			b = append(b, "::"...)
			i += bestLen - 1
			continue
		}
		if i > 0 && i != bestAt+bestLen {
			b = append(b, ':')
		}
		v := g[i]
		for sh := (bits.Len16(v|1) - 1) &^ 3; sh >= 0; sh -= 4 {
			b = append(b, "0123456789ABCDEF"[v>>sh&15])
		}
	}
	return b
}

var upperProto = [...]string{"TCP", "UDP", "UDPLITE"}

func appendChainIntf(b []byte, c fwlog.Chain, intf string) []byte {
	b = append(b, ", Chain: "...)
	b = append(b, c.String()...)
	b = append(b, ", Intf: "...)
	b = append(b, intf...)
	return append(b, '\n')
}

func appendUpper(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}
