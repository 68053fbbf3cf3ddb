// Package nft is the nftables block backend. It talks netlink directly
// (google/nftables), so no nft binary is needed at run time, and keeps
// everything in one inet table of its own: two interval sets with
// per-element timeouts (block4, block6) and base chains that drop what
// the sets hold. Owning a whole table means Init, Flush and Teardown never
// have to tell our rules from anyone else's.
package nft

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"syscall"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/psadgo/psad/internal/block"
	"github.com/psadgo/psad/internal/block/nftgen"
)

// Direction says which address of a packet a chain matches against the
// sets, as psad's IPT_AUTO_CHAIN<n> direction field does.
type Direction int

const (
	// Src drops packets from a blocked address.
	Src Direction = iota
	// Dst drops packets to a blocked address.
	Dst
	// Both drops packets from or to a blocked address.
	Both
)

// Chain is one base chain of our table.
type Chain struct {
	// Name is the chain's name inside our table; empty means the hook's.
	Name string
	// Hook is one of prerouting, input, forward, output, postrouting.
	Hook string
	// Priority orders the chain among the hook's chains; below 0 runs
	// before the usual filter chains, so a block wins over their accepts.
	Priority int
	// Direction is which address is matched.
	Direction Direction
}

// DefaultChains mirror psad's default blocking layout (INPUT by source,
// OUTPUT by destination, FORWARD both ways), each just before the usual
// filter priority so that an accept elsewhere cannot let a blocked
// address through first.
var DefaultChains = []Chain{
	{Hook: "input", Priority: -10, Direction: Src},
	{Hook: "output", Priority: -10, Direction: Dst},
	{Hook: "forward", Priority: -10, Direction: Both},
}

// Config selects the table and chains.
type Config struct {
	// Table is our inet table's name; empty means "psad".
	Table string
	// Chains are our base chains; nil means DefaultChains. Container
	// hosts add e.g. {Hook: "prerouting", Priority: -150} to drop before
	// DNAT sends the traffic elsewhere.
	Chains []Chain
	// NetNS, when positive, is an open network namespace fd to work in
	// (tests); zero means the caller's namespace.
	NetNS int
	// Logger receives one debug line per transaction; nil discards.
	Logger *slog.Logger
}

const (
	set4Name = "block4"
	set6Name = "block6"
	// perMessage bounds the elements of one netlink message: its element
	// list is a single attribute whose length is 16 bits.
	perMessage = 512
)

var hooks = map[string]*nftables.ChainHook{
	"prerouting":  nftables.ChainHookPrerouting,
	"input":       nftables.ChainHookInput,
	"forward":     nftables.ChainHookForward,
	"output":      nftables.ChainHookOutput,
	"postrouting": nftables.ChainHookPostrouting,
}

// Backend is the nftables block.Backend.
type Backend struct {
	table  *nftables.Table
	chains []Chain
	set4   *nftables.Set
	set6   *nftables.Set
	netns  int
	log    *slog.Logger
	now    func() time.Time

	// gen answers the ruleset generation, which List checks its reads
	// against and Init its table (see Init).
	gen *nftgen.Watch
}

var _ block.Backend = (*Backend)(nil)

// New checks cfg and returns a backend; it touches no firewall until
// Init.
func New(cfg Config) (*Backend, error) {
	name := cfg.Table
	if name == "" {
		name = "psad"
	}
	if len(name) > 255 || name != sanitize(name) {
		return nil, fmt.Errorf("nftables table name %q: use letters, digits, '_' and '-' only", name)
	}
	chains := cfg.Chains
	if chains == nil {
		chains = DefaultChains
	}
	seen := map[string]bool{}
	out := make([]Chain, 0, len(chains))
	for _, c := range chains {
		if _, ok := hooks[c.Hook]; !ok {
			return nil, fmt.Errorf("nftables chain hook %q: want prerouting, input, forward, output or postrouting", c.Hook)
		}
		if c.Name == "" {
			c.Name = c.Hook
		}
		if c.Name != sanitize(c.Name) {
			return nil, fmt.Errorf("nftables chain name %q: use letters, digits, '_' and '-' only", c.Name)
		}
		if seen[c.Name] {
			return nil, fmt.Errorf("nftables chain name %q: given twice", c.Name)
		}
		if c.Direction < Src || c.Direction > Both {
			return nil, fmt.Errorf("nftables chain %q: direction %d out of range", c.Name, c.Direction)
		}
		seen[c.Name] = true
		out = append(out, c)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := &nftables.Table{Name: name, Family: nftables.TableFamilyINet}
	return &Backend{
		table:  t,
		chains: out,
		set4:   &nftables.Set{Table: t, Name: set4Name, KeyType: nftables.TypeIPAddr, Interval: true, HasTimeout: true},
		set6:   &nftables.Set{Table: t, Name: set6Name, KeyType: nftables.TypeIP6Addr, Interval: true, HasTimeout: true},
		netns:  cfg.NetNS,
		log:    log,
		now:    time.Now,
		gen:    nftgen.New(cfg.NetNS),
	}, nil
}

func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			b[i] = '?'
		}
	}
	return string(b)
}

// Name implements block.Backend.
func (b *Backend) Name() string { return "nftables" }

// Table is our table's name, for listings and tests.
func (b *Backend) Table() string { return b.table.Name }

// conn opens a connection whose socket honours ctx's deadline and whose
// send buffer fits a large batch: one transaction of 10,000 elements is
// far beyond the default buffer, and splitting it would give up
// atomicity.
func (b *Backend) conn(ctx context.Context) (*nftables.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	opts := []nftables.ConnOption{nftables.WithSockOptions(func(c *netlink.Conn) error {
		if d, ok := ctx.Deadline(); ok {
			if err := c.SetDeadline(d); err != nil {
				return fmt.Errorf("netlink deadline: %w", err)
			}
		}
		raw, err := c.SyscallConn()
		if err != nil {
			return fmt.Errorf("netlink raw conn: %w", err)
		}
		var serr error
		err = raw.Control(func(fd uintptr) {
			for _, o := range []int{unix.SO_SNDBUFFORCE, unix.SO_RCVBUFFORCE} {
				if e := unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, o, 16<<20); e != nil && serr == nil {
					serr = e
				}
			}
		})
		if err != nil {
			return fmt.Errorf("netlink buffers: %w", err)
		}
		if serr != nil && !errors.Is(serr, syscall.EPERM) {
			return fmt.Errorf("netlink buffers: %w", serr)
		}
		return nil
	})}
	if b.netns > 0 {
		opts = append(opts, nftables.WithNetNSFd(b.netns))
	}
	c, err := nftables.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("nftables netlink: %w", err)
	}
	return c, nil
}

// Init implements block.Backend. It declares the table, sets and chains
// (a no-op for what exists), replaces our chains' rules in the same
// transaction, so there is no moment without them, and deletes chains of
// our table that the config no longer names. Set elements are kept.
//
// Every commit in the namespace moves the ruleset generation on, so when
// it is still the one at which Init last made the table whole, nothing
// can have changed the table and Init returns at once: one question
// instead of two listings and a transaction (IPTABLES_PREREQ_CHECK runs
// Init before every batch of blocks).
func (b *Backend) Init(ctx context.Context) error {
	gen, err := b.gen.Generation(ctx)
	if err != nil {
		return err
	}
	if b.gen.Whole(gen) {
		return nil
	}
	c, err := b.conn(ctx)
	if err != nil {
		return err
	}
	var stale []*nftables.Chain
	if t, err := c.ListTableOfFamily(b.table.Name, b.table.Family); err == nil && t != nil {
		all, err := c.ListChainsOfTableFamily(b.table.Family)
		if err != nil {
			return fmt.Errorf("list chains of table %q: %w", b.table.Name, err)
		}
		for _, ch := range all {
			if ch.Table.Name == b.table.Name && !slices.ContainsFunc(b.chains, func(w Chain) bool { return w.Name == ch.Name }) {
				stale = append(stale, ch)
			}
		}
	}
	c.AddTable(b.table)
	if err := c.AddSet(b.set4, nil); err != nil {
		return fmt.Errorf("set %q: %w", b.set4.Name, err)
	}
	if err := c.AddSet(b.set6, nil); err != nil {
		return fmt.Errorf("set %q: %w", b.set6.Name, err)
	}
	for _, ch := range stale {
		c.FlushChain(ch)
		c.DelChain(ch)
	}
	accept := nftables.ChainPolicyAccept
	for _, w := range b.chains {
		prio := nftables.ChainPriority(w.Priority)
		ch := c.AddChain(&nftables.Chain{
			Name: w.Name, Table: b.table, Type: nftables.ChainTypeFilter,
			Hooknum: hooks[w.Hook], Priority: &prio, Policy: &accept,
		})
		c.FlushChain(ch)
		for _, r := range b.rules(w) {
			c.AddRule(&nftables.Rule{Table: b.table, Chain: ch, Exprs: r})
		}
	}
	if err := c.Flush(); err != nil {
		b.gen.Committed(ctx, 0, false)
		return fmt.Errorf("init nftables table %q: %w", b.table.Name, err)
	}
	b.gen.Committed(ctx, gen, true)
	b.log.Debug("nftables init", "table", b.table.Name, "chains", len(b.chains), "stale_chains_deleted", len(stale))
	return nil
}

// rules are a chain's drop rules: per family, "meta nfproto X; X
// saddr/daddr @set drop", which is what nft compiles "ip saddr @block4
// drop" to in an inet table.
func (b *Backend) rules(w Chain) [][]expr.Any {
	type fam struct {
		proto    byte
		set      *nftables.Set
		src, dst uint32
		n        uint32
	}
	var out [][]expr.Any
	for _, f := range []fam{
		{unix.NFPROTO_IPV4, b.set4, 12, 16, 4},
		{unix.NFPROTO_IPV6, b.set6, 8, 24, 16},
	} {
		var offs []uint32
		if w.Direction == Src || w.Direction == Both {
			offs = append(offs, f.src)
		}
		if w.Direction == Dst || w.Direction == Both {
			offs = append(offs, f.dst)
		}
		for _, off := range offs {
			out = append(out, []expr.Any{
				&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1},
				&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{f.proto}},
				&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: f.n},
				&expr.Lookup{SourceRegister: 1, SetName: f.set.Name, SetID: f.set.ID},
				&expr.Verdict{Kind: expr.VerdictDrop},
			})
		}
	}
	return out
}

// jiffyMargin is added to every element timeout: the kernel counts it
// from its last clock tick, up to 10 ms (HZ=100) before the moment we
// mean, and an element then left its set that much before its expiry
// (seen: 1.999 s into a 2 s block).
const jiffyMargin = 10 * time.Millisecond

// interval turns p into the set's two elements: its first address and
// the address after its last, flagged as the end. A network reaching the
// top of the address space has no end element, as nft itself does.
func interval(p netip.Prefix, timeout time.Duration) []nftables.SetElement {
	p = p.Masked()
	first := p.Addr()
	last := lastAddr(p)
	out := []nftables.SetElement{{Key: first.AsSlice(), Timeout: timeout}}
	if next := last.Next(); next.IsValid() {
		out = append(out, nftables.SetElement{Key: next.AsSlice(), IntervalEnd: true})
	}
	return out
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	bits := p.Bits()
	for i := range b {
		keep := min(max(bits-8*i, 0), 8)
		b[i] |= byte(0xff >> keep)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// normalize maps v4-in-v6 addresses to v4 so that each prefix lands in
// the set of its family.
func normalize(p netip.Prefix) (netip.Prefix, error) {
	if !p.IsValid() {
		return p, fmt.Errorf("prefix %q: invalid", p.String())
	}
	if p.Addr().Is4In6() {
		if p.Bits() < 96 {
			return p, fmt.Errorf("prefix %q: v4-mapped with fewer than 96 bits", p.String())
		}
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

func (b *Backend) setOf(p netip.Prefix) *nftables.Set {
	if p.Addr().Is4() {
		return b.set4
	}
	return b.set6
}

// Add implements block.Backend in one transaction. An entry already
// present is deleted and added again with its new timeout inside that
// transaction, which the kernel commits atomically, so a renewal never
// leaves the address unblocked. An entry whose Expires has passed is
// removed instead (its block is over). An entry overlapping a different
// present network is an error, since interval sets cannot hold both.
func (b *Backend) Add(ctx context.Context, entries []block.Entry) error {
	want := map[netip.Prefix]time.Time{}
	var order []netip.Prefix
	for _, e := range entries {
		p, err := normalize(e.Prefix)
		if err != nil {
			return err
		}
		if _, ok := want[p]; !ok {
			order = append(order, p)
		}
		want[p] = e.Expires
	}
	if len(order) == 0 {
		return ctx.Err()
	}
	have, err := b.List(ctx)
	if err != nil {
		return err
	}
	present := map[netip.Prefix]bool{}
	for _, h := range have {
		present[h.Prefix] = true
	}
	if err := overlaps(order, have); err != nil {
		return err
	}
	c, err := b.conn(ctx)
	if err != nil {
		return err
	}
	now := b.now()
	adds := map[*nftables.Set][]nftables.SetElement{}
	dels := map[*nftables.Set][]nftables.SetElement{}
	added, renewed := 0, 0
	for _, p := range order {
		s := b.setOf(p)
		if present[p] {
			dels[s] = append(dels[s], interval(p, 0)...)
			renewed++
		}
		exp := want[p]
		var timeout time.Duration
		if !exp.IsZero() {
			if exp.Sub(now) < time.Millisecond {
				continue
			}
			timeout = (exp.Sub(now) + jiffyMargin).Round(time.Millisecond)
		}
		adds[s] = append(adds[s], interval(p, timeout)...)
		added++
	}
	for _, s := range []*nftables.Set{b.set4, b.set6} {
		if err := chunked(dels[s], func(el []nftables.SetElement) error { return c.SetDeleteElements(s, el) }); err != nil {
			return fmt.Errorf("delete from set %q: %w", s.Name, err)
		}
	}
	for _, s := range []*nftables.Set{b.set4, b.set6} {
		if err := chunked(adds[s], func(el []nftables.SetElement) error { return c.SetAddElements(s, el) }); err != nil {
			return fmt.Errorf("add to set %q: %w", s.Name, err)
		}
	}
	if err := b.commitSets(ctx, c, fmt.Sprintf("add %d blocks to", added)); err != nil {
		return err
	}
	b.log.Debug("nftables add", "table", b.table.Name, "added", added, "present_before", renewed)
	return nil
}

// overlaps rejects a prefix of the call that overlaps another prefix of
// the call or one present in the sets, other than itself: an interval
// set cannot hold both, and the kernel would refuse the whole transaction
// with a less helpful error. One sweep over the prefixes sorted by first
// address, remembering the one reaching furthest.
func overlaps(order []netip.Prefix, have []block.Entry) error {
	type span struct {
		p      netip.Prefix
		inCall bool
	}
	all := make([]span, 0, len(order)+len(have))
	for _, p := range order {
		all = append(all, span{p, true})
	}
	for _, h := range have {
		all = append(all, span{h.Prefix, false})
	}
	slices.SortFunc(all, func(x, y span) int {
		if c := x.p.Addr().Compare(y.p.Addr()); c != 0 {
			return c
		}
		return x.p.Bits() - y.p.Bits()
	})
	var reach span
	for i, s := range all {
		if i > 0 && reach.p.Addr().BitLen() == s.p.Addr().BitLen() && !lastAddr(reach.p).Less(s.p.Addr()) {
			if reach.p != s.p && (reach.inCall || s.inCall) {
				return fmt.Errorf("prefix %q overlaps %q: an nftables interval set holds only one of them", s.p.String(), reach.p.String())
			}
			if !lastAddr(reach.p).Less(lastAddr(s.p)) {
				reach.inCall = reach.inCall || (reach.p == s.p && s.inCall)
				continue
			}
		}
		reach = s
	}
	return nil
}

func chunked(el []nftables.SetElement, f func([]nftables.SetElement) error) error {
	for len(el) > 0 {
		n := min(len(el), perMessage)
		// Keep a start and its end element in one message.
		if n < len(el) && el[n].IntervalEnd {
			n++
		}
		if err := f(el[:n]); err != nil {
			return err
		}
		el = el[n:]
	}
	return nil
}

// Remove implements block.Backend in one transaction; absent prefixes are
// skipped, since deleting one would fail the whole transaction.
func (b *Backend) Remove(ctx context.Context, prefixes []netip.Prefix) error {
	have, err := b.List(ctx)
	if err != nil {
		return err
	}
	present := map[netip.Prefix]bool{}
	for _, h := range have {
		present[h.Prefix] = true
	}
	dels := map[*nftables.Set][]nftables.SetElement{}
	n := 0
	for _, p := range prefixes {
		p, err := normalize(p)
		if err != nil {
			return err
		}
		if !present[p] {
			continue
		}
		present[p] = false
		s := b.setOf(p)
		dels[s] = append(dels[s], interval(p, 0)...)
		n++
	}
	if n == 0 {
		return nil
	}
	c, err := b.conn(ctx)
	if err != nil {
		return err
	}
	for _, s := range []*nftables.Set{b.set4, b.set6} {
		if err := chunked(dels[s], func(el []nftables.SetElement) error { return c.SetDeleteElements(s, el) }); err != nil {
			return fmt.Errorf("delete from set %q: %w", s.Name, err)
		}
	}
	if err := b.commitSets(ctx, c, fmt.Sprintf("remove %d blocks from", n)); err != nil {
		return err
	}
	b.log.Debug("nftables remove", "table", b.table.Name, "removed", n)
	return nil
}

// List implements block.Backend. Expires is now plus the kernel's
// remaining timeout, so it drifts by the call's latency at most.
func (b *Backend) List(ctx context.Context) ([]block.Entry, error) {
	c, err := b.conn(ctx)
	if err != nil {
		return nil, err
	}
	before, err := b.gen.Generation(ctx)
	if err != nil {
		return nil, err
	}
	var prev []block.Entry
	for try := 1; ; try++ {
		out, err := b.listOnce(c)
		if err != nil {
			return nil, err
		}
		after, err := b.gen.Generation(ctx)
		if err != nil {
			return nil, err
		}
		if after == before || (try > 1 && samePrefixes(out, prev)) {
			return out, nil
		}
		if try == listTries {
			return nil, fmt.Errorf("list table %q: the ruleset changed during each of %d reads", b.table.Name, listTries)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		before, prev = after, out
	}
}

// listTries bounds List's rereads. A read is kept when no commit landed
// during it, or when it lists the prefixes the read before it did: a
// read that misses an element being renewed is rare (about one in
// 100,000 beside 2,000 renewals a second), two in a row rarer still,
// and a renewal storm changes no prefix. Waiting between reads only
// gave such a storm more commits to land in.
const listTries = 100

// samePrefixes reports whether two reads list the same prefixes; their
// expiries may differ by the renewals between them.
func samePrefixes(a, b []block.Entry) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Prefix != b[i].Prefix {
			return false
		}
	}
	return true
}

// listOnce reads both sets. The kernel's dump of a set is not atomic
// against a commit changing it: a dump that starts as a renewal's
// delete-and-add commits can see neither the old nor the new element
// (1 List in some 100,000 did, against 19,000 renewals in 15 s). List
// therefore checks each read against the ruleset generation, as nft's
// own cache does, and rereads (see listTries).
func (b *Backend) listOnce(c *nftables.Conn) ([]block.Entry, error) {
	now := b.now()
	var out []block.Entry
	for _, s := range []*nftables.Set{b.set4, b.set6} {
		el, err := c.GetSetElements(s)
		if err != nil {
			return nil, fmt.Errorf("list set %q of table %q: %w", s.Name, b.table.Name, err)
		}
		es, err := entries(el, s == b.set4, now)
		if err != nil {
			return nil, fmt.Errorf("set %q of table %q: %w", s.Name, b.table.Name, err)
		}
		out = append(out, es...)
	}
	return out, nil
}

// entries pairs start and end elements back into prefixes. The kernel
// dumps an interval set's elements in descending key order, but the
// pairing here sorts itself, so it does not depend on that.
func entries(el []nftables.SetElement, v4 bool, now time.Time) ([]block.Entry, error) {
	type point struct {
		addr netip.Addr
		end  bool
		exp  time.Duration
		tmo  time.Duration
	}
	pts := make([]point, 0, len(el))
	for _, e := range el {
		a, ok := netip.AddrFromSlice(e.Key)
		if !ok || a.Is4() != v4 {
			return nil, fmt.Errorf("element key %x: not an address of the set's family", e.Key)
		}
		pts = append(pts, point{a, e.IntervalEnd, e.Expires, e.Timeout})
	}
	slices.SortFunc(pts, func(x, y point) int {
		if c := x.addr.Compare(y.addr); c != 0 {
			return c
		}
		// An end at address A closes the interval before a start at A.
		switch {
		case x.end && !y.end:
			return -1
		case !x.end && y.end:
			return 1
		}
		return 0
	})
	var out []block.Entry
	for i := 0; i < len(pts); i++ {
		p := pts[i]
		if p.end {
			// An end whose start expired first; the kernel drops it too.
			continue
		}
		var last netip.Addr
		if i+1 < len(pts) && pts[i+1].end {
			last = pts[i+1].addr.Prev()
			i++
		} else {
			// Open to the top of the address space.
			b := p.addr.AsSlice()
			for j := range b {
				b[j] = 0xff
			}
			last, _ = netip.AddrFromSlice(b)
		}
		for _, pf := range rangePrefixes(p.addr, last) {
			e := block.Entry{Prefix: pf}
			if p.tmo > 0 {
				e.Expires = now.Add(p.exp)
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// rangePrefixes splits [first, last] into the fewest prefixes; ours are
// always one, but a range someone else put into our set still lists.
func rangePrefixes(first, last netip.Addr) []netip.Prefix {
	var out []netip.Prefix
	for {
		bits := first.BitLen()
		for bits > 0 {
			p := netip.PrefixFrom(first, bits-1)
			if p.Masked().Addr() != first || last.Less(lastAddr(p)) {
				break
			}
			bits--
		}
		p := netip.PrefixFrom(first, bits)
		out = append(out, p)
		l := lastAddr(p)
		if l == last || !l.Next().IsValid() {
			return out
		}
		first = l.Next()
	}
}

// Flush implements block.Backend: both sets emptied in one transaction.
func (b *Backend) Flush(ctx context.Context) error {
	c, err := b.conn(ctx)
	if err != nil {
		return err
	}
	c.FlushSet(b.set4)
	c.FlushSet(b.set6)
	return b.commitSets(ctx, c, "flush sets of")
}

// commitSets sends the set changes queued on c as one transaction; what
// says what they do in an error ("add 3 blocks to"). The generation
// read before it lets the watch keep its mark across this commit of
// ours, which leaves the chains as they were (nftgen.Watch.Committed).
func (b *Backend) commitSets(ctx context.Context, c *nftables.Conn, what string) error {
	before, err := b.gen.Generation(ctx)
	if err != nil {
		return err
	}
	if err := c.Flush(); err != nil {
		b.gen.Committed(ctx, 0, false)
		return fmt.Errorf("%s nftables table %q: %w", what, b.table.Name, err)
	}
	b.gen.Committed(ctx, before, false)
	return nil
}

// Teardown implements block.Backend: our table goes, with its chains,
// rules and sets; a missing table is not an error.
func (b *Backend) Teardown(ctx context.Context) error {
	c, err := b.conn(ctx)
	if err != nil {
		return err
	}
	if _, err := c.ListTableOfFamily(b.table.Name, b.table.Family); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil
		}
		return fmt.Errorf("look up nftables table %q: %w", b.table.Name, err)
	}
	c.DelTable(b.table)
	b.gen.Committed(ctx, 0, false)
	if err := c.Flush(); err != nil {
		return fmt.Errorf("delete nftables table %q: %w", b.table.Name, err)
	}
	return nil
}
