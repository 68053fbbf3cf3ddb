// Package ipset blocks sources through two kernel ip sets, psad_block4 and
// psad_block6 (hash:net with per-entry timeouts), driven over netlink, and
// the iptables and ip6tables rules that make the sets drop traffic. A set
// holds tens of thousands of blocks at the cost of one rule per chain,
// where psad's iptables layout needs one rule per block.
package ipset

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/psadgo/psad/internal/block"
	"github.com/psadgo/psad/internal/block/nftgen"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// The sets' names. They are fixed so that Teardown, a later run or an
// administrator can find them; anything else named differently is never
// touched.
const (
	Set4 = "psad_block4"
	Set6 = "psad_block6"
)

// DefaultMaxElem is the size limit of each set when Config.MaxElem is 0:
// ipset's own default, large enough for any real attack while bounding
// the kernel memory a flood of spoofed sources can pin.
const DefaultMaxElem = 65536

// maxTimeout is the longest per-entry timeout the kernel accepts, in
// seconds (IPSET_MAX_TIMEOUT: half of UINT_MAX milliseconds). Longer
// blocks are stored with this timeout; the policy renews or removes
// them in any case.
const maxTimeout = math.MaxUint32 / 2 / 1000

// errHashFull is the kernel's IPSET_ERR_HASH_FULL, the first
// type-specific ipset error code.
const errHashFull = nl.IPSET_ERR_TYPE_SPECIFIC

// chains are the built-in chains whose traffic the sets filter: INPUT
// for the host itself, FORWARD for what it routes, as psad's default
// IPT_AUTO_CHAIN entries do.
var chains = []string{"INPUT", "FORWARD"}

// Config configures a Backend.
type Config struct {
	// MaxElem is each set's size limit (ipset maxelem); 0 means
	// DefaultMaxElem. It applies when Init creates a set; an existing
	// set keeps its size.
	MaxElem int
	// IPTables and IP6Tables are the commands that install the rules
	// matching the sets; empty means "iptables" and "ip6tables" from
	// PATH.
	IPTables, IP6Tables string
}

// FullError reports that a set reached its size limit, so some entries
// were not added. Callers branch on it to warn rather than retry.
type FullError struct {
	Set      string // the full set's name
	MaxElem  int    // its configured size limit
	NotAdded int    // how many entries of the call were not added
}

func (e *FullError) Error() string {
	return fmt.Sprintf("ipset %q is full (maxelem %d): %d entries not added; raise the set size limit",
		e.Set, e.MaxElem, e.NotAdded)
}

// runFunc runs one command and returns its combined output. It is the
// seam through which the tests run iptables inside their namespace.
type runFunc func(ctx context.Context, name string, args ...string) ([]byte, error)

func execRun(ctx context.Context, name string, args ...string) ([]byte, error) {
	return exec.CommandContext(ctx, name, args...).CombinedOutput()
}

// Backend is the ipset block.Backend. Its methods are called from one
// goroutine at a time, as block.Backend requires.
type Backend struct {
	h       *netlink.Handle
	run     runFunc
	maxElem int
	ipt     [2]string // iptables, ip6tables

	// flavour learns whether iptables is the nf_tables flavour, whose
	// rules (the match rules among them) the nftables generation sees
	// (see Init); nil when the commands' namespace is not known.
	flavour *nftgen.Flavour
}

var _ block.Backend = (*Backend)(nil)

// New opens a netfilter netlink socket in the current network namespace.
// It touches no set or rule: Init does.
func New(cfg Config) (*Backend, error) {
	h, err := netlink.NewHandle(unix.NETLINK_NETFILTER)
	if err != nil {
		return nil, fmt.Errorf("ipset: open netlink socket: %w", err)
	}
	b := newBackend(cfg, h, execRun)
	b.flavour = nftgen.NewFlavour(0) // the commands run in this process's namespace
	return b, nil
}

func newBackend(cfg Config, h *netlink.Handle, run runFunc) *Backend {
	b := &Backend{h: h, run: run, maxElem: cfg.MaxElem, ipt: [2]string{cfg.IPTables, cfg.IP6Tables}}
	if b.maxElem <= 0 {
		b.maxElem = DefaultMaxElem
	}
	if b.ipt[0] == "" {
		b.ipt[0] = "iptables"
	}
	if b.ipt[1] == "" {
		b.ipt[1] = "ip6tables"
	}
	return b
}

// Close releases the netlink socket; the sets and rules stay.
func (b *Backend) Close() {
	b.h.Close()
}

// Name implements block.Backend.
func (b *Backend) Name() string { return "ipset" }

type family struct {
	set    string
	family uint8
	ipt    int // index into Backend.ipt
}

var families = [2]family{{Set4, unix.AF_INET, 0}, {Set6, unix.AF_INET6, 1}}

func familyOf(p netip.Prefix) family {
	if p.Addr().Is4() {
		return families[0]
	}
	return families[1]
}

// ruleArgs is an iptables command line for the rule matching set in
// chain: op is -C, -D or -I (which also takes the position, 1).
func ruleArgs(op, chain, set string) []string {
	args := []string{"--wait", op, chain}
	if op == "-I" {
		args = append(args, "1")
	}
	return append(args, "-m", "set", "--match-set", set, "src", "-j", "DROP")
}

// Init creates both sets if missing (with timeout support, default
// timeout 0 meaning permanent) and inserts, if missing, one DROP rule per
// set at the top of INPUT and FORWARD: a set drops nothing until a rule
// matches it.
func (b *Backend) Init(ctx context.Context) error {
	for _, f := range families {
		if err := b.createSet(f); err != nil {
			return err
		}
	}
	return nftgen.Check(ctx, b.watch(ctx), func() (bool, error) { return b.matchRules(ctx) })
}

// matchRules inserts the match rules that are missing; changed says it
// inserted one. With the nf_tables flavour of iptables, Init skips it
// while the ruleset generation is the one at which it last found them
// all (one netlink question instead of two iptables runs; see
// [nftgen.Check]).
func (b *Backend) matchRules(ctx context.Context) (changed bool, err error) {
	for _, f := range families {
		// One -S of the table for both chains: each iptables run costs
		// 7-8 ms here.
		out, err := b.run(ctx, b.ipt[f.ipt], "--wait", "-S")
		if err != nil {
			return changed, fmt.Errorf("ipset: list the filter table for %q: %w: %q", f.set, err, out)
		}
		listed := strings.Split(string(out), "\n")
		for _, c := range chains {
			// The line -S prints for the rule -C would find.
			rule := "-A " + strings.Join(ruleArgs("-A", c, f.set)[2:], " ")
			if slices.Contains(listed, rule) {
				continue
			}
			changed = true
			if out, err := b.run(ctx, b.ipt[f.ipt], ruleArgs("-I", c, f.set)...); err != nil {
				return changed, fmt.Errorf("ipset: insert rule for %q in %s: %w: %q", f.set, c, err, out)
			}
		}
	}
	return changed, nil
}

// watch returns the generation watch when both iptables programs are
// the nf_tables flavour (see [nftgen.Flavour]).
func (b *Backend) watch(ctx context.Context) *nftgen.Watch {
	if b.flavour == nil {
		return nil
	}
	return b.flavour.Watch(exec.LookPath, func(prog string) ([]byte, error) {
		return b.run(ctx, prog, "-V")
	}, b.ipt[0], b.ipt[1])
}

func (b *Backend) createSet(f family) error {
	exists, err := b.setExists(f)
	if err != nil || exists {
		return err
	}
	zero := uint32(0)
	err = b.h.IpsetCreate(f.set, "hash:net", netlink.IpsetCreateOptions{
		Family:      f.family,
		Timeout:     &zero,
		MaxElements: uint32(b.maxElem),
	})
	if err != nil {
		return fmt.Errorf("ipset: create set %q: %w", f.set, err)
	}
	return nil
}

// setExists reports whether f's set exists, and rejects a set of that
// name that is not ours to use (another type or family).
func (b *Backend) setExists(f family) (bool, error) {
	res, err := b.h.IpsetList(f.set)
	if errors.Is(err, syscall.ENOENT) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("ipset: look up set %q: %w", f.set, err)
	}
	if res.TypeName != "hash:net" || res.Family != f.family {
		return false, fmt.Errorf("ipset: set %q exists with type %q family %d, want hash:net family %d",
			f.set, res.TypeName, res.Family, f.family)
	}
	return true, nil
}

// ruleExists runs iptables -C, whose exit status 1 means the rule is
// absent.
func (b *Backend) ruleExists(ctx context.Context, f family, chain string) (bool, error) {
	out, err := b.run(ctx, b.ipt[f.ipt], ruleArgs("-C", chain, f.set)...)
	if err == nil {
		return true, nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 1 {
		return false, nil
	}
	return false, fmt.Errorf("ipset: check rule for %q in %s: %w: %q", f.set, chain, err, out)
}

// entry turns a prefix into a netlink set element.
func entry(p netip.Prefix) (*netlink.IPSetEntry, error) {
	if !p.IsValid() || p.Bits() == 0 {
		// hash:net refuses /0; blocking everything is never meant.
		return nil, fmt.Errorf("ipset: invalid block prefix %q", p.String())
	}
	p = p.Masked()
	return &netlink.IPSetEntry{
		IP:   net.IP(p.Addr().AsSlice()),
		CIDR: uint8(p.Bits()),
		// Replace drops NLM_F_EXCL: the kernel's -exist semantics, so an
		// add of a present entry updates its timeout in place and a
		// delete of an absent one succeeds.
		Replace: true,
	}, nil
}

// timeout converts an expiry into ipset seconds: 0 (permanent) for the
// zero time, otherwise rounded up, at least 1 so that an overdue block is
// not stored as permanent, at most maxTimeout.
func timeout(expires, now time.Time) uint32 {
	if expires.IsZero() {
		return 0
	}
	d := expires.Sub(now)
	secs := (d + time.Second - 1) / time.Second
	switch {
	case secs < 1:
		return 1
	case secs > maxTimeout:
		return maxTimeout
	}
	return uint32(secs)
}

// Add implements block.Backend: one netlink request per entry, each
// adding the entry or renewing its timeout. Entries that do not fit a
// full set are counted in a *FullError; the others are still added.
func (b *Backend) Add(ctx context.Context, entries []block.Entry) error {
	var notAdded [2]int
	now := time.Now()
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("ipset: add: %w", err)
		}
		el, err := entry(e.Prefix)
		if err != nil {
			return err
		}
		t := timeout(e.Expires, now)
		el.Timeout = &t
		f := familyOf(e.Prefix)
		if err := b.h.IpsetAdd(f.set, el); err != nil {
			if errors.Is(err, nl.IPSetError(errHashFull)) {
				notAdded[f.ipt]++
				continue
			}
			return fmt.Errorf("ipset: add %q to %q: %w", e.Prefix.String(), f.set, err)
		}
	}
	var errs []error
	for i, n := range notAdded {
		if n > 0 {
			errs = append(errs, &FullError{Set: families[i].set, MaxElem: b.maxElem, NotAdded: n})
		}
	}
	return errors.Join(errs...)
}

// Remove implements block.Backend.
func (b *Backend) Remove(ctx context.Context, prefixes []netip.Prefix) error {
	for _, p := range prefixes {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("ipset: remove: %w", err)
		}
		el, err := entry(p)
		if err != nil {
			return err
		}
		f := familyOf(p)
		if err := b.h.IpsetDel(f.set, el); err != nil && !errors.Is(err, nl.IPSetError(nl.IPSET_ERR_EXIST)) {
			return fmt.Errorf("ipset: remove %q from %q: %w", p.String(), f.set, err)
		}
	}
	return nil
}

// List implements block.Backend; a remaining timeout becomes Expires,
// counted from now.
func (b *Backend) List(ctx context.Context) ([]block.Entry, error) {
	var out []block.Entry
	now := time.Now()
	for _, f := range families {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("ipset: list: %w", err)
		}
		res, err := b.h.IpsetList(f.set)
		if err != nil {
			return nil, fmt.Errorf("ipset: list %q: %w", f.set, err)
		}
		for _, e := range res.Entries {
			addr, ok := netip.AddrFromSlice(e.IP)
			if !ok {
				return nil, fmt.Errorf("ipset: list %q: bad address %q", f.set, e.IP.String())
			}
			if f.family == unix.AF_INET {
				addr = addr.Unmap()
			}
			bits := int(e.CIDR)
			if bits == 0 {
				bits = addr.BitLen()
			}
			be := block.Entry{Prefix: netip.PrefixFrom(addr, bits)}
			if e.Timeout != nil && *e.Timeout > 0 {
				be.Expires = now.Add(time.Duration(*e.Timeout) * time.Second)
			}
			out = append(out, be)
		}
	}
	return out, nil
}

// Flush implements block.Backend: both sets are emptied, the sets and
// rules stay.
func (b *Backend) Flush(ctx context.Context) error {
	for _, f := range families {
		if err := b.h.IpsetFlush(f.set); err != nil {
			return fmt.Errorf("ipset: flush %q: %w", f.set, err)
		}
	}
	return nil
}

// Teardown implements block.Backend: it deletes every copy of the rules
// Init inserts, then destroys both sets (a set a rule still references
// cannot be destroyed). Missing rules or sets are not an error.
func (b *Backend) Teardown(ctx context.Context) error {
	for _, f := range families {
		exists, err := b.setExists(f)
		if err != nil {
			return err
		}
		if !exists {
			// The kernel keeps a set alive while a rule references
			// it, so without the set there is no rule to delete.
			continue
		}
		for _, c := range chains {
			for {
				present, err := b.ruleExists(ctx, f, c)
				if err != nil {
					return err
				}
				if !present {
					break
				}
				if out, err := b.run(ctx, b.ipt[f.ipt], ruleArgs("-D", c, f.set)...); err != nil {
					return fmt.Errorf("ipset: delete rule for %q in %s: %w: %q", f.set, c, err, out)
				}
			}
		}
	}
	for _, f := range families {
		if err := b.h.IpsetDestroy(f.set); err != nil && !errors.Is(err, syscall.ENOENT) {
			return fmt.Errorf("ipset: destroy %q: %w", f.set, err)
		}
	}
	return nil
}
