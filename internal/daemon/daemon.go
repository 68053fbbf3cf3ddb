// Package daemon is psad's running detector: lines from the configured
// inputs go through the same pipeline as -A, packet by packet as they
// arrive, and every CHECK_INTERVAL the batch is closed (danger levels
// assigned) and handed to the alerting. It owns the scan state on one
// goroutine; inputs, alert senders and firewall code are injected, so the
// package runs no commands and sends nothing itself.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/pipeline"
	"github.com/psadgo/psad/internal/scan"
)

// Source is one input: it calls sink for every line until ctx is done
// and returns why it stopped. sink reports whether the line was taken; it
// is false only once the daemon is stopping, and an input that saves its
// position must not count such a line as read. sink may be called from
// several goroutines (a syslog listener serves connections concurrently).
type Source struct {
	Name string
	Run  func(ctx context.Context, sink func(line []byte) bool) error
	// Ready, when not nil, is closed by the input once it reads (the file
	// is open and positioned); the daemon reports itself ready only then.
	Ready <-chan struct{}
}

// Engine is everything that judges lines; Reload replaces it whole.
type Engine struct {
	Pipeline *pipeline.Pipeline
	// Finish runs before a batch's alerts (OS guess lines and the like).
	Finish func(t *scan.Tracker)
	// Settings are the tracker thresholds of this engine's configuration.
	Settings scan.Settings
	// Interval is CHECK_INTERVAL.
	Interval time.Duration
	// ScanTimeout is SCAN_TIMEOUT; 0 keeps scans for ever
	// (ENABLE_PERSISTENCE=Y).
	ScanTimeout time.Duration
	// ExpireEvery is PERSISTENCE_CTR_THRESHOLD: intervals between
	// timeout sweeps (0: every interval).
	ExpireEvery int
}

// Batch is one closed batch, handed to Alert on the daemon goroutine.
type Batch struct {
	Now     time.Time
	Tracker *scan.Tracker
	// Sources are the sources that sent packets in the batch, in first-seen
	// order, with their danger levels assigned.
	Sources []*scan.Source
	// Raised holds the sources whose DL rose in this batch.
	Raised map[*scan.Source]int
}

// Config is a daemon run.
type Config struct {
	Sources []Source
	Engine  *Engine
	Tracker *scan.Tracker
	// Alert receives every non-empty batch (syslog lines, mail, files).
	Alert func(b *Batch)
	// Reload builds a new engine from the configuration files (HUP). An
	// error keeps the running engine.
	Reload func() (*Engine, error)
	// Clock is the time source (tests use a fake one).
	Clock func() time.Time
	Log   *slog.Logger
	// Ready is called once the inputs run (systemd notify).
	Ready func()
	// Processed, when set, is called after each line is processed (tests).
	Processed func()
	// OnPacket, when set, sees every packet that reached the scan state
	// (DShield records), on the daemon goroutine.
	OnPacket func(now time.Time, p *fwlog.Packet)
}

// Daemon is a running detector.
type Daemon struct {
	cfg    Config
	lines  chan []byte
	reload chan chan error
	query  chan func(*scan.Tracker)
	stats  Stats
	mu     sync.Mutex // guards stats for Stats()
}

// Stats count what the daemon has done.
type Stats struct {
	Lines, Batches, Alerts, Reloads int
	ByOutcome                       [pipeline.Accepted + 1]int
	Started                         time.Time
}

// New prepares a daemon.
func New(c Config) *Daemon {
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return &Daemon{cfg: c, lines: make(chan []byte, 4096), reload: make(chan chan error), query: make(chan func(*scan.Tracker))}
}

// Reload asks the running daemon to re-read its configuration (HUP) and
// waits for the verdict: nil when the new configuration is in force, an
// error when it was refused and the old one kept.
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

// Query runs fn on the daemon's goroutine, where it may read the scan
// state (the status report), and waits for it.
func (d *Daemon) Query(ctx context.Context, fn func(t *scan.Tracker)) error {
	done := make(chan struct{})
	select {
	case d.query <- func(t *scan.Tracker) { fn(t); close(done) }:
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
	return d.stats
}

// Run reads the inputs until ctx is done. Lines are processed as they
// arrive; CHECK_INTERVAL only decides how often a batch is closed and
// alerted on, so an alert follows its scan within one interval.
func (d *Daemon) Run(ctx context.Context) error {
	c := &d.cfg
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	d.stats.Started = c.Clock()
	errc := make(chan error, len(c.Sources))
	var wg sync.WaitGroup
	for _, s := range c.Sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.Run(ctx, func(line []byte) bool {
				if ctx.Err() != nil {
					return false
				}
				select {
				case d.lines <- append([]byte(nil), line...):
					return true
				case <-ctx.Done():
					return false
				}
			})
			if err != nil && !errors.Is(err, context.Canceled) {
				errc <- fmt.Errorf("input %s: %w", s.Name, err)
			}
		}()
	}
	defer wg.Wait()
	for _, s := range c.Sources {
		if s.Ready == nil {
			continue
		}
		select {
		case <-s.Ready:
		case err := <-errc:
			c.Log.Error("input stopped", "err", err)
			return err
		case <-ctx.Done():
			return nil
		case <-time.After(10 * time.Second):
			c.Log.Warn("input not ready after 10 s, going on", "input", s.Name)
		}
	}
	if c.Ready != nil {
		c.Ready()
	}
	eng := c.Engine
	ticker := time.NewTicker(eng.Interval)
	defer ticker.Stop()
	intervals := 0
	var before map[*scan.Source]int // DL at the start of the batch
	for {
		select {
		case <-ctx.Done():
			// Let the inputs stop, then process what they delivered, so a
			// position saved by an input on its way out matches what was
			// processed (a restart then reads no line twice or never).
			wg.Wait()
			for {
				select {
				case line := <-d.lines:
					if before == nil {
						before = make(map[*scan.Source]int)
					}
					d.process(eng, line, before)
					continue
				default:
				}
				break
			}
			d.closeBatch(eng, &before)
			return nil
		case err := <-errc:
			c.Log.Error("input stopped", "err", err)
			d.closeBatch(eng, &before)
			return err
		case line := <-d.lines:
			if before == nil {
				before = make(map[*scan.Source]int)
			}
			d.process(eng, line, before)
			// Drain what is already queued before looking at the clock.
			for n := 0; n < 1024; n++ {
				select {
				case line = <-d.lines:
					d.process(eng, line, before)
					continue
				default:
				}
				break
			}
		case <-ticker.C:
			d.closeBatch(eng, &before)
			intervals++
			if eng.ScanTimeout > 0 && (eng.ExpireEvery <= 0 || intervals%eng.ExpireEvery == 0) {
				n := c.Tracker.Expire(c.Clock(), eng.ScanTimeout)
				if n > 0 {
					c.Log.Info("scans timed out", "pairs", n)
				}
			}
		case fn := <-d.query:
			fn(c.Tracker)
		case done := <-d.reload:
			ne, err := c.Reload()
			if err != nil {
				c.Log.Error("configuration reload refused, keeping the running one", "err", err)
				done <- err
				continue
			}
			d.closeBatch(eng, &before)
			c.Tracker.SetSettings(ne.Settings)
			ne.Pipeline.Tracker = c.Tracker
			eng = ne
			ticker.Reset(eng.Interval)
			d.mu.Lock()
			d.stats.Reloads++
			d.mu.Unlock()
			c.Log.Info("configuration reloaded")
			done <- nil
		}
	}
}

func (d *Daemon) process(eng *Engine, line []byte, before map[*scan.Source]int) {
	pl := eng.Pipeline
	o := pl.Process(line)
	if o == pipeline.Accepted && d.cfg.OnPacket != nil {
		d.cfg.OnPacket(d.cfg.Clock(), &pl.Packet)
	}
	if o == pipeline.Accepted {
		if src := d.cfg.Tracker.Source(pl.Packet.Src); src != nil {
			if _, seen := before[src]; !seen {
				// The DL a source had before this batch; a packet that
				// raised it already (auto_dl, ICMP) is caught by EndBatch's
				// final comparison anyway.
				before[src] = src.DL
			}
		}
	}
	d.mu.Lock()
	d.stats.Lines++
	d.stats.ByOutcome[o]++
	d.mu.Unlock()
	if d.cfg.Processed != nil {
		d.cfg.Processed()
	}
}

func (d *Daemon) closeBatch(eng *Engine, before *map[*scan.Source]int) {
	if *before == nil {
		return
	}
	t := d.cfg.Tracker
	srcs := t.EndBatch()
	if eng.Finish != nil {
		eng.Finish(t)
	}
	raised := make(map[*scan.Source]int)
	for _, s := range srcs {
		if old, ok := (*before)[s]; ok && s.DL > old {
			raised[s] = old
		}
	}
	*before = nil
	d.mu.Lock()
	d.stats.Batches++
	d.mu.Unlock()
	if len(srcs) > 0 && d.cfg.Alert != nil {
		d.cfg.Alert(&Batch{Now: d.cfg.Clock(), Tracker: t, Sources: srcs, Raised: raised})
	}
}
