package nft

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/psadgo/psad/internal/block"
)

func errorsAs(err error, target any) bool { return errors.As(err, target) }

func pfx(s string) netip.Prefix {
	if !strings.Contains(s, "/") {
		a := netip.MustParseAddr(s)
		return netip.PrefixFrom(a, a.BitLen())
	}
	return netip.MustParsePrefix(s)
}

func find(es []block.Entry, p netip.Prefix) (block.Entry, bool) {
	for _, e := range es {
		if e.Prefix == p {
			return e, true
		}
	}
	return block.Entry{}, false
}

func list(t *testing.T, b *Backend) []block.Entry {
	t.Helper()
	es, err := b.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// TestBlockTraffic blocks the attacker's v4 and v6 addresses and checks
// real connections: the attacker's SYNs are dropped, the bystander still
// connects, and Remove lets the attacker back.
func TestBlockTraffic(t *testing.T) {
	l := newLab(t)
	b := l.backend(t, Config{})
	ctx := context.Background()
	for _, a := range []string{fwA4, fwA6} {
		l.mustConnect(t, l.attacker, a)
	}
	entries := []block.Entry{{Prefix: pfx(atk4), Expires: time.Now().Add(time.Hour)}, {Prefix: pfx(atk6)}}
	if err := b.Add(ctx, entries); err != nil {
		t.Fatal(err)
	}
	returned := time.Now()
	es := list(t, b)
	t.Logf("Add return to List holding both: %v", time.Since(returned))
	if _, ok := find(es, pfx(atk4)); !ok {
		t.Fatalf("List after Add = %v, want %s", es, atk4)
	}
	if e, ok := find(es, pfx(atk6)); !ok || !e.Expires.IsZero() {
		t.Fatalf("List after Add = %v, want %s without expiry", es, atk6)
	}
	l.mustBeBlocked(t, l.attacker, fwA4)
	l.mustBeBlocked(t, l.attacker, fwA6)
	l.mustConnect(t, l.bystander, fwB4)
	l.mustConnect(t, l.bystander, fwB6)

	rs := l.ruleset(t)
	for _, want := range []string{"ip saddr @block4 drop", "ip6 saddr @block6 drop", "ip daddr @block4 drop",
		"flags interval,timeout", atk4 + " timeout ", atk6} {
		if !strings.Contains(rs, want) {
			t.Errorf("nft list ruleset lacks %q:\n%s", want, rs)
		}
	}

	// Adding again is not an error, and removing twice neither.
	if err := b.Add(ctx, entries); err != nil {
		t.Fatalf("second Add: %v", err)
	}
	for range 2 {
		if err := b.Remove(ctx, []netip.Prefix{pfx(atk4), pfx(atk6)}); err != nil {
			t.Fatal(err)
		}
	}
	if es := list(t, b); len(es) != 0 {
		t.Fatalf("List after Remove = %v, want empty", es)
	}
	l.mustConnect(t, l.attacker, fwA4)
	l.mustConnect(t, l.attacker, fwA6)
}

// TestKernelTimeout gives a block 2 s and lets the kernel expire it.
func TestKernelTimeout(t *testing.T) {
	l := newLab(t)
	b := l.backend(t, Config{})
	ctx := context.Background()
	start := time.Now()
	exp := start.Add(2 * time.Second)
	if err := b.Add(ctx, []block.Entry{{Prefix: pfx(atk4), Expires: exp}, {Prefix: pfx(atk6), Expires: exp}}); err != nil {
		t.Fatal(err)
	}
	es := list(t, b)
	for _, p := range []netip.Prefix{pfx(atk4), pfx(atk6)} {
		e, ok := find(es, p)
		if !ok {
			t.Fatalf("List = %v, want %s", es, p)
		}
		if d := e.Expires.Sub(exp); d > 50*time.Millisecond || d < -200*time.Millisecond {
			t.Errorf("%s expires %v, want about %v (off by %v)", p, e.Expires, exp, d)
		}
	}
	l.mustBeBlocked(t, l.attacker, fwA4)
	// The kernel sends no event when an element times out: poll.
	deadline := time.Now().Add(10 * time.Second)
	for len(list(t, b)) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("still listed 10 s after a 2 s timeout: %v", list(t, b))
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("gone from the sets %v after Add, asked for 2s", time.Since(start))
	if time.Now().Before(exp) {
		t.Fatalf("gone before its timeout")
	}
	l.mustConnect(t, l.attacker, fwA4)
	l.mustConnect(t, l.attacker, fwA6)
	// A new block of the same address works after the kernel's expiry.
	if err := b.Add(ctx, []block.Entry{{Prefix: pfx(atk4)}}); err != nil {
		t.Fatal(err)
	}
	l.mustBeBlocked(t, l.attacker, fwA4)
	// An entry whose expiry has passed is a removal.
	if err := b.Add(ctx, []block.Entry{{Prefix: pfx(atk4), Expires: time.Now().Add(-time.Second)}}); err != nil {
		t.Fatal(err)
	}
	if es := list(t, b); len(es) != 0 {
		t.Fatalf("List after Add of an expired entry = %v, want empty", es)
	}
}

// TestRenewal renews a short block many times while another goroutine
// lists the sets and the attacker keeps trying to connect: the address
// must never be missing, and it outlives its first timeout.
func TestRenewal(t *testing.T) {
	l := newLab(t)
	b := l.backend(t, Config{})
	ctx := context.Background()
	first := time.Now().Add(time.Second)
	if err := b.Add(ctx, []block.Entry{{Prefix: pfx(atk4), Expires: first}}); err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	var lists, missing atomic.Int64
	watcher, err := New(Config{NetNS: l.fw.fd})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for !stop.Load() {
			es, err := watcher.List(ctx)
			if err != nil {
				t.Logf("List error: %v", err)
				missing.Add(1)
				continue
			}
			lists.Add(1)
			if _, ok := find(es, pfx(atk4)); !ok {
				missing.Add(1)
			}
		}
	}()
	renewals := 0
	dials := 0
	for time.Now().Before(first.Add(500 * time.Millisecond)) {
		if err := b.Add(ctx, []block.Entry{{Prefix: pfx(atk4), Expires: time.Now().Add(time.Second)}}); err != nil {
			t.Fatal(err)
		}
		renewals++
		if renewals%20 == 0 {
			l.mustBeBlocked(t, l.attacker, fwA4)
			dials++
		}
	}
	stop.Store(true)
	<-done
	t.Logf("%d renewals, %d blocked dials, %d concurrent Lists, %d without the address", renewals, dials, lists.Load(), missing.Load())
	if missing.Load() != 0 {
		t.Fatalf("address missing from %d of %d Lists during renewal", missing.Load(), lists.Load())
	}
	e, ok := find(list(t, b), pfx(atk4))
	if !ok || !e.Expires.After(first) {
		t.Fatalf("after renewals: %v, %v; want expiry after %v", e, ok, first)
	}
	l.mustBeBlocked(t, l.attacker, fwA4)
}

// TestNetworks blocks networks, including ones reaching the top of the
// address space (no interval end element), and rejects an overlap.
func TestNetworks(t *testing.T) {
	l := newLab(t)
	b := l.backend(t, Config{})
	ctx := context.Background()
	nets := []netip.Prefix{pfx("10.201.1.0/24"), pfx("fd00:201:1::/64"), pfx("240.0.0.0/4"), pfx("ffff::/16"), pfx("192.0.2.7")}
	var es []block.Entry
	for _, p := range nets {
		es = append(es, block.Entry{Prefix: p})
	}
	if err := b.Add(ctx, es); err != nil {
		t.Fatal(err)
	}
	got := list(t, b)
	for _, p := range nets {
		if _, ok := find(got, p); !ok {
			t.Errorf("List = %v, want %s", got, p)
		}
	}
	if len(got) != len(nets) {
		t.Errorf("List has %d entries, want %d: %v", len(got), len(nets), got)
	}
	l.mustBeBlocked(t, l.attacker, fwA4)
	l.mustBeBlocked(t, l.attacker, fwA6)
	l.mustConnect(t, l.bystander, fwB4)
	err := b.Add(ctx, []block.Entry{{Prefix: pfx(atk4)}})
	if err == nil || !strings.Contains(err.Error(), `"10.201.1.0/24"`) {
		t.Fatalf("Add inside a blocked network: %v, want an overlap error naming it", err)
	}
	if err := b.Remove(ctx, nets); err != nil {
		t.Fatal(err)
	}
	if got := list(t, b); len(got) != 0 {
		t.Fatalf("List after Remove = %v", got)
	}
	l.mustConnect(t, l.attacker, fwA4)
}

// TestBulk adds 10,000 addresses in one call, renews them all, and
// flushes.
func TestBulk(t *testing.T) {
	l := newLab(t)
	b := l.backend(t, Config{})
	ctx := context.Background()
	const n = 10000
	es := make([]block.Entry, 0, n)
	for i := range n {
		es = append(es, block.Entry{Prefix: pfx(fmt.Sprintf("10.100.%d.%d", i/250, 1+i%250)), Expires: time.Now().Add(time.Hour)})
	}
	start := time.Now()
	if err := b.Add(ctx, es); err != nil {
		t.Fatal(err)
	}
	d := time.Since(start)
	t.Logf("Add of %d new addresses: %v (%.0f/s)", n, d, n/d.Seconds())
	if got := len(list(t, b)); got != n {
		t.Fatalf("List has %d entries, want %d", got, n)
	}
	start = time.Now()
	if err := b.Add(ctx, es); err != nil {
		t.Fatal(err)
	}
	d = time.Since(start)
	t.Logf("renewal of %d present addresses: %v (%.0f/s)", n, d, n/d.Seconds())
	start = time.Now()
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("Flush of %d: %v", n, time.Since(start))
	if got := list(t, b); len(got) != 0 {
		t.Fatalf("List after Flush has %d entries", len(got))
	}
	if err := b.Flush(ctx); err != nil {
		t.Fatalf("Flush of empty sets: %v", err)
	}
}

// TestInitTeardownLeaveOthers checks that Init is idempotent and keeps
// entries, that a changed config drops our stale chains, and that
// Teardown removes our table only: a foreign inet table and an ip table
// of the same name stay exactly as they were.
func TestInitTeardownLeaveOthers(t *testing.T) {
	l := newLab(t)
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("nft binary not installed: cannot create the foreign tables")
	}
	nft := func(args ...string) string {
		return run(t, "ip", append([]string{"netns", "exec", l.fw.name, "nft"}, args...)...)
	}
	nft("add table inet foreign")
	nft("add chain inet foreign input { type filter hook input priority 0; policy accept; }")
	nft("add set inet foreign s { type ipv4_addr; }")
	nft("add element inet foreign s { 192.0.2.1 }")
	nft("add rule inet foreign input ip saddr @s counter drop")
	nft("add table ip psad")
	nft("add chain ip psad c")
	before := l.ruleset(t)

	b := l.backend(t, Config{})
	ctx := context.Background()
	if err := b.Add(ctx, []block.Entry{{Prefix: pfx(atk4)}}); err != nil {
		t.Fatal(err)
	}
	once := l.ruleset(t)
	if err := b.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if twice := l.ruleset(t); twice != once {
		t.Fatalf("second Init changed the ruleset:\n%s\nwant:\n%s", twice, once)
	}
	l.mustBeBlocked(t, l.attacker, fwA4)

	// A container host's config: prerouting added, output dropped.
	b2 := l.backend(t, Config{Chains: []Chain{
		{Hook: "prerouting", Priority: -150, Direction: Src},
		{Hook: "input", Priority: -10},
		{Hook: "forward", Priority: -10, Direction: Both},
	}})
	rs := l.ruleset(t)
	if !strings.Contains(rs, "chain prerouting") || strings.Contains(rs, "chain output") {
		t.Fatalf("after Init with new chains:\n%s", rs)
	}
	if _, ok := find(list(t, b2), pfx(atk4)); !ok {
		t.Fatalf("Init lost the block")
	}

	if err := b2.Teardown(ctx); err != nil {
		t.Fatal(err)
	}
	if after := l.ruleset(t); after != before {
		t.Fatalf("Teardown left:\n%s\nwant what was there before:\n%s", after, before)
	}
	if err := b2.Teardown(ctx); err != nil {
		t.Fatalf("second Teardown: %v", err)
	}
	l.mustConnect(t, l.attacker, fwA4)
}

// TestInitChecksGeneration: an Init with no commit since the last one
// that made the table whole, or only our own block commits, commits
// nothing; any other commit in the namespace, here one deleting our
// table, makes it check and restore the table in full.
func TestInitChecksGeneration(t *testing.T) {
	l := newLab(t)
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("nft binary not installed: cannot change the ruleset from outside")
	}
	b := l.backend(t, Config{})
	ctx := context.Background()
	gen := func() uint32 {
		t.Helper()
		g, err := b.gen.Generation(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	initCommits := func() uint32 {
		t.Helper()
		g := gen()
		if err := b.Init(ctx); err != nil {
			t.Fatal(err)
		}
		return gen() - g
	}
	if n := initCommits(); n != 0 {
		t.Errorf("Init right after Init made %d commits, want 0", n)
	}
	if err := b.Add(ctx, []block.Entry{{Prefix: pfx(atk4)}}); err != nil {
		t.Fatal(err)
	}
	if err := b.Remove(ctx, []netip.Prefix{pfx(atk4)}); err != nil {
		t.Fatal(err)
	}
	if err := b.Add(ctx, []block.Entry{{Prefix: pfx(atk4)}}); err != nil {
		t.Fatal(err)
	}
	if n := initCommits(); n != 0 {
		t.Errorf("Init after our own Add and Remove made %d commits, want 0", n)
	}
	run(t, "ip", "netns", "exec", l.fw.name, "nft", "add table inet foreign")
	if n := initCommits(); n != 1 {
		t.Errorf("Init after a foreign commit made %d commits, want 1 (the full check)", n)
	}
	run(t, "ip", "netns", "exec", l.fw.name, "nft", "delete table inet psad")
	l.mustConnect(t, l.attacker, fwA4)
	if n := initCommits(); n != 1 {
		t.Errorf("Init after our table was deleted made %d commits, want 1", n)
	}
	if err := b.Add(ctx, []block.Entry{{Prefix: pfx(atk4)}}); err != nil {
		t.Fatal(err)
	}
	l.mustBeBlocked(t, l.attacker, fwA4)
}
