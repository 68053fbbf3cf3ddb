package autodl

import (
	"errors"
	"net/netip"
	"os"
	"reflect"
	"strings"
	"testing"
)

// fakeResolve knows two names; everything else fails.
func fakeResolve(host string) ([]netip.Addr, error) {
	switch host {
	case "scanner.example":
		return []netip.Addr{netip.MustParseAddr("198.51.100.7"), netip.MustParseAddr("2001:db8::7")}, nil
	case "v6only.example":
		return []netip.Addr{netip.MustParseAddr("2001:db8::8")}, nil
	}
	return nil, errors.New("no such host")
}

func parse(t *testing.T, text string) (*List, []Warning) {
	t.Helper()
	l, w, err := Parse(strings.NewReader(text), "test", fakeResolve)
	if err != nil {
		t.Fatal(err)
	}
	return l, w
}

const (
	icmp    = 1
	tcp     = 6
	udp     = 17
	icmp6   = 58
	udplite = 136
	gre     = 47
)

type pkt struct {
	src   string
	curDL int
	proto uint8
	dp    int
}

type result struct {
	level            int
	ignore, assigned bool
}

func TestMatch(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		cases map[pkt]result
	}{
		{
			name: "dotted mask",
			file: "10.1.1.0 / 255.255.255.0   3;\n",
			cases: map[pkt]result{
				{"10.1.1.9", 0, tcp, 80}:   {3, false, true},
				{"10.1.1.9", 2, gre, 0}:    {3, false, true},
				{"10.1.1.9", 3, tcp, 80}:   {},
				{"10.1.2.9", 0, tcp, 80}:   {},
				{"2001:db8::1", 0, tcp, 8}: {},
			},
		},
		{
			name: "prefix length",
			file: "10.1.0.0/16 2;\n",
			cases: map[pkt]result{
				{"10.1.200.1", 1, udp, 53}: {2, false, true},
				{"10.2.0.1", 0, udp, 53}:   {},
			},
		},
		{
			name: "bare ipv4",
			file: "10.111.21.23     5;                # very bad\n",
			cases: map[pkt]result{
				{"10.111.21.23", 0, icmp, 0}: {5, false, true},
				{"10.111.21.24", 0, icmp, 0}: {},
			},
		},
		{
			name: "ipv6 full form",
			file: "2001:0db8:0000:f101:0000:0000:0000:0002 4;\n",
			cases: map[pkt]result{
				{"2001:db8:0:f101::2", 0, icmp6, 0}: {4, false, true},
				{"2001:db8:0:f101::3", 0, icmp6, 0}: {},
			},
		},
		{
			name: "ipv6 abbreviated prefix",
			file: "2001:DB8:0:F101::/64 1;\n",
			cases: map[pkt]result{
				{"2001:db8:0:f101::99", 0, tcp, 1}: {1, false, true},
				{"2001:db8:0:f102::99", 0, tcp, 1}: {},
			},
		},
		{
			name: "host name",
			file: "scanner.example 3;\n",
			cases: map[pkt]result{
				{"198.51.100.7", 0, tcp, 1}: {3, false, true},
				// Only IPv4 results are used.
				{"2001:db8::7", 0, tcp, 1}: {},
			},
		},
		{
			name: "level 0 ignores every protocol",
			file: "10.1.1.0/24 0 tcp;\n",
			cases: map[pkt]result{
				{"10.1.1.1", 0, tcp, 22}: {0, true, false},
				{"10.1.1.1", 0, udp, 53}: {0, true, false},
				{"10.1.1.1", 4, icmp, 0}: {0, true, false},
			},
		},
		{
			name: "tcp only",
			file: "192.168.10.4 3 tcp;\n",
			cases: map[pkt]result{
				{"192.168.10.4", 0, tcp, 9}:     {3, false, true},
				{"192.168.10.4", 0, udp, 9}:     {},
				{"192.168.10.4", 0, icmp, 0}:    {},
				{"192.168.10.4", 0, udplite, 9}: {},
			},
		},
		{
			name: "tcp range",
			file: "10.10.1.0/24 3 tcp/1-1024;\n",
			cases: map[pkt]result{
				{"10.10.1.1", 0, tcp, 1}:    {3, false, true},
				{"10.10.1.1", 0, tcp, 1024}: {3, false, true},
				{"10.10.1.1", 0, tcp, 1025}: {},
				{"10.10.1.1", 0, udp, 53}:   {},
			},
		},
		{
			name: "port list with blanks",
			file: "10.0.0.1 2 TCP/22, udp/53 , tcp/8000 - 8080;\n",
			cases: map[pkt]result{
				{"10.0.0.1", 0, tcp, 22}:   {2, false, true},
				{"10.0.0.1", 0, tcp, 8050}: {2, false, true},
				{"10.0.0.1", 0, tcp, 53}:   {},
				{"10.0.0.1", 0, udp, 53}:   {2, false, true},
				{"10.0.0.1", 0, udp, 22}:   {},
			},
		},
		{
			name: "udp ports but tcp mentioned without ports",
			file: "10.0.0.1 2 tcp, udp/53;\n",
			cases: map[pkt]result{
				{"10.0.0.1", 0, tcp, 7}:  {2, false, true},
				{"10.0.0.1", 0, udp, 54}: {},
			},
		},
		{
			name: "empty range leaves the protocol open",
			file: "10.0.0.1 2 tcp/5-5;\n",
			cases: map[pkt]result{
				{"10.0.0.1", 0, tcp, 99}: {2, false, true},
			},
		},
		{
			name: "icmp",
			file: "10.0.0.1 4 icmp;\n",
			cases: map[pkt]result{
				{"10.0.0.1", 0, icmp, 0}: {4, false, true},
				{"10.0.0.1", 0, tcp, 0}:  {},
			},
		},
		{
			name: "udplite also enables udp",
			file: "10.0.0.1 4 udplite;\n",
			cases: map[pkt]result{
				{"10.0.0.1", 0, udplite, 5}: {4, false, true},
				{"10.0.0.1", 0, udp, 5}:     {4, false, true},
				{"10.0.0.1", 0, tcp, 5}:     {},
			},
		},
		{
			name: "protocol in trailing comment counts",
			file: "10.0.0.1 4; # only tcp scanners\n",
			cases: map[pkt]result{
				{"10.0.0.1", 0, tcp, 5}: {4, false, true},
				{"10.0.0.1", 0, udp, 5}: {},
			},
		},
		{
			name: "most specific entry first",
			file: "10.0.0.0/8 0;\n10.1.1.1 5 tcp;\n",
			cases: map[pkt]result{
				{"10.1.1.1", 0, tcp, 5}: {5, false, true},
				{"10.1.1.1", 0, udp, 5}: {0, true, false},
				{"10.1.1.2", 0, tcp, 5}: {0, true, false},
			},
		},
		{
			name: "later entry used when first does not raise",
			file: "10.1.1.1 2;\n10.1.1.0/24 4;\n",
			cases: map[pkt]result{
				{"10.1.1.1", 0, tcp, 5}: {2, false, true},
				{"10.1.1.1", 2, tcp, 5}: {4, false, true},
				{"10.1.1.1", 4, tcp, 5}: {},
			},
		},
		{
			name: "zero mask",
			file: "0.0.0.0/0 1;\n",
			cases: map[pkt]result{
				{"203.0.113.1", 0, gre, 0}: {1, false, true},
				{"::1", 0, gre, 0}:         {},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, w := parse(t, tt.file)
			if len(w) != 0 {
				t.Fatalf("warnings: %v", w)
			}
			for p, want := range tt.cases {
				level, ignore, assigned := l.Match(netip.MustParseAddr(p.src), p.curDL, p.proto, p.dp)
				if got := (result{level, ignore, assigned}); got != want {
					t.Errorf("Match(%+v) = %+v, want %+v", p, got, want)
				}
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	const file = `# comment
   # indented comment

10.0.0.1 5
10.0.0.1 9;
10.0.0.0/33 1;
10.0.0.0/255.0.255.0 1;
10.0.0.0 / 8 2;
300.1.1.1 2;
nosuch.example 3;
10.0.0.0/8/9 2;
2001:db8::/129 2;
v6only.example 3;
10.0.0.1 55;
10.0.0.1;
`
	l, w := parse(t, file)
	want := []Warning{
		{4, "improperly formatted auto_dl line 4"},
		{5, "improperly formatted auto_dl line 5"},
		{6, "improperly formatted auto_dl line 6"},
		{7, "improperly formatted auto_dl line 7"},
		{9, "improperly formatted auto_dl line 9"},
		{10, `auto_dl line 10: could not resolve "nosuch.example": no such host`},
		{11, "improperly formatted auto_dl line 11"},
		{12, "improperly formatted auto_dl line 12"},
		{13, `auto_dl line 13: could not resolve "v6only.example"`},
		{14, "improperly formatted auto_dl line 14"},
		{15, "improperly formatted auto_dl line 15"},
	}
	if !reflect.DeepEqual(w, want) {
		t.Errorf("warnings:\n got %v\nwant %v", w, want)
	}
	if l.Len() != 1 {
		t.Errorf("Len() = %d, want 1 (line 8 only)", l.Len())
	}
}

func TestEntries(t *testing.T) {
	l, _ := parse(t, "10.0.0.0/8 1;\n10.1.0.0/16 2 tcp/22;\nscanner.example 3;\n")
	got := l.Entries()
	if len(got) != 3 {
		t.Fatalf("Entries() has %d entries", len(got))
	}
	if got[0].Prefix != netip.MustParsePrefix("198.51.100.7/32") || got[0].Line != 3 {
		t.Errorf("first entry %+v", got[0])
	}
	if e := got[1]; e.Level != 2 || !e.TCP || e.UDP || !reflect.DeepEqual(e.TCPPorts, []PortRange{{22, 22}}) {
		t.Errorf("second entry %+v", e)
	}
	if !got[2].AllProtocols {
		t.Errorf("third entry %+v", got[2])
	}
}

func TestNilList(t *testing.T) {
	var l *List
	if l.Len() != 0 {
		t.Error("nil Len")
	}
	if _, ignore, assigned := l.Match(netip.MustParseAddr("1.2.3.4"), 0, tcp, 1); ignore || assigned {
		t.Error("nil list matched")
	}
}

// TestInstalledFile loads psad's shipped auto_dl, which is all comments.
func TestInstalledFile(t *testing.T) {
	const path = "/etc/psad/auto_dl"
	if _, err := os.Stat(path); err != nil {
		t.Skipf("%s not installed", path)
	}
	l, w, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d entries, warnings %v", l.Len(), w)
}

func TestLoadMissing(t *testing.T) {
	if _, _, err := Load(t.TempDir() + "/nope"); err == nil {
		t.Error("Load of a missing file succeeded")
	}
}
