package nft

import (
	"context"
	"fmt"
	"github.com/psadgo/psad/internal/netnstest"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/psadgo/psad/internal/block"
	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/psaddir"
	"github.com/psadgo/psad/internal/scan"
)

// TestPolicyThroughput measures active response as the daemon drives it:
// sources raised to DL 5 by packets landing in a tracker, decided by the
// policy, recorded in the daemon's bbolt store and applied to nftables in
// a namespace. It reports the time from the deciding packet to the kernel
// holding the block, and how many blocks a second a burst sustains, with
// IPTABLES_PREREQ_CHECK at its default (1, the table checked before each
// batch) and at 0 (only at start).
func TestPolicyThroughput(t *testing.T) {
	netnstest.Require(t, "ip")
	for _, every := range []int{1, 0} {
		t.Run(fmt.Sprintf("IPTABLES_PREREQ_CHECK=%d", every), func(t *testing.T) { policyThroughput(t, every) })
	}
}

func policyThroughput(t *testing.T, prereqEvery int) {
	fw := newNetns(t, "fw")
	b, err := New(Config{NetNS: fw.fd})
	if err != nil {
		t.Fatal(err)
	}
	st, err := psaddir.OpenStore(filepath.Join(t.TempDir(), "psad_state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p := block.New(block.Config{Threshold: 5, DLTimeout: [6]time.Duration{5: time.Hour}, Timeout: time.Hour, PrereqEvery: prereqEvery}, []block.Backend{b}, st.Blocks(), nil)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	tr := scan.NewTracker(scan.DefaultSettings())
	tr.AutoDL = func(*fwlog.Packet, int) (int, bool, bool) { return 5, false, true }
	tr.OnRaise = func(src *scan.Source, old int) { p.Raised(time.Now(), src, old) }
	var pkt fwlog.Packet
	observe := func(src netip.Addr) {
		pkt.Reset()
		pkt.Src, pkt.Dst = src, netip.MustParseAddr("192.0.2.1")
		pkt.Proto, pkt.HasProto, pkt.Chain, pkt.DstPort, pkt.Flags = fwlog.ProtoTCP, true, fwlog.ChainInput, 22, fwlog.FlagSYN
		tr.Observe(time.Now(), &pkt)
	}
	held := func() int {
		es, err := b.List(context.Background())
		if err != nil {
			return 0
		}
		return len(es)
	}
	wait := func(n int) time.Duration {
		start := time.Now()
		for held() < n {
			if time.Since(start) > time.Minute {
				t.Fatalf("%d of %d blocks in the kernel after a minute", held(), n)
			}
			time.Sleep(time.Millisecond)
		}
		return time.Since(start)
	}
	// Let Run initialise the table first.
	wait(0)
	for {
		if _, err := b.List(context.Background()); err == nil {
			break
		}
		time.Sleep(time.Millisecond)
	}

	var lat []time.Duration
	for i := range 20 {
		start := time.Now()
		observe(netip.AddrFrom4([4]byte{198, 51, 100, byte(i + 1)}))
		wait(i + 1)
		lat = append(lat, time.Since(start))
	}
	t.Logf("deciding packet to block in the kernel, 20 single blocks: first %v, median %v, max %v",
		lat[0].Round(time.Microsecond), median(lat).Round(time.Microsecond), maxDur(lat).Round(time.Microsecond))

	const burst = 10000
	start := time.Now()
	for i := range burst {
		observe(netip.AddrFrom4([4]byte{10, 50, byte(i >> 8), byte(i)}))
	}
	wait(20 + burst)
	el := time.Since(start)
	t.Logf("burst of %d sources: all in the kernel after %v (%.0f blocks/s)", burst, el.Round(time.Millisecond), burst/el.Seconds())
	if got := len(p.List()); got != 20+burst {
		t.Errorf("policy lists %d blocks, want %d", got, 20+burst)
	}
	if err := p.Close(context.Background()); err != nil {
		t.Error(err)
	}
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[len(s)/2]
}

func maxDur(d []time.Duration) time.Duration {
	m := d[0]
	for _, x := range d {
		m = max(m, x)
	}
	return m
}
