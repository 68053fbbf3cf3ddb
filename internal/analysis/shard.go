package analysis

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/psadgo/psad/internal/detect"
	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/inspect"
	"github.com/psadgo/psad/internal/pipeline"
	"github.com/psadgo/psad/internal/scan"
)

// shardCount is how many trackers take the packets of a run: one per
// two cores, or one when something needs the packets in one goroutine in log
// order (debug lines, --explain's watch, --plot's packet hook) or a
// limit is global (MAX_SCAN_IP_PAIRS).
func shardCount(s *Setup, d *detect.Detector) int {
	if s.Debug || s.Watch != nil || s.Observe != nil || d.Scan.MaxScanIPPairs > 0 {
		return 1
	}
	if s.Shards > 0 {
		return s.Shards
	}
	// The parse workers need cores too: on two cores a second tracker
	// only takes CPU from them (measured 5-10% slower on the 1M log).
	procs := runtime.GOMAXPROCS(0)
	if procs < 4 {
		return 1
	}
	return min(procs/2, maxShards)
}

// maxShards bounds the trackers: past a few, merging them and the
// per-shard counter tables cost more than the split saves.
const maxShards = 8

// shards runs the tracker work of an analysis on several goroutines. The
// caller reads the chunks in order and hands each to Dispatch; every
// shard walks every chunk and takes the lines whose source hashes to it,
// so a source's packets stay in log order within its shard. Lines that
// may be malformed all go to the first shard, so the error log keeps the
// log's order.
type shards struct {
	n       int
	in      []chan shardWork
	wg      sync.WaitGroup
	trk     []*scan.Tracker
	reach   *pipeline.Pipeline // classification only, for the Masscan rule
	optsOn  bool               // EXPECT_TCP_OPTIONS
	optsAt  uint64             // line of the first packet with options to reach a tracker
	optsHit bool
	stops   []func()
	done    bool
}

type shardWork struct {
	ch   *pipeline.Chunk[inspect.Pre]
	base int // line number before the chunk's first line
	n    int // lines of the chunk to take (a packet limit may end early)
	opts uint64
	left *atomic.Int32
}

// startShards makes n-1 trackers beside first and starts a goroutine for
// each of the n. newPipeline returns the pipeline of a shard's tracker;
// malformed gets the malformed lines (first shard only) with their line
// numbers.
func startShards(n int, first *scan.Tracker, d *detect.Detector, engines *inspect.Engines, reserve int,
	newPipeline func(*scan.Tracker) *pipeline.Pipeline, malformed func(lineNo int, line []byte, err error)) *shards {
	sh := &shards{n: n, optsOn: d.Scan.ExpectTCPOptions}
	sh.reach = newPipeline(nil)
	sh.reach.OnMalformed = nil
	for i := range n {
		tr, eng := first, engines
		if i > 0 {
			tr = d.NewTracker()
			if engines != nil {
				eng = engines.Fork()
				tr.Inspect, tr.Fingerprint = eng.Inspect, eng.Fingerprint
			}
		}
		set := tr.Settings()
		if set.MaxSources > 0 {
			// Each shard keeps its share; eviction is least recently
			// seen within a shard.
			set.MaxSources = (set.MaxSources + n - 1) / n
			tr.SetSettings(set)
		}
		tr.Reserve(reserve / n)
		sh.stops = append(sh.stops, tr.Prefault(true))
		sh.trk = append(sh.trk, tr)
		pl := newPipeline(tr)
		lineNo := 0
		pl.OnMalformed = nil
		if i == 0 && malformed != nil {
			pl.OnMalformed = func(line []byte, err error) { malformed(lineNo, line, err) }
		}
		in := make(chan shardWork, 4)
		sh.in = append(sh.in, in)
		me := i
		mine := func(it *pipeline.Parsed[inspect.Pre]) bool { return shardOf(it, n) == me }
		sh.wg.Go(func() {
			for w := range in {
				for j := 0; j < w.n; j++ {
					if j%scan.WarmGroup == 0 {
						warmAhead(tr, w.ch.Items[j:min(j+scan.WarmGroup, w.n)], mine)
					}
					it := &w.ch.Items[j]
					if !it.Selected || shardOf(it, n) != me {
						continue
					}
					lineNo = w.base + j + 1
					tr.SetOrder(uint64(lineNo), w.opts < uint64(lineNo))
					if eng != nil {
						eng.Use(&it.Pre)
					}
					pl.ProcessParsed(it.Line, &it.Pkt, it.Err)
				}
				if w.left.Add(-1) == 0 {
					w.ch.Release()
				}
			}
			if eng != nil {
				eng.Use(nil)
			}
		})
	}
	return sh
}

// dispatch hands the first n lines of a chunk, whose first line is line
// base+1 of the input, to every shard; the last to finish releases it.
func (sh *shards) dispatch(ch *pipeline.Chunk[inspect.Pre], base, n int) {
	if sh.optsOn && !sh.optsHit {
		for j := 0; j < n; j++ {
			it := &ch.Items[j]
			p := &it.Pkt
			if it.Selected && it.Err == nil && p.Proto == fwlog.ProtoTCP && len(p.TCPOpts) > 0 &&
				sh.reach.Reaches(it.Line, p, it.Err) {
				sh.optsAt, sh.optsHit = uint64(base+j+1), true
				break
			}
		}
	}
	opts := uint64(math.MaxUint64)
	if sh.optsHit {
		opts = sh.optsAt
	}
	left := new(atomic.Int32)
	left.Store(int32(sh.n))
	for _, in := range sh.in {
		in <- shardWork{ch: ch, base: base, n: n, opts: opts, left: left}
	}
}

// finish waits for the shards and leaves every source in the first
// tracker.
func (sh *shards) finish() {
	if sh.done {
		return
	}
	sh.done = true
	for _, in := range sh.in {
		close(in)
	}
	sh.wg.Wait()
	for _, stop := range sh.stops {
		stop()
	}
	sh.trk[0].Absorb(sh.trk[1:]...)
}

// shardOf picks the shard of a line by its route: malformed lines (route
// 0) all go to the first.
func shardOf(it *pipeline.Parsed[inspect.Pre], n int) int { return int(it.Route % uint32(n)) }
