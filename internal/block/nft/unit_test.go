package nft

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/nftables"

	"github.com/psadgo/psad/internal/block"
)

func TestNewRejects(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Table: "ps ad"}, `table name "ps ad"`},
		{Config{Chains: []Chain{{Hook: "ingress"}}}, `chain hook "ingress"`},
		{Config{Chains: []Chain{{Hook: "input"}, {Hook: "input"}}}, `chain name "input": given twice`},
		{Config{Chains: []Chain{{Hook: "input", Name: "a;b"}}}, `chain name "a;b"`},
		{Config{Chains: []Chain{{Hook: "input", Direction: 7}}}, `direction 7`},
	} {
		_, err := New(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v, want error containing %q", tc.cfg, err, tc.want)
		}
	}
	b, err := New(Config{})
	if err != nil || b.Table() != "psad" || len(b.chains) != 3 {
		t.Fatalf("New(Config{}) = %+v, %v; want table psad with the 3 default chains", b, err)
	}
}

// TestIntervalRoundTrip turns prefixes into set elements and back, the
// way List reads what Add wrote, including ranges open to the top.
func TestIntervalRoundTrip(t *testing.T) {
	now := time.Unix(1000, 0)
	for _, v4 := range []bool{true, false} {
		var ps []netip.Prefix
		if v4 {
			ps = []netip.Prefix{pfx("10.0.0.1"), pfx("10.0.1.0/24"), pfx("240.0.0.0/4"), pfx("0.0.0.0/32")}
		} else {
			ps = []netip.Prefix{pfx("fd00::1"), pfx("fd00:1::/64"), pfx("ffff::/16")}
		}
		var el []nftables.SetElement
		for _, p := range ps {
			el = append(el, interval(p, time.Minute)...)
		}
		// The kernel reports remaining time; give each start 30 s left.
		for i := range el {
			if !el[i].IntervalEnd {
				el[i].Expires = 30 * time.Second
			}
		}
		slices.Reverse(el)
		got, err := entries(el, v4, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(ps) {
			t.Fatalf("entries = %v, want %v", got, ps)
		}
		for _, p := range ps {
			e, ok := find(got, p)
			if !ok || !e.Expires.Equal(now.Add(30*time.Second)) {
				t.Errorf("entries = %v, want %s expiring at +30s", got, p)
			}
		}
	}
	if n := len(interval(pfx("255.255.255.255"), 0)); n != 1 {
		t.Errorf("interval of the top address has %d elements, want 1 (no end)", n)
	}
}

func TestRangePrefixes(t *testing.T) {
	got := rangePrefixes(netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.6"))
	want := []netip.Prefix{pfx("10.0.0.1"), pfx("10.0.0.2/31"), pfx("10.0.0.4/31"), pfx("10.0.0.6")}
	if !slices.Equal(got, want) {
		t.Fatalf("rangePrefixes = %v, want %v", got, want)
	}
}

func TestOverlaps(t *testing.T) {
	have := []block.Entry{{Prefix: pfx("10.0.0.0/24")}, {Prefix: pfx("fd00::/64")}}
	for _, tc := range []struct {
		add  []netip.Prefix
		want string
	}{
		{[]netip.Prefix{pfx("10.0.0.0/24"), pfx("10.0.1.1"), pfx("fd00:0:0:1::1")}, ""},
		{[]netip.Prefix{pfx("10.0.0.9")}, `"10.0.0.9/32" overlaps "10.0.0.0/24"`},
		{[]netip.Prefix{pfx("10.0.0.0/16")}, `overlaps`},
		{[]netip.Prefix{pfx("fd00::5")}, `overlaps "fd00::/64"`},
		{[]netip.Prefix{pfx("10.1.0.0/16"), pfx("10.1.2.3")}, `"10.1.2.3/32" overlaps "10.1.0.0/16"`},
	} {
		err := overlaps(tc.add, have)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("overlaps(%v) = %v, want %q", tc.add, err, tc.want)
		}
	}
}

func TestNormalize(t *testing.T) {
	p, err := normalize(netip.MustParsePrefix("::ffff:10.0.0.1/128"))
	if err != nil || p != pfx("10.0.0.1") {
		t.Fatalf("normalize v4-mapped = %v, %v", p, err)
	}
	if _, err := normalize(netip.Prefix{}); err == nil {
		t.Fatal("normalize of the zero prefix: no error")
	}
}
