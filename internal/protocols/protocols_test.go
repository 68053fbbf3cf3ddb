package protocols

import (
	"os"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	const text = `# comment line
   # indented comment

ip	0	IP		# internet protocol, pseudo protocol number
#hopopt	0	HOPOPT		# commented out
igmp	2	IGMP		# Internet Group Management
noDesc	99	NODESC
ttp	84	TTP	# first
iptm	84	IPTM	# second
bad	x	BAD	# not a number
big	256	BIG	# out of range
lonely
`
	tab, err := Parse(strings.NewReader(text), "test")
	if err != nil {
		t.Fatal(err)
	}
	names := []struct {
		num        int
		name, desc string
		ok         bool
	}{
		{0, "ip", "internet protocol, pseudo protocol number", true},
		{2, "igmp", "Internet Group Management", true},
		{99, "noDesc", "", true},
		{84, "ttp", "first", true},
		{256, "", "", false},
		{6, "", "", false},
	}
	for _, tt := range names {
		name, desc, ok := tab.Name(tt.num)
		if name != tt.name || desc != tt.desc || ok != tt.ok {
			t.Errorf("Name(%d) = %q, %q, %v; want %q, %q, %v", tt.num, name, desc, ok, tt.name, tt.desc, tt.ok)
		}
	}
	nums := []struct {
		name string
		num  int
		ok   bool
	}{
		{"ip", 0, true},
		{"igmp", 2, true},
		{"IGMP", 0, false},
		{"iptm", 84, true},
		{"hopopt", 0, false},
		{"bad", 0, false},
	}
	for _, tt := range nums {
		num, ok := tab.Number(tt.name)
		if num != tt.num || ok != tt.ok {
			t.Errorf("Number(%q) = %d, %v; want %d, %v", tt.name, num, ok, tt.num, tt.ok)
		}
	}
	if tab.Len() != 4 {
		t.Errorf("Len() = %d, want 4", tab.Len())
	}
}

func TestDefault(t *testing.T) {
	tab := Default()
	// Every number IANA gives a keyword in 0..144, plus 255.
	noKeyword := map[int]bool{61: true, 63: true, 68: true, 99: true, 114: true}
	for n := 0; n <= 144; n++ {
		if _, _, ok := tab.Name(n); ok == noKeyword[n] {
			t.Errorf("Name(%d) ok = %v", n, ok)
		}
	}
	checks := []struct {
		num        int
		name, desc string
	}{
		{1, "icmp", "Internet Control Message"},
		{2, "igmp", "Internet Group Management"},
		{6, "tcp", "Transmission Control"},
		{17, "udp", "User Datagram"},
		{47, "gre", "Generic Routing Encapsulation"},
		{58, "ipv6-icmp", "ICMP for IPv6"},
		{132, "sctp", "Stream Control Transmission Protocol"},
		{136, "udplite", "Lightweight User Datagram Protocol"},
		{255, "reserved", "Reserved"},
	}
	for _, c := range checks {
		name, desc, ok := tab.Name(c.num)
		if !ok || name != c.name || desc != c.desc {
			t.Errorf("Name(%d) = %q, %q, %v; want %q, %q", c.num, name, desc, ok, c.name, c.desc)
		}
		if n, ok := tab.Number(c.name); !ok || n != c.num {
			t.Errorf("Number(%q) = %d, %v; want %d", c.name, n, ok, c.num)
		}
	}
	if Default() != tab {
		t.Error("Default() returned a different table on the second call")
	}
}

// TestInstalledFile reads psad's own protocols file when it is installed and
// checks the entries the detection spec relies on.
func TestInstalledFile(t *testing.T) {
	const path = "/etc/psad/protocols"
	if _, err := os.Stat(path); err != nil {
		t.Skipf("%s not installed", path)
	}
	tab, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if name, desc, ok := tab.Name(2); !ok || name != "igmp" || desc != "Internet Group Management" {
		t.Errorf("Name(2) = %q, %q, %v", name, desc, ok)
	}
	if name, _, _ := tab.Name(58); name != "ipv6-icmp" {
		t.Errorf("Name(58) = %q, want ipv6-icmp", name)
	}
	if n, ok := tab.Number("gre"); !ok || n != 47 {
		t.Errorf("Number(gre) = %d, %v", n, ok)
	}
}

func TestLoadMissing(t *testing.T) {
	if _, err := Load(t.TempDir() + "/nope"); err == nil {
		t.Error("Load of a missing file succeeded")
	}
}
