package block

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/psadgo/psad/internal/netset"
	"github.com/psadgo/psad/internal/scan"
)

// Config is what the policy needs, as plain values: the caller builds it
// from config.Block and the detection settings, so this package does not
// depend on how psad.conf names things.
type Config struct {
	// Threshold is AUTO_IDS_DANGER_LEVEL; a source is blocked once its
	// DL reaches it. Manual blocks are recorded at this DL, as in psad.
	Threshold int
	// Timeout is AUTO_BLOCK_TIMEOUT. It bounds how long an unblocked
	// permanent block keeps automatic blocking off (0: until a manual
	// Block).
	Timeout time.Duration
	// DLTimeout[n] is AUTO_BLOCK_DLn_TIMEOUT; 0 means permanent. As in
	// psad a DL outside 1..5 takes DL1's value.
	DLTimeout [6]time.Duration
	// PrefixRegex is AUTO_BLOCK_REGEX with ENABLE_AUTO_IDS_REGEX=Y; nil
	// when any source may be blocked.
	PrefixRegex *regexp.Regexp
	// Prefixes, when set, returns the log prefixes of src's packets for
	// PrefixRegex; by default they are read from the current batch of
	// src's pairs, psad's "in this batch" rule.
	Prefixes func(src *scan.Source) []string

	// Whitelist is AUTO_BLOCK_WHITELIST (nil: none).
	Whitelist *netset.Set
	// HomeNet, when set, reports addresses inside HOME_NET, which are then
	// never blocked automatically (AUTO_BLOCK_HOME_NET=N). It runs on the
	// daemon's loop and must be cheap.
	HomeNet func(netip.Addr) bool
	// Own returns the host's addresses. It may do I/O: it is called by
	// New and on every reconciliation, never on the daemon's loop.
	Own func() []netip.Addr
	// Ignored reports addresses auto_dl gives level 0; it runs on the
	// daemon's loop and must be cheap.
	Ignored func(netip.Addr) bool
	// IgnoredNets are auto_dl's level-0 networks, which a manual Block
	// may not overlap (see manualNever); IgnoredFile names their file in
	// the refusal.
	IgnoredNets []netip.Prefix
	IgnoredFile string

	// FlushAtInit is FLUSH_IPT_AT_INIT: Run empties the firewalls before
	// re-applying the stored blocks (psad wiped its records too, so no
	// block survived a restart; the records are kept here).
	FlushAtInit bool

	// Emails, RenewEmails, EmailDL and MailPrefix are
	// ENABLE_AUTO_IDS_EMAILS, ENABLE_RENEW_BLOCK_EMAILS,
	// EMAIL_ALERT_DANGER_LEVEL and MAIL_STATUS_PREFIX.
	Emails, RenewEmails bool
	EmailDL             int
	MailPrefix          string
	// Notify sends a mail; Syslog writes a syslog line. Both are called
	// from the applier goroutine; nil turns them off.
	Notify func(subject, body string)
	Syslog func(line string)
	// Blocked is called once for every block the firewalls took (new,
	// renewed or manual) after its syslog line, from the applier
	// goroutine; it must not block. ENABLE_EXT_BLOCK_SCRIPT_EXEC runs
	// EXTERNAL_BLOCK_SCRIPT from it. Done, when set, is called as Run
	// returns, after the last Blocked, so that what it started can end.
	Blocked func(r Record)
	Done    func()

	// Clock returns the time for manual actions and reconciliation; nil
	// means time.Now.
	Clock func() time.Time
	// ReconcileEvery is the period of reconciliation; 0 means
	// DefaultReconcileEvery.
	ReconcileEvery time.Duration
	// PrereqEvery is IPTABLES_PREREQ_CHECK: how often the backends'
	// prerequisites (chains and jump rules, our nftables table, the
	// ipset match rules) are checked and restored before blocks are
	// added: 1 before every batch, N before every Nth, 0 only at start.
	// Unless it is 0, reconciliation checks them too: a firewall reload
	// that drops a jump rule or our table leaves the block rules in
	// place but without effect, which listing the rules does not show.
	PrereqEvery int
	// Import holds the blocks psad recorded itself (AUTO_BLOCK_IPT_FILE,
	// AUTO_BLOCK_TCPWR_FILE), Prefix and Since set. New takes those the
	// store has no record of and that have not expired, at the threshold
	// DL and its timeout counted from Since; the start's renewal then
	// applies them, psad's renewal at start.
	Import []Record
}

// DefaultReconcileEvery is often enough that a rule deleted by hand or by
// a firewall reload is back within a minute, rarely enough that listing
// every backend costs nothing.
const DefaultReconcileEvery = 60 * time.Second

// DefaultTimeout, passed to [Policy.Block], means the timeout of the
// threshold DL, the one psad gives manual blocks.
const DefaultTimeout time.Duration = -1

// ErrNeverBlock is returned by [Policy.Block] for a prefix that holds an
// address the policy never blocks.
var ErrNeverBlock = errors.New("never blocked")

// errClosed is returned by manual actions once Run has returned.
var errClosed = errors.New("block policy: stopped")

// Status is one active block, for --fw-list-auto and -S.
type Status struct {
	Prefix  netip.Prefix
	DL      int
	Since   time.Time
	Expires time.Time // zero: permanent
	// Backends are the firewalls known to hold the block.
	Backends []string
	State    State
	Manual   bool
}

// Key names a counter: a backend and an action ("add", "remove",
// "flush", each with an "_error" twin; for repairs "readd" and
// "remove").
type Key struct{ Backend, Action string }

// Stats count what the policy has done since New.
type Stats struct {
	// Active is the number of blocks each backend holds.
	Active map[string]int
	// Actions counts entries handed to backends, by backend and action.
	Actions map[Key]int
	// Repairs counts drift found and repaired by reconciliation.
	Repairs map[Key]int
	// NeverBlocked counts decisions refused by the never-block rules.
	NeverBlocked int
	// StoreErrors counts records that could not be written.
	StoreErrors int
}

// Policy decides which sources to block and keeps every block in one
// state machine (see [State]), persisted in a [Store] and applied to the
// backends by one applier goroutine, [Policy.Run]. All its methods are
// safe for concurrent use; Raised and Tick never wait for I/O.
type Policy struct {
	cfg      Config
	backends []Backend
	store    Store
	log      *slog.Logger

	// wake tells the applier that some entry is dirty. The dirty flags
	// are the queue: it holds at most one pending action per prefix, so
	// it is bounded by the number of entries and a burst of rises never
	// blocks the daemon's loop nor drops a decision.
	wake     chan struct{}
	ops      chan op
	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
	started  atomic.Bool

	mu       sync.Mutex
	entries  map[netip.Prefix]*entry
	own      map[netip.Addr]bool
	closeCtx context.Context
	stats    Stats

	batches int // batches of blocks added, for PrereqEvery (applier only)
	// threshold mirrors cfg.Threshold for Raised's check before the lock:
	// most rises are below it, and Reconfigure may change it.
	threshold atomic.Int64
}

type entry struct {
	rec    Record
	dirty  bool
	forget bool   // delete the record once written
	held   uint64 // bit i: backends[i] holds the block, as far as known
}

type op struct {
	ctx  context.Context
	fn   func(ctx context.Context) error
	done chan error
}

// New returns a policy over backends (at most 64) with the blocks of
// store. A store that cannot be read is logged and the policy starts
// empty: blocking new scans matters more than the history.
func New(cfg Config, backends []Backend, store Store, log *slog.Logger) *Policy {
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.ReconcileEvery <= 0 {
		cfg.ReconcileEvery = DefaultReconcileEvery
	}
	p := &Policy{
		cfg: cfg, backends: backends, store: store, log: log,
		wake: make(chan struct{}, 1), ops: make(chan op), stop: make(chan struct{}), done: make(chan struct{}),
		entries: map[netip.Prefix]*entry{},
		stats:   Stats{Actions: map[Key]int{}, Repairs: map[Key]int{}},
	}
	recs, err := store.Load()
	if err != nil {
		log.Error("block store unreadable; starting without stored blocks", "err", err)
	}
	for _, r := range recs {
		p.entries[r.Prefix] = &entry{rec: r}
	}
	p.threshold.Store(int64(cfg.Threshold))
	p.refreshOwn()
	p.importPsad(cfg.Import)
	return p
}

// Reconfigure makes the decision rules of cfg the policy's, for psad's
// HUP: the threshold, timeouts, AUTO_BLOCK_REGEX, the never-block rules,
// the block mails and syslog lines, IPTABLES_PREREQ_CHECK. Blocks already
// made keep their expiry. What Run and the backends were built with stays
// (the backends, Clock, ReconcileEvery, FlushAtInit, Blocked and Done,
// Own, Import). It runs on the applier, holding the lock, so every read
// of the configuration (on the applier, or under the lock) sees one or
// the other whole.
func (p *Policy) Reconfigure(ctx context.Context, cfg Config) error {
	return p.do(ctx, func(context.Context) error {
		p.mu.Lock()
		old := p.cfg
		cfg.Clock, cfg.ReconcileEvery, cfg.FlushAtInit = old.Clock, old.ReconcileEvery, old.FlushAtInit
		cfg.Blocked, cfg.Done, cfg.Own, cfg.Import = old.Blocked, old.Done, old.Own, nil
		p.cfg = cfg
		p.threshold.Store(int64(cfg.Threshold))
		p.mu.Unlock()
		return nil
	})
}

// importPsad takes psad's own block records (see Config.Import).
func (p *Policy) importPsad(recs []Record) {
	now := p.cfg.Clock()
	n := 0
	for _, r := range recs {
		if !r.Prefix.IsValid() || p.entries[r.Prefix] != nil || p.neverLocked(r.Prefix.Addr()) {
			continue
		}
		r.State, r.DL, r.Expires = Blocked, p.cfg.Threshold, p.expiry(r.Since, p.cfg.Threshold)
		if !r.Expires.IsZero() && now.After(r.Expires) {
			continue
		}
		p.entries[r.Prefix] = &entry{rec: r}
		n++
	}
	if n > 0 {
		p.log.Info("took over blocks from psad's own records", "count", n)
	}
}

// Raised is the daemon's hook for a DL rise of src (from old). It runs on
// the daemon's loop: it decides, marks the entry for the applier and
// returns without I/O.
func (p *Policy) Raised(now time.Time, src *scan.Source, old int) {
	if t := p.threshold.Load(); t <= 0 || int64(src.DL) < t {
		return
	}
	addr := src.Addr.Unmap()
	pfx := netip.PrefixFrom(addr, addr.BitLen())
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cfg.Threshold <= 0 || src.DL < p.cfg.Threshold {
		return // a Reconfigure came between
	}
	if e := p.entries[pfx]; e != nil {
		switch {
		case e.rec.State.Active():
			p.raiseActive(e, src.DL)
			return
		case e.rec.State == Unblocked && (e.rec.Until.IsZero() || !now.After(e.rec.Until)):
			return // the administrator's unblock wins for its period
		}
	}
	if p.neverLocked(addr) {
		p.stats.NeverBlocked++
		return
	}
	if p.cfg.PrefixRegex != nil && !p.prefixMatch(src) {
		return
	}
	p.setLocked(Record{Prefix: pfx, State: Blocked, DL: src.DL, Since: now, Expires: p.expiry(now, src.DL)})
}

// raiseActive renews a block whose source rose further when the new DL's
// timeout ends later (psad times a block out by the source's current
// DL); it never shortens a block.
func (p *Policy) raiseActive(e *entry, dl int) {
	exp := p.expiry(e.rec.Since, dl)
	if e.rec.Expires.IsZero() || (!exp.IsZero() && !exp.After(e.rec.Expires)) {
		return
	}
	r := e.rec
	r.State, r.DL, r.Expires = Renewed, dl, exp
	p.setLocked(r)
}

func (p *Policy) prefixMatch(src *scan.Source) bool {
	if p.cfg.Prefixes != nil {
		return slices.ContainsFunc(p.cfg.Prefixes(src), p.cfg.PrefixRegex.MatchString)
	}
	// Only this batch's packets count (psad tests the prefixes of the
	// batch that raised the source); an earlier batch's detail stays on
	// its pair until the pair's next batch.
	for _, pair := range src.BatchDsts() {
		if pair.Batch == nil {
			continue
		}
		for _, pc := range pair.Batch.Prefix() {
			if p.cfg.PrefixRegex.MatchString(pc.Prefix) {
				return true
			}
		}
	}
	return false
}

// neverLocked reports whether a is never blocked automatically: psad's
// exemptions (the host's addresses, loopback, 0.0.0.0) widened to IPv6
// and to the whole loopback range, plus the whitelist, auto_dl level 0
// and HOME_NET when configured.
func (p *Policy) neverLocked(a netip.Addr) bool {
	return a.IsLoopback() || a.IsUnspecified() || p.own[a] ||
		(p.cfg.Whitelist != nil && p.cfg.Whitelist.Contains(a)) ||
		(p.cfg.Ignored != nil && p.cfg.Ignored(a)) ||
		(p.cfg.HomeNet != nil && p.cfg.HomeNet(a))
}

// timeout is AUTO_BLOCK_DL<dl>_TIMEOUT.
func (p *Policy) timeout(dl int) time.Duration {
	if dl < 1 || dl > 5 {
		dl = 1
	}
	return p.cfg.DLTimeout[dl]
}

func (p *Policy) expiry(since time.Time, dl int) time.Time {
	if t := p.timeout(dl); t > 0 {
		return since.Add(t)
	}
	return time.Time{}
}

func (p *Policy) setLocked(r Record) {
	e := p.entries[r.Prefix]
	if e == nil {
		e = &entry{}
		p.entries[r.Prefix] = e
	}
	e.rec, e.dirty, e.forget = r, true, false
	p.kick()
}

func (p *Policy) kick() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Tick expires blocks whose time is up and forgets old tombstones. The
// daemon calls it every second from its loop; it does no I/O.
func (p *Policy) Tick(now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.entries {
		r := &e.rec
		switch {
		case r.State.Active() && !r.Expires.IsZero() && now.After(r.Expires):
			r.State, r.Ended = Expired, now
			e.dirty = true
			p.kick()
		case !r.State.Active() && !e.forget && !e.dirty && now.Sub(r.Ended) > tombstoneKeep &&
			(r.State != Unblocked || (!r.Until.IsZero() && now.After(r.Until))):
			e.forget, e.dirty = true, true
			p.kick()
		}
	}
}

// Block blocks prefix (--fw-block-ip) for timeout (0: permanent;
// [DefaultTimeout]: the threshold DL's). A network stays a network. An
// active block of prefix is renewed with the new expiry. It waits for the
// applier, so Run must be running.
func (p *Policy) Block(ctx context.Context, prefix netip.Prefix, timeout time.Duration) error {
	if !prefix.IsValid() {
		return fmt.Errorf("block %v: invalid prefix", prefix)
	}
	if prefix.Addr().Is4In6() && prefix.Bits() >= 96 {
		prefix = netip.PrefixFrom(prefix.Addr().Unmap(), prefix.Bits()-96)
	}
	prefix = prefix.Masked()
	if err := p.manualNever(prefix); err != nil {
		return err
	}
	return p.do(ctx, func(ctx context.Context) error {
		now := p.cfg.Clock()
		p.mu.Lock()
		r := Record{Prefix: prefix, State: Blocked, DL: p.cfg.Threshold, Since: now, Manual: true}
		if e := p.entries[prefix]; e != nil && e.rec.State.Active() {
			r = e.rec
			r.State, r.Manual = Renewed, true
		}
		switch {
		case timeout == DefaultTimeout:
			r.Expires = p.expiry(now, p.cfg.Threshold)
		case timeout > 0:
			r.Expires = now.Add(timeout)
		default:
			r.Expires = time.Time{}
		}
		p.setLocked(r)
		p.mu.Unlock()
		return p.apply(ctx)[prefix]
	})
}

func (p *Policy) manualNever(prefix netip.Prefix) error {
	for _, a := range []netip.Addr{netip.IPv4Unspecified(), netip.IPv6Unspecified(), netip.AddrFrom4([4]byte{127, 0, 0, 1}), netip.IPv6Loopback()} {
		if prefix.Contains(a) {
			return fmt.Errorf("block %s: holds %s: %w", prefix, a, ErrNeverBlock)
		}
	}
	if prefix.Addr().IsLoopback() {
		return fmt.Errorf("block %s: loopback: %w", prefix, ErrNeverBlock)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for a := range p.own {
		if prefix.Contains(a) {
			return fmt.Errorf("block %s: holds this host's address %s: %w", prefix, a, ErrNeverBlock)
		}
	}
	if p.cfg.Whitelist != nil {
		for _, w := range p.cfg.Whitelist.Prefixes() {
			if w.Overlaps(prefix) {
				return fmt.Errorf("block %s: overlaps AUTO_BLOCK_WHITELIST %s: %w", prefix, w, ErrNeverBlock)
			}
		}
	}
	// psad's --fw-block-ip refuses these itself, but its daemon blocked
	// whatever its socket was sent: a script writing "add <net>" there
	// could block a network the administrator had told psad to ignore,
	// often their own. The policy refuses it whoever asks.
	for _, w := range p.cfg.IgnoredNets {
		if w.Overlaps(prefix) {
			return fmt.Errorf("%s overlaps with whitelisted %s in %s: %w", prefix, w, p.cfg.IgnoredFile, ErrNeverBlock)
		}
	}
	return nil
}

// Unblock removes the block of prefix (--fw-rm-block-ip). The tombstone
// it leaves keeps scans from blocking prefix again for the rest of the
// period the block had (for a permanent block: AUTO_BLOCK_TIMEOUT, or
// until a manual Block when that is 0), across restarts; reconciliation
// removes the entry from any firewall that still holds it.
func (p *Policy) Unblock(ctx context.Context, prefix netip.Prefix) error {
	if !prefix.IsValid() {
		return fmt.Errorf("unblock %v: invalid prefix", prefix)
	}
	prefix = prefix.Masked()
	return p.do(ctx, func(ctx context.Context) error {
		now := p.cfg.Clock()
		p.mu.Lock()
		r := Record{Prefix: prefix, DL: p.cfg.Threshold, Since: now}
		if e := p.entries[prefix]; e != nil {
			r = e.rec
		}
		switch {
		case r.State.Active() && !r.Expires.IsZero():
			r.Until = r.Expires
		case p.cfg.Timeout > 0:
			r.Until = now.Add(p.cfg.Timeout)
		default:
			r.Until = time.Time{}
		}
		r.State, r.Ended = Unblocked, now
		p.setLocked(r)
		p.mu.Unlock()
		return p.apply(ctx)[prefix]
	})
}

// Flush removes every block (-F): each backend is flushed and every
// active record becomes a Flushed tombstone, so a restart does not renew
// them. A source that rises again later is blocked again, as in psad.
func (p *Policy) Flush(ctx context.Context) error {
	return p.do(ctx, func(ctx context.Context) error {
		var errs []error
		for _, b := range p.backends {
			p.syslogf("%s", flushLine(b.Name()))
			if err := b.Flush(ctx); err != nil {
				p.count(b.Name(), "flush_error", 1)
				errs = append(errs, fmt.Errorf("flush %s: %w", b.Name(), err))
				continue
			}
			p.count(b.Name(), "flush", 1)
		}
		now := p.cfg.Clock()
		p.mu.Lock()
		for _, e := range p.entries {
			if e.rec.State.Active() {
				e.rec.State, e.rec.Ended = Flushed, now
				e.dirty, e.held = true, 0
			}
		}
		p.mu.Unlock()
		for _, err := range p.apply(ctx) {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	})
}

// Reconcile compares every backend with the records now, as Run does at
// start and every ReconcileEvery.
func (p *Policy) Reconcile(ctx context.Context) error {
	return p.do(ctx, p.reconcile)
}

func (p *Policy) do(ctx context.Context, fn func(ctx context.Context) error) error {
	o := op{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case p.ops <- o:
	case <-ctx.Done():
		return ctx.Err()
	case <-p.done:
		return errClosed
	}
	select {
	case err := <-o.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// List returns the active blocks, ordered by prefix.
func (p *Policy) List() []Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []Status
	for _, e := range p.entries {
		if !e.rec.State.Active() {
			continue
		}
		st := Status{Prefix: e.rec.Prefix, DL: e.rec.DL, Since: e.rec.Since, Expires: e.rec.Expires, State: e.rec.State, Manual: e.rec.Manual}
		for i, b := range p.backends {
			if e.held&(1<<i) != 0 {
				st.Backends = append(st.Backends, b.Name())
			}
		}
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b Status) int { return comparePrefix(a.Prefix, b.Prefix) })
	return out
}

// Stats returns a copy of the counters.
func (p *Policy) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.Actions, s.Repairs = maps.Clone(s.Actions), maps.Clone(s.Repairs)
	s.Active = map[string]int{}
	for i, b := range p.backends {
		n := 0
		for _, e := range p.entries {
			if e.rec.State.Active() && e.held&(1<<i) != 0 {
				n++
			}
		}
		s.Active[b.Name()] = n
	}
	return s
}

func comparePrefix(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return cmp.Compare(a.Bits(), b.Bits())
}

func (p *Policy) count(backend, action string, n int) {
	p.mu.Lock()
	p.stats.Actions[Key{backend, action}] += n
	p.mu.Unlock()
}

func (p *Policy) refreshOwn() {
	if p.cfg.Own == nil {
		return
	}
	own := map[netip.Addr]bool{}
	for _, a := range p.cfg.Own() {
		own[a.Unmap()] = true
	}
	p.mu.Lock()
	p.own = own
	p.mu.Unlock()
}

// NeverBlockReason names the never-block rule that covers a, "" when none
// does, so --explain can tell a sysadmin which setting keeps a source
// unblocked.
func (p *Policy) NeverBlockReason(a netip.Addr) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case a.IsLoopback() || a.IsUnspecified():
		return "it is a loopback or unspecified address"
	case p.own[a]:
		return "it is one of this host's addresses"
	case p.cfg.Whitelist != nil && p.cfg.Whitelist.Contains(a):
		return "it is in AUTO_BLOCK_WHITELIST"
	case p.cfg.Ignored != nil && p.cfg.Ignored(a):
		return "auto_dl gives it level 0"
	case p.cfg.HomeNet != nil && p.cfg.HomeNet(a):
		return "it is inside HOME_NET and AUTO_BLOCK_HOME_NET is N"
	}
	return ""
}
