package loggen

import (
	"bytes"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/logs from the scenarios")

// logsDir holds the committed scenario outputs.
var logsDir = filepath.Join("..", "..", "testdata", "logs")

func TestGoldenLogs(t *testing.T) {
	if *update {
		if err := os.MkdirAll(logsDir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			got := Scenarios[name]()
			path := filepath.Join(logsDir, name+".log")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(got, want) {
				gl, wl := lines(got), lines(want)
				for i := range min(len(gl), len(wl)) {
					if gl[i] != wl[i] {
						t.Fatalf("%s differs at line %d (run go test -update):\ngot:  %s\nwant: %s", path, i+1, gl[i], wl[i])
					}
				}
				t.Fatalf("%s: got %d lines, file has %d (run go test -update)", path, len(gl), len(wl))
			}
		})
	}
	t.Run("no stale files", func(t *testing.T) {
		files, err := filepath.Glob(filepath.Join(logsDir, "*.log"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if _, ok := Scenarios[strings.TrimSuffix(filepath.Base(f), ".log")]; !ok {
				t.Errorf("%s has no scenario", f)
			}
		}
	})
}

func TestDeterministic(t *testing.T) {
	for _, name := range Names() {
		if a, b := Scenarios[name](), Scenarios[name](); !bytes.Equal(a, b) {
			t.Errorf("%s: two runs differ", name)
		}
	}
}

func lines(b []byte) []string {
	s := strings.TrimSuffix(string(b), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// field returns the value of the first KEY= token of a line ("" if none);
// for ICMP "ID=" that is the IP ID, for UDP "LEN=" the IP length.
func field(line, key string) string {
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, key+"="); ok {
			return v
		}
	}
	return ""
}

// lastField returns the value of the last KEY= token (the UDP length, the
// ICMP echo id).
func lastField(line, key string) string {
	v := ""
	for _, f := range strings.Fields(line) {
		if w, ok := strings.CutPrefix(f, key+"="); ok {
			v = w
		}
	}
	return v
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return n
}

// stats summarises a scenario without parsing it properly (there is no
// parser in this package's dependencies): counts of substrings and of the
// values of some fields.
type stats struct {
	lines []string
	dpt   map[int]int          // destination port -> packets (TCP and UDP)
	dst   map[string]int       // DST= -> packets
	dsts  map[string]stringSet // SRC= -> set of DST=
}

type stringSet map[string]bool

func collect(t *testing.T, b []byte) stats {
	t.Helper()
	s := stats{lines: lines(b), dpt: map[int]int{}, dst: map[string]int{}, dsts: map[string]stringSet{}}
	for _, l := range s.lines {
		if p := field(l, "DPT"); p != "" {
			s.dpt[atoi(t, p)]++
		}
		src, dst := field(l, "SRC"), field(l, "DST")
		s.dst[dst]++
		if s.dsts[src] == nil {
			s.dsts[src] = stringSet{}
		}
		s.dsts[src][dst] = true
	}
	return s
}

func (s stats) count(sub string) int {
	n := 0
	for _, l := range s.lines {
		if strings.Contains(l, sub) {
			n++
		}
	}
	return n
}

// portsRange reports the lowest and highest destination port.
func (s stats) portsRange() (lo, hi int) {
	ports := make([]int, 0, len(s.dpt))
	for p := range s.dpt {
		ports = append(ports, p)
	}
	if len(ports) == 0 {
		return -1, -1
	}
	return slices.Min(ports), slices.Max(ports)
}

func full6(s string) string {
	var b []byte
	return string(AppendAddr(b, netip.MustParseAddr(s)))
}

func TestScenarioShapes(t *testing.T) {
	v6src, v6dst := full6("2001:db8:0:f101::2"), full6("2001:db8:0:f101::1")
	// eachPortTwice checks a scan of lo..hi where every port got two probes.
	eachPortTwice := func(t *testing.T, s stats, lo, hi, times int) {
		t.Helper()
		if len(s.dpt) != hi-lo+1 {
			t.Errorf("%d distinct ports, want %d", len(s.dpt), hi-lo+1)
		}
		for p := lo; p <= hi; p++ {
			if s.dpt[p] != times {
				t.Errorf("port %d: %d packets, want %d", p, s.dpt[p], times)
				return
			}
		}
	}
	nmapFields := func(t *testing.T, s stats, ipLen string) {
		t.Helper()
		for _, l := range s.lines {
			if !strings.Contains(l, "PROTO=TCP") {
				continue
			}
			if ttl := atoi(t, field(l, "TTL")); ttl < 37 || ttl > 59 {
				t.Errorf("TTL %d outside 37-59: %s", ttl, l)
			}
			if w := field(l, "WINDOW"); w != "1024" && w != "2048" && w != "3072" && w != "4096" {
				t.Errorf("WINDOW %s: %s", w, l)
			}
			if field(l, "LEN") != ipLen || strings.Contains(l, " DF ") {
				t.Errorf("want LEN=%s and no DF: %s", ipLen, l)
			}
		}
	}
	tests := []struct {
		name  string
		lines int
		check func(t *testing.T, s stats)
	}{
		{"syn_scan_1000_1500", 1002, func(t *testing.T, s stats) {
			if n := s.count("DROP IN=eth1 OUT= MAC="); n != 1002 {
				t.Errorf("%d lines with prefix DROP on eth1", n)
			}
			if n := s.count(" RES=0x00 SYN URGP=0 OPT (020405B4) "); n != 1002 {
				t.Errorf("%d SYNs with MSS 1460", n)
			}
			if n := s.count("SRC=192.168.10.55 DST=192.168.10.1 "); n != 1002 {
				t.Errorf("%d lines 192.168.10.55 -> 192.168.10.1", n)
			}
			eachPortTwice(t, s, 1000, 1500, 2)
			nmapFields(t, s, "44")
			var first []int
			for _, l := range s.lines[:501] {
				first = append(first, atoi(t, field(l, "DPT")))
			}
			if slices.IsSorted(first) {
				t.Error("ports are not shuffled")
			}
		}},
		{"syn_scan_1000_1500_multi_dst", 4008, func(t *testing.T, s stats) {
			if n := s.count("SYN URGP=0 OPT (020405B4) "); n != 4008 {
				t.Errorf("%d SYNs", n)
			}
			for i := 1; i <= 4; i++ {
				if n := s.dst["192.168.10."+strconv.Itoa(i)]; n != 1002 {
					t.Errorf("192.168.10.%d: %d packets, want 1002", i, n)
				}
			}
			eachPortTwice(t, s, 1000, 1500, 8)
		}},
		{"syn_sweep", 12, func(t *testing.T, s stats) {
			if s.dpt[1083] != 12 || s.count("SYN URGP") != 12 {
				t.Errorf("want 12 SYNs to 1083: %v", s.dpt)
			}
			var got []string
			for _, l := range s.lines {
				got = append(got, field(l, "DST"))
			}
			want := []string{"192.168.10.1", "192.168.10.2", "192.168.10.3", "192.168.10.232", "192.168.10.200",
				"192.168.10.100", "192.168.10.101", "192.168.10.244", "192.168.10.3", "10.0.0.1", "10.0.0.3", "10.0.0.201"}
			if !slices.Equal(got, want) {
				t.Errorf("destinations %v, want %v", got, want)
			}
			if n := len(s.dsts["192.168.10.55"]); n != 11 {
				t.Errorf("%d distinct destinations, want 11", n)
			}
		}},
		{"fin_scan_1000_1150", 302, func(t *testing.T, s stats) {
			if n := s.count("DROP INVALID IN=eth0 OUT= "); n != 302 {
				t.Errorf("%d lines with prefix and interface", n)
			}
			if n := s.count(" RES=0x00 FIN URGP=0 "); n != 302 {
				t.Errorf("%d FINs", n)
			}
			eachPortTwice(t, s, 1000, 1150, 2)
			nmapFields(t, s, "40")
		}},
		{"xmas_scan_1000_1150", 302, func(t *testing.T, s stats) {
			if n := s.count(" RES=0x00 URG PSH FIN URGP=0 "); n != 302 {
				t.Errorf("%d XMAS packets", n)
			}
			eachPortTwice(t, s, 1000, 1150, 2)
			nmapFields(t, s, "40")
		}},
		{"null_scan_1000_1150", 303, func(t *testing.T, s stats) {
			if n := s.count("DROP INVALID IN=eth0 OUT= MAC="); n != 302 {
				t.Errorf("%d scan lines", n)
			}
			if n := s.count(" RES=0x00 URGP=0 "); n != 302 {
				t.Errorf("%d NULL packets", n)
			}
			last := s.lines[302]
			if !strings.Contains(last, "] IN= OUT=eth0 SRC=192.168.10.1 DST=192.168.10.55 ") ||
				!strings.Contains(last, "PROTO=ICMP TYPE=8 CODE=0 ") || strings.Contains(last, "MAC=") {
				t.Errorf("last line is not the unprefixed OUTPUT ping: %s", last)
			}
			eachPortTwice(t, s, 1000, 1150, 2)
		}},
		{"ack_scan_1000_1150", 302, func(t *testing.T, s stats) {
			if n := s.count("DROP IN=eth0 OUT= "); n != 302 {
				t.Errorf("%d lines with prefix and interface", n)
			}
			if n := s.count(" RES=0x00 ACK URGP=0 "); n != 302 {
				t.Errorf("%d ACKs", n)
			}
			eachPortTwice(t, s, 1000, 1150, 2)
		}},
		{"udp_scan_1000_1150", 302, func(t *testing.T, s stats) {
			if n := s.count("DROP IN=eth1 OUT= "); n != 302 {
				t.Errorf("%d lines with prefix and interface", n)
			}
			for _, l := range s.lines {
				if !strings.Contains(l, "PROTO=UDP ") || field(l, "LEN") != "28" || lastField(l, "LEN") != "8" {
					t.Errorf("not an empty UDP datagram: %s", l)
				}
			}
			eachPortTwice(t, s, 1000, 1150, 2)
		}},
		{"ms_sql_server_sig_match", 2, func(t *testing.T, s stats) {
			if s.dpt[1433] != 2 || s.count("SYN URGP") != 2 {
				t.Errorf("want two SYNs to 1433")
			}
		}},
		{"ipv6_ms_sql_server_sig_match", 1, func(t *testing.T, s stats) {
			l := s.lines[0]
			if field(l, "SRC") != v6src || field(l, "DST") != v6dst || field(l, "DPT") != "1433" ||
				!strings.Contains(l, "IN=eth0 OUT= ") || !strings.Contains(l, " SYN URGP") {
				t.Errorf("unexpected line: %s", l)
			}
		}},
		{"ipv6_tcp_connect_nmap_default_scan", 1009, func(t *testing.T, s stats) {
			syn := map[int]int{}
			for _, l := range s.lines {
				if strings.Contains(l, " SYN URGP") {
					syn[atoi(t, field(l, "DPT"))]++
				}
			}
			if n := s.count(" SYN URGP"); n != 1002 {
				t.Errorf("%d SYNs, want 1002", n)
			}
			if len(syn) != 1000 {
				t.Errorf("%d distinct SYN ports, want 1000", len(syn))
			}
			if lo, hi := s.portsRange(); lo != 1 || hi != 65389 {
				t.Errorf("ports %d-%d, want 1-65389", lo, hi)
			}
			for _, p := range []int{80, 443} {
				if syn[p] != 2 {
					t.Errorf("port %d: %d SYNs, want 2", p, syn[p])
				}
			}
			for _, p := range []int{7100, 555, 12345, 5631, 6666, 617, 4242, 6699, 3389, 8000, 1417, 5555, 5900,
				3168, 8888, 3372, 705, 146, 666, 6881, 1433, 4899, 6789, 5802, 9100, 6969, 6004, 7070, 32771,
				7777, 9002, 1723, 22, 25, 53} {
				if syn[p] != 1 {
					t.Errorf("port %d: %d SYNs, want 1", p, syn[p])
				}
			}
			if a, r := s.count(" ACK URGP"), s.count(" ACK RST URGP"); a != 3 || r != 3 {
				t.Errorf("%d ACK and %d ACK RST, want 3 and 3", a, r)
			}
			ns := full6("ff02::1:ff00:1")
			if s.count("DST="+ns+" ") != 1 || s.count("PROTO=ICMPv6 TYPE=135 CODE=0 ") != 1 {
				t.Error("want one neighbour solicitation to ff02::1:ff00:1")
			}
			if len(s.dsts) != 1 || s.count("SRC="+v6src+" ") != 1009 || s.count(" OPT (") != 0 {
				t.Error("want every line from 2001:db8:0:f101::2 and no options logged")
			}
		}},
		{"topera_ipv6_syn_scan_no_ip_opts", 1036, func(t *testing.T, s stats) {
			if n := s.count(" SYN URGP"); n != 1024 {
				t.Errorf("%d SYNs, want 1024", n)
			}
			eachPortTwice(t, s, 0, 1023, 1)
			if s.count("OPT (") != 0 || s.count("LEN=132 ") != 1024 {
				t.Error("want LEN 132 and no options logged")
			}
			if n := len(s.dsts[full6("2012:1234:1234::1")]); n != 3 {
				t.Errorf("scanner has %d destinations, want 3", n)
			}
		}},
		{"topera_ipv6_syn_scan_with_ip_opts", 1039, func(t *testing.T, s stats) {
			if n := s.count(" SYN URGP"); n != 1025 {
				t.Errorf("%d SYNs, want 1025", n)
			}
			if lo, hi := s.portsRange(); lo != 0 || hi != 1234 {
				t.Errorf("ports %d-%d, want 0-1234", lo, hi)
			}
			if n := s.count("FLOWLBL=0 " + strings.Repeat("OPT ( ) ", 7)); n != 1025 {
				t.Errorf("%d lines with 7+ empty OPT groups, want 1025", n)
			}
			if n := len(s.dsts[full6("2012:1234:1234::1")]); n != 3 {
				t.Errorf("scanner has %d destinations, want 3", n)
			}
		}},
		{"mirai_default_credentials_scan", 11, func(t *testing.T, s stats) {
			if s.dpt[23] < 10 || s.dpt[2323] < 1 || field(s.lines[len(s.lines)-1], "DPT") != "2323" {
				t.Errorf("want >= 10 SYNs to 23, then 2323: %v", s.dpt)
			}
			if !strings.HasSuffix(strings.Join(s.lines, "\n"), "SYN URGP=0 ") || s.count(" SYN URGP=0 ") != 11 || s.count("OPT (") != 0 || len(s.dsts) != 1 {
				t.Error("want 11 option-less SYNs from one source")
			}
		}},
		{"proto_scan", 260, func(t *testing.T, s stats) {
			numeric := map[int]int{}
			for _, l := range s.lines {
				p := field(l, "PROTO")
				if n, err := strconv.Atoi(p); err == nil {
					numeric[n]++
				}
			}
			if len(numeric) != 250 {
				t.Errorf("%d numeric protocols, want 250", len(numeric))
			}
			for _, p := range []int{1, 6, 17, 50, 51, 136} {
				if numeric[p] != 0 {
					t.Errorf("protocol %d logged by number", p)
				}
			}
			for _, c := range []string{"PROTO=UDP ", "PROTO=UDPLITE ", "PROTO=AH SPI=0x", "PROTO=ESP SPI=0x", " ACK URGP=0 "} {
				if n := s.count(c); n != 2 {
					t.Errorf("%d lines with %q, want 2", n, c)
				}
			}
			if s.count("SRC=192.168.10.55 DST=192.168.10.1 ") != 260 || s.count("IN=eth0 OUT= ") != 260 {
				t.Error("want every line 192.168.10.55 -> 192.168.10.1 on eth0")
			}
		}},
		{"fwknop_spa_pkt", 1, func(t *testing.T, s stats) {
			l := s.lines[0]
			if field(l, "DPT") != "62201" || field(l, "LEN") != "189" || lastField(l, "LEN") != "169" ||
				!strings.Contains(l, "PROTO=UDP ") {
				t.Errorf("unexpected line: %s", l)
			}
		}},
		{"invalid_icmp_type_code", 5, func(t *testing.T, s stats) {
			if s.count("ICMP IN=eth0 OUT= ") != 5 || s.count("PROTO=ICMP TYPE=8 CODE=2 ID=") != 5 {
				t.Error("want five echo requests with code 2, prefix ICMP, on eth0")
			}
		}},
		{"ipv4_valid_ping", 5, func(t *testing.T, s stats) {
			if s.count("ICMP IN=eth0 OUT= ") != 5 || s.count("PROTO=ICMP TYPE=8 CODE=0 ID=") != 5 {
				t.Error("want five echo requests")
			}
		}},
		{"ipv6_ping_scan", 2, func(t *testing.T, s stats) {
			if s.count("SRC="+v6src+" ") != 2 || s.count("PROTO=ICMPv6 TYPE=135 CODE=0 ") != 2 {
				t.Error("want two neighbour solicitations")
			}
		}},
		{"ipv6_invalid_icmp6_type_code", 4, func(t *testing.T, s stats) {
			if s.count("PROTO=ICMPv6 TYPE=200 CODE=0 ") != 2 || s.count("PROTO=ICMPv6 TYPE=128 CODE=5 ID=") != 2 ||
				s.count("SRC="+v6src+" ") != 4 {
				t.Error("want two undefined types and two undefined echo codes")
			}
		}},
		{"ipv4_igmp", 4, func(t *testing.T, s stats) {
			if s.count("] Shorewall:wlan0_mac:DROP:IN=wlan0 OUT= ") != 4 ||
				s.count("DST=224.0.0.1 LEN=36 TOS=0x00 PREC=0xC0 TTL=1 ID=0 PROTO=2 ") != 4 {
				t.Error("want four IGMP queries behind the Shorewall prefix")
			}
		}},
		{"syslog_time_fmt1", 6, func(t *testing.T, s stats) {
			on8 := 0
			for _, l := range s.lines {
				ts, rest, _ := strings.Cut(l, " ")
				if _, err := time.Parse("2006-01-02T15:04:05.000000Z07:00", ts); err != nil {
					t.Errorf("not an RFC 3339 high-precision stamp: %v", err)
				}
				if !strings.HasPrefix(rest, "servername kernel: DROP: IN=") {
					t.Errorf("unexpected line: %s", l)
				}
				if strings.HasPrefix(ts, "2015-03-08T") {
					on8++
				}
			}
			if on8 != 2 || s.count("PROTO=TCP ") == 0 || s.count("PROTO=2 ") == 0 {
				t.Error("want TCP and PROTO=2 lines, two dated 2015-03-08")
			}
		}},
		{"masscan_mix", 6, func(t *testing.T, s stats) {
			if !strings.Contains(s.lines[0], "SYN URGP=0 OPT (") {
				t.Errorf("first SYN has no options: %s", s.lines[0])
			}
			for _, l := range s.lines[1:] {
				if strings.Contains(l, "OPT (") || field(l, "SRC") == field(s.lines[0], "SRC") || !strings.Contains(l, " SYN URGP") {
					t.Errorf("want option-less SYNs from another host: %s", l)
				}
			}
		}},
		{"sample", 2000, func(t *testing.T, s stats) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := Scenarios[tt.name]()
			if len(b) == 0 || b[len(b)-1] != '\n' {
				t.Fatal("output does not end with a newline")
			}
			s := collect(t, b)
			if len(s.lines) != tt.lines {
				t.Fatalf("%d lines, want %d", len(s.lines), tt.lines)
			}
			if tt.name != "sample" {
				for _, l := range s.lines {
					// The kernel ends every field with a blank.
					if !strings.HasSuffix(l, " ") || !strings.Contains(l, " kernel: ") {
						t.Fatalf("not a kernel LOG line: %q", l)
					}
				}
			}
			tt.check(t, s)
		})
	}
	if len(tests) != len(Scenarios) {
		t.Errorf("%d shape tests for %d scenarios", len(tests), len(Scenarios))
	}
}
