package block_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/psadgo/psad/internal/block"
	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/netset"
	"github.com/psadgo/psad/internal/psaddir"
	"github.com/psadgo/psad/internal/scan"
)

// fake is an in-memory Backend that records its calls. When gate is set,
// Add waits for it (or ctx), standing for a stuck firewall.
type fake struct {
	name string
	gate chan struct{}

	mu      sync.Mutex
	entries map[netip.Prefix]block.Entry
	calls   []string
}

func newFake(name string) *fake { return &fake{name: name, entries: map[netip.Prefix]block.Entry{}} }

func (f *fake) Name() string { return f.name }
func (f *fake) Init(context.Context) error {
	f.record("init")
	return nil
}

func (f *fake) Add(ctx context.Context, es []block.Entry) error {
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range es {
		f.entries[e.Prefix] = e
		f.calls = append(f.calls, "add "+e.Prefix.String())
	}
	return nil
}

func (f *fake) Remove(_ context.Context, ps []netip.Prefix) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range ps {
		delete(f.entries, p)
		f.calls = append(f.calls, "remove "+p.String())
	}
	return nil
}

func (f *fake) List(context.Context) ([]block.Entry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []block.Entry
	for _, e := range f.entries {
		out = append(out, e)
	}
	return out, nil
}

func (f *fake) Flush(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.entries)
	f.calls = append(f.calls, "flush")
	return nil
}

func (f *fake) Teardown(context.Context) error { return f.Flush(context.Background()) }

func (f *fake) record(c string) {
	f.mu.Lock()
	f.calls = append(f.calls, c)
	f.mu.Unlock()
}

// takeCalls returns the calls since the last take, init left out.
func (f *fake) takeCalls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := slices.DeleteFunc(f.calls, func(c string) bool { return c == "init" })
	f.calls = nil
	return out
}

func (f *fake) has(p string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.entries[netip.MustParsePrefix(p)]
	return ok
}

// memStore is a Store in memory.
type memStore struct {
	mu   sync.Mutex
	recs map[netip.Prefix]block.Record
}

func (m *memStore) Load() ([]block.Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []block.Record
	for _, r := range m.recs {
		out = append(out, r)
	}
	return out, nil
}

func (m *memStore) Write(put []block.Record, del []netip.Prefix) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.recs == nil {
		m.recs = map[netip.Prefix]block.Record{}
	}
	for _, r := range put {
		m.recs[r.Prefix] = r
	}
	for _, p := range del {
		delete(m.recs, p)
	}
	return nil
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func baseConfig() block.Config {
	return block.Config{
		Threshold: 3,
		Timeout:   time.Hour,
		DLTimeout: [6]time.Duration{0, time.Hour, time.Hour, 10 * time.Minute, 20 * time.Minute, 0},
	}
}

func src(addr string, dl int) *scan.Source {
	return &scan.Source{Addr: netip.MustParseAddr(addr), DL: dl}
}

func listed(p *block.Policy) []string {
	var out []string
	for _, s := range p.List() {
		out = append(out, s.Prefix.String())
	}
	return out
}

// TestDecide covers the decision rules: the threshold, psad's exemptions
// widened to IPv6, the host's addresses, the whitelist, HOME_NET,
// auto_dl level 0 and the prefix regex.
func TestDecide(t *testing.T) {
	home := netset.MustParse("10.0.0.0/8")
	white := netset.MustParse("192.0.2.0/24, 2001:db8:1::/48")
	tests := []struct {
		name  string
		tweak func(*block.Config)
		src   *scan.Source
		block bool
	}{
		{"below threshold", nil, src("203.0.113.1", 2), false},
		{"at threshold", nil, src("203.0.113.1", 3), true},
		{"v6 at DL 5", nil, src("2001:db8:2::1", 5), true},
		{"v4-mapped blocked as v4", nil, src("::ffff:203.0.113.9", 5), true},
		{"127.0.0.1", nil, src("127.0.0.1", 5), false},
		{"127.1.2.3", nil, src("127.1.2.3", 5), false},
		{"::1", nil, src("::1", 5), false},
		{"0.0.0.0", nil, src("0.0.0.0", 5), false},
		{"::", nil, src("::", 5), false},
		{"own address", func(c *block.Config) {
			c.Own = func() []netip.Addr { return []netip.Addr{netip.MustParseAddr("198.51.100.5")} }
		}, src("198.51.100.5", 5), false},
		{"whitelist v4", func(c *block.Config) { c.Whitelist = &white }, src("192.0.2.77", 5), false},
		{"whitelist v6", func(c *block.Config) { c.Whitelist = &white }, src("2001:db8:1::9", 5), false},
		{"outside whitelist", func(c *block.Config) { c.Whitelist = &white }, src("2001:db8:2::9", 5), true},
		{"HOME_NET protected", func(c *block.Config) { c.HomeNet = home.Contains }, src("10.1.1.1", 5), false},
		{"HOME_NET not protected", nil, src("10.1.1.1", 5), true},
		{"auto_dl ignored", func(c *block.Config) {
			c.Ignored = func(a netip.Addr) bool { return a == netip.MustParseAddr("203.0.113.1") }
		}, src("203.0.113.1", 5), false},
		{"regex no match", func(c *block.Config) {
			c.PrefixRegex = regexp.MustCompile("ESTAB")
			c.Prefixes = func(*scan.Source) []string { return []string{"DROP"} }
		}, src("203.0.113.1", 5), false},
		{"regex match", func(c *block.Config) {
			c.PrefixRegex = regexp.MustCompile("ESTAB")
			c.Prefixes = func(*scan.Source) []string { return []string{"DROP", "SID1 ESTAB"} }
		}, src("203.0.113.1", 5), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := baseConfig()
			if tt.tweak != nil {
				tt.tweak(&cfg)
			}
			p := block.New(cfg, nil, &memStore{}, quiet)
			p.Raised(time.Now(), tt.src, 0)
			if got := len(p.List()) == 1; got != tt.block {
				t.Errorf("blocked = %v, want %v (list %v)", got, tt.block, listed(p))
			}
			if !tt.block && tt.src.DL >= cfg.Threshold && p.Stats().NeverBlocked+boolInt(cfg.PrefixRegex != nil) == 0 {
				t.Error("a refused block is not counted")
			}
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestPerDLTimeouts: the expiry comes from AUTO_BLOCK_DL<dl>_TIMEOUT, 0
// being permanent.
func TestPerDLTimeouts(t *testing.T) {
	p := block.New(baseConfig(), nil, &memStore{}, quiet)
	now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	p.Raised(now, src("203.0.113.3", 3), 2)
	p.Raised(now, src("203.0.113.4", 4), 0)
	p.Raised(now, src("203.0.113.5", 5), 0)
	want := map[string]time.Time{
		"203.0.113.3/32": now.Add(10 * time.Minute),
		"203.0.113.4/32": now.Add(20 * time.Minute),
		"203.0.113.5/32": {},
	}
	for _, s := range p.List() {
		if w, ok := want[s.Prefix.String()]; !ok || !s.Expires.Equal(w) || s.State != block.Blocked {
			t.Errorf("%s: expires %v state %v, want %v blocked", s.Prefix, s.Expires, s.State, w)
		}
	}
	if len(p.List()) != 3 {
		t.Errorf("List = %v", listed(p))
	}
}

type sink struct {
	mu    sync.Mutex
	lines []string
}

func (s *sink) add(l string) {
	s.mu.Lock()
	s.lines = append(s.lines, l)
	s.mu.Unlock()
}

func (s *sink) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.lines
	s.lines = nil
	return out
}

// start runs p in the bubble and stops it at the end of the test.
func start(t *testing.T, p *block.Policy) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	go p.Run(ctx)
	t.Cleanup(func() {
		if err := p.Close(context.Background()); err != nil {
			t.Error(err)
		}
		cancel()
	})
	synctest.Wait()
}

// TestExpiryAndTexts: a block is added with psad's texts, expires at the
// first Tick after its timeout, and is removed with psad's texts.
func TestExpiryAndTexts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs, mails sink
		cfg := baseConfig()
		cfg.Syslog = logs.add
		cfg.Notify = func(subject, body string) { mails.add(subject + "|" + body) }
		cfg.Emails, cfg.EmailDL, cfg.MailPrefix = true, 1, "[psad-status]"
		f := newFake("iptables")
		p := block.New(cfg, []block.Backend{f}, &memStore{}, quiet)
		start(t, p)

		p.Raised(time.Now(), src("203.0.113.3", 3), 2)
		synctest.Wait()
		if got, want := f.takeCalls(), []string{"add 203.0.113.3/32"}; !slices.Equal(got, want) {
			t.Fatalf("calls = %q, want %q", got, want)
		}
		if got, want := logs.take(), []string{"added iptables auto-block against 203.0.113.3 for 600 seconds"}; !slices.Equal(got, want) {
			t.Errorf("syslog = %q, want %q", got, want)
		}
		if got, want := mails.take(), []string{"[psad-status] added iptables auto-block against 203.0.113.3 for 600 seconds|"}; !slices.Equal(got, want) {
			t.Errorf("mail = %q, want %q", got, want)
		}
		if s := p.List(); len(s) != 1 || !slices.Equal(s[0].Backends, []string{"iptables"}) {
			t.Errorf("List = %+v", s)
		}

		time.Sleep(10 * time.Minute)
		p.Tick(time.Now())
		synctest.Wait()
		if got := f.takeCalls(); len(got) != 0 {
			t.Errorf("at exactly the timeout: calls %q (psad removes only after it)", got)
		}
		time.Sleep(time.Second)
		p.Tick(time.Now())
		synctest.Wait()
		if got, want := f.takeCalls(), []string{"remove 203.0.113.3/32"}; !slices.Equal(got, want) {
			t.Errorf("calls = %q, want %q", got, want)
		}
		if got, want := logs.take(), []string{"removed iptables auto-block against 203.0.113.3"}; !slices.Equal(got, want) {
			t.Errorf("syslog = %q, want %q", got, want)
		}
		if got, want := mails.take(), []string{"[psad-status] removed iptables block against 203.0.113.3|"}; !slices.Equal(got, want) {
			t.Errorf("mail = %q, want %q", got, want)
		}
		if len(p.List()) != 0 {
			t.Errorf("List after expiry = %v", listed(p))
		}
	})
}

// TestRenewalDoesNotRemove: a source that rises to a level with a longer
// (here permanent) timeout is renewed in place: Add again, never Remove.
func TestRenewalDoesNotRemove(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs sink
		cfg := baseConfig()
		cfg.Syslog = logs.add
		f := newFake("nftables")
		p := block.New(cfg, []block.Backend{f}, &memStore{}, quiet)
		start(t, p)
		s := src("203.0.113.3", 3)
		p.Raised(time.Now(), s, 2)
		synctest.Wait()
		s.DL = 5
		p.Raised(time.Now(), s, 3)
		synctest.Wait()
		if got, want := f.takeCalls(), []string{"add 203.0.113.3/32", "add 203.0.113.3/32"}; !slices.Equal(got, want) {
			t.Errorf("calls = %q, want %q", got, want)
		}
		st := p.List()
		if len(st) != 1 || st[0].State != block.Renewed || !st[0].Expires.IsZero() || st[0].DL != 5 {
			t.Errorf("List = %+v, want one renewed permanent DL 5 block", st)
		}
		if got := logs.take(); len(got) != 2 || got[1] != "renewed nftables auto-block against 203.0.113.3 (unlimited timeout)" {
			t.Errorf("syslog = %q", got)
		}
		time.Sleep(48 * time.Hour)
		p.Tick(time.Now())
		synctest.Wait()
		if got := f.takeCalls(); len(got) != 0 {
			t.Errorf("a permanent block: calls %q", got)
		}
	})
}

// TestRaisedNeverBlocks: with a backend stuck in Add, the daemon's loop
// still decides for thousands of sources without waiting.
func TestRaisedNeverBlocks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake("stuck")
		f.gate = make(chan struct{})
		p := block.New(baseConfig(), []block.Backend{f}, &memStore{}, quiet)
		start(t, p)
		p.Raised(time.Now(), src("203.0.113.1", 5), 0)
		synctest.Wait() // the applier is now stuck in Add
		for i := range 5000 {
			p.Raised(time.Now(), src(fmt.Sprintf("10.%d.%d.1", i/256, i%256), 5), 0)
			p.Tick(time.Now())
		}
		if n := len(p.List()); n != 5001 {
			t.Errorf("List has %d blocks, want 5001", n)
		}
		close(f.gate)
		synctest.Wait()
		f.mu.Lock()
		n := len(f.entries)
		f.mu.Unlock()
		if n != 5001 {
			t.Errorf("backend holds %d, want 5001 once unstuck", n)
		}
	})
}

// TestStickAcrossRestart: blocks, unblocks and a flush are kept in the
// daemon's store; a new Policy on it renews the active block without a
// Remove, keeps the unblocked address unblocked against a new scan and
// does not bring back the flushed one.
func TestStickAcrossRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "state.db")
		st, err := psaddir.OpenStore(path)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		f := newFake("iptables")
		p := block.New(baseConfig(), []block.Backend{f}, st.Blocks(), quiet)
		runCtx, cancel := context.WithCancel(ctx)
		go p.Run(runCtx)
		synctest.Wait()
		p.Raised(time.Now(), src("203.0.113.1", 5), 0) // stays
		p.Raised(time.Now(), src("203.0.113.2", 5), 0) // unblocked
		synctest.Wait()
		if err := p.Unblock(ctx, netip.MustParsePrefix("203.0.113.2/32")); err != nil {
			t.Fatal(err)
		}
		if err := p.Block(ctx, netip.MustParsePrefix("198.51.100.0/24"), 0); err != nil {
			t.Fatal(err)
		}
		if !f.has("198.51.100.0/24") {
			t.Error("a manual network block is not a network")
		}
		if err := p.Close(ctx); err != nil {
			t.Fatal(err)
		}
		cancel()
		st.Close()

		// Restart with FLUSH_IPT_AT_INIT: the firewall is emptied, the
		// stored blocks come back.
		st, err = psaddir.OpenStore(path)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		f.takeCalls()
		cfg := baseConfig()
		cfg.FlushAtInit = true
		p = block.New(cfg, []block.Backend{f}, st.Blocks(), quiet)
		start(t, p)
		if got, want := f.takeCalls(), []string{"flush", "add 198.51.100.0/24", "add 203.0.113.1/32"}; !slices.Equal(got, want) {
			t.Errorf("restart calls = %q, want %q", got, want)
		}
		if got, want := listed(p), []string{"198.51.100.0/24", "203.0.113.1/32"}; !slices.Equal(got, want) {
			t.Errorf("List = %q, want %q", got, want)
		}
		p.Raised(time.Now(), src("203.0.113.2", 5), 0)
		synctest.Wait()
		if f.has("203.0.113.2/32") {
			t.Error("an unblocked address was blocked again by a scan within its period")
		}

		if err := p.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if len(p.List()) != 0 || f.has("203.0.113.1/32") {
			t.Errorf("after Flush: List %v", listed(p))
		}
		p2 := block.New(baseConfig(), nil, st.Blocks(), quiet)
		if got := p2.List(); len(got) != 0 {
			t.Errorf("flushed blocks come back on restart: %+v", got)
		}
	})
}

// TestReconcile: drift both ways is repaired and counted; an entry with
// no record is left to its owner.
func TestReconcile(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		f := newFake("ipset")
		p := block.New(baseConfig(), []block.Backend{f}, &memStore{}, quiet)
		start(t, p)
		p.Raised(time.Now(), src("203.0.113.1", 5), 0)
		p.Raised(time.Now(), src("203.0.113.2", 5), 0)
		synctest.Wait()
		if err := p.Unblock(ctx, netip.MustParsePrefix("203.0.113.2/32")); err != nil {
			t.Fatal(err)
		}
		f.mu.Lock()
		delete(f.entries, netip.MustParsePrefix("203.0.113.1/32")) // deleted by hand
		f.entries[netip.MustParsePrefix("203.0.113.2/32")] = block.Entry{Prefix: netip.MustParsePrefix("203.0.113.2/32")}
		f.entries[netip.MustParsePrefix("192.0.2.99/32")] = block.Entry{Prefix: netip.MustParsePrefix("192.0.2.99/32")}
		f.mu.Unlock()
		f.takeCalls()

		if err := p.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		if got, want := f.takeCalls(), []string{"add 203.0.113.1/32", "remove 203.0.113.2/32"}; !slices.Equal(got, want) {
			t.Errorf("calls = %q, want %q", got, want)
		}
		if !f.has("192.0.2.99/32") {
			t.Error("reconcile removed an entry it has no record of")
		}
		s := p.Stats()
		if s.Repairs[block.Key{Backend: "ipset", Action: "readd"}] != 1 || s.Repairs[block.Key{Backend: "ipset", Action: "remove"}] != 1 {
			t.Errorf("Repairs = %v", s.Repairs)
		}
		if s.Active["ipset"] != 1 {
			t.Errorf("Active = %v", s.Active)
		}

		// The periodic reconcile repairs without being asked.
		f.mu.Lock()
		clear(f.entries)
		f.mu.Unlock()
		time.Sleep(block.DefaultReconcileEvery)
		synctest.Wait()
		if !f.has("203.0.113.1/32") {
			t.Error("the periodic reconcile did not re-add a lost block")
		}
	})
}

// TestManualNeverBlock: Block refuses networks holding an address never
// to be blocked.
func TestManualNeverBlock(t *testing.T) {
	white := netset.MustParse("192.0.2.0/24")
	cfg := baseConfig()
	cfg.Whitelist = &white
	cfg.Own = func() []netip.Addr { return []netip.Addr{netip.MustParseAddr("198.51.100.5")} }
	cfg.IgnoredNets = []netip.Prefix{netip.MustParsePrefix("203.0.113.64/26")}
	cfg.IgnoredFile = "/etc/psad/auto_dl"
	p := block.New(cfg, nil, &memStore{}, quiet)
	for _, s := range []string{"0.0.0.0/0", "127.0.0.0/8", "::1/128", "::/0", "198.51.100.0/24", "192.0.0.0/16", "203.0.113.70/32", "203.0.113.0/24"} {
		if err := p.Block(context.Background(), netip.MustParsePrefix(s), 0); !errors.Is(err, block.ErrNeverBlock) {
			t.Errorf("Block(%s) = %v, want ErrNeverBlock", s, err)
		}
	}
	want := "203.0.113.70/32 overlaps with whitelisted 203.0.113.64/26 in /etc/psad/auto_dl: never blocked"
	if err := p.Block(context.Background(), netip.MustParsePrefix("203.0.113.70/32"), 0); err == nil || err.Error() != want {
		t.Errorf("Block(203.0.113.70) = %v, want %q", err, want)
	}
}

// TestPrefixRegexThisBatch: with ENABLE_AUTO_IDS_REGEX, psad blocks only
// when a packet of the batch that raised the source carried a matching
// log prefix; a match in an earlier batch does not count.
func TestPrefixRegexThisBatch(t *testing.T) {
	for _, tt := range []struct {
		name          string
		first, second string // the two batches' log prefixes
		block         bool
	}{
		{"match in the raising batch", "DROP", "SID1 ESTAB", true},
		{"match only in an earlier batch", "SID1 ESTAB", "DROP", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := baseConfig()
			cfg.Threshold = 2
			cfg.PrefixRegex = regexp.MustCompile("ESTAB")
			p := block.New(cfg, nil, &memStore{}, quiet)
			tr := scan.NewTracker(scan.DefaultSettings())
			tr.OnRaise = func(s *scan.Source, old int) { p.Raised(time.Now(), s, old) }
			port := 1000
			send := func(prefix, dst string, n int) {
				for range n {
					var pk fwlog.Packet
					pk.Reset()
					pk.Src, pk.Dst = netip.MustParseAddr("203.0.113.1"), netip.MustParseAddr(dst)
					pk.Proto, pk.HasProto, pk.Chain, pk.Intf = fwlog.ProtoTCP, true, fwlog.ChainInput, []byte("eth0")
					pk.Prefix = []byte(prefix)
					pk.SrcPort, pk.DstPort, pk.Flags = 40000, port, fwlog.FlagSYN
					port++
					tr.Observe(time.Now(), &pk)
				}
				tr.EndBatch()
			}
			// The earlier batch goes to another host: its pair keeps its
			// own batch detail.
			send(tt.first, "192.168.10.1", 5) // DL 1
			send(tt.second, "192.168.10.2", 15)
			if dl := tr.Source(netip.MustParseAddr("203.0.113.1")).DL; dl != 2 {
				t.Fatalf("DL %d after the second batch, want 2", dl)
			}
			if got := len(p.List()) == 1; got != tt.block {
				t.Errorf("blocked = %v, want %v", got, tt.block)
			}
		})
	}
}

// TestBlockedOncePerBlock: the Blocked hook (EXTERNAL_BLOCK_SCRIPT) runs
// once for each block the firewalls took, however many firewalls there
// are, for a renewal at start too, and not for an unblock; Done comes
// after the last of them.
func TestBlockedOncePerBlock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var got []string
		done := false
		cfg := baseConfig()
		cfg.Blocked = func(r block.Record) {
			mu.Lock()
			got = append(got, r.State.String()+" "+r.Prefix.String())
			mu.Unlock()
		}
		cfg.Done = func() { mu.Lock(); done = true; mu.Unlock() }
		st := &memStore{}
		p := block.New(cfg, []block.Backend{newFake("a"), newFake("b")}, st, quiet)
		start(t, p)
		p.Raised(time.Now(), src("203.0.113.1", 4), 0)
		p.Raised(time.Now(), src("203.0.113.2", 2), 0) // below the threshold
		p.Tick(time.Now())
		synctest.Wait()
		if err := p.Unblock(context.Background(), netip.MustParsePrefix("203.0.113.1/32")); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		mu.Lock()
		if want := []string{"blocked 203.0.113.1/32"}; !slices.Equal(got, want) {
			t.Errorf("Blocked calls %q, want %q", got, want)
		}
		mu.Unlock()
		p.Raised(time.Now(), src("203.0.113.3", 5), 0)
		p.Tick(time.Now())
		synctest.Wait()
		if err := p.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		if !done || len(got) != 2 {
			t.Errorf("after Close: done %v, calls %q", done, got)
		}
		got = nil
		mu.Unlock()

		// A new policy on the same store renews the active block.
		p = block.New(cfg, []block.Backend{newFake("a")}, st, quiet)
		start(t, p)
		synctest.Wait()
		mu.Lock()
		if want := []string{"renewed 203.0.113.3/32"}; !slices.Equal(got, want) {
			t.Errorf("Blocked calls at start %q, want %q", got, want)
		}
		mu.Unlock()
	})
}

// inits counts the backend's Init calls so far.
func (f *fake) inits() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c == "init" {
			n++
		}
	}
	return n
}

// TestPrereqEvery: IPTABLES_PREREQ_CHECK decides before which batches
// of blocks the backends' prerequisites are restored (Init): 1 before
// every batch, 3 before batches 1, 4 and 7, 0 after the start never.
// Reconciliation restores them too unless it is 0.
func TestPrereqEvery(t *testing.T) {
	for _, tt := range []struct {
		every int
		want  []int // Init calls after each of 7 batches, the start's included
	}{
		{1, []int{3, 4, 5, 6, 7, 8, 9}},
		{3, []int{3, 3, 3, 4, 4, 4, 5}},
		{0, []int{1, 1, 1, 1, 1, 1, 1}},
	} {
		t.Run(fmt.Sprint(tt.every), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFake("iptables")
				cfg := baseConfig()
				cfg.PrereqEvery = tt.every
				p := block.New(cfg, []block.Backend{f}, &memStore{}, quiet)
				start(t, p) // Init, and once more in the start's reconciliation unless 0
				var got []int
				for i := range 7 {
					p.Raised(time.Now(), src(fmt.Sprintf("203.0.113.%d", i+1), 5), 0)
					synctest.Wait()
					got = append(got, f.inits())
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("Init calls after each batch %v, want %v", got, tt.want)
				}
				before := f.inits()
				if err := p.Reconcile(context.Background()); err != nil {
					t.Fatal(err)
				}
				if n := f.inits() - before; n != min(tt.every, 1) {
					t.Errorf("reconciliation called Init %d times, want %d", n, min(tt.every, 1))
				}
			})
		})
	}
}

// TestImportPsadBlocks: psad's own block records are taken over at the
// threshold DL with its timeout counted from psad's start time, renewed
// at start like stored blocks; a prefix the store already knows keeps the
// store's record, and expired or never-blocked addresses are left out.
func TestImportPsadBlocks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		now := time.Now()
		f := newFake("iptables")
		white := netset.MustParse("192.0.2.0/24")
		cfg := baseConfig() // threshold 3: DL3 timeout 10 minutes
		cfg.Whitelist = &white
		imp := func(addr string, ago time.Duration) block.Record {
			return block.Record{Prefix: netip.MustParsePrefix(addr), Since: now.Add(-ago)}
		}
		cfg.Import = []block.Record{
			imp("203.0.113.1/32", time.Minute),    // taken, 9 minutes left
			imp("203.0.113.2/32", 11*time.Minute), // expired
			imp("192.0.2.9/32", time.Minute),      // whitelisted
			imp("198.51.100.7/32", 2*time.Minute), // the store's record wins
			imp("2001:db8::5/128", 5*time.Minute), // taken
		}
		stored := block.Record{Prefix: netip.MustParsePrefix("198.51.100.7/32"), State: block.Unblocked, DL: 4, Since: now.Add(-time.Hour), Ended: now.Add(-time.Minute)}
		st := &memStore{recs: map[netip.Prefix]block.Record{stored.Prefix: stored}}
		p := block.New(cfg, []block.Backend{f}, st, quiet)
		start(t, p)
		if got, want := listed(p), []string{"203.0.113.1/32", "2001:db8::5/128"}; !slices.Equal(got, want) {
			t.Fatalf("blocks %v, want %v", got, want)
		}
		ago := map[string]time.Duration{"203.0.113.1/32": time.Minute, "2001:db8::5/128": 5 * time.Minute}
		for _, s := range p.List() {
			since := now.Add(-ago[s.Prefix.String()])
			if s.DL != 3 || !s.Since.Equal(since) || !s.Expires.Equal(since.Add(10*time.Minute)) {
				t.Errorf("%v: DL %d since %v expires %v; want DL 3, psad's start, 10 minutes after it", s.Prefix, s.DL, s.Since, s.Expires)
			}
		}
		if !f.has("203.0.113.1/32") || !f.has("2001:db8::5/128") || f.has("198.51.100.7/32") {
			t.Errorf("backend holds %v", f.takeCalls())
		}
		if r := st.recs[stored.Prefix]; r.State != block.Unblocked {
			t.Errorf("the store's record became %v", r.State)
		}
		if r, ok := st.recs[netip.MustParsePrefix("203.0.113.1/32")]; !ok || !r.State.Active() {
			t.Errorf("the taken block was not recorded: %+v", r)
		}
	})
}

// TestReconfigure: a HUP's new threshold and timeouts decide the blocks
// made after it; a block made before keeps its expiry; a threshold of 0
// (ENABLE_AUTO_IDS N) makes no new blocks.
func TestReconfigure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake("iptables")
		p := block.New(baseConfig(), []block.Backend{f}, &memStore{}, quiet) // threshold 3, DL3 10 minutes
		start(t, p)
		p.Raised(time.Now(), src("203.0.113.1", 3), 0)
		synctest.Wait()

		cfg := baseConfig()
		cfg.Threshold, cfg.DLTimeout[4] = 4, 2*time.Hour
		if err := p.Reconfigure(context.Background(), cfg); err != nil {
			t.Fatal(err)
		}
		p.Raised(time.Now(), src("203.0.113.2", 3), 0)
		p.Raised(time.Now(), src("203.0.113.3", 4), 0)
		synctest.Wait()
		if got, want := listed(p), []string{"203.0.113.1/32", "203.0.113.3/32"}; !slices.Equal(got, want) {
			t.Fatalf("blocks %v, want %v", got, want)
		}
		for _, s := range p.List() {
			want := s.Since.Add(10 * time.Minute)
			if s.Prefix.Addr() == netip.MustParseAddr("203.0.113.3") {
				want = s.Since.Add(2 * time.Hour)
			}
			if !s.Expires.Equal(want) {
				t.Errorf("%v expires %v after its start, want %v", s.Prefix, s.Expires.Sub(s.Since), want.Sub(s.Since))
			}
		}

		cfg.Threshold = 0
		if err := p.Reconfigure(context.Background(), cfg); err != nil {
			t.Fatal(err)
		}
		p.Raised(time.Now(), src("203.0.113.4", 5), 0)
		synctest.Wait()
		if f.has("203.0.113.4/32") {
			t.Error("a block after ENABLE_AUTO_IDS N")
		}
	})
}
