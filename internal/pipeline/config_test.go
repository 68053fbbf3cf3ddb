package pipeline

import (
	"net/netip"
	"testing"

	"github.com/psadgo/psad/internal/config"
	"github.com/psadgo/psad/internal/fwlog"
)

// TestFromSettings checks that typed settings reach the rules, the
// tracker settings and the parser options.
func TestFromSettings(t *testing.T) {
	text := "IGNORE_PORTS tcp/80-85, udp/53;\nIGNORE_PROTOCOLS gre, 1;\nHOME_NET 10.0.0.0/8;\nDANGER_LEVEL3 99;\nSNORT_SID_STR FWSID;\nIGNORE_KERNEL_TIMESTAMP N;\n"
	c, err := config.Parse("test.conf", append([]byte(text), config.DefaultText()...))
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Settings()
	if err != nil {
		t.Fatal(err)
	}
	names := protoNames{"gre": 47, "icmp": 1}
	r, warn, err := RulesFrom(&s.Detect, names, Overrides{Restrict: "192.168.1.0/24"})
	if err != nil || len(warn) != 0 {
		t.Fatalf("RulesFrom: %v, warnings %q", err, warn)
	}
	bit := func(set *[1024]uint64, p int) bool { return set != nil && set[p>>6]&(1<<(p&63)) != 0 }
	if !bit(r.IgnoreTCP, 80) || !bit(r.IgnoreTCP, 85) || bit(r.IgnoreTCP, 86) || !bit(r.IgnoreUDP, 53) || bit(r.IgnoreUDP, 80) {
		t.Error("IGNORE_PORTS bitmaps wrong")
	}
	for _, key := range []string{"47", "icmp"} { // gre by name, icmp by number
		if !ignored(r, key) {
			t.Errorf("protocol %s not ignored", key)
		}
	}
	if ignored(r, "tcp") {
		t.Error("tcp ignored")
	}
	if r.Restrict != netip.MustParsePrefix("192.168.1.0/24") {
		t.Errorf("Restrict = %v", r.Restrict)
	}

	set := SettingsFrom(&s.Detect, Overrides{})
	if set.DangerLevel[3] != 99 || set.HomeNet == nil || !set.HomeNet(netip.MustParseAddr("10.2.3.4")) || set.HomeNet(netip.MustParseAddr("192.0.2.1")) {
		t.Errorf("SettingsFrom: DangerLevel %v, HomeNet set %v", set.DangerLevel, set.HomeNet != nil)
	}
	opts := ParserOptionsFrom(&s.Detect, Overrides{})
	if string(opts.SIDMarker) != "FWSID" || opts.StripKernelTS {
		t.Errorf("ParserOptionsFrom = %+v", opts)
	}
}

func ignored(r Rules, key string) bool {
	for i := range r.IgnoreProto {
		if fwlog.IndexKey(i) == key {
			return r.IgnoreProto[i]
		}
	}
	return false
}

type protoNames map[string]int

func (m protoNames) Name(num int) (string, string, bool) {
	for k, v := range m {
		if v == num {
			return k, "", true
		}
	}
	return "", "", false
}

func (m protoNames) Number(name string) (int, bool) {
	n, ok := m[name]
	return n, ok
}
