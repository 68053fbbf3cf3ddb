package report

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/scan"
)

func TestShortV6(t *testing.T) {
	tests := map[string]string{
		"2001:0db8:0000:f101:0000:0000:0000:0002": "2001:DB8:0:F101::2",
		"ff02:0000:0000:0000:0000:0001:ff00:0001": "FF02::1:FF00:1",
		"2012:1234:1234:0000:0000:0000:0000:0001": "2012:1234:1234::1",
		"0000:0000:0000:0000:0000:0000:0000:0001": "::1",
		"0000:0000:0000:0000:0000:0000:0000:0000": "::",
		"fe80:0000:0000:0000:0213:46ff:fe3a:4136": "FE80::213:46FF:FE3A:4136",
		"2001:0db8:0000:0001:0000:0000:0001:0001": "2001:DB8:0:1::1:1",
		"2001:0db8:0000:0000:0001:0000:0000:0001": "2001:DB8::1:0:0:1",
		"0000:0000:0000:0000:0000:ffff:0a00:0001": "::FFFF:A00:1",
		"2001:0db8:0001:0002:0003:0004:0005:0006": "2001:DB8:1:2:3:4:5:6",
	}
	for in, want := range tests {
		if got := ShortV6(netip.MustParseAddr(in)); got != want {
			t.Errorf("ShortV6(%s) = %s, want %s", in, got, want)
		}
	}
	// Against the form spelled out with the standard library, on
	// addresses with zero runs of every length and groups of every
	// width, appended after other text.
	r := rand.New(rand.NewPCG(3, 4))
	for range 100000 {
		var a [16]byte
		for i := 0; i < 16; i += 2 {
			v := [...]uint16{0, 0, 0, 1, 0xf, 0x10, 0xff, 0x100, 0xfff, 0x1000, 0xffff, uint16(r.Uint32())}[r.IntN(12)]
			a[i], a[i+1] = byte(v>>8), byte(v)
		}
		addr := netip.AddrFrom16(a)
		if got, want := string(AppendShortV6([]byte("x"), addr)), "x"+shortV6Ref(addr); got != want {
			t.Fatalf("AppendShortV6(%s) = %s, want %s", addr, got, want)
		}
	}
}

// shortV6Ref is ShortV6 written plainly: the longest zero run found on
// the groups, the groups printed with strconv and upper-cased.
func shortV6Ref(a netip.Addr) string {
	b := a.As16()
	var g [8]uint16
	for i := range g {
		g[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	bestAt, bestLen := -1, 1
	for i := range 8 {
		n := 0
		for i+n < 8 && g[i+n] == 0 {
			n++
		}
		if n > bestLen {
			bestAt, bestLen = i, n
		}
	}
	var parts []string
	for i := 0; i < 8; i++ {
		if i == bestAt {
			parts = append(parts, "")
			if i == 0 {
				parts = append(parts, "")
			}
			i += bestLen - 1
			if i == 7 {
				parts = append(parts, "")
			}
			continue
		}
		parts = append(parts, strings.ToUpper(strconv.FormatUint(uint64(g[i]), 16)))
	}
	return strings.Join(parts, ":")
}

// TestListedSourcesOrder: the sources at or above the level, highest DL
// first, then by the printed address as psad sorts the strings
// (10.1.1.10 before 10.1.1.9, and an IPv6 address among them by its
// text).
func TestListedSourcesOrder(t *testing.T) {
	tr := scan.NewTracker(scan.DefaultSettings())
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	// Packets per source: DefaultSettings gives DL 1 from 5 ports, DL 2
	// from 15; a source with fewer is tracked but not listed.
	for _, c := range []struct {
		src   string
		ports int
	}{
		{"10.1.1.9", 5}, {"10.1.1.10", 5}, {"10.1.1.100", 16}, {"2001:db8::1", 5},
		{"9.9.9.9", 16}, {"10.1.1.2", 1}, {"10.1.1.11", 5},
	} {
		src := netip.MustParseAddr(c.src)
		dst := netip.MustParseAddr("192.168.1.1")
		if src.Is6() {
			dst = netip.MustParseAddr("2001:db8::ffff")
		}
		for q := range c.ports {
			p := fwlog.Packet{Chain: fwlog.ChainInput, Intf: []byte("eth0"), Src: src, Dst: dst,
				Proto: fwlog.ProtoTCP, HasProto: true, SrcPort: 40000, DstPort: 1000 + q*7, Flags: fwlog.FlagSYN, IPv6: src.Is6()}
			tr.Observe(now, &p)
		}
	}
	tr.EndBatch()
	var got []string
	for _, s := range listedSources(tr, 1) {
		got = append(got, fmt.Sprintf("%s/%d", s.Addr, s.DL))
	}
	want := "[10.1.1.100/2 9.9.9.9/2 10.1.1.10/1 10.1.1.11/1 10.1.1.9/1 2001:db8::1/1]"
	if fmt.Sprint(got) != want {
		t.Errorf("listed %v, want %s", got, want)
	}
}

// TestDetailCountsDestinations: "Total scan destinations" counts each
// listed destination once across sources, IPv4 and IPv6 apart, and an
// IPv4-mapped IPv6 address apart from its IPv4 form.
func TestDetailCountsDestinations(t *testing.T) {
	tr := scan.NewTracker(scan.DefaultSettings())
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	dsts := []string{"192.168.1.1", "192.168.1.2", "::ffff:192.168.1.1", "2001:db8::1"}
	for i, src := range []string{"10.0.0.1", "10.0.0.2", "2001:db8::99"} {
		for j, d := range dsts {
			if (i+j)%4 == 3 {
				continue // not every source hits every destination
			}
			for q := range 5 {
				p := fwlog.Packet{Chain: fwlog.ChainInput, Intf: []byte("eth0"),
					Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr(d),
					Proto: fwlog.ProtoTCP, HasProto: true, SrcPort: 40000, DstPort: 1000 + q, Flags: fwlog.FlagSYN}
				tr.Observe(now, &p)
			}
		}
	}
	tr.EndBatch()
	var b strings.Builder
	tot := writeDetail(&b, listedSources(tr, 1), nil, Options{})
	if tot.Sources != 3 || tot.Destinations != len(dsts) {
		t.Errorf("totals %+v, want 3 sources and %d destinations", tot, len(dsts))
	}
}

// TestListedSourcesOrderMany checks listedSources' order against the
// plain one (DL descending, then the printed address as a string) on
// sources whose printed addresses share long prefixes: IPv4 of a /19
// and IPv6 of one /64, whose first 16 printed bytes are all alike; the
// sources are enough for the table to be walked in parts, which are
// then merged.
func TestListedSourcesOrderMany(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
	tr := scan.NewTracker(scan.DefaultSettings())
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	const n = 2*listParallel + 600
	for i := range n {
		var src, dst netip.Addr
		if i%2 == 0 {
			src = netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)})
			dst = netip.MustParseAddr("192.168.1.1")
		} else {
			b := netip.MustParseAddr("2001:db8:0:f101::").As16()
			b[13], b[14], b[15] = byte(i*37), byte(i>>8), byte(i)
			src, dst = netip.AddrFrom16(b), netip.MustParseAddr("2001:db8::ffff")
		}
		for q := range 5 + i%3*6 { // DL 1 or 2
			p := fwlog.Packet{Chain: fwlog.ChainInput, Intf: []byte("eth0"), Src: src, Dst: dst,
				Proto: fwlog.ProtoTCP, HasProto: true, SrcPort: 40000, DstPort: 1000 + q*7, Flags: fwlog.FlagSYN, IPv6: src.Is6()}
			tr.Observe(now, &p)
		}
	}
	tr.EndBatch()
	got := listedSources(tr, 1)
	want := slices.Clone(got)
	slices.SortFunc(want, func(a, b *scan.Source) int {
		if a.DL != b.DL {
			return b.DL - a.DL
		}
		return strings.Compare(fwlog.AddrString(a.Addr), fwlog.AddrString(b.Addr))
	})
	if len(got) < n*9/10 {
		t.Fatalf("listed %d sources, want about %d", len(got), n)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("source %d is %s (DL %d), want %s (DL %d)", i, got[i].Addr, got[i].DL, want[i].Addr, want[i].DL)
		}
	}
}
