// Package ipt blocks addresses with iptables and ip6tables in psad's own
// layout: one chain of psad's per IPT_AUTO_CHAINn, reached by a jump rule
// from a built-in chain, holding one rule per blocked address and
// direction. It runs the iptables programs themselves (legacy or nft
// flavour alike) so the rules are exactly the ones psad writes and any
// iptables tool lists them the same way.
package ipt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/psadgo/psad/internal/block"
	"github.com/psadgo/psad/internal/block/nftgen"
	"github.com/psadgo/psad/internal/config"
)

// Runner runs one command, argv[0] being the program, with stdin as its
// standard input when non-nil, and returns its standard output. A command
// that ran and exited non-zero must return an error wrapping
// *exec.ExitError: exit status 1 of -C and -S means "absent" and is told
// apart from real failures that way.
type Runner func(ctx context.Context, argv []string, stdin []byte) ([]byte, error)

// Config says which chains to manage and how to reach the firewall.
type Config struct {
	// Chains are the parsed IPT_AUTO_CHAINn entries, in order.
	Chains []config.AutoChain
	// IPv4 and IPv6 are the programs for each family; "iptables" and
	// "ip6tables" when empty. Their restore programs are found by adding
	// "-restore" (iptables-legacy → iptables-legacy-restore).
	IPv4, IPv6 string
	// Prefix is put before every command, e.g. ip netns exec NS, the way
	// FW_CMD_ARGS wraps psad's calls.
	Prefix []string
	// NetNS is the network namespace the commands act in, as an open fd,
	// when Prefix moves them to another one than the process's (0 with
	// no Prefix). Init's quick check (see [Backend.Init]) watches that
	// namespace's ruleset; with a Prefix and no NetNS it is not made.
	NetNS int
	// Run runs the commands; nil runs them with os/exec.
	Run Runner
}

// Backend is the iptables backend. Its methods must not be called
// concurrently (the contract of [block.Backend]).
type Backend struct {
	chains []config.AutoChain
	fams   [2]family
	prefix []string
	run    Runner

	// flavour learns whether the programs are the nf_tables flavour, and
	// gen is its answer of the last Init: the watch of the nftables
	// ruleset then, nil otherwise. flavour is nil when the commands run
	// in a namespace the backend cannot name (a Prefix without NetNS).
	flavour *nftgen.Flavour
	gen     *nftgen.Watch
}

// family is one address family's programs.
type family struct {
	name    string // "ipv4" or "ipv6", for errors
	prog    string
	restore string
	v6      bool
}

var _ block.Backend = (*Backend)(nil)

// New checks cfg and returns a backend; it runs no command.
func New(cfg Config) (*Backend, error) {
	if len(cfg.Chains) == 0 {
		return nil, errors.New("iptables backend: no IPT_AUTO_CHAIN entries")
	}
	for i, c := range cfg.Chains {
		switch c.Direction {
		case "src", "dst", "both":
		default:
			return nil, fmt.Errorf("iptables backend: chain %d: invalid direction %q", i+1, c.Direction)
		}
		for _, f := range []struct{ name, v string }{{"target", c.Target}, {"table", c.Table}, {"from chain", c.FromChain}, {"to chain", c.ToChain}} {
			// White space as strings.Fields sees it, since parseRule
			// splits -S output that way: a chain name with a no-break
			// space, which iptables accepts, would never match.
			if f.v == "" || strings.ContainsFunc(f.v, unicode.IsSpace) || strings.HasPrefix(f.v, "-") {
				return nil, fmt.Errorf("iptables backend: chain %d: invalid %s %q", i+1, f.name, f.v)
			}
		}
		if c.FromChain == c.ToChain {
			return nil, fmt.Errorf("iptables backend: chain %d: from chain and to chain are both %q", i+1, c.ToChain)
		}
	}
	v4, v6 := cfg.IPv4, cfg.IPv6
	if v4 == "" {
		v4 = "iptables"
	}
	if v6 == "" {
		v6 = "ip6tables"
	}
	run := cfg.Run
	if run == nil {
		run = execRun
	}
	b := &Backend{
		chains: slices.Clone(cfg.Chains),
		fams: [2]family{
			{name: "ipv4", prog: v4, restore: v4 + "-restore"},
			{name: "ipv6", prog: v6, restore: v6 + "-restore", v6: true},
		},
		prefix: slices.Clone(cfg.Prefix),
		run:    run,
	}
	if len(cfg.Prefix) == 0 || cfg.NetNS > 0 {
		b.flavour = nftgen.NewFlavour(cfg.NetNS)
	}
	return b, nil
}

// Name implements [block.Backend].
func (b *Backend) Name() string { return "iptables" }

// execRun is the default [Runner]. Standard error goes into the error,
// since iptables explains itself only there.
func execRun(ctx context.Context, argv []string, stdin []byte) ([]byte, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		return out, fmt.Errorf("run %q: %w: %s", strings.Join(argv, " "), err, msg)
	}
	return out, nil
}

// ipt runs the family's iptables with --wait, so a concurrent iptables
// (or another psad) makes us wait for the xtables lock instead of fail.
func (b *Backend) ipt(ctx context.Context, f family, table string, args ...string) ([]byte, error) {
	argv := append(slices.Clone(b.prefix), f.prog, "--wait", "-t", table)
	return b.run(ctx, append(argv, args...), nil)
}

// absent reports whether err is exit status 1, which -C and -S use for
// "no such rule" and "no such chain".
func absent(err error) bool {
	var ee *exec.ExitError
	return errors.As(err, &ee) && ee.ExitCode() == 1
}

// rules lists chain's rules (-S, without the -N/-P line); ok is false
// when the chain does not exist.
func (b *Backend) rules(ctx context.Context, f family, table, chain string) (lines []string, ok bool, err error) {
	out, err := b.ipt(ctx, f, table, "-S", chain)
	if absent(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("list %s %s chain %q: %w", f.name, table, chain, err)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "-A ") {
			lines = append(lines, l)
		}
	}
	return lines, true, nil
}

// tableRules is one family's -S of one table, kept for the rest of a
// call: one iptables run lists every chain of the table, where one run
// per chain cost Init 12 runs with psad's three chains (an iptables run
// takes 7-8 ms on the build machine; Init took 111-121 ms in a namespace).
type tableRules []string

// listTable returns f's listing of table, from tables or listed into it.
func (b *Backend) listTable(ctx context.Context, f family, table string, tables map[string]tableRules) (tableRules, error) {
	if t, ok := tables[table]; ok {
		return t, nil
	}
	out, err := b.ipt(ctx, f, table, "-S")
	if err != nil {
		return nil, fmt.Errorf("list %s table %q: %w", f.name, table, err)
	}
	t := tableRules(strings.Split(string(out), "\n"))
	tables[table] = t
	return t, nil
}

// has reports whether chain exists: a built-in one prints its policy
// (-P), a user one its -N line. Chain names hold no blank (iptables
// refuses them), so a prefix ending in one names exactly one chain.
func (t tableRules) has(chain string) bool {
	n, p := "-N "+chain, "-P "+chain+" "
	for _, l := range t {
		if l == n || strings.HasPrefix(l, p) {
			return true
		}
	}
	return false
}

// rules returns chain's rules, as rules (the method of Backend) does.
func (t tableRules) rules(chain string) []string {
	p := "-A " + chain + " "
	var out []string
	for _, l := range t {
		if strings.HasPrefix(l, p) {
			out = append(out, l)
		}
	}
	return out
}

// position turns psad's 1-based position into one iptables accepts in a
// chain of n rules: 0 or less inserts first (psad maps both to 1, except
// -1 for block rules, which the caller passes as appendPos), beyond the
// end appends, as psad does.
func position(pos, n int) int {
	if pos < 1 {
		return 1
	}
	return min(pos, n+1)
}

// appendPos is psad's rule position -1: append to the chain.
const appendPos = -1

// Init implements [block.Backend]: for both families it creates every
// to-chain if missing and inserts its jump rule at the jump position if
// the from-chain has no `-j <to-chain>` rule.
//
// With the nf_tables flavour of iptables (Debian's default) every change
// to any rule moves the namespace's nftables ruleset generation on, so
// while it is the one at which Init last found everything in place, Init
// returns at once: one netlink question instead of two iptables runs of
// 7-8 ms each (IPTABLES_PREREQ_CHECK runs Init before every batch of
// blocks). With the legacy flavour it always lists. An Init that had to
// change something checks once more at once (see [nftgen.Check]).
func (b *Backend) Init(ctx context.Context) error {
	return nftgen.Check(ctx, b.watch(ctx), func() (bool, error) { return b.init(ctx) })
}

// init is one full check; changed says it created a chain or a jump.
func (b *Backend) init(ctx context.Context) (changed bool, err error) {
	for _, f := range b.fams {
		tables := map[string]tableRules{}
		for _, c := range b.chains {
			t, err := b.listTable(ctx, f, c.Table, tables)
			if err != nil {
				return changed, fmt.Errorf("init: %w", err)
			}
			if !t.has(c.ToChain) {
				changed = true
				if _, err := b.ipt(ctx, f, c.Table, "-N", c.ToChain); err != nil {
					return changed, fmt.Errorf("init: create %s %s chain %q: %w", f.name, c.Table, c.ToChain, err)
				}
				// The next chain of this table sees the change.
				delete(tables, c.Table)
			}
			// What -C FROM -j TO matches: the jump alone.
			from := t.rules(c.FromChain)
			if slices.Contains(from, "-A "+c.FromChain+" -j "+c.ToChain) {
				continue
			}
			if !t.has(c.FromChain) {
				return changed, fmt.Errorf("init: %s %s chain %q does not exist", f.name, c.Table, c.FromChain)
			}
			pos := strconv.Itoa(position(c.JumpPos, len(from)))
			changed = true
			if _, err := b.ipt(ctx, f, c.Table, "-I", c.FromChain, pos, "-j", c.ToChain); err != nil {
				return changed, fmt.Errorf("init: add jump from %q to %q: %w", c.FromChain, c.ToChain, err)
			}
			delete(tables, c.Table)
		}
	}
	return changed, nil
}

// rule is one block rule as -S prints it, reduced to what psad's layout
// uses.
type rule struct {
	dir    byte // 's' or 'd'
	prefix netip.Prefix
	target string
}

// parseRule reads `-A <chain> -s|-d <prefix> -j <target> [target options]`;
// ok is false for any other rule, which is then none of ours.
func parseRule(line, chain string) (r rule, ok bool) {
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "-A" || f[1] != chain || f[4] != "-j" {
		return rule{}, false
	}
	switch f[2] {
	case "-s":
		r.dir = 's'
	case "-d":
		r.dir = 'd'
	default:
		return rule{}, false
	}
	p, err := netip.ParsePrefix(f[3])
	if err != nil {
		return rule{}, false
	}
	r.prefix, r.target = p.Masked(), f[5]
	return r, true
}

// dirs returns the rule directions of c, in psad's order of insertion.
func dirs(c config.AutoChain) []byte {
	switch c.Direction {
	case "src":
		return []byte{'s'}
	case "dst":
		return []byte{'d'}
	}
	return []byte{'s', 'd'}
}

// batch is the iptables-restore input for one family, per table.
type batch struct {
	tables []string
	lines  map[string][]string
}

func (t *batch) add(table, line string) {
	if t.lines == nil {
		t.lines = map[string][]string{}
	}
	if _, ok := t.lines[table]; !ok {
		t.tables = append(t.tables, table)
	}
	t.lines[table] = append(t.lines[table], line)
}

// commit applies the batch in one iptables-restore --noflush, which the
// kernel takes as one transaction per table and which costs one process
// instead of one per rule.
func (b *Backend) commit(ctx context.Context, f family, t *batch) error {
	if len(t.tables) == 0 {
		return nil
	}
	var in bytes.Buffer
	for _, table := range t.tables {
		fmt.Fprintf(&in, "*%s\n", table)
		for _, l := range t.lines[table] {
			in.WriteString(l)
			in.WriteByte('\n')
		}
		in.WriteString("COMMIT\n")
	}
	argv := append(slices.Clone(b.prefix), f.restore, "--wait", "--noflush")
	var before uint32
	if b.gen != nil {
		before, _ = b.gen.Generation(ctx) // 0 on an error: the mark is dropped
	}
	_, err := b.run(ctx, argv, in.Bytes())
	if b.gen != nil {
		b.gen.Committed(ctx, before, false)
	}
	if err != nil {
		return fmt.Errorf("%s restore: %w", f.name, err)
	}
	return nil
}

// watch returns the generation watch when both programs are the
// nf_tables flavour (see [nftgen.Flavour]).
func (b *Backend) watch(ctx context.Context) *nftgen.Watch {
	b.gen = nil
	if b.flavour != nil {
		b.gen = b.flavour.Watch(exec.LookPath, func(prog string) ([]byte, error) {
			return b.run(ctx, append(slices.Clone(b.prefix), prog, "-V"), nil)
		}, b.fams[0].prog, b.fams[1].prog)
	}
	return b.gen
}

// byFamily splits prefixes by family, keeping the order. An IPv4-mapped
// IPv6 prefix counts as the IPv4 one: the kernel sees such a source as
// IPv4.
func byFamily(ps []netip.Prefix) [2][]netip.Prefix {
	var out [2][]netip.Prefix
	for _, p := range ps {
		if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		p = p.Masked()
		if p.Addr().Is4() {
			out[0] = append(out[0], p)
		} else {
			out[1] = append(out[1], p)
		}
	}
	return out
}

// flag is the iptables option for a rule direction.
func flag(dir byte) string {
	if dir == 's' {
		return "-s"
	}
	return "-d"
}

// Add implements [block.Backend]. For every entry and chain it inserts the
// rules psad's layout implies (src: -s, dst: -d, both: -s then -d) at the
// chain's rule position, skipping rules already there, in one
// iptables-restore per family. The chains must exist (Init).
func (b *Backend) Add(ctx context.Context, entries []block.Entry) error {
	ps := make([]netip.Prefix, 0, len(entries))
	for _, e := range entries {
		if !e.Prefix.IsValid() {
			return fmt.Errorf("add: invalid prefix %q", e.Prefix)
		}
		ps = append(ps, e.Prefix)
	}
	split := byFamily(ps)
	for i, f := range b.fams {
		if len(split[i]) == 0 {
			continue
		}
		var t batch
		tables := map[string]tableRules{}
		for _, c := range b.chains {
			listed, err := b.listTable(ctx, f, c.Table, tables)
			if err != nil {
				return fmt.Errorf("add: %w", err)
			}
			if !listed.has(c.ToChain) {
				return fmt.Errorf("add: %s %s chain %q does not exist (Init first)", f.name, c.Table, c.ToChain)
			}
			lines := listed.rules(c.ToChain)
			have := map[rule]bool{}
			for _, l := range lines {
				if r, ok := parseRule(l, c.ToChain); ok {
					have[r] = true
				}
			}
			n := len(lines)
			for _, p := range split[i] {
				for _, d := range dirs(c) {
					r := rule{dir: d, prefix: p, target: c.Target}
					if have[r] {
						continue
					}
					have[r] = true
					verb := "-A " + c.ToChain
					if c.RulePos != appendPos {
						verb = fmt.Sprintf("-I %s %d", c.ToChain, position(c.RulePos, n))
					}
					t.add(c.Table, fmt.Sprintf("%s %s %s -j %s", verb, flag(d), p, c.Target))
					n++
				}
			}
		}
		if err := b.commit(ctx, f, &t); err != nil {
			return fmt.Errorf("add: %w", err)
		}
	}
	return nil
}

// Remove implements [block.Backend]: it deletes every rule of ours for
// the prefixes, each as often as it is present, in one iptables-restore
// per family. A missing chain holds nothing to remove.
func (b *Backend) Remove(ctx context.Context, prefixes []netip.Prefix) error {
	for _, p := range prefixes {
		if !p.IsValid() {
			return fmt.Errorf("remove: invalid prefix %q", p)
		}
	}
	split := byFamily(prefixes)
	for i, f := range b.fams {
		if len(split[i]) == 0 {
			continue
		}
		gone := map[netip.Prefix]bool{}
		for _, p := range split[i] {
			gone[p] = true
		}
		var t batch
		tables := map[string]tableRules{}
		for _, c := range b.chains {
			listed, err := b.listTable(ctx, f, c.Table, tables)
			if err != nil {
				return fmt.Errorf("remove: %w", err)
			}
			for _, l := range listed.rules(c.ToChain) {
				r, ok := parseRule(l, c.ToChain)
				if ok && r.target == c.Target && gone[r.prefix] {
					// The listed rule itself, so target options such as
					// REJECT's --reject-with match exactly.
					t.add(c.Table, "-D"+strings.TrimPrefix(l, "-A"))
				}
			}
		}
		if err := b.commit(ctx, f, &t); err != nil {
			return fmt.Errorf("remove: %w", err)
		}
	}
	return nil
}

// List implements [block.Backend]: the prefixes our rules in every chain
// of both families block, each once, sorted. Expires is zero: iptables
// keeps no expiry, the policy does.
func (b *Backend) List(ctx context.Context) ([]block.Entry, error) {
	seen := map[netip.Prefix]bool{}
	var out []block.Entry
	for _, f := range b.fams {
		tables := map[string]tableRules{}
		for _, c := range b.chains {
			listed, err := b.listTable(ctx, f, c.Table, tables)
			if err != nil {
				return nil, fmt.Errorf("list: %w", err)
			}
			for _, l := range listed.rules(c.ToChain) {
				r, ok := parseRule(l, c.ToChain)
				if !ok || r.target != c.Target || seen[r.prefix] {
					continue
				}
				seen[r.prefix] = true
				out = append(out, block.Entry{Prefix: r.prefix})
			}
		}
	}
	slices.SortFunc(out, func(a, b block.Entry) int {
		if c := a.Prefix.Addr().Compare(b.Prefix.Addr()); c != 0 {
			return c
		}
		return a.Prefix.Bits() - b.Prefix.Bits()
	})
	return out, nil
}

// Flush implements [block.Backend]: -F on every to-chain that exists, in
// both families (psad -F).
func (b *Backend) Flush(ctx context.Context) error {
	for _, f := range b.fams {
		for _, c := range b.chains {
			_, err := b.ipt(ctx, f, c.Table, "-F", c.ToChain)
			if err != nil && !absent(err) {
				return fmt.Errorf("flush %s %s chain %q: %w", f.name, c.Table, c.ToChain, err)
			}
		}
	}
	return nil
}

// Teardown implements [block.Backend] (psad -F -X): it deletes every
// `-j <to-chain>` jump rule from the from-chains, then flushes and deletes
// the to-chains. Jumps are removed first because iptables refuses to delete
// a chain still referenced.
func (b *Backend) Teardown(ctx context.Context) error {
	for _, f := range b.fams {
		for _, c := range b.chains {
			for {
				_, err := b.ipt(ctx, f, c.Table, "-D", c.FromChain, "-j", c.ToChain)
				if absent(err) {
					break
				}
				if err != nil {
					// -D of a jump to a chain that no longer exists fails
					// with status 2; then there is no jump either.
					if _, ok, lerr := b.rules(ctx, f, c.Table, c.ToChain); lerr == nil && !ok {
						break
					}
					return fmt.Errorf("teardown: delete jump from %q to %q: %w", c.FromChain, c.ToChain, err)
				}
			}
		}
		for _, c := range b.chains {
			_, err := b.ipt(ctx, f, c.Table, "-F", c.ToChain)
			if absent(err) {
				continue
			}
			if err != nil {
				return fmt.Errorf("teardown: flush %s %s chain %q: %w", f.name, c.Table, c.ToChain, err)
			}
			if _, err := b.ipt(ctx, f, c.Table, "-X", c.ToChain); err != nil && !absent(err) {
				return fmt.Errorf("teardown: delete %s %s chain %q: %w", f.name, c.Table, c.ToChain, err)
			}
		}
	}
	return nil
}
