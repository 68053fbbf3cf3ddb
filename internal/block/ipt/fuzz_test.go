package ipt

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/psadgo/psad/internal/block"
	"github.com/psadgo/psad/internal/config"
)

// FuzzParseRule guards the reading of `iptables -S <chain>` output, which
// decides which rules are psad-go's (List reports them, Remove deletes
// them, Add skips them): a line counts exactly when its words are -A, the
// chain itself, -s or -d, a prefix, -j and a target, with anything after
// the target taken as target options, and the rule read holds that
// direction, that target and the prefix with its host bits cleared. Any
// other line reads as the zero rule.
func FuzzParseRule(f *testing.F) {
	for _, s := range [][2]string{
		{"-A PSAD_BLOCK_INPUT -s 198.51.100.23/32 -j DROP", "PSAD_BLOCK_INPUT"},
		{"-A PSAD_BLOCK_OUTPUT -d 2001:db8:4::/48 -j REJECT --reject-with icmp6-port-unreachable", "PSAD_BLOCK_OUTPUT"},
		{"-A PSAD_BLOCK_FORWARD -s 10.128.0.0/9 -j DROP", "PSAD_BLOCK_FORWARD"},
		{"-A PSAD_BLOCK_INPUT -s 203.0.113.7/32 -j DROP", "PSAD_BLOCK"},
		{"-A PSAD_BLOCK_INPUT ! -s 203.0.113.7/32 -j DROP", "PSAD_BLOCK_INPUT"},
		{"-A PSAD_BLOCK_INPUT -s 203.0.113.7/32 -m comment --comment x -j DROP", "PSAD_BLOCK_INPUT"},
		{"-A PSAD_BLOCK_INPUT -i lo -j ACCEPT", "PSAD_BLOCK_INPUT"},
		{"-N PSAD_BLOCK_INPUT", "PSAD_BLOCK_INPUT"},
		{"-P INPUT ACCEPT", "INPUT"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, line, chain string) {
		r, ok := parseRule(line, chain)
		w := strings.Fields(line)
		var want rule
		shape := len(w) >= 6 && w[0] == "-A" && w[1] == chain && (w[2] == "-s" || w[2] == "-d") && w[4] == "-j"
		if shape {
			p, err := netip.ParsePrefix(w[3])
			shape = err == nil
			want = rule{dir: w[2][1], prefix: p.Masked(), target: w[5]}
		}
		if ok != shape {
			t.Fatalf("parseRule(%q, %q) ok = %v, want %v", line, chain, ok, shape)
		}
		if !ok {
			if r != (rule{}) {
				t.Fatalf("parseRule(%q, %q) = %q %v -j %q with ok false", line, chain, r.dir, r.prefix, r.target)
			}
			return
		}
		if r != want || !r.prefix.IsValid() || r.prefix != r.prefix.Masked() {
			t.Fatalf("parseRule(%q, %q) = %c %v -j %s, want %c %v -j %s", line, chain, r.dir, r.prefix, r.target, want.dir, want.prefix, want.target)
		}
	})
}

// fakeIPT stands in for iptables, ip6tables and their restore programs,
// as far as Add, List and Remove use them on chains that exist: -S prints
// a chain or a table as iptables does (REJECT with its default --reject-with), and
// restore applies -A, -I and -D lines. It refuses anything else, so a
// command the backend gets wrong fails the test.
type fakeIPT struct {
	chains map[string][]string // family/table/chain → its rules as -S prints them
}

func (x *fakeIPT) key(prog, table, chain string) string {
	return strings.TrimSuffix(prog, "-restore") + "/" + table + "/" + chain
}

func (x *fakeIPT) run(_ context.Context, argv []string, stdin []byte) ([]byte, error) {
	if len(argv) == 6 && argv[1] == "--wait" && argv[2] == "-t" && argv[4] == "-S" {
		rules, ok := x.chains[x.key(argv[0], argv[3], argv[5])]
		if !ok {
			return nil, fmt.Errorf("fake iptables: no chain in %q", argv)
		}
		out := "-N " + argv[5] + "\n"
		for _, r := range rules {
			out += r + "\n"
		}
		return []byte(out), nil
	}
	if len(argv) == 5 && argv[1] == "--wait" && argv[2] == "-t" && argv[4] == "-S" {
		// The whole table, chains in name order, each -N line before
		// the chain's rules, as iptables prints user chains.
		pre := x.key(argv[0], argv[3], "")
		var keys []string
		for k := range x.chains {
			if strings.HasPrefix(k, pre) {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		var out strings.Builder
		for _, k := range keys {
			out.WriteString("-N " + strings.TrimPrefix(k, pre) + "\n")
		}
		for _, k := range keys {
			for _, r := range x.chains[k] {
				out.WriteString(r + "\n")
			}
		}
		return []byte(out.String()), nil
	}
	if len(argv) != 3 || !strings.HasSuffix(argv[0], "-restore") || argv[1] != "--wait" || argv[2] != "--noflush" {
		return nil, fmt.Errorf("fake iptables: unexpected command %q", argv)
	}
	table := ""
	for l := range strings.Lines(string(stdin)) {
		l = strings.TrimSuffix(l, "\n")
		if t, ok := strings.CutPrefix(l, "*"); ok {
			table = t
			continue
		}
		if l == "COMMIT" {
			table = ""
			continue
		}
		// iptables-restore splits a line at blanks; psad-go's words
		// hold none.
		w := strings.FieldsFunc(l, func(r rune) bool { return r == ' ' || r == '\t' })
		if table == "" || len(w) < 2 {
			return nil, fmt.Errorf("fake iptables-restore: line %q outside a table", l)
		}
		k := x.key(argv[0], table, w[1])
		rules, ok := x.chains[k]
		if !ok {
			return nil, fmt.Errorf("fake iptables-restore: no chain %q in %q", w[1], l)
		}
		var spec []string
		pos := len(rules) + 1
		switch w[0] {
		case "-A", "-D":
			spec = w[2:]
		case "-I":
			n, err := strconv.Atoi(w[2])
			if err != nil || n < 1 || n > len(rules)+1 {
				return nil, fmt.Errorf("fake iptables-restore: bad position in %q", l)
			}
			pos, spec = n, w[3:]
		default:
			return nil, fmt.Errorf("fake iptables-restore: unexpected line %q", l)
		}
		if i := slices.Index(spec, "-j"); i >= 0 && i+1 < len(spec) && spec[i+1] == "REJECT" && !slices.Contains(spec, "--reject-with") {
			spec = append(spec, "--reject-with", map[bool]string{false: "icmp-port-unreachable", true: "icmp6-port-unreachable"}[strings.HasPrefix(argv[0], "ip6")])
		}
		r := strings.Join(append([]string{"-A", w[1]}, spec...), " ")
		if w[0] == "-D" {
			i := slices.Index(rules, r)
			if i < 0 {
				return nil, fmt.Errorf("fake iptables-restore: no rule for %q", l)
			}
			x.chains[k] = slices.Delete(rules, i, i+1)
			continue
		}
		x.chains[k] = slices.Insert(rules, pos-1, r)
	}
	return nil, nil
}

// FuzzRuleRoundTrip guards that the rules Add writes are the ones
// parseRule reads back as psad-go's, for any prefix and any chain name
// New accepts and iptables would too: after Add, List reports the prefix
// (host bits cleared, an IPv4-mapped one as IPv4) and nothing else, a
// second Add finds the rules present and writes none, and Remove leaves
// the chain empty. Were a rule not recognised, Add would duplicate it on
// every renewal and Remove would never lift the block.
func FuzzRuleRoundTrip(f *testing.F) {
	f.Add("PSAD_BLOCK_INPUT", []byte{198, 51, 100, 23}, uint8(32), uint8(0))
	f.Add("PSAD_BLOCK_FORWARD", []byte{10, 200, 3, 4}, uint8(16), uint8(2|4))
	f.Add("PSAD_BLOCK_OUTPUT", netip.MustParseAddr("2001:db8::77").AsSlice(), uint8(64), uint8(1|8))
	f.Add("MY_BLOCKS", netip.MustParseAddr("::ffff:192.0.2.9").AsSlice(), uint8(128), uint8(2|4|8))
	f.Fuzz(func(t *testing.T, chain string, addr []byte, bits, opts uint8) {
		// What iptables refuses as a chain name (assert_valid_chain_name:
		// ASCII blanks, a leading - or !, 29 bytes or more) and quotes,
		// which iptables-restore reads specially.
		if len(chain) >= 29 || strings.HasPrefix(chain, "!") || strings.ContainsAny(chain, " \t\n\v\f\r\"'\\") {
			return
		}
		a, ok := netip.AddrFromSlice(addr)
		if !ok {
			return
		}
		p := netip.PrefixFrom(a, int(bits)%(a.BitLen()+1))
		want := p.Masked()
		if want.Addr().Is4In6() && want.Bits() >= 96 {
			want = netip.PrefixFrom(want.Addr().Unmap(), want.Bits()-96).Masked()
		}
		c := config.AutoChain{
			Target:    []string{"DROP", "REJECT"}[opts&1],
			Direction: []string{"src", "dst", "both", "both"}[opts>>1&3],
			Table:     "filter", FromChain: "INPUT", JumpPos: 1,
			ToChain: chain, RulePos: []int{1, 2}[opts>>3&1],
		}
		if chain == "INPUT" {
			c.FromChain = "FORWARD"
		}
		x := &fakeIPT{chains: map[string][]string{}}
		for _, prog := range []string{"iptables", "ip6tables"} {
			x.chains[x.key(prog, "filter", chain)] = nil
		}
		b, err := New(Config{Chains: []config.AutoChain{c}, Run: x.run})
		if err != nil {
			return
		}
		ctx := t.Context()
		if err := b.Add(ctx, []block.Entry{{Prefix: p}}); err != nil {
			t.Fatalf("Add(%v): %v", p, err)
		}
		prog, other := "iptables", "ip6tables"
		if want.Addr().Is6() {
			prog, other = other, prog
		}
		rules := x.chains[x.key(prog, "filter", chain)]
		if n := len(dirs(c)); len(rules) != n || len(x.chains[x.key(other, "filter", chain)]) != 0 {
			t.Fatalf("Add(%v) to %s wrote %q to %s, want %d rules", p, c.Direction, rules, prog, n)
		}
		for _, d := range dirs(c) {
			w := rule{dir: d, prefix: want, target: c.Target}
			if !slices.ContainsFunc(rules, func(l string) bool { r, ok := parseRule(l, chain); return ok && r == w }) {
				t.Fatalf("Add(%v) wrote %q, none read as %c %v -j %s", p, rules, w.dir, w.prefix, w.target)
			}
		}
		es, err := b.List(ctx)
		if err != nil || !slices.Equal(es, []block.Entry{{Prefix: want}}) {
			t.Fatalf("List after Add(%v) = %v, %v; want %v", p, es, err, want)
		}
		if err := b.Add(ctx, []block.Entry{{Prefix: p}}); err != nil {
			t.Fatalf("second Add(%v): %v", p, err)
		}
		if again := x.chains[x.key(prog, "filter", chain)]; !slices.Equal(again, rules) {
			t.Fatalf("second Add(%v) changed the chain from %q to %q", p, rules, again)
		}
		if err := b.Remove(ctx, []netip.Prefix{p}); err != nil {
			t.Fatalf("Remove(%v): %v", p, err)
		}
		if left := x.chains[x.key(prog, "filter", chain)]; len(left) != 0 {
			t.Fatalf("Remove(%v) left %q", p, left)
		}
	})
}
