package autodl

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"testing"
)

// linearMatch is the matcher the trie replaced: a scan of the sorted
// entries. It stays here as the oracle for TestMatchAgainstLinear.
func linearMatch(entries []Entry, src netip.Addr, curDL int, proto uint8, dstPort int) (level int, ignore, assigned bool) {
	for i := range entries {
		e := &entries[i]
		if !e.Prefix.Contains(src) {
			continue
		}
		if e.Level == 0 {
			return 0, true, false
		}
		if curDL < e.Level && e.covers(proto, dstPort) {
			return e.Level, false, true
		}
	}
	return 0, false, false
}

// randAddr draws addresses from a small space so that random entries
// overlap and nest often: v4 under 10.0.0.0/16, v6 under 2001:db8::/112,
// and now and then an IPv4-mapped v6 address.
func randAddr(r *rand.Rand) netip.Addr {
	switch r.IntN(8) {
	case 0, 1, 2:
		return netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 14: byte(r.IntN(4)), 15: byte(r.IntN(256))})
	case 3:
		return netip.AddrFrom4([4]byte{10, 0, byte(r.IntN(4)), byte(r.IntN(256))}).Unmap()
	default:
		return netip.AddrFrom4([4]byte{10, 0, byte(r.IntN(4)), byte(r.IntN(256))})
	}
}

var criteriaChoices = []string{"", "tcp", "udp", "icmp", "tcp/22", "udp/53", "tcp/1-1024, udp/53", "udplite", "tcp/80, tcp/443"}

// randFile writes an auto_dl file of n random lines, often repeating a
// network with other criteria.
func randFile(r *rand.Rand, n int) string {
	var b strings.Builder
	var prev string
	for range n {
		var net string
		if prev != "" && r.IntN(4) == 0 {
			net = prev
		} else {
			a := randAddr(r)
			if a.Is4() {
				net = fmt.Sprintf("%s/%d", a, 14+r.IntN(19))
			} else {
				net = fmt.Sprintf("%s/%d", a, 110+r.IntN(19))
			}
		}
		prev = net
		fmt.Fprintf(&b, "%s %d %s;\n", net, r.IntN(6), criteriaChoices[r.IntN(len(criteriaChoices))])
	}
	return b.String()
}

// TestMatchAgainstLinear checks the trie against the linear scan on
// random files and packets, v4 and v6.
func TestMatchAgainstLinear(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	protos := []uint8{icmp, tcp, udp, icmp6, udplite, gre}
	for round := range 200 {
		text := randFile(r, 1+r.IntN(60))
		l, _ := parse(t, text)
		for range 300 {
			src := randAddr(r)
			cur := r.IntN(6)
			proto := protos[r.IntN(len(protos))]
			dp := []int{22, 53, 80, 443, 1000, 2000}[r.IntN(6)]
			gl, gi, ga := l.Match(src, cur, proto, dp)
			wl, wi, wa := linearMatch(l.entries, src, cur, proto, dp)
			if gl != wl || gi != wi || ga != wa {
				t.Fatalf("round %d: Match(%s, %d, %d, %d) = %d,%v,%v; linear %d,%v,%v\nfile:\n%s",
					round, src, cur, proto, dp, gl, gi, ga, wl, wi, wa, text)
			}
		}
	}
}

// TestMatchZoned: a zoned address matches nothing, as with
// netip.Prefix.Contains.
func TestMatchZoned(t *testing.T) {
	l, _ := parse(t, "fe80::/10 3;\n")
	if _, _, ok := l.Match(netip.MustParseAddr("fe80::1"), 0, tcp, 22); !ok {
		t.Fatal("fe80::1 not matched")
	}
	if lv, ig, ok := l.Match(netip.MustParseAddr("fe80::1%eth0"), 0, tcp, 22); lv != 0 || ig || ok {
		t.Fatalf("zoned address matched: %d %v %v", lv, ig, ok)
	}
}

// slash24s writes n distinct /24 networks under 10.0.0.0/8 with level 3,
// none containing 192.0.2.1.
func slash24s(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "%d.%d.%d.0/24 3;\n", 10+i>>16, (i>>8)&255, i&255)
	}
	return b.String()
}

func TestMatchNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under -race")
	}
	if strconv.IntSize < 64 {
		// bart's Supernets makes an address's byte slice, which escapes
		// to the heap (4 bytes a look-up) on 32-bit platforms only.
		t.Skip("bart's Supernets allocates on 32-bit platforms")
	}
	l, _ := parse(t, slash24s(1000)+"10.0.0.0/8 0;\n2001:db8::/32 2 tcp;\n")
	srcs := []netip.Addr{netip.MustParseAddr("10.0.3.9"), netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1")}
	for _, src := range srcs {
		if n := testing.AllocsPerRun(100, func() { l.Match(src, 1, tcp, 22) }); n != 0 {
			t.Errorf("Match(%s) allocates %v times", src, n)
		}
	}
}

// raceEnabled is set by race_test.go; the race detector allocates.
var raceEnabled bool

var sinkLevel int

func BenchmarkMatch(b *testing.B) {
	for _, n := range []int{0, 1000, 100000} {
		l, _, err := Parse(strings.NewReader(slash24s(n)), "bench", fakeResolve)
		if err != nil {
			b.Fatal(err)
		}
		// Half the packets come from a listed network, half from outside.
		srcs := []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("10.0.0.7")}
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				lv, _, _ := l.Match(srcs[i&1], 0, tcp, 22)
				sinkLevel += lv
				i++
			}
		})
		if n > 1000 {
			continue // the linear baseline at 100,000 only shows what is known
		}
		b.Run(fmt.Sprintf("linear/entries=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				lv, _, _ := linearMatch(l.entries, srcs[i&1], 0, tcp, 22)
				sinkLevel += lv
				i++
			}
		})
	}
}
