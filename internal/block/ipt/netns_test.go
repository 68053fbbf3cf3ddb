package ipt

import (
	"context"
	"errors"
	"fmt"
	"github.com/psadgo/psad/internal/netnstest"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/psadgo/psad/internal/block"
	"github.com/psadgo/psad/internal/config"
)

// flavours are the two iptables implementations installed here; both must
// give the same layout.
var flavours = []struct{ name, v4, v6 string }{
	{"legacy", "iptables-legacy", "ip6tables-legacy"},
	{"nft", "iptables-nft", "ip6tables-nft"},
}

// psadChains are psad's shipped IPT_AUTO_CHAIN1..3.
var psadChains = []config.AutoChain{
	{Target: "DROP", Direction: "src", Table: "filter", FromChain: "INPUT", JumpPos: 1, ToChain: "PSAD_BLOCK_INPUT", RulePos: 1},
	{Target: "DROP", Direction: "dst", Table: "filter", FromChain: "OUTPUT", JumpPos: 1, ToChain: "PSAD_BLOCK_OUTPUT", RulePos: 1},
	{Target: "DROP", Direction: "both", Table: "filter", FromChain: "FORWARD", JumpPos: 1, ToChain: "PSAD_BLOCK_FORWARD", RulePos: 1},
}

var nsSeq atomic.Int32

func run(t *testing.T, argv ...string) string {
	t.Helper()
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out)
	}
	return string(out)
}

// newNetns creates a network namespace with a name unique to this test
// process and deletes it in t.Cleanup; deleting it also removes its veths
// and every rule in it.
func newNetns(t *testing.T, role string) string {
	t.Helper()
	name := fmt.Sprintf("psadipt-%d-%d-%s", os.Getpid(), nsSeq.Add(1), role)
	run(t, "ip", "netns", "add", name)
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v %s", name, err, out)
		}
	})
	run(t, "ip", "-n", name, "link", "set", "lo", "up")
	return name
}

// lab is fw with a TCP listener, reachable from attacker over one veth and
// from bystander over another, by IPv4 and IPv6.
type lab struct {
	fw, attacker, bystander string
	port                    int
	// fw's address on each link, and the peers' addresses.
	fwA4, fwA6, fwB4, fwB6 netip.Addr
	att4, att6, bys4, bys6 netip.Addr
}

func newLab(t *testing.T) *lab {
	t.Helper()
	l := &lab{
		fw: newNetns(t, "fw"), attacker: newNetns(t, "attacker"), bystander: newNetns(t, "bystander"),
		fwA4: netip.MustParseAddr("10.201.1.1"), att4: netip.MustParseAddr("10.201.1.2"),
		fwA6: netip.MustParseAddr("fd00:201:1::1"), att6: netip.MustParseAddr("fd00:201:1::2"),
		fwB4: netip.MustParseAddr("10.201.2.1"), bys4: netip.MustParseAddr("10.201.2.2"),
		fwB6: netip.MustParseAddr("fd00:201:2::1"), bys6: netip.MustParseAddr("fd00:201:2::2"),
	}
	link := func(fwIf, peer, peerIf string, fw4, p4, fw6, p6 netip.Addr) {
		run(t, "ip", "-n", l.fw, "link", "add", fwIf, "type", "veth", "peer", "name", peerIf, "netns", peer)
		run(t, "ip", "-n", l.fw, "addr", "add", fw4.String()+"/24", "dev", fwIf)
		run(t, "ip", "-n", l.fw, "addr", "add", fw6.String()+"/64", "dev", fwIf, "nodad")
		run(t, "ip", "-n", peer, "addr", "add", p4.String()+"/24", "dev", peerIf)
		run(t, "ip", "-n", peer, "addr", "add", p6.String()+"/64", "dev", peerIf, "nodad")
		run(t, "ip", "-n", l.fw, "link", "set", fwIf, "up")
		run(t, "ip", "-n", peer, "link", "set", peerIf, "up")
	}
	link("fa", l.attacker, "af", l.fwA4, l.att4, l.fwA6, l.att6)
	link("fb", l.bystander, "bf", l.fwB4, l.bys4, l.fwB6, l.bys6)

	var ln net.Listener
	netnstest.Do(t, l.fw, func() {
		var err error
		ln, err = net.Listen("tcp", ":0")
		if err != nil {
			t.Error(err)
		}
	})
	if ln == nil {
		t.FailNow()
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	l.port = ln.Addr().(*net.TCPAddr).Port
	return l
}

// dial connects from ns to addr's listener and reports the error. A
// blocked SYN is dropped, not refused, so a refusal shows only as the
// timeout; one second is far beyond a veth round trip.
func (l *lab) dial(t *testing.T, ns string, addr netip.Addr) error {
	t.Helper()
	var err error
	netnstest.Do(t, ns, func() {
		var c net.Conn
		c, err = net.DialTimeout("tcp", netip.AddrPortFrom(addr, uint16(l.port)).String(), time.Second)
		if err == nil {
			c.Close()
		}
	})
	return err
}

// reach checks who can connect to fw: want[i] says whether attacker (v4,
// v6) and bystander (v4, v6) may.
func (l *lab) reach(t *testing.T, attacker, bystander bool) {
	t.Helper()
	for _, c := range []struct {
		ns, who string
		to      netip.Addr
		want    bool
	}{
		{l.attacker, "attacker", l.fwA4, attacker}, {l.attacker, "attacker", l.fwA6, attacker},
		{l.bystander, "bystander", l.fwB4, bystander}, {l.bystander, "bystander", l.fwB6, bystander},
	} {
		err := l.dial(t, c.ns, c.to)
		if c.want && err != nil {
			t.Errorf("%s to %s: %v, want a connection", c.who, c.to, err)
		}
		if !c.want && err == nil {
			t.Errorf("%s to %s connected, want it blocked", c.who, c.to)
		}
	}
}

// save returns table filter of one family in ns as iptables -S prints it.
func save(t *testing.T, ns, prog string) []string {
	t.Helper()
	out := run(t, "ip", "netns", "exec", ns, prog, "--wait", "-t", "filter", "-S")
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	return lines
}

// foreign returns the lines of a ruleset that are not psad's.
func foreign(lines []string) []string {
	return slices.DeleteFunc(slices.Clone(lines), func(l string) bool { return strings.Contains(l, "PSAD_BLOCK_") })
}

func entries(ps ...netip.Addr) []block.Entry {
	var out []block.Entry
	for _, a := range ps {
		out = append(out, block.Entry{Prefix: netip.PrefixFrom(a, a.BitLen())})
	}
	return out
}

func TestNetnsBlock(t *testing.T) {
	for _, fl := range flavours {
		t.Run(fl.name, func(t *testing.T) {
			netnstest.Require(t, "ip", fl.v4, fl.v6, fl.v4+"-restore", fl.v6+"-restore")
			ctx := context.Background()
			l := newLab(t)
			progs := []string{fl.v4, fl.v6}
			// Someone else's rule in INPUT and chain of their own.
			for i, p := range progs {
				other := []string{"10.99.0.1", "fd00:99::1"}[i]
				run(t, "ip", "netns", "exec", l.fw, p, "-w", "-A", "INPUT", "-s", other, "-j", "ACCEPT")
				run(t, "ip", "netns", "exec", l.fw, p, "-w", "-N", "FOREIGN")
				run(t, "ip", "netns", "exec", l.fw, p, "-w", "-A", "FOREIGN", "-s", other, "-j", "DROP")
			}
			before := [][]string{save(t, l.fw, fl.v4), save(t, l.fw, fl.v6)}

			// The real runner, watched: every command must wait for the
			// xtables lock and run inside fw.
			var cmds [][]string
			watch := func(ctx context.Context, argv []string, stdin []byte) ([]byte, error) {
				cmds = append(cmds, argv)
				return execRun(ctx, argv, stdin)
			}
			t.Cleanup(func() {
				for _, argv := range cmds {
					if !slices.Contains(argv, "--wait") || !slices.Equal(argv[:4], []string{"ip", "netns", "exec", l.fw}) {
						t.Errorf("command %q: want it under ip netns exec %s, with --wait", argv, l.fw)
					}
				}
			})
			b, err := New(Config{Chains: psadChains, IPv4: fl.v4, IPv6: fl.v6, Prefix: []string{"ip", "netns", "exec", l.fw}, Run: watch})
			if err != nil {
				t.Fatal(err)
			}
			l.reach(t, true, true)

			for range 2 {
				if err := b.Init(ctx); err != nil {
					t.Fatal(err)
				}
			}
			for i, p := range progs {
				s := save(t, l.fw, p)
				for _, c := range psadChains {
					jump := "-A " + c.FromChain + " -j " + c.ToChain
					if n := count(s, jump); n != 1 {
						t.Errorf("%s after Init twice: %d of %q, want 1:\n%s", p, n, jump, strings.Join(s, "\n"))
					}
				}
				// The jump goes first in INPUT (position 1), before the foreign rule.
				if first := firstRule(s, "INPUT"); first != "-A INPUT -j PSAD_BLOCK_INPUT" {
					t.Errorf("%s: first INPUT rule %q, want psad's jump", p, first)
				}
				if got := foreign(s); !slices.Equal(got, before[i]) {
					t.Errorf("%s: Init changed foreign rules:\n%s\nwant\n%s", p, strings.Join(got, "\n"), strings.Join(before[i], "\n"))
				}
			}

			attackers := entries(l.att4, l.att6)
			start := time.Now()
			if err := b.Add(ctx, attackers); err != nil {
				t.Fatal(err)
			}
			added := time.Now()
			got, err := b.List(ctx)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("Add of 2 entries took %v; List right after it took %v", added.Sub(start), time.Since(added))
			if !slices.Equal(got, attackers) {
				t.Errorf("List after Add = %v, want %v", got, attackers)
			}
			l.reach(t, false, true)

			// psad's layout, byte for byte as -S prints it: for "both" the
			// -d rule inserted second at position 1 lands first.
			wantV4 := []string{
				"-A PSAD_BLOCK_FORWARD -d 10.201.1.2/32 -j DROP",
				"-A PSAD_BLOCK_FORWARD -s 10.201.1.2/32 -j DROP",
				"-A PSAD_BLOCK_INPUT -s 10.201.1.2/32 -j DROP",
				"-A PSAD_BLOCK_OUTPUT -d 10.201.1.2/32 -j DROP",
			}
			if got := blockRules(save(t, l.fw, fl.v4)); !slices.Equal(got, wantV4) {
				t.Errorf("ipv4 rules:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantV4, "\n"))
			}

			// Adding again adds nothing.
			if err := b.Add(ctx, attackers); err != nil {
				t.Fatal(err)
			}
			if got := blockRules(save(t, l.fw, fl.v4)); !slices.Equal(got, wantV4) {
				t.Errorf("ipv4 rules after a second Add:\n%s", strings.Join(got, "\n"))
			}
			if n := len(blockRules(save(t, l.fw, fl.v6))); n != 4 {
				t.Errorf("ipv6: %d block rules after a second Add, want 4", n)
			}

			if err := b.Remove(ctx, []netip.Prefix{attackers[0].Prefix, attackers[1].Prefix}); err != nil {
				t.Fatal(err)
			}
			if got, err := b.List(ctx); err != nil || len(got) != 0 {
				t.Errorf("List after Remove = %v, %v; want none", got, err)
			}
			l.reach(t, true, true)
			if err := b.Remove(ctx, []netip.Prefix{attackers[0].Prefix}); err != nil {
				t.Errorf("Remove of an absent entry: %v", err)
			}

			// Flush empties our chains, keeps them and their jumps, and
			// leaves everything else.
			if err := b.Add(ctx, attackers); err != nil {
				t.Fatal(err)
			}
			withJumps := [][]string{save(t, l.fw, fl.v4), save(t, l.fw, fl.v6)}
			if err := b.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			if got, err := b.List(ctx); err != nil || len(got) != 0 {
				t.Errorf("List after Flush = %v, %v; want none", got, err)
			}
			l.reach(t, true, true)
			for i, p := range progs {
				want := slices.DeleteFunc(slices.Clone(withJumps[i]), func(s string) bool { return len(blockRules([]string{s})) > 0 })
				if got := save(t, l.fw, p); !slices.Equal(got, want) {
					t.Errorf("%s after Flush:\n%s\nwant\n%s", p, strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
			}

			// Teardown leaves exactly what was there before Init, and can
			// be repeated, as can Flush and Remove on missing chains.
			if err := b.Add(ctx, attackers); err != nil {
				t.Fatal(err)
			}
			for range 2 {
				if err := b.Teardown(ctx); err != nil {
					t.Fatal(err)
				}
			}
			for i, p := range progs {
				if got := save(t, l.fw, p); !slices.Equal(got, before[i]) {
					t.Errorf("%s after Teardown:\n%s\nwant\n%s", p, strings.Join(got, "\n"), strings.Join(before[i], "\n"))
				}
			}
			l.reach(t, true, true)
			if err := b.Flush(ctx); err != nil {
				t.Errorf("Flush after Teardown: %v", err)
			}
			if err := b.Remove(ctx, []netip.Prefix{attackers[0].Prefix}); err != nil {
				t.Errorf("Remove after Teardown: %v", err)
			}
			if err := b.Add(ctx, attackers); err == nil {
				t.Error("Add after Teardown: no error, want the missing chain reported")
			}
		})
	}
}

func count(lines []string, s string) int {
	n := 0
	for _, l := range lines {
		if l == s {
			n++
		}
	}
	return n
}

func firstRule(lines []string, chain string) string {
	for _, l := range lines {
		if strings.HasPrefix(l, "-A "+chain+" ") {
			return l
		}
	}
	return ""
}

// blockRules returns the rules in psad's chains (not the jumps to them).
func blockRules(lines []string) []string {
	var out []string
	for _, l := range lines {
		if strings.HasPrefix(l, "-A PSAD_BLOCK_") {
			out = append(out, l)
		}
	}
	slices.Sort(out)
	return out
}

// TestNetnsPositions checks psad's jump and rule positions: beyond the end
// appends, -1 appends block rules, REJECT round-trips through List and
// Remove with its --reject-with option.
func TestNetnsPositions(t *testing.T) {
	for _, fl := range flavours {
		t.Run(fl.name, func(t *testing.T) {
			netnstest.Require(t, "ip", fl.v4, fl.v6, fl.v4+"-restore", fl.v6+"-restore")
			ctx := context.Background()
			ns := newNetns(t, "fw")
			for _, r := range []string{"10.99.0.1", "10.99.0.2"} {
				run(t, "ip", "netns", "exec", ns, fl.v4, "-w", "-A", "INPUT", "-s", r, "-j", "ACCEPT")
			}
			chains := []config.AutoChain{
				{Target: "REJECT", Direction: "src", Table: "filter", FromChain: "INPUT", JumpPos: 9, ToChain: "PSAD_BLOCK_INPUT", RulePos: appendPos},
			}
			b, err := New(Config{Chains: chains, IPv4: fl.v4, IPv6: fl.v6, Prefix: []string{"ip", "netns", "exec", ns}})
			if err != nil {
				t.Fatal(err)
			}
			cancelled, cancel := context.WithCancel(ctx)
			cancel()
			if err := b.Init(cancelled); !errors.Is(err, context.Canceled) {
				t.Errorf("Init with a cancelled context: %v, want context.Canceled", err)
			}
			if err := b.Init(ctx); err != nil {
				t.Fatal(err)
			}
			a := []netip.Addr{netip.MustParseAddr("10.1.0.1"), netip.MustParseAddr("10.1.0.2"), netip.MustParseAddr("10.1.0.3")}
			for _, x := range a {
				if err := b.Add(ctx, entries(x)); err != nil {
					t.Fatal(err)
				}
			}
			s := save(t, ns, fl.v4)
			want := []string{
				"-A INPUT -s 10.99.0.1/32 -j ACCEPT",
				"-A INPUT -s 10.99.0.2/32 -j ACCEPT",
				"-A INPUT -j PSAD_BLOCK_INPUT",
				"-A PSAD_BLOCK_INPUT -s 10.1.0.1/32 -j REJECT --reject-with icmp-port-unreachable",
				"-A PSAD_BLOCK_INPUT -s 10.1.0.2/32 -j REJECT --reject-with icmp-port-unreachable",
				"-A PSAD_BLOCK_INPUT -s 10.1.0.3/32 -j REJECT --reject-with icmp-port-unreachable",
			}
			got := slices.DeleteFunc(s, func(l string) bool { return !strings.HasPrefix(l, "-A ") })
			if !slices.Equal(got, want) {
				t.Errorf("rules:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if l, err := b.List(ctx); err != nil || !slices.Equal(l, entries(a...)) {
				t.Errorf("List = %v, %v; want %v", l, err, entries(a...))
			}
			if err := b.Remove(ctx, []netip.Prefix{netip.PrefixFrom(a[1], 32)}); err != nil {
				t.Fatal(err)
			}
			if l, err := b.List(ctx); err != nil || !slices.Equal(l, entries(a[0], a[2])) {
				t.Errorf("List after Remove = %v, %v; want %v", l, err, entries(a[0], a[2]))
			}
		})
	}
}

// TestNetnsThousand measures adding 1,000 addresses in one Add (one
// iptables-restore per family) against one Add per address, and how soon
// a rule is visible to a separate iptables process after Add returns.
func TestNetnsThousand(t *testing.T) {
	for _, fl := range flavours {
		t.Run(fl.name, func(t *testing.T) {
			netnstest.Require(t, "ip", fl.v4, fl.v6, fl.v4+"-restore", fl.v6+"-restore")
			ctx := context.Background()
			ns := newNetns(t, "fw")
			b, err := New(Config{Chains: psadChains, IPv4: fl.v4, IPv6: fl.v6, Prefix: []string{"ip", "netns", "exec", ns}})
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Init(ctx); err != nil {
				t.Fatal(err)
			}
			var many []block.Entry
			for i := range 1000 {
				many = append(many, entries(netip.AddrFrom4([4]byte{10, 50, byte(i / 250), byte(1 + i%250)}))...)
			}
			start := time.Now()
			if err := b.Add(ctx, many); err != nil {
				t.Fatal(err)
			}
			batch := time.Since(start)
			start = time.Now()
			got, err := b.List(ctx)
			list := time.Since(start)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(many) {
				t.Fatalf("List: %d entries after adding %d", len(got), len(many))
			}
			if n := len(blockRules(save(t, ns, fl.v4))); n != 4000 {
				t.Errorf("%d block rules for 1,000 addresses in 3 chains (one both), want 4000", n)
			}

			// One Add per address, as a naive caller would: each lists
			// the three chains and runs one restore.
			const single = 20
			start = time.Now()
			for i := range single {
				if err := b.Add(ctx, entries(netip.AddrFrom4([4]byte{10, 60, 0, byte(1 + i)}))); err != nil {
					t.Fatal(err)
				}
			}
			one := time.Since(start)

			// From Add returning to the rule being there for anyone: a
			// separate iptables -C finds it at once, since the restore
			// has committed before Add returns.
			probe := netip.MustParseAddr("10.70.0.1")
			if err := b.Add(ctx, entries(probe)); err != nil {
				t.Fatal(err)
			}
			returned := time.Now()
			err = exec.Command("ip", "netns", "exec", ns, fl.v4, "-w", "-C", "PSAD_BLOCK_INPUT", "-s", probe.String(), "-j", "DROP").Run()
			seen := time.Since(returned)
			if err != nil {
				t.Errorf("iptables -C right after Add: %v", err)
			}
			t.Logf("%s: 1,000 addresses in one Add: %v (%.0f addresses/s, %.0f rules/s); List of them: %v; "+
				"one Add per address: %v for %d (%.0f addresses/s, %.0fx slower per address); rule seen by a separate iptables -C %v after Add returned",
				fl.name, batch, 1000/batch.Seconds(), 4000/batch.Seconds(), list, one, single, single/one.Seconds(),
				(one.Seconds()/single)/(batch.Seconds()/1000), seen)
			start = time.Now()
			if err := b.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: Flush of %d addresses: %v", fl.name, 1000+single+1, time.Since(start))
		})
	}
}

// TestNetnsInitGeneration: with iptables-nft, an Init after another
// (which, having made the chains or put a jump back, checks once more),
// or after only our own blocks, runs no iptables command; a rule someone
// else deleted is found and put back by the next Init. With
// iptables-legacy, whose rules are not nftables rules, Init always lists.
func TestNetnsInitGeneration(t *testing.T) {
	for _, fl := range flavours {
		t.Run(fl.name, func(t *testing.T) {
			netnstest.Require(t, "ip", fl.v4, fl.v6, fl.v4+"-restore", fl.v6+"-restore")
			ctx := context.Background()
			l := newInitLab(t, fl.v4, fl.v6)
			b, fw, cmds := l.b, l.fw, &l.cmds
			initRuns := func(when string) int { t.Helper(); return l.init(t, when) }
			initRuns("first") // makes the chains and jumps, and checks again
			quick := fl.name == "nft"
			check := func(when string) {
				t.Helper()
				if n := initRuns(when); quick && n != 0 || !quick && n == 0 {
					t.Errorf("Init %s ran %d commands %q; want none with iptables-nft, a listing with legacy", when, n, *cmds)
				}
			}
			check("after one that found everything in place")
			if err := b.Add(ctx, []block.Entry{{Prefix: netip.MustParsePrefix("192.0.2.7/32")}, {Prefix: netip.MustParsePrefix("2001:db8::7/128")}}); err != nil {
				t.Fatal(err)
			}
			check("after our own Add")
			run(t, "ip", "netns", "exec", fw, fl.v4, "-w", "-D", "INPUT", "-j", "PSAD_BLOCK_INPUT")
			if n := initRuns("after the jump was deleted"); n == 0 {
				t.Fatal("Init after someone deleted the jump ran no command")
			}
			if got := save(t, fw, fl.v4); count(got, "-A INPUT -j PSAD_BLOCK_INPUT") != 1 {
				t.Errorf("after Init the jump is not back once:\n%s", strings.Join(got, "\n"))
			}
			check("after one that put the jump back")
		})
	}
}

// TestNetnsFlavourSwitch: iptables switched from the nf_tables flavour to
// legacy under a running backend (update-alternatives does it by moving a
// symbolic link; here the test's own links): the next Init notices,
// checks in full and makes psad's chains in the legacy tables, whose
// changes the nftables generation would never show.
func TestNetnsFlavourSwitch(t *testing.T) {
	netnstest.Require(t, "ip", "iptables-nft", "ip6tables-nft", "iptables-legacy", "ip6tables-legacy",
		"iptables-nft-restore", "ip6tables-nft-restore", "iptables-legacy-restore", "ip6tables-legacy-restore")
	bin := t.TempDir()
	netnstest.IptablesFlavour(t, bin, "nft")
	l := newInitLab(t, filepath.Join(bin, "iptables"), filepath.Join(bin, "ip6tables"))
	fw := l.fw
	initRuns := func() int { t.Helper(); return l.init(t, "") }
	initRuns()
	if n := initRuns(); n != 0 {
		t.Fatalf("second Init with iptables-nft ran %d commands %q, want none", n, l.cmds)
	}
	netnstest.IptablesFlavour(t, bin, "legacy")
	if n := initRuns(); n == 0 {
		t.Fatal("Init after the switch to legacy ran no command")
	}
	if got := save(t, fw, "iptables-legacy"); count(got, "-A INPUT -j PSAD_BLOCK_INPUT") != 1 {
		t.Errorf("after the switch the legacy tables lack psad's jump:\n%s", strings.Join(got, "\n"))
	}
	if n := initRuns(); n == 0 {
		t.Error("Init with legacy ran no command")
	}
}

// initLab is a namespace and a backend acting in it through ip netns
// exec, with Config.NetNS naming it, so that Init may take its quick
// path; init runs Init and counts the commands it ran.
type initLab struct {
	fw   string
	b    *Backend
	cmds [][]string
}

func newInitLab(t *testing.T, v4, v6 string) *initLab {
	t.Helper()
	l := &initLab{fw: newNetns(t, "fw")}
	ns, err := os.Open("/run/netns/" + l.fw)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	watch := func(ctx context.Context, argv []string, stdin []byte) ([]byte, error) {
		l.cmds = append(l.cmds, argv)
		return execRun(ctx, argv, stdin)
	}
	if l.b, err = New(Config{Chains: psadChains, IPv4: v4, IPv6: v6, Prefix: []string{"ip", "netns", "exec", l.fw}, NetNS: int(ns.Fd()), Run: watch}); err != nil {
		t.Fatal(err)
	}
	return l
}

func (l *initLab) init(t *testing.T, when string) int {
	t.Helper()
	l.cmds = nil
	if err := l.b.Init(context.Background()); err != nil {
		t.Fatalf("Init %s: %v", when, err)
	}
	return len(l.cmds)
}
