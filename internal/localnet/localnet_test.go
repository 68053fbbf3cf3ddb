package localnet

import (
	"net/netip"
	"os/exec"
	"slices"
	"testing"

	"github.com/psadgo/psad/internal/netnstest"
	"github.com/psadgo/psad/internal/netset"
)

func TestHomeNet(t *testing.T) {
	connected := []netip.Prefix{netip.MustParsePrefix("10.9.9.0/24"), netip.MustParsePrefix("2001:db8:1::/64")}
	written := netset.MustParse("10.9.9.128/25, 192.168.7.0/24, 198.51.100.9, 2001:db8:1::/80, 2001:db8:2::/64")
	for _, c := range []struct {
		name       string
		derive     bool
		configured *netset.Set
		unset      bool
		connected  []netip.Prefix
		home       string // "" for any
		warnings   []string
	}{
		{name: "derived", derive: true, configured: &written, connected: connected, home: "10.9.9.0/24, 2001:db8:1::/64"},
		{name: "derived, no networks", derive: true, configured: &written},
		{name: "derived beats CHANGEME", derive: true, unset: true, connected: connected, home: "10.9.9.0/24, 2001:db8:1::/64"},
		{name: "unset", unset: true, connected: connected, warnings: []string{
			`config warning: the HOME_NET variable has not been set, defaulting to "any"`}},
		{name: "any", connected: connected},
		{name: "written", configured: &written, connected: connected,
			home: "10.9.9.128/25, 192.168.7.0/24, 198.51.100.9/32, 2001:db8:1::/80, 2001:db8:2::/64",
			warnings: []string{
				`config warning: HOME_NET definition in psad.conf contains "192.168.7.0/24" which does not appear to be directly connected to the local system.`,
				`config warning: HOME_NET definition in psad.conf contains "198.51.100.9" which does not appear to be directly connected to the local system.`,
				`config warning: HOME_NET definition in psad.conf contains "2001:db8:2::/64" which does not appear to be directly connected to the local system.`,
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := HomeNet(c.derive, c.configured, c.unset, c.connected)
			got := ""
			if h.Set != nil {
				got = h.Set.String()
			}
			if got != c.home {
				t.Errorf("HOME_NET %q, want %q", got, c.home)
			}
			if h.Derived != c.derive {
				t.Errorf("Derived %v", h.Derived)
			}
			if !slices.Equal(h.Warnings, c.warnings) {
				t.Errorf("warnings:\n%q\nwant\n%q", h.Warnings, c.warnings)
			}
		})
	}
}

// TestConnectedInNamespace reads the interfaces of a namespace the test
// builds: an ordinary interface counts, lo and one named "dummy..." do
// not.
func TestConnectedInNamespace(t *testing.T) {
	netnstest.Require(t, "ip")
	ns := "psadtest-localnet"
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v\n%s", args, err, out)
		}
	}
	exec.Command("ip", "netns", "del", ns).Run()
	run("netns", "add", ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	for _, args := range [][]string{
		{"link", "set", "lo", "up"},
		// A veth pair with both ends here: the kernel of a CI host may
		// have no dummy driver, and the name is what psad goes by.
		{"link", "add", "lan0", "type", "veth", "peer", "name", "dummy7"},
		{"addr", "add", "10.77.1.1/24", "dev", "lan0"},
		{"addr", "add", "2001:db8:77::1/64", "dev", "lan0", "nodad"},
		{"link", "set", "lan0", "up"},
		{"addr", "add", "10.77.2.1/24", "dev", "dummy7"},
		{"link", "set", "dummy7", "up"},
	} {
		run(append([]string{"-n", ns}, args...)...)
	}
	var got []netip.Prefix
	var err error
	netnstest.Do(t, ns, func() { got, err = Connected() })
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"10.77.1.0/24", "2001:db8:77::/64"} {
		if !slices.Contains(got, netip.MustParsePrefix(want)) {
			t.Errorf("%s missing from %v", want, got)
		}
	}
	for _, p := range got {
		if p.Contains(netip.MustParseAddr("10.77.2.1")) || p.Addr().IsLoopback() {
			t.Errorf("%s is from lo or dummy7: %v", p, got)
		}
	}
}
