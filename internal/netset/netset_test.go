package netset

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
)

func TestParseContains(t *testing.T) {
	tests := []struct {
		name string
		in   string
		yes  []string
		no   []string
		any  bool
	}{
		{
			name: "cidr",
			in:   "10.0.0.0/8",
			yes:  []string{"10.0.0.0", "10.255.255.255", "10.1.2.3"},
			no:   []string{"11.0.0.0", "9.255.255.255", "::1"},
		},
		{
			name: "dotted mask",
			in:   "192.168.10.0/255.255.255.0",
			yes:  []string{"192.168.10.1", "192.168.10.255"},
			no:   []string{"192.168.11.1"},
		},
		{
			name: "host bits cleared",
			in:   "192.168.10.77/24",
			yes:  []string{"192.168.10.1"},
		},
		{
			name: "bare ipv4",
			in:   "1.2.3.4",
			yes:  []string{"1.2.3.4"},
			no:   []string{"1.2.3.5"},
		},
		{
			name: "blanks and list",
			in:   " 10.9.9.0/24 ,192.168.10.0/24,  172.16.0.1 ",
			yes:  []string{"10.9.9.9", "192.168.10.200", "172.16.0.1"},
			no:   []string{"172.16.0.2", "10.9.10.1"},
		},
		{
			name: "ipv6 compressed",
			in:   "2001:db8::/32",
			yes:  []string{"2001:db8::1", "2001:db8:ffff::"},
			no:   []string{"2001:db9::1", "10.0.0.1"},
		},
		{
			name: "ipv6 full form",
			in:   "2001:0DB8:0000:F101:0000:0000:0000:0002",
			yes:  []string{"2001:db8:0:f101::2"},
			no:   []string{"2001:db8:0:f101::3"},
		},
		{
			name: "ipv6 full prefix",
			in:   "2001:0db8:0000:0000:0000:0000:0000:0000/64",
			yes:  []string{"2001:db8::abcd"},
			no:   []string{"2001:db8:0:1::"},
		},
		{
			name: "any",
			in:   "any",
			yes:  []string{"1.1.1.1", "::1"},
			any:  true,
		},
		{
			name: "any upper case with others",
			in:   "10.0.0.0/8, ANY",
			yes:  []string{"8.8.8.8"},
			any:  true,
		},
		{
			name: "nested and overlapping",
			in:   "10.1.0.0/16, 10.0.0.0/8, 10.1.2.0/24, 11.0.0.0/8",
			yes:  []string{"10.200.0.1", "10.1.2.3", "11.1.1.1"},
			no:   []string{"12.0.0.0"},
		},
		{
			name: "zero prefix",
			in:   "0.0.0.0/0",
			yes:  []string{"255.255.255.255", "0.0.0.0"},
			no:   []string{"::"},
		},
		{
			name: "trailing comma",
			in:   "10.0.0.1,",
			yes:  []string{"10.0.0.1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if s.Any() != tt.any {
				t.Errorf("Any() = %v, want %v", s.Any(), tt.any)
			}
			for _, a := range tt.yes {
				if !s.Contains(netip.MustParseAddr(a)) {
					t.Errorf("Contains(%s) = false, want true", a)
				}
			}
			for _, a := range tt.no {
				if s.Contains(netip.MustParseAddr(a)) {
					t.Errorf("Contains(%s) = true, want false", a)
				}
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{
		"",
		" , ",
		"10.0.0.0/33",
		"10.0.0.0/255.0.255.0",
		"10.0.0.0/255.255.255.256",
		"10.0.0.0/",
		"10.0.0.0/+8",
		"10.0.0",
		"host.example.com",
		"2001:db8::/129",
		"fe80::1%eth0",
		"10.0.0.0/8, bogus",
	} {
		t.Run(in, func(t *testing.T) {
			if s, err := Parse(in); err == nil {
				t.Errorf("Parse(%q) = %v, want error", in, s)
			}
		})
	}
}

func TestString(t *testing.T) {
	s := MustParse("10.1.1.7/24, any, 2001:DB8::/32")
	if got, want := s.String(), "any, 10.1.1.0/24, 2001:db8::/32"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// TestContainsMatchesLinear checks the binary search against a plain scan
// over random overlapping prefixes.
func TestContainsMatchesLinear(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for iter := range 200 {
		var list []netip.Prefix
		in := ""
		for i := range 1 + r.IntN(20) {
			a := netip.AddrFrom4([4]byte{10, byte(r.IntN(4)), byte(r.IntN(256)), byte(r.IntN(256))})
			p := netip.PrefixFrom(a, 8+r.IntN(25)).Masked()
			list = append(list, p)
			if i > 0 {
				in += ","
			}
			in += p.String()
		}
		s := MustParse(in)
		for range 200 {
			a := netip.AddrFrom4([4]byte{10, byte(r.IntN(4)), byte(r.IntN(256)), byte(r.IntN(256))})
			want := false
			for _, p := range list {
				want = want || p.Contains(a)
			}
			if got := s.Contains(a); got != want {
				t.Fatalf("iter %d: %s Contains(%s) = %v, want %v", iter, in, a, got, want)
			}
		}
	}
}

func TestContainsNoAllocs(t *testing.T) {
	s := MustParse("10.0.0.0/8, 192.168.0.0/16, 2001:db8::/32")
	a := netip.MustParseAddr("192.168.1.1")
	if n := testing.AllocsPerRun(100, func() { s.Contains(a) }); n != 0 {
		t.Errorf("Contains allocates %v times", n)
	}
}

var sink bool

func BenchmarkContains(b *testing.B) {
	for _, n := range []int{1, 16, 256} {
		in := ""
		for i := range n {
			if i > 0 {
				in += ","
			}
			in += fmt.Sprintf("10.%d.%d.0/24", i/256, i%256)
		}
		s := MustParse(in)
		a := netip.MustParseAddr("10.0.7.9")
		b.Run(fmt.Sprintf("prefixes=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sink = s.Contains(a)
			}
		})
	}
}
