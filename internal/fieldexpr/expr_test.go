package fieldexpr

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/psadgo/psad/internal/fwlog"
)

// synPacket is one packet of psad's syn_scan_1000_1500 sample, built by
// hand because the parser is not used here.
func synPacket(dp int) *fwlog.Packet {
	var p fwlog.Packet
	p.Reset()
	p.Timestamp = []byte("Mar 11 20:35:11")
	p.Host = []byte("minastirith")
	p.Prefix = []byte("DROP")
	p.Chain = fwlog.ChainInput
	p.Intf = []byte("eth1")
	p.In = []byte("eth1")
	p.DstMAC = []byte("00:13:d3:38:b6:e4")
	p.SrcMAC = []byte("00:30:48:23:87:dd")
	p.Src = netip.MustParseAddr("192.168.10.55")
	p.Dst = netip.MustParseAddr("192.168.10.1")
	p.Proto, p.HasProto = fwlog.ProtoTCP, true
	p.IPLen, p.TOS, p.TTL, p.IPID = 44, 0, 53, 48441
	p.SrcPort, p.DstPort = 56247, dp
	p.Window = 3072
	p.Flags = fwlog.FlagSYN
	p.TCPOpts = []byte("020405B4")
	return &p
}

func icmpPacket() *fwlog.Packet {
	var p fwlog.Packet
	p.Reset()
	p.Chain = fwlog.ChainInput
	p.Intf = []byte("eth0")
	p.Src = netip.MustParseAddr("10.0.0.9")
	p.Dst = netip.MustParseAddr("10.0.0.1")
	p.Proto, p.HasProto = fwlog.ProtoICMP, true
	p.IPLen, p.TTL, p.IPID = 84, 64, 1
	p.SrcPort, p.DstPort = 0, 0
	p.ICMPType, p.ICMPCode, p.ICMPID, p.ICMPSeq = 8, 0, 512, 3
	return &p
}

func ipv6Packet() *fwlog.Packet {
	var p fwlog.Packet
	p.Reset()
	p.Chain = fwlog.ChainForward
	p.Intf = []byte("eth0")
	p.IPv6 = true
	p.Src = netip.MustParseAddr("2001:db8::55")
	p.Dst = netip.MustParseAddr("2001:db8:1::1")
	p.Proto, p.HasProto = fwlog.ProtoUDP, true
	p.IPLen, p.TC, p.HopLimit, p.FlowLabel = 60, 0, 64, 0
	p.SrcPort, p.DstPort, p.UDPLen = 5353, 53, 20
	return &p
}

func TestMatch(t *testing.T) {
	tests := []struct {
		spec string
		p    *fwlog.Packet
		want bool
	}{
		// detection spec 13.9 examples (psad's SYN scan sample)
		{"SRC:1.2.3.4", synPacket(1025), false},
		{"SRC:192.168.10.55", synPacket(1025), true},
		{"DST:1.2.3.4", synPacket(1025), false},
		{"DST:192.168.10.1", synPacket(1025), true},
		{"SRC:192.168.10.55, DST:192.168.10.1", synPacket(1025), true},
		{"SRC:192.168.10.55, DST:192.168.10.2", synPacket(1025), false},
		{"DPT:>1400", synPacket(1401), true},
		{"DPT:>1400", synPacket(1400), false},
		{"DPT:<1005", synPacket(1004), true},
		{"DPT:<1005", synPacket(1005), false},
		{"DPT:not1025", synPacket(1025), false},
		{"DPT:not1025", synPacket(1026), true},
		{"LEN:15", synPacket(1025), false},
		{"LEN:44", synPacket(1025), true},
		{"WIN:3072", synPacket(1025), true},
		{"WIN:1024", synPacket(1025), false},
		{"dst_mac:/23:87/", synPacket(1025), false},
		{"src_mac:/23:87/", synPacket(1025), true},
		{"dst_mac:/^00:13/", synPacket(1025), true},

		// networks and masks
		{"SRC:192.168.10.0/24", synPacket(1), true},
		{"SRC:192.168.10.0/255.255.255.0", synPacket(1), true},
		{"SRC:192.168.11.0/255.255.255.0", synPacket(1), false},
		{"SRC:192.168.10.99/24", synPacket(1), true}, // host bits ignored
		{"dst:not192.168.10.0/24", synPacket(1), false},
		{"dst:not10.0.0.0/8", synPacket(1), true},
		{"SRC:2001:db8::/32", ipv6Packet(), true},
		{"SRC:2001:db9::/32", ipv6Packet(), false},
		{"SRC:2001:db8::55", ipv6Packet(), true},
		{"SRC:not2001:db8::/32", ipv6Packet(), false},
		{"SRC:192.168.10.0/24", ipv6Packet(), false}, // other family
		{"SRC:2001:db8::/32", synPacket(1), false},
		{"intf:1.2.3.4", synPacket(1), false}, // field is not an address

		// numbers need an all-digits field, also when negated
		{"itype:8", icmpPacket(), true},
		{"TYPE:8", icmpPacket(), true},
		{"CODE:0", icmpPacket(), true},
		{"SEQ:3", icmpPacket(), true},
		{"ID:1", icmpPacket(), true},
		{"icmp_id:512", icmpPacket(), true},
		{"win:3072", icmpPacket(), false},    // -1
		{"win:not3072", icmpPacket(), false}, // -1 is not digits
		{"win:<5000", icmpPacket(), false},
		{"win:not>5000", synPacket(1), true},
		{"win:not<5000", synPacket(1), false},
		{"DPT:01025", synPacket(1025), true},
		{"DPT:>99999999999999999999999", synPacket(1025), false},
		{"tcp_seq:not5", synPacket(1), false},
		{"proto:6", synPacket(1), false}, // "tcp" is not digits
		{"proto:47", func() *fwlog.Packet { p := synPacket(1); p.Proto = 47; return p }(), true},
		{"is_ipv6:1", ipv6Packet(), true},
		{"is_ipv6:0", synPacket(1), true},
		{"frag_bit:0", synPacket(1), true},
		{"is_masscan:0", synPacket(1), true},
		{"log_prefix:/^DR/", synPacket(1), true},
		{"log_prefix:'DROP'", synPacket(1), true},
		{"log_prefix:not'DROP'", synPacket(1), false},

		// text and regex on rendered fields
		{"proto:'tcp'", synPacket(1), true},
		{"PROTO:'udp'", synPacket(1), false},
		{"proto:'icmp'", icmpPacket(), true},
		{"chain:'INPUT'", synPacket(1), true},
		{"chain:'FORWARD'", ipv6Packet(), true},
		{"flags:/SYN/", synPacket(1), true},
		{"flags:/ACK/", synPacket(1), false},
		{"flags:not/ACK/", synPacket(1), true},
		{"flags:'-1'", icmpPacket(), true},
		{"IN:'eth1'", synPacket(1), true},
		{"OUT:'eth1'", synPacket(1), true},
		{"syslog_host:'unknown'", icmpPacket(), true},
		{"syslog_host:'minastirith'", synPacket(1), true},
		{"dst:/^2001:0db8:0001:/", ipv6Packet(), true},

		// fields without criteria and count keywords never filter
		{"src dst dp", icmpPacket(), true},
		{"dp:count", icmpPacket(), true},
		{"dp:>1000,countuniq", synPacket(1001), true},
		{"dp:>1000,countuniq", synPacket(999), false},
		{"", synPacket(1), true},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			e, err := Parse(tt.spec, false)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.spec, err)
			}
			if got := e.Match(tt.p, nil); got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		spec    string
		require bool
		want    string
	}{
		{"SRC", true, "[*] SRC requires a search criteria in -A mode."},
		{"SRC:1.2.3.4 dp", true, "[*] dp requires a search criteria in -A mode."},
		{"SRC:", true, "[*] SRC: requires a search criteria in -A mode."},
		// one token, so "DST:..." is part of an IPv6-looking criterion
		{"SRC:192.168.10.55,DST:192.168.10.1", true, "[*] Unrecognized value for src"},
		{"chain:INPUT", false, "[*] Unrecognized value for chain"},
		{"proto:tcp", false, "[*] Unrecognized value for proto"},
		{"dp:>x", false, "[*] Unrecognized value for dp"},
		{"dp:not", false, "[*] Unrecognized value for dp"},
		{"SRC:299.0.0.1", false, "[*] Unrecognized value for src"},
		{"SRC:1.2.3.4/33", false, "[*] Unrecognized value for src"},
		{"SRC:1.2.3.4/255.0.255.0", false, "[*] Unrecognized value for src"},
		{"SRC:1.2.3.4/", false, "[*] Unrecognized value for src"},
		{"SRC:fe80::1%eth0", false, "[*] Unrecognized value for src"},
		{"flags:/(/", false, "[*] Invalid regex for flags: error parsing regexp: missing closing ): `(`"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			_, err := Parse(tt.spec, tt.require)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Parse(%q) error = %v, want %q", tt.spec, err, tt.want)
			}
		})
	}
}

func TestFieldError(t *testing.T) {
	_, err := Parse("BOGUS:44", true)
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Name != "BOGUS" {
		t.Fatalf("Parse error = %v, want *FieldError for BOGUS", err)
	}
	want := "[*] BOGUS is not a valid packet field; valid fields are:\n" +
		"    chain\n    d_obj\n    dp\n    dshield_str\n    dst\n    dst_mac\n" +
		"    flags\n    flow_label\n    frag_bit\n    fwsnort_estab\n" +
		"    fwsnort_rnum\n    fwsnort_sid\n    hop_limit\n    icmp_id\n" +
		"    icmp_seq\n    icode\n    intf\n    ip_id\n    ip_len\n    ip_opts\n" +
		"    is_ipv6\n    is_masscan\n    is_mirai\n    is_port_sweep\n" +
		"    is_topera\n    itype\n    log_prefix\n    proto\n    s_obj\n    sp\n" +
		"    src\n    src_mac\n    syslog_host\n    tc\n    tcp_ack\n    tcp_opts\n" +
		"    tcp_seq\n    timestamp\n    tos\n    ttl\n    udp_len\n    win"
	if err.Error() != want {
		t.Errorf("message:\n%s\nwant:\n%s", err, want)
	}
	if !slices.IsSorted(fieldNames[:]) {
		t.Error("fieldNames not sorted")
	}
	// Names are case sensitive: "Src" is neither a field nor an alias.
	if _, err := Parse("Src", false); !errors.As(err, &fe) {
		t.Errorf("Parse(Src) error = %v, want *FieldError", err)
	}
}

func TestFields(t *testing.T) {
	e, err := Parse("SRC:1.2.3.4, DPT IN OUT:'eth0' timestamp", false)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"src", "dp", "intf", "intf", "timestamp"}
	if got := e.Fields(); !slices.Equal(got, want) {
		t.Errorf("Fields = %q, want %q", got, want)
	}
}

func TestAppendValue(t *testing.T) {
	syn := synPacket(1025)
	syn.Flags = fwlog.FlagURG | fwlog.FlagPSH | fwlog.FlagFIN
	syn.DF = true
	syn.FwsnortSID, syn.FwsnortRule, syn.FwsnortEstab = 2003, 12, true
	v6 := ipv6Packet()
	v6.Topera = true
	ctx := &Context{IsMasscan: true, IsPortSweep: true}
	tests := []struct {
		field string
		p     *fwlog.Packet
		want  string
	}{
		{"timestamp", syn, "Mar 11 20:35:11"},
		{"src", syn, "192.168.10.55"},
		{"SRC", syn, "192.168.10.55"},
		{"dst", v6, "2001:0db8:0001:0000:0000:0000:0000:0001"},
		{"s_obj", syn, "192.168.10.55/32"},
		{"d_obj", v6, "2001:0db8:0001:0000:0000:0000:0000:0001/128"},
		{"sp", syn, "56247"},
		{"dp", syn, "1025"},
		{"proto", syn, "tcp"},
		{"proto", v6, "udp"},
		{"flags", syn, "URG PSH FIN"},
		{"flags", v6, "-1"},
		{"ip_len", syn, "44"},
		{"intf", syn, "eth1"},
		{"chain", syn, "INPUT"},
		{"log_prefix", syn, "DROP"},
		{"tos", v6, "-1"},
		{"ttl", syn, "53"},
		{"win", v6, "-1"},
		{"tcp_opts", syn, "020405B4"},
		{"ip_opts", syn, ""},
		{"tcp_seq", syn, "-1"},
		{"udp_len", v6, "20"},
		{"hop_limit", v6, "64"},
		{"flow_label", v6, "0"},
		{"tc", v6, "0"},
		{"is_ipv6", v6, "1"},
		{"is_ipv6", syn, "0"},
		{"is_topera", v6, "1"},
		{"frag_bit", syn, "1"},
		{"fwsnort_sid", syn, "2003"},
		{"fwsnort_sid", v6, "-1"},
		{"fwsnort_rnum", syn, "12"},
		{"fwsnort_rnum", v6, "-1"},
		{"fwsnort_estab", syn, "1"},
		{"is_masscan", syn, "1"},
		{"is_mirai", syn, "0"},
		{"is_port_sweep", syn, "1"},
		{"syslog_host", syn, "minastirith"},
		{"syslog_host", v6, "unknown"},
		{"dshield_str", syn, ""},
		{"src_mac", syn, "00:30:48:23:87:dd"},
		{"dst_mac", v6, ""},
		{"itype", icmpPacket(), "8"},
		{"icode", icmpPacket(), "0"},
		{"icmp_seq", icmpPacket(), "3"},
		{"icmp_id", icmpPacket(), "512"},
		{"ip_id", icmpPacket(), "1"},
		{"nosuchfield", syn, ""},
	}
	for _, tt := range tests {
		got := string(AppendValue([]byte("x"), tt.field, tt.p, ctx))
		if got != "x"+tt.want {
			t.Errorf("AppendValue(%s) = %q, want %q", tt.field, got[1:], tt.want)
		}
	}
	// A nil context reads as all false.
	if got := string(AppendValue(nil, "is_masscan", syn, nil)); got != "0" {
		t.Errorf("is_masscan with nil ctx = %q", got)
	}
	// Every field renders without panicking on a zero packet.
	var zero fwlog.Packet
	for _, n := range fieldNames {
		AppendValue(nil, n, &zero, nil)
	}
}

func TestAppendRecord(t *testing.T) {
	e, err := Parse("src dp:>1495 ttl", false)
	if err != nil {
		t.Fatal(err)
	}
	got := string(e.AppendRecord(nil, ", ", synPacket(1498), nil))
	if want := "192.168.10.55, 1498, 53"; got != want {
		t.Errorf("AppendRecord = %q, want %q", got, want)
	}
}

// raceEnabled is set by race_test.go: the race detector's instrumentation
// allocates, so allocation counts are only checked without it.
var raceEnabled bool

func TestMatchNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	p := synPacket(1401)
	for _, spec := range []string{
		"SRC:192.168.10.0/24",
		"SRC:2001:db8::/32",
		"DPT:>1400",
		"LEN:44",
		"DPT:not1025",
		"fwsnort_sid:5",
		"proto:'tcp'",
		"log_prefix:'DROP'",
		"chain:'INPUT'",
		"dst_mac:/23:87/",
		"flags:/SYN/",
	} {
		e, err := Parse(spec, true)
		if err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(100, func() { e.Match(p, nil) }); n != 0 {
			t.Errorf("%s: %v allocations per Match, want 0", spec, n)
		}
	}
}

func BenchmarkMatch(b *testing.B) {
	p := synPacket(1401)
	for _, spec := range []string{"SRC:192.168.10.55", "DPT:>1400", "SRC:192.168.10.55, DST:192.168.10.1, DPT:not1025", "flags:/SYN/"} {
		e, err := Parse(spec, true)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(strings.ReplaceAll(spec, " ", ""), func(b *testing.B) {
			b.ReportAllocs()
			var sink bool
			for b.Loop() {
				sink = e.Match(p, nil)
			}
			_ = sink
		})
	}
}
