package block

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"time"
)

// Run is the applier: it prepares the backends, renews the stored blocks
// (psad's renewal at start), reconciles, and then applies decisions,
// manual actions and periodic reconciliation until ctx is done or Close
// is called. The daemon runs it in a goroutine of its own.
func (p *Policy) Run(ctx context.Context) {
	p.started.Store(true)
	defer close(p.done)
	if p.cfg.Done != nil {
		defer p.cfg.Done()
	}
	p.refreshOwn()
	p.prereqs(ctx)
	if p.cfg.FlushAtInit {
		for i, b := range p.backends {
			p.syslogf("%s", flushLine(b.Name()))
			if err := b.Flush(ctx); err != nil {
				p.count(b.Name(), "flush_error", 1)
				p.log.Error("block backend flush at init", "backend", b.Name(), "err", err)
				continue
			}
			p.count(b.Name(), "flush", 1)
			p.clearHeld(i)
		}
	}
	p.renew(p.cfg.Clock())
	p.apply(ctx)
	if err := p.reconcile(ctx); err != nil {
		p.log.Warn("block reconcile", "err", err)
	}
	tick := time.NewTicker(p.cfg.ReconcileEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.stop:
			p.mu.Lock()
			cctx := p.closeCtx
			p.mu.Unlock()
			p.apply(cctx)
			return
		case <-p.wake:
			p.apply(ctx)
		case o := <-p.ops:
			o.done <- o.fn(o.ctx)
		case <-tick.C:
			if err := p.reconcile(ctx); err != nil {
				p.log.Warn("block reconcile", "err", err)
			}
		}
	}
}

// Close stops Run after it has applied what is pending, waiting at most
// until ctx is done. It returns at once when Run was never started.
func (p *Policy) Close(ctx context.Context) error {
	if !p.started.Load() {
		return nil
	}
	p.mu.Lock()
	p.closeCtx = ctx
	p.mu.Unlock()
	p.stopOnce.Do(func() { close(p.stop) })
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("block policy: close: %w", ctx.Err())
	}
}

// renew marks every stored active block for re-application (state
// Renewed, same entry and times) and expires those whose time ran out
// while the daemon was down. Entries already dirty are new decisions,
// not stored blocks.
func (p *Policy) renew(now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.entries {
		if e.dirty || !e.rec.State.Active() {
			continue
		}
		if !e.rec.Expires.IsZero() && now.After(e.rec.Expires) {
			e.rec.State, e.rec.Ended = Expired, now
		} else {
			e.rec.State = Renewed
		}
		e.dirty = true
	}
}

type work struct {
	rec    Record
	forget bool
}

// apply writes every dirty entry to the store and then to the backends,
// one Add and one Remove per backend, and says what happened in psad's
// words. It returns the errors by prefix.
func (p *Policy) apply(ctx context.Context) map[netip.Prefix]error {
	p.mu.Lock()
	var todo []work
	for _, e := range p.entries {
		if e.dirty {
			todo = append(todo, work{e.rec, e.forget})
			e.dirty = false
		}
	}
	p.mu.Unlock()
	if len(todo) == 0 {
		return nil
	}
	slices.SortFunc(todo, func(a, b work) int { return comparePrefix(a.rec.Prefix, b.rec.Prefix) })
	errs := map[netip.Prefix]error{}
	fail := func(pfx netip.Prefix, err error) { errs[pfx] = errors.Join(errs[pfx], err) }

	var add []Entry
	var addRecs, rmRecs []Record
	var rm []netip.Prefix
	var puts []Record
	var dels []netip.Prefix
	for _, w := range todo {
		if w.forget {
			dels = append(dels, w.rec.Prefix)
		} else {
			puts = append(puts, w.rec)
		}
	}
	if err := p.store.Write(puts, dels); err != nil {
		p.log.Error("block store", "records", len(todo), "err", err)
		p.mu.Lock()
		p.stats.StoreErrors += len(todo)
		p.mu.Unlock()
		for _, w := range todo {
			fail(w.rec.Prefix, err)
		}
	}
	for _, w := range todo {
		switch {
		case w.forget:
			p.mu.Lock()
			if e := p.entries[w.rec.Prefix]; e != nil && e.forget && !e.dirty {
				delete(p.entries, w.rec.Prefix)
			}
			p.mu.Unlock()
		case w.rec.State.Active():
			add = append(add, Entry{Prefix: w.rec.Prefix, Expires: w.rec.Expires})
			addRecs = append(addRecs, w.rec)
		case w.rec.State == Expired || w.rec.State == Unblocked:
			// Flushed entries went with the backends' Flush.
			rm = append(rm, w.rec.Prefix)
			rmRecs = append(rmRecs, w.rec)
		}
	}
	if len(add) > 0 && p.prereqDue() {
		p.prereqs(ctx)
	}
	took := make([]bool, len(addRecs))
	for i, b := range p.backends {
		name := b.Name()
		if len(add) > 0 {
			err := b.Add(ctx, add)
			if err != nil {
				p.count(name, "add_error", len(add))
				for _, r := range addRecs {
					fail(r.Prefix, fmt.Errorf("%s: add: %w", name, err))
					p.syslogf("could not add %s block rule for: %s", name, AddrText(r.Prefix))
				}
			} else {
				p.count(name, "add", len(add))
				p.setHeld(i, add, true)
				for j, r := range addRecs {
					p.added(name, r)
					took[j] = true
				}
			}
		}
		if len(rm) > 0 {
			err := b.Remove(ctx, rm)
			if err != nil {
				p.count(name, "remove_error", len(rm))
				for _, r := range rmRecs {
					fail(r.Prefix, fmt.Errorf("%s: remove: %w", name, err))
					p.syslogf("warning: could not remove %s block rule for %s", name, AddrText(r.Prefix))
				}
			} else {
				p.count(name, "remove", len(rm))
				p.clearHeldFor(i, rm)
				for _, r := range rmRecs {
					p.removed(name, r)
				}
			}
		}
	}
	if p.cfg.Blocked != nil {
		for j, r := range addRecs {
			if took[j] {
				p.cfg.Blocked(r)
			}
		}
	}
	return errs
}

// reconcile makes the backends match the records: an active block a
// backend lacks is added again, an entry a backend holds for an ended
// record is removed. Entries with no record are left alone: they may be
// an administrator's or an older psad's.
func (p *Policy) reconcile(ctx context.Context) error {
	p.refreshOwn()
	if p.cfg.PrereqEvery != 0 {
		p.prereqs(ctx)
	}
	var errs []error
	for i, b := range p.backends {
		name := b.Name()
		list, err := b.List(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("reconcile %s: list: %w", name, err))
			continue
		}
		have := make(map[netip.Prefix]bool, len(list))
		for _, en := range list {
			have[en.Prefix] = true
		}
		var readd []Entry
		var remove []netip.Prefix
		p.mu.Lock()
		for pfx, e := range p.entries {
			if e.dirty {
				continue // the next apply decides
			}
			switch {
			case e.rec.State.Active() && !have[pfx]:
				readd = append(readd, Entry{Prefix: pfx, Expires: e.rec.Expires})
			case e.rec.State.Active():
				e.held |= 1 << i
			case have[pfx]:
				remove = append(remove, pfx)
			default:
				e.held &^= 1 << i
			}
		}
		p.mu.Unlock()
		slices.SortFunc(readd, func(a, b Entry) int { return comparePrefix(a.Prefix, b.Prefix) })
		slices.SortFunc(remove, comparePrefix)
		if len(readd) > 0 {
			if err := b.Add(ctx, readd); err != nil {
				errs = append(errs, fmt.Errorf("reconcile %s: add: %w", name, err))
				p.count(name, "add_error", len(readd))
			} else {
				p.repaired(name, "readd", len(readd))
				p.setHeld(i, readd, true)
				p.log.Warn("block drift repaired: re-added missing blocks", "backend", name, "count", len(readd))
			}
		}
		if len(remove) > 0 {
			if err := b.Remove(ctx, remove); err != nil {
				errs = append(errs, fmt.Errorf("reconcile %s: remove: %w", name, err))
				p.count(name, "remove_error", len(remove))
			} else {
				p.repaired(name, "remove", len(remove))
				p.clearHeldFor(i, remove)
				p.log.Warn("block drift repaired: removed ended blocks", "backend", name, "count", len(remove))
			}
		}
	}
	return errors.Join(errs...)
}

func (p *Policy) repaired(backend, action string, n int) {
	p.mu.Lock()
	p.stats.Repairs[Key{backend, action}] += n
	p.mu.Unlock()
}

func (p *Policy) setHeld(i int, entries []Entry, on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, en := range entries {
		if e := p.entries[en.Prefix]; e != nil && on {
			e.held |= 1 << i
		}
	}
}

func (p *Policy) clearHeldFor(i int, prefixes []netip.Prefix) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pfx := range prefixes {
		if e := p.entries[pfx]; e != nil {
			e.held &^= 1 << i
		}
	}
}

func (p *Policy) clearHeld(i int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.entries {
		e.held &^= 1 << i
	}
}

// The texts below are psad's (section 7.4, 7.5 and 7.10 of the spec) with
// the firewall's name where psad says "iptables"; tcpwrappers keeps its
// own wording.

func (p *Policy) added(backend string, r Record) {
	ip, t := AddrText(r.Prefix), timeoutText(r)
	var line, subject string
	switch {
	case r.State == Renewed:
		line = "renewed " + backend + " auto-block against " + ip + " " + t
		subject = line
	case backend == "tcpwrappers":
		line = "initiating tcpwrappers auto-block against " + ip + " " + t
		subject = "tcpwrappers AUTO-BLOCK against " + ip + " " + t
	default:
		line = "added " + backend + " auto-block against " + ip + " " + t
		subject = line
	}
	p.syslogf("%s", line)
	if r.State != Renewed || p.cfg.RenewEmails {
		p.mail(r, subject)
	}
}

func (p *Policy) removed(backend string, r Record) {
	ip := AddrText(r.Prefix)
	if backend == "tcpwrappers" {
		p.mail(r, "removed tcpwrappers block against "+ip+" (timeout expired).")
		return
	}
	p.syslogf("removed %s auto-block against %s", backend, ip)
	p.mail(r, "removed "+backend+" block against "+ip)
}

func (p *Policy) mail(r Record, subject string) {
	if p.cfg.Notify == nil || !p.cfg.Emails || r.DL < p.cfg.EmailDL {
		return
	}
	if p.cfg.MailPrefix != "" {
		subject = p.cfg.MailPrefix + " " + subject
	}
	p.cfg.Notify(subject, "")
}

func (p *Policy) syslogf(format string, args ...any) {
	if p.cfg.Syslog != nil {
		p.cfg.Syslog(fmt.Sprintf(format, args...))
	}
}

func flushLine(backend string) string {
	if backend == "iptables" {
		return "flushing existing psad iptables auto-response chains"
	}
	return "flushing existing psad " + backend + " auto-response blocks"
}

// AddrText prints a single address without its length, as psad does,
// and a network in CIDR form.
func AddrText(p netip.Prefix) string {
	if p.IsSingleIP() {
		return p.Addr().String()
	}
	return p.String()
}

// timeoutText is psad's "for <n> seconds" or "(unlimited timeout)".
func timeoutText(r Record) string {
	if r.Expires.IsZero() {
		return "(unlimited timeout)"
	}
	return "for " + strconv.Itoa(int(r.Expires.Sub(r.Since)/time.Second)) + " seconds"
}

// Session runs the applier for the length of fn, for one-shot commands
// without a daemon (-F, --fw-block-ip, -A --analysis-auto-block): fn's
// blocks are applied and recorded before Session returns.
func (p *Policy) Session(ctx context.Context, fn func() error) error {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	// Started before the goroutine runs, so a Close right after fn (whose
	// decisions need not wait for the applier) still waits for them.
	p.started.Store(true)
	go func() { p.Run(ctx); close(done) }()
	err := fn()
	cerr := p.Close(ctx)
	cancel()
	<-done
	return errors.Join(err, cerr)
}

// prereqs has every backend check and restore what its blocks need
// (Init is idempotent and changes only what is missing).
func (p *Policy) prereqs(ctx context.Context) {
	for _, b := range p.backends {
		if err := b.Init(ctx); err != nil {
			p.log.Error("block backend prerequisites", "backend", b.Name(), "err", err)
		}
	}
}

// prereqDue counts a batch of blocks about to be added and reports
// whether PrereqEvery asks for the prerequisites before it: batches 1,
// N+1, 2N+1, ... (psad's counter made the period N-1).
func (p *Policy) prereqDue() bool {
	if p.cfg.PrereqEvery <= 0 {
		return false
	}
	p.batches++
	return (p.batches-1)%p.cfg.PrereqEvery == 0
}
