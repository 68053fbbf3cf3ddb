// Package daemon is psad's running detector. One goroutine, the loop,
// owns the scan state: lines from the inputs go through the detection
// pipeline as they arrive and raise danger levels as the packet lands;
// every CHECK_INTERVAL the batch is closed and handed to the alert cycle;
// every second the changed state and the inputs' positions are saved
// together. The loop also answers queries (-S), reloads (HUP), dumps
// (USR1) and pings systemd's watchdog, so a stalled loop stops the pings.
// Every side effect sits behind a small interface declared here (Source,
// Notifier, Blocker, Store); the package itself opens no file, sends no
// mail and runs no command.
package daemon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/inspect"
	"github.com/psadgo/psad/internal/pipeline"
	"github.com/psadgo/psad/internal/scan"
)

// Config is one daemon run.
type Config struct {
	Sources []Source
	// Runtime is the starting configuration's Runtime.
	Runtime *Runtime
	// Tracker is the scan state; from Run on only the loop touches it.
	Tracker *scan.Tracker
	// Store, when set, restores state and positions at start and saves
	// them every SaveEvery and at the end.
	Store Store
	// Blocker, when set, is active response.
	Blocker Blocker
	// ImportScans is IMPORT_OLD_SCANS.
	ImportScans bool
	// Reload builds a Runtime from the configuration files (HUP). It runs
	// off the loop; an error keeps the running Runtime.
	Reload func() (*Runtime, error)
	// Signals delivers HUP (reload), USR1 (dump), TERM and INT (stop).
	Signals <-chan os.Signal
	// Services run beside the loop until ctx is done (the control
	// socket); an error from one stops the daemon.
	Services []func(ctx context.Context) error
	// Notify sends systemd notify states (READY=1, WATCHDOG=1, ...).
	Notify func(state string)
	// Watchdog is how often the loop pings WATCHDOG=1 (0: never).
	Watchdog time.Duration
	// SaveEvery is how often state is saved (default 1 s).
	SaveEvery time.Duration
	// StopTimeout bounds what the Notifier may still send at shutdown
	// (default 3 s).
	StopTimeout time.Duration
	// ReadyTimeout bounds the wait for the inputs' Ready (default 10 s).
	ReadyTimeout time.Duration
	// MemoryHeadroom is how far above the live heap, in per cent, the
	// daemon keeps the runtime's soft memory limit (default 20, and at
	// least minHeadroom; negative: leave the runtime alone). See
	// memoryLimiter. Measured under a
	// 100,000-source flood: 50 peaked at 159 MB resident, 25 at 141 MB
	// for about a quarter more collector CPU while the flood lasts (both
	// before the limit added the runtime's own memory); 20 with it,
	// 145-147 MB and 5-12% more lines per second than 25 without. A
	// quiet daemon's heap is under the 64 MB floor either way.
	MemoryHeadroom int
	// HugePages, when set, is asked for huge pages while a flood grows
	// the tracker (see floodPages); nil leaves the pages to the kernel.
	HugePages Advisor
	// WriteFile writes the USR1 dump (default os.WriteFile with 0600).
	WriteFile func(path string, data []byte) error
	Clock     func() time.Time
	Log       *slog.Logger
	// Ready is called once the inputs read (tests).
	Ready func()
	// Processed is called on the loop after each line (tests).
	Processed func()
	// Malformed receives each line the parser rejects, on the loop
	// (FW_ERROR_LOG); it must not block or keep line.
	Malformed func(line []byte, err error)
}

// Daemon is a running detector.
type Daemon struct {
	cfg     Config
	rt      *Runtime
	pl      *pipeline.Pipeline // rt's pipeline
	lines   chan *item         // items in the inputs' rings (see sink)
	slabs   chan []byte        // spare line slabs (see sink)
	reload  chan chan error
	built   chan built
	query   chan func(*scan.Tracker, *Runtime)
	io      chan func()
	bg      sync.WaitGroup // goroutines besides the inputs: I/O, reload builds, old notifiers
	mu      sync.Mutex     // guards stats for Stats()
	stats   Stats
	batch   bool // a batch is open
	pos     [][]byte
	posNew  bool
	mark    uint64
	raised  map[*scan.Source]struct{}
	gone    []netip.Addr     // forgotten sources not yet deleted from the store
	forgot  []scan.Gone      // forgotten sources not yet told to the Notifier
	scratch []byte           // one source's record while save packs it
	export  scan.SourceState // the source save is packing, reused
	pending []chan error     // callers of Reload waiting for a build
	// building tells a reload is being built; saving, that a save is
	// still running on the I/O goroutine.
	building bool
	saving   atomic.Bool
	// gen counts the runtimes hooked in (the loop's); ahead is the
	// current one's parser and engines for the inputs (see sink).
	gen   uint64
	ahead atomic.Pointer[ahead]
	// floodMark is the tracker's source count at the last tick; hugeOn
	// tells that HugePages was asked for huge pages (see floodPages).
	floodMark int
	hugeOn    bool
}

// item is one line taken from an input: buf holds the line and its
// position, copied into the input's slab (see sink), and pkt and pre are
// the line parsed and prepared on the input's goroutine with the
// runtime of generation gen.
type item struct {
	buf []byte
	n   int // len(line)
	src int
	gen uint64
	// retire is the input's previous slab, handed back with the first
	// line of the next one: every line in it has been processed by the
	// time the loop receives this item (see sink).
	retire []byte
	// eng is the engines of generation gen, which prepare the line.
	eng *inspect.Engines
	pkt fwlog.Packet
	err error // Parse's
	pre inspect.Pre
}

// queuedLines is how many lines the inputs may hand over ahead of the
// loop. An item carries its parsed packet (688 bytes), so an input's
// ring of items (see sink) is memory the daemon keeps for good once the
// input has sent a line; 1024 read a flood as fast as 4096 did.
const queuedLines = 1024

// ringItems is the size of an input's ring: the sink reuses an item
// only once the loop is done with it. The sink writes item j+ringItems
// once its send of item j+ringItems-1 to the preparer has completed. If
// the loop had not finished item j then, all of items j to
// j+ringItems-1 would be on their way: at most preparedAhead in the
// preparer's channel, one in the preparer, queuedLines in the loop's
// channel and scan.WarmGroup received by the loop and not finished (see
// drain). ringItems is one more than those together.
const ringItems = preparedAhead + 1 + queuedLines + 1 + scan.WarmGroup

// preparedAhead is how many parsed lines an input may hand its
// preparer ahead of it.
const preparedAhead = 64

// drainLines is how many queued lines the loop takes in one go before
// it looks at its other channels again.
const drainLines = 1024

// ahead is what inputs parse and prepare lines with before handing them
// to the loop: the parser and engines of runtime generation gen.
//
// Why on the inputs' goroutines: the loop owns the tracker and is the
// daemon's bottleneck under a flood, while an input mostly waits for it;
// parsing and signature matching depend on the line alone, as on -A's
// parse goroutines. A line parsed with a runtime a reload has since
// replaced is parsed again on the loop.
type ahead struct {
	gen    uint64
	parser *fwlog.Parser
	eng    *inspect.Engines // nil: no engines
}

type built struct {
	rt  *Runtime
	err error
}

// New prepares a daemon.
func New(c Config) *Daemon {
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Notify == nil {
		c.Notify = func(string) {}
	}
	if c.SaveEvery <= 0 {
		c.SaveEvery = time.Second
	}
	if c.StopTimeout <= 0 {
		c.StopTimeout = 3 * time.Second
	}
	if c.ReadyTimeout <= 0 {
		c.ReadyTimeout = 10 * time.Second
	}
	if c.MemoryHeadroom == 0 {
		c.MemoryHeadroom = 20
	}
	if c.WriteFile == nil {
		c.WriteFile = func(path string, data []byte) error { return os.WriteFile(path, data, 0o600) }
	}
	inputs := make([]InputStats, len(c.Sources))
	for i, s := range c.Sources {
		inputs[i].Name = s.Name()
	}
	return &Daemon{
		stats: Stats{Inputs: inputs},
		cfg:   c, rt: c.Runtime,
		lines:  make(chan *item, queuedLines),
		slabs:  make(chan []byte, spareSlabs),
		reload: make(chan chan error),
		built:  make(chan built, 1),
		query:  make(chan func(*scan.Tracker, *Runtime)),
		io:     make(chan func(), 8),
		pos:    make([][]byte, len(c.Sources)),
		raised: make(map[*scan.Source]struct{}),
	}
}

// Reload asks the running daemon to re-read its configuration (as HUP
// does) and waits for the verdict: nil when the new configuration is in
// force, an error when it was refused and the old one kept.
func (d *Daemon) Reload(ctx context.Context) error {
	done := make(chan error, 1)
	select {
	case d.reload <- done:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Query runs fn on the loop, where it may read the scan state and the
// Runtime in force, and waits for it. fn must not keep either.
func (d *Daemon) Query(ctx context.Context, fn func(t *scan.Tracker, rt *Runtime)) error {
	done := make(chan struct{})
	select {
	case d.query <- func(t *scan.Tracker, rt *Runtime) { fn(t, rt); close(done) }:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stats returns a copy of the counters.
func (d *Daemon) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	st := d.stats
	st.Inputs = append([]InputStats(nil), d.stats.Inputs...)
	for i := range st.Inputs {
		st.Inputs[i].LastLine = bytes.Clone(st.Inputs[i].LastLine) // the loop writes over it
	}
	return st
}

// Run restores the saved state, starts the inputs and services, and runs
// the loop until ctx is done, TERM or INT arrives, or an input fails.
// On the way out it processes every line the inputs handed over, closes
// the batch, saves state and positions, and gives the Notifier
// StopTimeout to send what it holds.
func (d *Daemon) Run(ctx context.Context) error {
	c := &d.cfg
	t := c.Tracker
	d.stats.Started = c.Clock()
	defer startMemoryLimiter(c.MemoryHeadroom)()
	defer t.Prefault(true)()
	d.hook(d.rt)
	if c.Store != nil {
		positions, err := c.Store.Load(t, c.ImportScans)
		if err != nil {
			c.Log.Warn("saved state unreadable, starting afresh", "err", err)
		}
		if c.ImportScans {
			c.Log.Info("imported old scans", "sources", t.Sources())
		}
		for i, s := range c.Sources {
			if pos, ok := positions[s.Name()]; ok {
				if err := s.Resume(pos); err != nil {
					c.Log.Warn("saved input position unreadable, reading from the start", "input", s.Name(), "err", err)
				} else {
					d.pos[i] = pos
				}
			}
		}
		d.mark = t.ChangedSince(0, func(*scan.Source) {})
	}
	d.bg.Add(1)
	go d.ioLoop()

	ictx, stopInputs := context.WithCancel(ctx)
	defer stopInputs()
	errc := make(chan error, len(c.Sources)+len(c.Services))
	var inputs, preparers sync.WaitGroup
	for i, s := range c.Sources {
		parsed := make(chan *item, preparedAhead)
		preparers.Go(func() { d.prepare(parsed) })
		inputs.Add(1)
		go func() {
			defer inputs.Done()
			// Run returns once no call of the sink is under way.
			defer close(parsed)
			err := s.Run(ictx, d.sink(ictx, i, parsed))
			if err != nil && !errors.Is(err, context.Canceled) {
				errc <- fmt.Errorf("input %s: %w", s.Name(), err)
			}
		}()
	}
	var services sync.WaitGroup
	for _, serve := range c.Services {
		services.Add(1)
		go func() {
			defer services.Done()
			if err := serve(ictx); err != nil && !errors.Is(err, context.Canceled) {
				errc <- err
			}
		}()
	}

	err := d.loop(ctx, errc)

	// Stop the inputs, then process what they handed over, so positions
	// saved now match what was processed.
	stopInputs()
	inputs.Wait()
	services.Wait()
	// A line an input handed over is processed: the preparers, d.lines'
	// only senders, forward all they hold, and may wait for room in it.
	go func() {
		preparers.Wait()
		close(d.lines)
	}()
	for it := range d.lines {
		d.process(it)
	}
	d.closeBatch()
	d.save(true)
	close(d.io)
	// The Notifier's goroutines and a reload still building finish here.
	sctx, cancel := context.WithTimeout(context.Background(), c.StopTimeout)
	defer cancel()
	d.rt.Notifier.Close(sctx)
	if c.Blocker != nil {
		c.Blocker.Close(sctx)
	}
	d.bg.Wait()
	return err
}

// sink is what input i calls for each line: it parses the line and
// hands it to the input's preparer (prepare) through out.
func (d *Daemon) sink(ctx context.Context, i int, out chan<- *item) func(line, pos []byte) bool {
	// Lines are copied into slabs, one allocation per sinkSlab bytes
	// instead of one per line, and a full slab goes back to the loop with
	// the first line of the next (item.retire), which recycles it: the
	// loop takes one input's items in order, so by then it has processed
	// every line in it, and nothing keeps a line after processing (the
	// loop copies an input's LastLine). Why recycle: a flood of 100,000
	// lines went through 24 MB of fresh slabs, a page fault every 16
	// lines on the sending side and garbage that made the collector run
	// more often.
	//
	// The lines go to the loop as pointers into the input's ring of
	// items (see ringItems), made at the first line. Why not items by
	// value: an item is 1 KB with pointers, and copying it into the
	// channel and out again, with the collector's write barriers during
	// a flood's many collections, was a tenth of the daemon's CPU while
	// it read one.
	//
	// mu guards the slab and the ring: the syslog listener calls its
	// sink from one goroutine per connection at once. It is held through
	// the hand-over, so that items are sent in ring order.
	var (
		mu   sync.Mutex
		slab []byte
		ring []item
		next int
	)
	return func(line, pos []byte) bool {
		if ctx.Err() != nil {
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		n := len(line) + len(pos)
		var retire []byte
		if cap(slab)-len(slab) < n {
			retire = slab
			slab = d.newSlab(n)
		}
		slab = append(append(slab, line...), pos...)
		buf := slab[len(slab)-n : len(slab) : len(slab)]
		cur := d.ahead.Load()
		if ring == nil {
			ring = make([]item, ringItems)
		}
		it := &ring[next]
		next = (next + 1) % len(ring)
		// A zero Pre each line gives signature hits, when there are any,
		// their own array.
		*it = item{buf: buf, n: len(line), src: i, gen: cur.gen, eng: cur.eng, retire: retire}
		it.err = cur.parser.Parse(buf[:len(line)], &it.pkt)
		select {
		case out <- it:
			return true
		case <-ctx.Done():
			return false
		}
	}
}

// prepare matches signatures and looks up fingerprints for an input's
// parsed lines, with the engines each was parsed under, and hands them
// to the loop in order, until the input closes in. It forwards every
// line, also after the daemon is told to stop: Run takes them all.
//
// Why a goroutine of its own: under a flood the input's goroutine, which
// read, parsed and prepared every line, was the read's bottleneck, not
// the loop (without signature matching the read's median fell from 227
// to 173 ms, 6 runs each); preparing here takes that work off it, on
// the core the loop leaves.
func (d *Daemon) prepare(in <-chan *item) {
	var eng *inspect.Engines
	var prep func(*fwlog.Packet, error, *inspect.Pre)
	for it := range in {
		if it.eng != eng {
			eng, prep = it.eng, nil
			if eng != nil {
				prep = eng.Preparer() // its memo is this goroutine's
			}
		}
		if prep != nil {
			prep(&it.pkt, it.err, &it.pre)
		}
		d.lines <- it
	}
}

// sinkSlab is the size of the slabs input lines are copied into.
const sinkSlab = 32 << 10

// newSlab returns an empty slab for a line of n bytes and its position,
// a recycled one when there is one.
func (d *Daemon) newSlab(n int) []byte {
	if n <= sinkSlab {
		select {
		case b := <-d.slabs:
			return b[:0]
		default:
		}
	}
	return make([]byte, 0, max(sinkSlab, n))
}

// recycle keeps a slab the loop is done with for the inputs' next lines,
// up to spareSlabs of them; the rest are the collector's.
func (d *Daemon) recycle(b []byte) {
	if cap(b) != sinkSlab {
		return
	}
	select {
	case d.slabs <- b:
	default:
	}
}

// spareSlabs bounds the slabs kept for reuse: a full queue of lines
// (queuedLines of about 250 bytes) spans about 8.
const spareSlabs = 16

// loop is the daemon's one goroutine over the tracker.
func (d *Daemon) loop(ctx context.Context, errc <-chan error) error {
	c := &d.cfg
	if err := d.waitReady(ctx, errc); err != nil || ctx.Err() != nil {
		return err
	}
	c.Notify("READY=1")
	if c.Ready != nil {
		c.Ready()
	}
	tick := time.NewTicker(d.rt.Interval)
	defer tick.Stop()
	save := time.NewTicker(c.SaveEvery)
	defer save.Stop()
	second := time.NewTicker(time.Second)
	defer second.Stop()
	var wd <-chan time.Time
	if c.Watchdog > 0 {
		w := time.NewTicker(c.Watchdog)
		defer w.Stop()
		wd = w.C
	}
	intervals := 0
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			c.Log.Error("stopping", "err", err)
			return err
		case it := <-d.lines:
			d.drain(it)
			d.floodPages(false)
		case <-tick.C:
			d.floodPages(true)
			d.closeBatch()
			intervals++
			rt := d.rt
			if rt.ScanTimeout > 0 && (rt.ExpireEvery <= 0 || intervals%rt.ExpireEvery == 0) {
				before := c.Tracker.Sources()
				if n := c.Tracker.Expire(c.Clock(), rt.ScanTimeout); n > 0 {
					c.Log.Info("scans timed out", "pairs", n)
				}
				// Told now, not at the next batch, so that the list is
				// garbage before the memory is handed back.
				d.tellForgotten()
				if before-c.Tracker.Sources() >= releaseAfter {
					d.releaseMemory()
				}
			}
		case <-save.C:
			d.save(false)
		case <-second.C:
			if c.Blocker != nil {
				c.Blocker.Tick(c.Clock())
			}
		case <-wd:
			c.Notify("WATCHDOG=1")
		case fn := <-d.query:
			fn(c.Tracker, d.rt)
		case done := <-d.reload:
			d.startReload(done)
		case b := <-d.built:
			if d.swap(b) {
				tick.Reset(d.rt.Interval)
			}
		case s := <-c.Signals:
			switch s {
			case syscall.SIGHUP:
				c.Notify("RELOADING=1")
				d.startReload(nil)
			case syscall.SIGUSR1:
				d.dump()
			case syscall.SIGTERM, syscall.SIGINT:
				c.Notify("STOPPING=1")
				c.Log.Info("stopping on signal", "signal", s.String())
				// psad's -K says this; here it also covers a stop by
				// systemd or ^C. The Notifier sends it before it closes.
				d.rt.Notifier.Syslog("shutting down psad daemons")
				return nil
			}
		}
	}
}

func (d *Daemon) waitReady(ctx context.Context, errc <-chan error) error {
	timeout := time.NewTimer(d.cfg.ReadyTimeout)
	defer timeout.Stop()
	for _, s := range d.cfg.Sources {
		ready := s.Ready()
		if ready == nil {
			continue
		}
		select {
		case <-ready:
		case err := <-errc:
			d.cfg.Log.Error("input stopped", "err", err)
			return err
		case <-ctx.Done():
			return nil
		case <-timeout.C:
			d.cfg.Log.Warn("input not ready in time, going on", "input", s.Name(), "after", d.cfg.ReadyTimeout)
		}
	}
	return nil
}

// hook points the tracker at rt's engines and thresholds, with danger
// levels assigned as packets land and the per-batch detail alerts need,
// and makes rt's pipeline into the tracker.
func (d *Daemon) hook(rt *Runtime) {
	t := d.cfg.Tracker
	det := rt.Detector
	det.Hook(t)
	set := det.Scan
	set.Live, set.NoBatchDetail = true, false
	set.TrackGone = true // drained every CHECK_INTERVAL by closeBatch
	t.SetSettings(set)
	t.OnRaise = d.onRaise
	d.pl = det.NewPipeline(t)
	d.gen++
	d.ahead.Store(&ahead{gen: d.gen, parser: d.pl.Parser, eng: det.Engines})
	d.pl.UseClock = true
	d.pl.Clock = d.cfg.Clock
	d.pl.OnMalformed = d.cfg.Malformed
}

func (d *Daemon) onRaise(src *scan.Source, old int) {
	d.raised[src] = struct{}{}
	if d.cfg.Blocker != nil {
		d.cfg.Blocker.Raised(d.cfg.Clock(), src, old)
	}
}

// drain processes first and what is queued behind it, up to drainLines
// more, in groups whose tracker look-ups are read ahead together (see
// scan.Tracker.Warm): under a flood each is a cache miss.
func (d *Daemon) drain(first *item) {
	var group [scan.WarmGroup]*item
	var pkts [scan.WarmGroup]*fwlog.Packet
	group[0] = first
	n := 1
	for left := drainLines; ; n = 0 {
		for n < len(group) && left > 0 {
			select {
			case it := <-d.lines:
				group[n] = it
				n++
				left--
				continue
			default:
			}
			break
		}
		k := 0
		for _, it := range group[:n] {
			// A line parsed ahead under an older runtime is parsed
			// again by process.
			if it.err == nil && it.gen == d.gen {
				pkts[k] = &it.pkt
				k++
			}
		}
		d.cfg.Tracker.Warm(pkts[:k])
		for _, it := range group[:n] {
			d.process(it)
		}
		if n < len(group) || left == 0 {
			return
		}
	}
}

func (d *Daemon) process(it *item) {
	if it.retire != nil {
		d.recycle(it.retire)
	}
	pl := d.pl
	line := it.buf[:it.n]
	var o pipeline.Outcome
	p := &it.pkt
	if it.gen == d.gen {
		e := d.rt.Detector.Engines
		if e != nil {
			e.Use(&it.pre)
		}
		o = pl.ProcessParsed(line, p, it.err)
		if e != nil {
			e.Use(nil)
		}
	} else {
		o, p = pl.Process(line), &pl.Packet
	}
	if o == pipeline.Accepted {
		d.batch = true
		d.rt.Notifier.Packet(d.cfg.Clock(), p)
	}
	if pos := it.buf[it.n:]; len(pos) > 0 {
		d.pos[it.src] = append(d.pos[it.src][:0], pos...)
		d.posNew = true
	}
	d.mu.Lock()
	d.stats.Lines++
	d.stats.ByOutcome[o]++
	in := &d.stats.Inputs[it.src]
	in.ByOutcome[o]++
	in.LastLine = append(in.LastLine[:0], it.buf[:it.n]...) // the slab is recycled
	d.mu.Unlock()
	if d.cfg.Processed != nil {
		d.cfg.Processed()
	}
}

// closeBatch assigns the batch's danger levels and runs the alert cycle.
func (d *Daemon) closeBatch() {
	t := d.cfg.Tracker
	d.tellForgotten()
	if !d.batch && !t.PairLimitHit {
		return
	}
	d.batch = false
	limit := t.PairLimitHit
	srcs := t.EndBatch()
	if e := d.rt.Detector.Engines; e != nil {
		e.Finish(srcs)
	}
	raised := make(map[*scan.Source]int)
	for _, s := range srcs {
		if old := s.BatchStartDL(); s.DL > old {
			raised[s] = old
		}
	}
	d.mu.Lock()
	d.stats.Batches++
	d.mu.Unlock()
	if len(srcs) > 0 || limit {
		d.rt.Notifier.Batch(&scan.Closed{Now: d.cfg.Clock(), Tracker: t, Sources: srcs, Raised: raised,
			AutoRaised: t.TakeAutoRaised(), PairLimitHit: limit})
		t.ReleaseBatches(srcs)
	}
}

// tellForgotten tells the Notifier of the sources the tracker forgot,
// before the batch that may bring one back.
func (d *Daemon) tellForgotten() {
	d.takeGone()
	if len(d.forgot) > 0 {
		d.rt.Notifier.Forget(d.forgot)
		d.forgot = nil // a flood's worth is not kept for the next one
	}
}

// takeGone moves the sources the tracker forgot onto the lists of those
// to delete from the store (save) and to tell the Notifier (tellForgotten).
func (d *Daemon) takeGone() {
	g := d.cfg.Tracker.TakeGone()
	if len(g) == 0 {
		return
	}
	if d.cfg.Store != nil {
		// Sized once: an expired flood hands over 100,000 at a time, and
		// grown by append the list took 0.17 s of the loop per flood.
		d.gone = slices.Grow(d.gone, len(g))
		for _, s := range g {
			d.gone = append(d.gone, s.Addr)
		}
	}
	d.forgot = append(d.forgot, g...)
}

// shrinkRaised is the size above which save drops the raised set's map
// rather than clearing it: a flood raises every source it brings.
const shrinkRaised = 4096

// saveSlab is the size of the blocks save packs records into.
const saveSlab = 64 << 10

// save hands the changed sources, the counters and the positions to the
// I/O goroutine. With final it waits for a free slot (shutdown);
// otherwise a save still running makes this one wait for the next tick.
func (d *Daemon) save(final bool) {
	st0 := d.cfg.Store
	if st0 == nil || d.saving.Load() && !final {
		return
	}
	t := d.cfg.Tracker
	d.takeGone()
	// The snapshot is taken here, on the loop, as encoded records packed
	// into slabs: a flood's hundred thousand changed sources then cost
	// their records' bytes, not as many exported structs waiting for the
	// I/O goroutine, nor the copies of one buffer doubling as it grows.
	srcs := make([][]byte, 0, len(d.raised)+t.Changing(d.mark))
	var slab []byte
	add := func(s *scan.Source) {
		s.ExportTo(&d.export)
		var err error
		if d.scratch, err = st0.AppendSource(d.scratch[:0], &d.export); err != nil {
			d.cfg.Log.Error("saving scan state: source not saved", "src", s.Addr, "err", err)
			return
		}
		n := len(d.scratch)
		if cap(slab)-len(slab) < n {
			slab = make([]byte, 0, max(saveSlab, n))
		}
		slab = append(slab, d.scratch...)
		srcs = append(srcs, slab[len(slab)-n:len(slab):len(slab)])
	}
	// A DL raised at a batch's end changes no packet stamp, so the raised
	// sources go first and the changed ones skip them.
	for s := range d.raised {
		if t.Source(s.Addr) == s {
			add(s)
		}
	}
	mark := t.ChangedSince(d.mark, func(s *scan.Source) {
		if _, ok := d.raised[s]; !ok {
			add(s)
		}
	})
	if len(srcs) == 0 && len(d.gone) == 0 && !d.posNew {
		return
	}
	gone := d.gone
	counters := t.ExportCounters()
	positions := make(map[string][]byte)
	for i, s := range d.cfg.Sources {
		if d.pos[i] != nil {
			positions[s.Name()] = bytes.Clone(d.pos[i])
		}
	}
	job := func() {
		err := st0.Save(srcs, gone, counters, positions)
		if err != nil {
			d.cfg.Log.Error("saving scan state and input positions", "err", err)
		}
		d.mu.Lock()
		if err != nil {
			d.stats.SavesFailed++
		}
		d.mu.Unlock()
	}
	if final {
		d.io <- job
	} else {
		d.saving.Store(true)
		select {
		case d.io <- func() { job(); d.saving.Store(false) }:
		default:
			d.saving.Store(false)
			return
		}
	}
	d.mark = mark
	d.gone = nil
	if len(d.raised) > shrinkRaised {
		d.raised = make(map[*scan.Source]struct{}) // a map keeps its size
	} else {
		clear(d.raised)
	}
	d.posNew = false
}

// ioLoop runs the daemon's own slow work (state saves, dumps) off the
// loop, in order.
func (d *Daemon) ioLoop() {
	defer d.bg.Done()
	for job := range d.io {
		job()
	}
}

// dump writes the status report of the live state (USR1). psad dumped
// its scan hash with Data::Dumper; the full report says the same in
// psad's own words.
func (d *Daemon) dump() {
	rt := d.rt
	if rt.Report == nil || rt.DumpPath == "" {
		return
	}
	var buf bytes.Buffer
	rt.Report(&buf, d.cfg.Tracker, ReportQuery{Full: true})
	path, log, write := rt.DumpPath, d.cfg.Log, d.cfg.WriteFile
	rt.Notifier.Syslog("received USR1 signal, printing scan hashes to " + path)
	select {
	case d.io <- func() {
		if err := write(path, buf.Bytes()); err != nil {
			log.Error("USR1 dump", "err", err)
		} else {
			log.Info("USR1: state written", "file", path)
		}
	}:
	default:
		log.Error("USR1 dump skipped: state saves are behind")
	}
}

// startReload builds a new Runtime off the loop; done, when set, gets
// the verdict. Requests during a build share its result.
func (d *Daemon) startReload(done chan error) {
	if done != nil {
		d.pending = append(d.pending, done)
	}
	if d.cfg.Reload == nil {
		d.finishReload(errors.New("reload is not supported in this mode"))
		return
	}
	if d.building {
		return
	}
	d.building = true
	d.bg.Add(1)
	go func() {
		defer d.bg.Done()
		rt, err := d.cfg.Reload()
		d.built <- built{rt, err}
	}()
}

// swap puts a built Runtime in force after the old one has closed its
// batch; it reports whether it did.
func (d *Daemon) swap(b built) bool {
	d.building = false
	if b.err != nil {
		d.mu.Lock()
		d.stats.ReloadsRefused++
		d.mu.Unlock()
		d.cfg.Log.Error("HUP: new configuration refused, still running the old one", "err", b.err)
		d.finishReload(b.err)
		d.cfg.Notify("READY=1")
		return false
	}
	d.closeBatch()
	old := d.rt
	d.rt = b.rt
	d.hook(b.rt)
	// The old Notifier sends what it queued, off the loop.
	d.bg.Add(1)
	go func() {
		defer d.bg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		old.Notifier.Close(ctx)
	}()
	d.mu.Lock()
	d.stats.Reloads++
	d.mu.Unlock()
	d.cfg.Log.Info("configuration reloaded")
	d.finishReload(nil)
	d.cfg.Notify("READY=1")
	return true
}

func (d *Daemon) finishReload(err error) {
	for _, c := range d.pending {
		c <- err
	}
	d.pending = d.pending[:0]
}
