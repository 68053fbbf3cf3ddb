package ipset

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/psadgo/psad/internal/block"
	"github.com/psadgo/psad/internal/block/nftgen"
	"github.com/psadgo/psad/internal/netnstest"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// lab is three network namespaces made for one test: fw runs the
// firewall and a TCP listener, attacker and bystander reach it over
// their own veth pairs, each over IPv4 and IPv6.
type lab struct {
	fw, attacker, bystander string
	fw4a, fw6a              netip.Addr // fw's addresses facing the attacker
	fw4b, fw6b              netip.Addr // and the bystander
	att4, att6              netip.Addr
	bys4, bys6              netip.Addr
	port                    int
}

func sh(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func newLab(t *testing.T) *lab {
	t.Helper()
	netnstest.Require(t, "ip", "iptables", "ip6tables")
	var id [3]byte
	if _, err := rand.Read(id[:]); err != nil {
		t.Fatal(err)
	}
	sfx := hex.EncodeToString(id[:])
	l := &lab{
		fw: "psadfw-" + sfx, attacker: "psadatt-" + sfx, bystander: "psadbys-" + sfx,
		fw4a: netip.MustParseAddr("10.77.1.1"), att4: netip.MustParseAddr("10.77.1.2"),
		fw4b: netip.MustParseAddr("10.77.2.1"), bys4: netip.MustParseAddr("10.77.2.2"),
		fw6a: netip.MustParseAddr("fd00:77:1::1"), att6: netip.MustParseAddr("fd00:77:1::2"),
		fw6b: netip.MustParseAddr("fd00:77:2::1"), bys6: netip.MustParseAddr("fd00:77:2::2"),
	}
	for _, ns := range []string{l.fw, l.attacker, l.bystander} {
		sh(t, "ip", "netns", "add", ns)
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
		sh(t, "ip", "-n", ns, "link", "set", "lo", "up")
	}
	// The veths are created inside fw, so the host's namespace never
	// holds them, even for a moment.
	for _, p := range []struct {
		peer             string
		fw4, fw6, p4, p6 netip.Addr
	}{{l.attacker, l.fw4a, l.fw6a, l.att4, l.att6}, {l.bystander, l.fw4b, l.fw6b, l.bys4, l.bys6}} {
		sh(t, "ip", "-n", l.fw, "link", "add", "v0", "type", "veth", "peer", "name", "v1", "netns", p.peer)
		sh(t, "ip", "-n", l.fw, "link", "set", "v0", "name", "to-"+p.peer[4:7])
		dev := "to-" + p.peer[4:7]
		sh(t, "ip", "-n", l.fw, "addr", "add", p.fw4.String()+"/24", "dev", dev)
		sh(t, "ip", "-n", l.fw, "addr", "add", p.fw6.String()+"/64", "dev", dev, "nodad")
		sh(t, "ip", "-n", l.fw, "link", "set", dev, "up")
		sh(t, "ip", "-n", p.peer, "addr", "add", p.p4.String()+"/24", "dev", "v1")
		sh(t, "ip", "-n", p.peer, "addr", "add", p.p6.String()+"/64", "dev", "v1", "nodad")
		sh(t, "ip", "-n", p.peer, "link", "set", "v1", "up")
	}
	var ln net.Listener
	netnstest.Do(t, l.fw, func() {
		var err error
		ln, err = net.Listen("tcp", "[::]:0")
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Cleanup(func() { ln.Close() })
	l.port = ln.Addr().(*net.TCPAddr).Port
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return l
}

// connect reports whether a TCP connection from namespace ns to dst
// succeeds. A dropped SYN shows as the dial timing out.
func (l *lab) connect(t *testing.T, ns string, dst netip.Addr) bool {
	t.Helper()
	var err error
	netnstest.Do(t, ns, func() {
		var c net.Conn
		d := net.Dialer{Timeout: 700 * time.Millisecond}
		c, err = d.Dial("tcp", netip.AddrPortFrom(dst, uint16(l.port)).String())
		if err == nil {
			c.Close()
		}
	})
	return err == nil
}

// backend returns a Backend whose netlink socket and iptables commands
// act in namespace ns.
func (l *lab) backend(t *testing.T, cfg Config) *Backend {
	t.Helper()
	nsh, err := netns.GetFromName(l.fw)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nsh.Close() })
	h, err := netlink.NewHandleAt(nsh, unix.NETLINK_NETFILTER)
	if err != nil {
		t.Fatal(err)
	}
	fw := l.fw
	run := func(ctx context.Context, name string, args ...string) ([]byte, error) {
		return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", fw, name}, args...)...).CombinedOutput()
	}
	b := newBackend(cfg, h, run)
	b.flavour = nftgen.NewFlavour(int(nsh))
	t.Cleanup(b.Close)
	return b
}

func (l *lab) output(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("ip", append([]string{"netns", "exec", l.fw}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func host(a netip.Addr) netip.Prefix { return netip.PrefixFrom(a, a.BitLen()) }

func TestBlocksTraffic(t *testing.T) {
	l := newLab(t)
	ctx := t.Context()
	b := l.backend(t, Config{})
	if err := b.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Init(ctx); err != nil {
		t.Fatalf("second Init: %v", err)
	}
	rules := l.output(t, "iptables", "-S") + l.output(t, "ip6tables", "-S")
	for _, want := range []string{
		"-A INPUT -m set --match-set psad_block4 src -j DROP", "-A FORWARD -m set --match-set psad_block4 src -j DROP",
		"-A INPUT -m set --match-set psad_block6 src -j DROP", "-A FORWARD -m set --match-set psad_block6 src -j DROP",
	} {
		if strings.Count(rules, want) != 1 {
			t.Errorf("rule %q appears %d times after two Inits:\n%s", want, strings.Count(rules, want), rules)
		}
	}
	// A reload that drops one match rule: the next Init puts it back.
	l.output(t, "ip6tables", "-D", "FORWARD", "-m", "set", "--match-set", "psad_block6", "src", "-j", "DROP")
	if err := b.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if rules := l.output(t, "ip6tables", "-S"); strings.Count(rules, "-A FORWARD -m set --match-set psad_block6 src -j DROP") != 1 {
		t.Errorf("after the rule was deleted and Init ran again:\n%s", rules)
	}

	type path struct {
		name string
		ns   string
		dst  netip.Addr
	}
	attacker := []path{{"attacker v4", l.attacker, l.fw4a}, {"attacker v6", l.attacker, l.fw6a}}
	bystander := []path{{"bystander v4", l.bystander, l.fw4b}, {"bystander v6", l.bystander, l.fw6b}}
	check := func(stage string, ps []path, want bool) {
		t.Helper()
		for _, p := range ps {
			if got := l.connect(t, p.ns, p.dst); got != want {
				t.Errorf("%s: %s connects = %v, want %v", stage, p.name, got, want)
			}
		}
	}
	check("before blocking", append(attacker, bystander...), true)

	start := time.Now()
	if err := b.Add(ctx, []block.Entry{{Prefix: host(l.att4)}, {Prefix: host(l.att6), Expires: time.Now().Add(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	present, err := b.h.IpsetTest(Set4, &netlink.IPSetEntry{IP: l.att4.AsSlice()})
	if err != nil || !present {
		t.Fatalf("attacker not in %s right after Add: %v %v", Set4, present, err)
	}
	t.Logf("Add of 2 entries to element present: %v", time.Since(start))

	check("blocked", attacker, false)
	check("blocked", bystander, true)

	got, err := b.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("List = %v, want the two attacker entries", got)
	}
	for _, e := range got {
		switch e.Prefix {
		case host(l.att4):
			if !e.Expires.IsZero() {
				t.Errorf("permanent v4 block lists Expires %v", e.Expires)
			}
		case host(l.att6):
			if left := time.Until(e.Expires); left < 59*time.Minute || left > time.Hour {
				t.Errorf("v6 block expires in %v, want about an hour", left)
			}
		default:
			t.Errorf("unexpected entry %v", e)
		}
	}
	if out := l.output(t, "ipset", "list", Set6); !strings.Contains(out, l.att6.String()+" timeout ") {
		t.Errorf("ipset list %s does not show %s with a timeout:\n%s", Set6, l.att6, out)
	}

	if err := b.Remove(ctx, []netip.Prefix{host(l.att4), host(l.att6)}); err != nil {
		t.Fatal(err)
	}
	if err := b.Remove(ctx, []netip.Prefix{host(l.att4)}); err != nil {
		t.Fatalf("removing an absent entry: %v", err)
	}
	check("unblocked", append(attacker, bystander...), true)

	if err := b.Teardown(ctx); err != nil {
		t.Fatal(err)
	}
	if rules := l.output(t, "iptables", "-S") + l.output(t, "ip6tables", "-S"); strings.Contains(rules, "psad_block") {
		t.Errorf("rules left after Teardown:\n%s", rules)
	}
	if sets := l.output(t, "ipset", "list", "-n"); strings.Contains(sets, "psad_block") {
		t.Errorf("sets left after Teardown:\n%s", sets)
	}
	if err := b.Teardown(ctx); err != nil {
		t.Errorf("second Teardown: %v", err)
	}
}

func TestTimeoutExpiresByItself(t *testing.T) {
	l := newLab(t)
	ctx := t.Context()
	b := l.backend(t, Config{})
	if err := b.Init(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := b.Add(ctx, []block.Entry{{Prefix: host(l.att4), Expires: start.Add(2 * time.Second)}}); err != nil {
		t.Fatal(err)
	}
	if l.connect(t, l.attacker, l.fw4a) {
		t.Error("attacker connects while blocked")
	}
	// The kernel gives no event when an element times out: poll.
	deadline := start.Add(6 * time.Second)
	for {
		got, err := b.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("entry still present %v after Add: %v", time.Since(start), got)
		}
		time.Sleep(50 * time.Millisecond)
	}
	gone := time.Since(start)
	t.Logf("2 s timeout: gone from the set after %v", gone)
	if gone < 1900*time.Millisecond {
		t.Errorf("entry gone after %v, before its 2 s timeout", gone)
	}
	if !l.connect(t, l.attacker, l.fw4a) {
		t.Error("attacker still blocked after the timeout")
	}
}

func TestRenewalUpdatesInPlace(t *testing.T) {
	l := newLab(t)
	ctx := t.Context()
	b := l.backend(t, Config{})
	if err := b.Init(ctx); err != nil {
		t.Fatal(err)
	}
	p := netip.MustParsePrefix("10.9.0.0/16")
	expires := func() time.Time {
		t.Helper()
		got, err := b.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Prefix != p {
			t.Fatalf("List = %v, want only %v", got, p)
		}
		return got[0].Expires
	}
	for _, tc := range []struct {
		name string
		in   time.Duration // 0: permanent
	}{{"timed", 100 * time.Second}, {"longer", 1000 * time.Second}, {"shorter", 10 * time.Second}, {"permanent", 0}, {"timed again", 50 * time.Second}} {
		var exp time.Time
		if tc.in > 0 {
			exp = time.Now().Add(tc.in)
		}
		if err := b.Add(ctx, []block.Entry{{Prefix: p, Expires: exp}}); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got := expires()
		if tc.in == 0 {
			if !got.IsZero() {
				t.Errorf("%s: Expires %v, want none", tc.name, got)
			}
			continue
		}
		if d := got.Sub(exp); d < -2*time.Second || d > 2*time.Second {
			t.Errorf("%s: Expires %v, want about %v", tc.name, got, exp)
		}
	}
}

func TestFullSet(t *testing.T) {
	l := newLab(t)
	ctx := t.Context()
	b := l.backend(t, Config{MaxElem: 4})
	if err := b.Init(ctx); err != nil {
		t.Fatal(err)
	}
	var entries []block.Entry
	for i := range 6 {
		entries = append(entries, block.Entry{Prefix: host(netip.AddrFrom4([4]byte{10, 5, 0, byte(i + 1)}))})
	}
	err := b.Add(ctx, entries)
	var fe *FullError
	if !errors.As(err, &fe) {
		t.Fatalf("Add of 6 entries to a set of 4: %v, want a *FullError", err)
	}
	if fe.Set != Set4 || fe.MaxElem != 4 || fe.NotAdded != 2 {
		t.Errorf("FullError = %+v, want set %s, maxelem 4, 2 not added", *fe, Set4)
	}
	if !strings.Contains(err.Error(), "raise") {
		t.Errorf("message %q does not say to raise the limit", err)
	}
	if got, _ := b.List(ctx); len(got) != 4 {
		t.Errorf("List holds %d entries, want 4", len(got))
	}
	// Renewing a present entry is no new element: it succeeds when full.
	if err := b.Add(ctx, []block.Entry{{Prefix: entries[0].Prefix, Expires: time.Now().Add(time.Minute)}}); err != nil {
		t.Errorf("renewal in a full set: %v", err)
	}
	// The other family has its own room.
	if err := b.Add(ctx, []block.Entry{{Prefix: host(l.att6)}}); err != nil {
		t.Errorf("v6 add while v4 is full: %v", err)
	}
}

func TestTeardownLeavesForeignSet(t *testing.T) {
	l := newLab(t)
	ctx := t.Context()
	b := l.backend(t, Config{})
	if err := b.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("ipset"); err != nil {
		t.Skip("ipset command not installed")
	}
	l.output(t, "ipset", "create", "foreign", "hash:ip")
	l.output(t, "ipset", "add", "foreign", "10.6.6.6")
	l.output(t, "iptables", "-w", "-A", "INPUT", "-m", "set", "--match-set", "foreign", "src", "-j", "DROP")
	if err := b.Add(ctx, []block.Entry{{Prefix: host(l.att4)}}); err != nil {
		t.Fatal(err)
	}
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := b.List(ctx); err != nil || len(got) != 0 {
		t.Errorf("List after Flush = %v, %v", got, err)
	}
	if err := b.Teardown(ctx); err != nil {
		t.Fatal(err)
	}
	if out := l.output(t, "ipset", "list", "foreign"); !strings.Contains(out, "10.6.6.6") {
		t.Errorf("foreign set changed:\n%s", out)
	}
	if out := l.output(t, "iptables", "-S", "INPUT"); !strings.Contains(out, "--match-set foreign src -j DROP") {
		t.Errorf("foreign rule gone:\n%s", out)
	}
}

func TestTenThousandAdds(t *testing.T) {
	l := newLab(t)
	ctx := t.Context()
	b := l.backend(t, Config{})
	if err := b.Init(ctx); err != nil {
		t.Fatal(err)
	}
	const n = 10_000
	entries := make([]block.Entry, n)
	exp := time.Now().Add(time.Hour)
	for i := range entries {
		entries[i] = block.Entry{Prefix: host(netip.AddrFrom4([4]byte{10, 100 + byte(i>>16), byte(i >> 8), byte(i)})), Expires: exp}
	}
	start := time.Now()
	if err := b.Add(ctx, entries); err != nil {
		t.Fatal(err)
	}
	add := time.Since(start)
	start = time.Now()
	got, err := b.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	list := time.Since(start)
	if len(got) != n {
		t.Fatalf("List holds %d entries, want %d", len(got), n)
	}
	t.Logf("%d adds in %v (%.0f adds/s); List of %d in %v", n, add, n/add.Seconds(), n, list)
	start = time.Now()
	if err := b.Add(ctx, entries); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d renewals in %v", n, time.Since(start))

}

// TestInitGeneration: with iptables-nft an Init after another (which,
// having inserted a match rule, checks once more) runs no iptables
// command, and a match rule deleted by hand is put back by the next
// Init; with iptables-legacy every Init lists.
func TestInitGeneration(t *testing.T) {
	l := newLab(t)
	ctx := t.Context()
	b := l.backend(t, Config{})
	cmds, initRuns := countInits(t, b)
	initRuns("first")
	quick := strings.Contains(l.output(t, "iptables", "-V"), "nf_tables") && strings.Contains(l.output(t, "ip6tables", "-V"), "nf_tables")
	check := func(when string) {
		t.Helper()
		if n := initRuns(when); quick && n != 0 || !quick && n == 0 {
			t.Errorf("Init %s ran %d commands %q; want none with iptables-nft, a listing with legacy", when, n, *cmds)
		}
	}
	check("after one that inserted the rules")
	if err := b.Add(ctx, []block.Entry{{Prefix: host(l.att4)}}); err != nil {
		t.Fatal(err)
	}
	check("after an Add")
	l.output(t, "iptables", "-D", "INPUT", "-m", "set", "--match-set", "psad_block4", "src", "-j", "DROP")
	if n := initRuns("after a match rule was deleted"); n == 0 {
		t.Fatal("Init after someone deleted a match rule ran no command")
	}
	if rules := l.output(t, "iptables", "-S"); strings.Count(rules, "-A INPUT -m set --match-set psad_block4 src -j DROP") != 1 {
		t.Errorf("after Init the match rule is not back once:\n%s", rules)
	}
	check("after one that put the rule back")
	t.Logf("iptables-nft: %v", quick)
}

// TestFlavourSwitch: iptables switched from the nf_tables flavour to
// legacy under a running backend (the test's own links, as
// update-alternatives moves /usr/sbin's): the next Init notices, checks
// in full and inserts the match rules in the legacy tables, whose
// changes the nftables generation would never show.
func TestFlavourSwitch(t *testing.T) {
	netnstest.Require(t, "iptables-nft", "ip6tables-nft", "iptables-legacy", "ip6tables-legacy",
		"iptables-nft-restore", "ip6tables-nft-restore", "iptables-legacy-restore", "ip6tables-legacy-restore")
	l := newLab(t)
	bin := t.TempDir()
	netnstest.IptablesFlavour(t, bin, "nft")
	b := l.backend(t, Config{IPTables: filepath.Join(bin, "iptables"), IP6Tables: filepath.Join(bin, "ip6tables")})
	cmds, initRuns := countInits(t, b)
	initRuns("first")
	if n := initRuns("second, with iptables-nft"); n != 0 {
		t.Fatalf("second Init with iptables-nft ran %d commands %q, want none", n, *cmds)
	}
	netnstest.IptablesFlavour(t, bin, "legacy")
	if n := initRuns("after the switch"); n == 0 {
		t.Fatal("Init after the switch to legacy ran no command")
	}
	for _, r := range []struct{ prog, rule string }{
		{"iptables-legacy", "-A INPUT -m set --match-set psad_block4 src -j DROP"},
		{"ip6tables-legacy", "-A INPUT -m set --match-set psad_block6 src -j DROP"},
	} {
		if rules := l.output(t, r.prog, "-S"); strings.Count(rules, r.rule) != 1 {
			t.Errorf("after the switch %s lacks %q once:\n%s", r.prog, r.rule, rules)
		}
	}
	if n := initRuns("with legacy"); n == 0 {
		t.Error("Init with legacy ran no command")
	}
}

// countInits records the commands b runs; initRuns runs Init and
// returns how many commands it ran, which cmds then lists.
func countInits(t *testing.T, b *Backend) (cmds *[]string, initRuns func(when string) int) {
	cmds = new([]string)
	run := b.run
	b.run = func(ctx context.Context, name string, args ...string) ([]byte, error) {
		*cmds = append(*cmds, name+" "+strings.Join(args, " "))
		return run(ctx, name, args...)
	}
	return cmds, func(when string) int {
		t.Helper()
		*cmds = nil
		if err := b.Init(t.Context()); err != nil {
			t.Fatalf("Init %s: %v", when, err)
		}
		return len(*cmds)
	}
}
