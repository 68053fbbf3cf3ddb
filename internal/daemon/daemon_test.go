package daemon

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/psadgo/psad/internal/detect"
	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/osfp"
	"github.com/psadgo/psad/internal/pipeline"
	"github.com/psadgo/psad/internal/protocols"
	"github.com/psadgo/psad/internal/psaddir"
	"github.com/psadgo/psad/internal/scan"
)

const synFmt = "Mar 11 20:35:11 fw kernel: DROP IN=eth0 OUT= SRC=%s DST=192.168.10.1 LEN=44 TOS=0x00 PREC=0x00 TTL=50 ID=1 PROTO=TCP SPT=40000 DPT=%d WINDOW=1024 RES=0x00 SYN URGP=0 "

func synLine(src string, port int) string { return fmt.Sprintf(synFmt, src, port) }

func newRuntime(n *notifier, interval time.Duration) *Runtime {
	det := &detect.Detector{Protocols: protocols.Default(), Rules: pipeline.DefaultRules(),
		Scan: scan.DefaultSettings(), Parser: fwlog.Options{StripKernelTS: true}}
	return &Runtime{Detector: det, Interval: interval, Notifier: n}
}

// feeder is a Source whose lines the test pushes; a line's position is
// its number, so a restart can resume after it.
type feeder struct {
	name  string
	ch    chan string
	ready chan struct{}
	from  uint64
	mu    sync.Mutex
	sent  uint64
}

func newFeeder() *feeder {
	f := &feeder{name: "test", ch: make(chan string, 1000), ready: make(chan struct{})}
	close(f.ready)
	return f
}

func (f *feeder) Name() string           { return f.name }
func (f *feeder) Ready() <-chan struct{} { return f.ready }
func (f *feeder) Resume(pos []byte) error {
	if len(pos) != 8 {
		return errors.New("bad position")
	}
	f.from = binary.BigEndian.Uint64(pos)
	return nil
}

func (f *feeder) Run(ctx context.Context, sink func(line, pos []byte) bool) error {
	n := f.from
	for {
		select {
		case l := <-f.ch:
			n++
			if !sink([]byte(l), binary.BigEndian.AppendUint64(nil, n)) {
				return ctx.Err()
			}
			f.mu.Lock()
			f.sent = n
			f.mu.Unlock()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// notifier records what the alert cycle is given.
type notifier struct {
	name    string
	mu      sync.Mutex
	batches []map[netip.Addr]int // DL per source of each batch
	packets int
	closed  bool
	closeCh chan struct{}
	// block, when set, stalls Batch until it is closed.
	block chan struct{}
	// stuck makes Close wait for its deadline (a mail server that never
	// answers).
	stuck bool
	// syslog holds the lines given to Syslog.
	syslog []string
	// forgot holds the sources given to Forget.
	forgot []scan.Gone
}

func newNotifier(name string) *notifier { return &notifier{name: name, closeCh: make(chan struct{})} }

func (n *notifier) Packet(time.Time, *fwlog.Packet) {
	n.mu.Lock()
	n.packets++
	n.mu.Unlock()
}

func (n *notifier) Batch(b *scan.Closed) {
	if n.block != nil {
		<-n.block
	}
	m := map[netip.Addr]int{}
	for _, s := range b.Sources {
		m[s.Addr] = s.DL
	}
	n.mu.Lock()
	n.batches = append(n.batches, m)
	n.mu.Unlock()
}

func (n *notifier) Forget(gone []scan.Gone) {
	n.mu.Lock()
	n.forgot = append(n.forgot, gone...)
	n.mu.Unlock()
}

func (n *notifier) Syslog(line string) {
	n.mu.Lock()
	n.syslog = append(n.syslog, line)
	n.mu.Unlock()
}

func (n *notifier) Close(ctx context.Context) {
	if n.stuck {
		<-ctx.Done()
	}
	n.mu.Lock()
	n.closed = true
	n.mu.Unlock()
	close(n.closeCh)
}

func (n *notifier) count() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.batches)
}

// store is the real state store, counting its saves.
type store struct {
	*psaddir.Store
	mu    sync.Mutex
	saves int
}

func openStore(t testing.TB) *store {
	t.Helper()
	st, err := psaddir.OpenStore(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &store{Store: st}
}

func (s *store) Load(t *scan.Tracker, importScans bool) (map[string][]byte, error) {
	pos, _, _, err := s.Store.Load(t, importScans)
	return pos, err
}

func (s *store) Save(srcs [][]byte, gone []netip.Addr, c scan.CounterState, pos map[string][]byte) error {
	err := s.Store.Save(srcs, gone, c, pos)
	s.mu.Lock()
	s.saves++
	s.mu.Unlock()
	return err
}

func start(t *testing.T, c Config) (*Daemon, context.CancelFunc, chan error) {
	t.Helper()
	ready := make(chan struct{})
	c.Ready = func() { close(ready) }
	d := New(c)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	<-ready
	return d, cancel, done
}

func dl(t *testing.T, d *Daemon, src string) int {
	t.Helper()
	got := -1
	err := d.Query(t.Context(), func(tr *scan.Tracker, _ *Runtime) {
		if s := tr.Source(netip.MustParseAddr(src)); s != nil {
			got = s.DL
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestLiveState: a scan is visible with its danger level as its packets
// land, long before the CHECK_INTERVAL tick closes the batch.
func TestLiveState(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, n := newFeeder(), newNotifier("a")
		d, cancel, done := start(t, Config{Sources: []Source{f}, Runtime: newRuntime(n, 5*time.Second), Tracker: scan.NewTracker(scan.DefaultSettings())})
		for p := 1; p <= 20; p++ {
			f.ch <- synLine("203.0.113.5", p)
		}
		synctest.Wait()
		if got := dl(t, d, "203.0.113.5"); got != 2 {
			t.Fatalf("DL before the tick = %d, want 2 (20 packets, DANGER_LEVEL2 15)", got)
		}
		if n.count() != 0 {
			t.Fatalf("alert cycle ran before CHECK_INTERVAL")
		}
		time.Sleep(5 * time.Second) // fake time: the tick
		synctest.Wait()
		if n.count() != 1 {
			t.Fatalf("batches after the tick = %d, want 1", n.count())
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}

// TestExpiredSourcesToldAtOnce: the sources an expiry forgets reach the
// Notifier at the tick that expired them, with their danger levels, so
// that the list is garbage before the memory goes back to the system; a
// source kept for its level is not among them.
func TestExpiredSourcesToldAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, n := newFeeder(), newNotifier("a")
		rt := newRuntime(n, 5*time.Second)
		rt.ScanTimeout = 10 * time.Second
		rt.Detector.Scan.ForgetBelowDL = 2
		_, cancel, done := start(t, Config{Sources: []Source{f}, Runtime: rt, Tracker: scan.NewTracker(scan.DefaultSettings())})
		f.ch <- synLine("203.0.113.7", 1)
		for p := 1; p <= 20; p++ {
			f.ch <- synLine("203.0.113.5", p) // DL 2: kept
		}
		synctest.Wait()
		time.Sleep(10 * time.Second) // ticks at 5 and 10 s; the scans expire at 10
		synctest.Wait()
		n.mu.Lock()
		forgot, batches := n.forgot, len(n.batches)
		n.mu.Unlock()
		if len(forgot) != 1 || forgot[0].Addr != netip.MustParseAddr("203.0.113.7") || forgot[0].DL >= 2 {
			t.Errorf("told at the expiry tick: %v, want only 203.0.113.7, below DL 2", forgot)
		}
		if batches != 1 {
			t.Errorf("%d batches, want the one that closed at 5 s", batches)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}

// TestWatchdogStopsWhenLoopStalls: pings come from the loop itself, so a
// loop stuck in the alert cycle is not reported healthy.
func TestWatchdogStopsWhenLoopStalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		pings := 0
		notify := func(s string) {
			if s == "WATCHDOG=1" {
				mu.Lock()
				pings++
				mu.Unlock()
			}
		}
		count := func() int { mu.Lock(); defer mu.Unlock(); return pings }
		f, n := newFeeder(), newNotifier("a")
		n.block = make(chan struct{})
		_, cancel, done := start(t, Config{Sources: []Source{f}, Runtime: newRuntime(n, 5*time.Second),
			Tracker: scan.NewTracker(scan.DefaultSettings()), Notify: notify, Watchdog: time.Second})
		time.Sleep(4500 * time.Millisecond)
		if got := count(); got != 4 {
			t.Fatalf("pings in 4.5 s of a healthy loop = %d, want 4", got)
		}
		f.ch <- synLine("203.0.113.5", 1)
		time.Sleep(30 * time.Second) // the tick at 5 s stalls the loop in Batch
		synctest.Wait()
		// The ping due at 5 s may win the race with the tick that stalls
		// the loop; a healthy loop would have sent 34.
		stalled := count()
		if stalled > 5 {
			t.Fatalf("pings while the loop is stalled = %d, want at most 5", stalled)
		}
		close(n.block)
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if got := count(); got <= stalled {
			t.Fatalf("no pings after the loop recovered (%d)", got)
		}
		cancel()
		<-done
	})
}

// TestReloadSwapsWholeRuntime: the old Runtime closes its batch with its
// own Notifier, the new one takes the next batch, the old Notifier is
// closed, and a refused configuration keeps the running one.
func TestReloadSwapsWholeRuntime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, a, b := newFeeder(), newNotifier("a"), newNotifier("b")
		next := newRuntime(b, 2*time.Second)
		next.Detector.Scan.DangerLevel = [6]int{0, 1, 2, 3, 4, 5}
		var reloadErr error
		d, cancel, done := start(t, Config{Sources: []Source{f}, Runtime: newRuntime(a, 5*time.Second),
			Tracker: scan.NewTracker(scan.DefaultSettings()),
			Reload: func() (*Runtime, error) {
				if reloadErr != nil {
					return nil, reloadErr
				}
				return next, nil
			}})
		f.ch <- synLine("203.0.113.5", 1)
		synctest.Wait()
		reloadErr = errors.New("bad config")
		if err := d.Reload(t.Context()); err == nil {
			t.Fatal("a refused configuration reported success")
		}
		if a.count() != 0 {
			t.Fatal("a refused reload closed the batch")
		}
		reloadErr = nil
		if err := d.Reload(t.Context()); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if a.count() != 1 || !a.closed {
			t.Fatalf("old notifier: %d batches, closed %v; want its batch and closed", a.count(), a.closed)
		}
		for p := 2; p <= 4; p++ {
			f.ch <- synLine("203.0.113.5", p)
		}
		synctest.Wait()
		if got := dl(t, d, "203.0.113.5"); got != 4 {
			t.Fatalf("DL under the new thresholds = %d, want 4 (4 packets, DANGER_LEVEL4 4)", got)
		}
		time.Sleep(2 * time.Second) // the new interval
		synctest.Wait()
		if b.count() != 1 {
			t.Fatalf("new notifier batches = %d, want 1", b.count())
		}
		st := d.Stats()
		if st.Reloads != 1 || st.ReloadsRefused != 1 {
			t.Fatalf("stats %+v", st)
		}
		cancel()
		<-done
	})
}

// TestSignals: HUP reloads, USR1 dumps, TERM stops; all on the loop.
func TestSignals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sigs := make(chan os.Signal, 3)
		f, a := newFeeder(), newNotifier("a")
		rt := newRuntime(a, 5*time.Second)
		var mu sync.Mutex
		var dumped string
		rt.Report = func(w io.Writer, tr *scan.Tracker, q ReportQuery) {
			fmt.Fprintf(w, "sources %d", tr.Sources())
		}
		rt.DumpPath = "/nonexistent/dump"
		reloads := 0
		b := newNotifier("b")
		_, _, done := start(t, Config{Sources: []Source{f}, Runtime: rt, Tracker: scan.NewTracker(scan.DefaultSettings()),
			Signals: sigs,
			Reload: func() (*Runtime, error) {
				mu.Lock()
				reloads++
				mu.Unlock()
				return newRuntime(b, time.Second), nil
			},
			WriteFile: func(path string, data []byte) error {
				mu.Lock()
				dumped = path + ": " + string(data)
				mu.Unlock()
				return nil
			}})
		f.ch <- synLine("203.0.113.5", 1)
		synctest.Wait()
		sigs <- syscall.SIGUSR1
		sigs <- syscall.SIGHUP
		synctest.Wait()
		mu.Lock()
		if dumped != "/nonexistent/dump: sources 1" || reloads != 1 {
			t.Errorf("dump %q, reloads %d", dumped, reloads)
		}
		mu.Unlock()
		a.mu.Lock()
		if want := []string{"received USR1 signal, printing scan hashes to /nonexistent/dump"}; !slices.Equal(a.syslog, want) {
			t.Errorf("syslog %q, want %q", a.syslog, want)
		}
		a.mu.Unlock()
		sigs <- syscall.SIGTERM
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		b.mu.Lock()
		if !slices.Contains(b.syslog, "shutting down psad daemons") {
			t.Errorf("syslog at TERM %q", b.syslog)
		}
		b.mu.Unlock()
	})
}

// TestShutdownKeepsStateAndPositionsTogether stops the daemon while lines
// still arrive (run it with -race) and checks that what was saved last
// counts exactly the lines before the saved position, then that a
// restart resumes after it.
func TestShutdownKeepsStateAndPositionsTogether(t *testing.T) {
	f, n := newFeeder(), newNotifier("a")
	st := openStore(t)
	_, cancel, done := start(t, Config{Sources: []Source{f}, Runtime: newRuntime(n, 20*time.Millisecond),
		Tracker: scan.NewTracker(scan.DefaultSettings()), Store: st, SaveEvery: 5 * time.Millisecond})
	stop := make(chan struct{})
	fed := make(chan int)
	go func() {
		i := 0
		for {
			select {
			case f.ch <- synLine("203.0.113.5", 1+i%1000):
				i++
			case <-stop:
				fed <- i
				return
			}
		}
	}()
	for {
		st.mu.Lock()
		saves := st.saves
		st.mu.Unlock()
		if saves >= 3 {
			break
		}
		runtime.Gosched()
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	close(stop)
	<-fed
	saved := scan.NewTracker(scan.DefaultSettings())
	positions, err := st.Load(saved, true)
	if err != nil {
		t.Fatal(err)
	}
	pos := binary.BigEndian.Uint64(positions["test"])
	var got int64
	if src := saved.Source(netip.MustParseAddr("203.0.113.5")); src != nil {
		got = src.Packets
	}
	if uint64(got) != pos {
		t.Fatalf("saved state counts %d packets, saved position says %d lines", got, pos)
	}
	f.mu.Lock()
	sent := f.sent
	f.mu.Unlock()
	if pos != sent {
		t.Fatalf("position %d, but the input handed over %d lines: taken lines were lost", pos, sent)
	}
	if !n.closed {
		t.Fatal("notifier not closed at shutdown")
	}

	// A restart resumes after the saved position.
	f2 := newFeeder()
	_, cancel2, done2 := start(t, Config{Sources: []Source{f2}, Runtime: newRuntime(newNotifier("b"), time.Second),
		Tracker: scan.NewTracker(scan.DefaultSettings()), Store: st})
	if f2.from != pos {
		t.Fatalf("resumed from %d, want %d", f2.from, pos)
	}
	cancel2()
	<-done2
}

// TestStopBoundsNotifier: shutdown gives the Notifier StopTimeout, not
// more.
func TestStopBoundsNotifier(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, n := newFeeder(), newNotifier("a")
		n.stuck = true
		_, cancel, done := start(t, Config{Sources: []Source{f}, Runtime: newRuntime(n, time.Second),
			Tracker: scan.NewTracker(scan.DefaultSettings()), StopTimeout: 2 * time.Second})
		t0 := time.Now()
		cancel()
		<-done
		if el := time.Since(t0); el != 2*time.Second {
			t.Fatalf("shutdown took %v, want the 2 s StopTimeout", el)
		}
	})
}

// blocker records what the daemon tells active response.
type blocker struct {
	mu     sync.Mutex
	raised []string
	ticks  int
	closed bool
}

func (b *blocker) Raised(_ time.Time, src *scan.Source, old int) {
	b.mu.Lock()
	b.raised = append(b.raised, fmt.Sprintf("%v %d->%d", src.Addr, old, src.DL))
	b.mu.Unlock()
}
func (b *blocker) Tick(time.Time) { b.mu.Lock(); b.ticks++; b.mu.Unlock() }
func (b *blocker) Close(context.Context) {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
}

// TestBlockerSeesRisesAsPacketsLand: active response hears of a DL rise
// with the packet that caused it, not at the CHECK_INTERVAL tick, gets a
// tick every second, and is closed at shutdown.
func TestBlockerSeesRisesAsPacketsLand(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, n, b := newFeeder(), newNotifier("a"), &blocker{}
		_, cancel, done := start(t, Config{Sources: []Source{f}, Runtime: newRuntime(n, 5*time.Second),
			Tracker: scan.NewTracker(scan.DefaultSettings()), Blocker: b})
		for p := 1; p <= 15; p++ {
			f.ch <- synLine("203.0.113.9", p)
		}
		synctest.Wait()
		b.mu.Lock()
		got := fmt.Sprint(b.raised)
		b.mu.Unlock()
		if got != "[203.0.113.9 0->1 203.0.113.9 1->2]" {
			t.Fatalf("rises before the tick: %s", got)
		}
		time.Sleep(3 * time.Second)
		synctest.Wait()
		b.mu.Lock()
		ticks := b.ticks
		b.mu.Unlock()
		if ticks != 3 {
			t.Fatalf("%d ticks in 3 s, want 3", ticks)
		}
		cancel()
		<-done
		if !b.closed {
			t.Fatal("blocker not closed at shutdown")
		}
	})
}

// TestFloodEvictsToMaxSources runs a flood of distinct sources through
// the daemon with MAX_SCAN_SOURCES well below the flood: the tracker
// holds exactly that many, the most recently seen ones, and the state
// store, after the shutdown save, holds the same set: evicted sources
// are deleted from it, not left to pile up. The alert cycle is told of
// each evicted source once, so that it can let go of its files.
func TestFloodEvictsToMaxSources(t *testing.T) {
	const maxSrc, n = 1000, 5000
	st := openStore(t)
	rt := newRuntime(nil, time.Hour)
	nt := newNotifier("flood")
	rt.Notifier = nt
	rt.Detector.Scan.MaxSources = maxSrc
	processed := make(chan struct{})
	seen := 0
	d := New(Config{Sources: []Source{&lineSource{n: n, line: floodLine}}, Runtime: rt,
		Tracker: scan.NewTracker(scan.DefaultSettings()), Store: st, SaveEvery: time.Millisecond,
		Processed: func() {
			if seen++; seen == n {
				close(processed)
			}
		}})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	<-processed
	alive := func(tr *scan.Tracker) (got, wrong int) {
		for i := range n {
			a := netip.AddrFrom4([4]byte{10, byte((i + 1) >> 16), byte((i + 1) >> 8), byte(i + 1)})
			if tr.Source(a) != nil {
				got++
				if i < n-maxSrc {
					wrong++
				}
			}
		}
		return got, wrong
	}
	err := d.Query(t.Context(), func(tr *scan.Tracker, _ *Runtime) {
		if tr.Sources() != maxSrc || tr.Evicted != n-maxSrc {
			t.Errorf("tracker holds %d sources, evicted %d; want %d and %d", tr.Sources(), tr.Evicted, maxSrc, n-maxSrc)
		}
		if got, wrong := alive(tr); got != maxSrc || wrong != 0 {
			t.Errorf("%d of the flood's sources alive, %d of them not among the last %d seen", got, wrong, maxSrc)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	saved := scan.NewTracker(scan.DefaultSettings())
	if _, err := st.Load(saved, true); err != nil {
		t.Fatal(err)
	}
	if got, wrong := alive(saved); saved.Sources() != maxSrc || got != maxSrc || wrong != 0 {
		t.Errorf("store holds %d sources (%d of the flood, %d evicted ones); want the last %d", saved.Sources(), got, wrong, maxSrc)
	}
	nt.mu.Lock()
	defer nt.mu.Unlock()
	told := map[netip.Addr]int{}
	for _, g := range nt.forgot {
		told[g.Addr]++
	}
	for i := range n - maxSrc {
		if a := netip.AddrFrom4([4]byte{10, byte((i + 1) >> 16), byte((i + 1) >> 8), byte(i + 1)}); told[a] != 1 {
			t.Errorf("evicted %v told to the alert cycle %d times, want once", a, told[a])
		}
	}
	if len(nt.forgot) != n-maxSrc {
		t.Errorf("alert cycle told of %d forgotten sources, want the %d evicted", len(nt.forgot), n-maxSrc)
	}
}

// TestLineParsedAheadWithReplacedRuntime: an input parses its lines with
// the runtime in force when it reads them; a line still queued when a
// reload puts another runtime in force is parsed again with the new one.
// Here the new runtime strips kernel timestamps from log prefixes and the
// old one did not, which the prefix counters show.
func TestLineParsedAheadWithReplacedRuntime(t *testing.T) {
	old, next := newRuntime(nil, time.Hour), newRuntime(nil, time.Hour)
	old.Notifier, next.Notifier = quiet{}, quiet{}
	old.Detector.Parser.StripKernelTS = false
	next.Detector.Parser.StripKernelTS = true
	tr := scan.NewTracker(scan.DefaultSettings())
	d := New(Config{Sources: []Source{&lineSource{}}, Runtime: old, Tracker: tr})
	d.hook(old)
	line := []byte("Dec  6 20:00:00 fw kernel: [ 1234.567890] DROP IN=eth0 OUT= SRC=203.0.113.9 DST=192.168.10.1 LEN=44 TOS=0x00 PREC=0x00 TTL=50 ID=1 PROTO=TCP SPT=40000 DPT=22 WINDOW=1024 RES=0x00 SYN URGP=0")
	sink := sinkOf(t, d, 0)
	for range 2 {
		if !sink(line, nil) {
			t.Fatal("sink refused a line")
		}
	}
	d.process(<-d.lines) // parsed ahead with the runtime in force
	d.rt = next
	d.hook(next)
	d.process(<-d.lines) // parsed ahead with the old runtime, still queued
	got := map[string]int64{}
	for k, n := range tr.Counters.Prefix {
		got[k] = *n
	}
	want := map[string]int64{"[ 1234.567890] DROP": 1, "DROP": 1}
	if !maps.Equal(got, want) {
		t.Errorf("prefix counters %v, want %v: the queued line was not parsed again with the new runtime", got, want)
	}
}

// TestSignatureHitsPreparedAheadStayApart: inputs match signatures before
// the loop takes their lines, so several prepared lines wait in the queue
// at once; each must keep its own hits, not the next line's.
func TestSignatureHitsPreparedAheadStayApart(t *testing.T) {
	d, tr := loopless(engines(t))
	const head = "Dec  6 20:00:00 fw kernel: DROP IN=eth0 OUT= SRC=%s DST=192.168.10.1 LEN=44 TOS=0x00 PREC=0x00 TTL=50 ID=1 PROTO=TCP SPT=40000 DPT=%d WINDOW=1024 RES=0x00 %s URGP=0"
	type line struct {
		src   string
		port  int
		flags string
		sig   int
	}
	lines := []line{
		{"203.0.113.1", 22, "SYN FIN", 2000004}, // SYN+FIN probe
		{"203.0.113.2", 0, "SYN", 2000071},      // to port 0
		{"203.0.113.3", 22, "SYN FIN", 2000004},
	}
	sink := sinkOf(t, d, 0)
	for _, l := range lines {
		if !sink(fmt.Appendf(nil, head, l.src, l.port, l.flags), nil) {
			t.Fatal("sink refused a line")
		}
	}
	for range lines {
		d.process(<-d.lines)
	}
	for _, l := range lines {
		s := tr.Source(netip.MustParseAddr(l.src))
		if s == nil {
			t.Fatalf("%s: no source", l.src)
		}
		var ids []int
		for _, r := range s.Dst(netip.MustParseAddr("192.168.10.1")).Sigs() {
			ids = append(ids, r.ID)
		}
		if !slices.Contains(ids, l.sig) || slices.ContainsFunc(lines, func(o line) bool {
			return o.sig != l.sig && slices.Contains(ids, o.sig)
		}) {
			t.Errorf("%s: signatures %v, want %d and not the other lines'", l.src, ids, l.sig)
		}
	}
}

// loopless is a daemon whose loop is not running, hooked to a quiet
// runtime (det nil: newRuntime's bare detector): a test takes lines from
// d.lines and processes them itself.
func loopless(det *detect.Detector) (*Daemon, *scan.Tracker) {
	rt := newRuntime(nil, time.Hour)
	rt.Notifier = quiet{}
	if det != nil {
		rt.Detector = det
	}
	tr := scan.NewTracker(scan.DefaultSettings())
	d := New(Config{Sources: []Source{&lineSource{}}, Runtime: rt, Tracker: tr})
	d.hook(rt)
	return d, tr
}

// TestSinkFromSeveralGoroutines: the syslog listener calls an input's
// sink from one goroutine per connection at once (see Source.Run). Every
// line must still arrive whole and parsed as itself; under -race a sink
// with unguarded state fails here too.
func TestSinkFromSeveralGoroutines(t *testing.T) {
	const conns, per = 4, 3000
	d, tr := loopless(nil)
	sink := sinkOf(t, d, 0)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range conns * per {
			d.process(<-d.lines)
		}
	}()
	var wg sync.WaitGroup
	for c := range conns {
		wg.Go(func() {
			var buf []byte
			for i := range per {
				buf = floodLine(buf[:0], c*per+i)
				if !sink(buf, nil) {
					t.Error("sink refused a line")
					return
				}
			}
		})
	}
	wg.Wait()
	<-done
	dst := netip.MustParseAddr("192.168.10.1")
	bad := 0
	for i := range conns * per {
		a := netip.AddrFrom4([4]byte{10, byte((i + 1) >> 16), byte((i + 1) >> 8), byte(i + 1)})
		s := tr.Source(a)
		port := uint16(1 + i%1024)
		if s == nil || s.Packets != 1 || s.Dst(dst) == nil || s.Dst(dst).Ranges[0] != (scan.PortRange{Lo: port, Hi: port, Seen: true}) {
			if bad++; bad <= 3 {
				t.Errorf("line %d: source %v not as its line says", i, a)
			}
		}
	}
	if tr.Sources() != conns*per {
		t.Errorf("%d sources, want %d", tr.Sources(), conns*per)
	}
}

// TestSinkRecyclesSlabs: an input's lines go through a few slabs used
// over and over, not fresh memory per 32 KB of lines, and a slab is
// reused only once the loop is done with every line in it: the prefixes,
// which the tracker reads from the slab when it takes the line, all
// arrive as written.
func TestSinkRecyclesSlabs(t *testing.T) {
	const lines, prefixes = 40000, 50
	d, tr := loopless(nil)
	sink := sinkOf(t, d, 0)
	const head = "Dec  6 20:00:00 fw kernel: DROP%02d IN=eth0 OUT= SRC=203.0.113.9 DST=192.168.10.1 LEN=44 TOS=0x00 PREC=0x00 TTL=50 ID=1 PROTO=TCP SPT=40000 DPT=%d WINDOW=1024 RES=0x00 SYN URGP=0"
	var buf []byte
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range lines {
			d.process(<-d.lines)
		}
	}()
	written := 0
	for i := range lines {
		buf = fmt.Appendf(buf[:0], head, i%prefixes, 1+i%1000)
		written += len(buf)
		if !sink(buf, nil) {
			t.Fatal("sink refused a line")
		}
	}
	<-done
	runtime.ReadMemStats(&m1)
	if got := m1.TotalAlloc - m0.TotalAlloc; !raceEnabled && got > uint64(written)/4 {
		t.Errorf("%d lines of %d bytes in all allocated %d bytes: slabs are not reused", lines, written, got)
	}
	for p := range prefixes {
		k := fmt.Sprintf("DROP%02d", p)
		if n := tr.Counters.Prefix[k]; n == nil || *n != lines/prefixes {
			t.Errorf("prefix %s counted %v times, want %d: a slab was reused under a queued line", k, n, lines/prefixes)
		}
	}
	if len(tr.Counters.Prefix) != prefixes {
		t.Errorf("%d prefixes counted, want %d", len(tr.Counters.Prefix), prefixes)
	}
}

// raceEnabled is set by race_test.go; the race detector allocates.
var raceEnabled bool

// sinkOf returns input i's sink with its preparer running behind it, as
// Run wires them.
func sinkOf(t *testing.T, d *Daemon, i int) func(line, pos []byte) bool {
	parsed := make(chan *item, preparedAhead)
	go d.prepare(parsed)
	t.Cleanup(func() { close(parsed) })
	return d.sink(t.Context(), i, parsed)
}

// TestBatchEndWritesP0FLine: at a batch's end the sources of the batch
// get the guess line of their p0f v3 counts (Engines.Finish is given the
// batch's sources, no longer every tracked one).
func TestBatchEndWritesP0FLine(t *testing.T) {
	det := engines(t)
	det.Engines.P0F, det.Engines.PF = osfp.DefaultP0F(), nil
	d, tr := loopless(det)
	const line = "Dec  7 10:00:00 fw kernel: DROP IN=eth0 OUT= SRC=203.0.113.7 DST=192.168.10.1 LEN=60 TOS=0x00 PREC=0x00 TTL=61 ID=54321 DF PROTO=TCP SPT=40000 DPT=%d WINDOW=64240 RES=0x00 SYN URGP=0 OPT (020405B40402080A%08X0000000001030307)"
	sink := sinkOf(t, d, 0)
	for i := range 3 {
		if !sink(fmt.Appendf(nil, line, 22+i, 1000+i), nil) {
			t.Fatal("sink refused a line")
		}
		d.process(<-d.lines)
	}
	d.closeBatch()
	s := tr.Source(netip.MustParseAddr("203.0.113.7"))
	if s == nil {
		t.Fatal("no source")
	}
	if gs := s.OSGuesses(); len(gs) != 1 || !strings.Contains(gs[0], "(p0f v3: 3 of 3 SYNs") {
		t.Errorf("OS guesses %q, want the p0f v3 line for 3 SYNs", s.OSGuesses())
	}
}
