package pipeline

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/psadgo/psad/internal/config"
	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/inspect"
	"github.com/psadgo/psad/internal/loggen"
	"github.com/psadgo/psad/internal/logsrc"
	"github.com/psadgo/psad/internal/scan"
)

func newPipeline(r Rules) *Pipeline {
	return New(fwlog.NewParser(fwlog.Options{StripKernelTS: true, SIDMarker: []byte("SID")}), r, scan.NewTracker(scan.DefaultSettings()))
}

const synLine = "Mar 11 20:35:11 fw kernel: [463490.251762] DROP IN=eth1 OUT= MAC=23:87:fc:c6:24:58:00:21:3f:98:99:78:08:00 SRC=192.168.10.55 DST=192.168.10.1 LEN=44 TOS=0x00 PREC=0x00 TTL=53 ID=15270 PROTO=TCP SPT=56247 DPT=%d WINDOW=3072 RES=0x00 %s URGP=0 OPT (020405B4) "
const udpLine = "Mar 11 20:35:11 fw kernel: DROP IN=eth0 OUT= SRC=192.168.10.55 DST=192.168.10.1 LEN=28 TOS=0x00 PREC=0x00 TTL=40 ID=1 PROTO=UDP SPT=5000 DPT=%d LEN=8 "

func TestRules(t *testing.T) {
	tcpIgn, udpIgn, err := ParseIgnorePorts("tcp/80-85, udp/55, tcp/89, tcp/5-5")
	if err != nil {
		t.Fatal(err)
	}
	prefixRe := regexp.MustCompile("IGNOREME")
	tests := []struct {
		name  string
		rules func(*Rules)
		line  string
		want  Outcome
	}{
		{"plain SYN", nil, fmt.Sprintf(synLine, 22, "SYN"), Accepted},
		{"not a firewall line", nil, "Mar 11 20:35:11 fw sshd[1]: hello", NotFirewall},
		{"conntrack ACK", nil, fmt.Sprintf(synLine, 22, "ACK"), Ignored},
		{"conntrack RST off", func(r *Rules) { r.Conntrack = false }, fmt.Sprintf(synLine, 22, "RST"), Accepted},
		{"ignored port in range", func(r *Rules) { r.IgnoreTCP = tcpIgn }, fmt.Sprintf(synLine, 83, "SYN"), Ignored},
		{"port outside range", func(r *Rules) { r.IgnoreTCP = tcpIgn }, fmt.Sprintf(synLine, 86, "SYN"), Accepted},
		{"tcp/5-5 ignores nothing", func(r *Rules) { r.IgnoreTCP = tcpIgn }, fmt.Sprintf(synLine, 5, "SYN"), Accepted},
		{"ignored udp port", func(r *Rules) { r.IgnoreUDP = udpIgn }, fmt.Sprintf(udpLine, 55), Ignored},
		{"interface -i mismatch", func(r *Rules) { r.Interface = "eth0" }, fmt.Sprintf(synLine, 22, "SYN"), Ignored},
		{"IGNORE_INTERFACES", func(r *Rules) { r.IgnoreInterfaces = map[string]bool{"eth1": true} }, fmt.Sprintf(synLine, 22, "SYN"), Ignored},
		{"IGNORE_PROTOCOLS", func(r *Rules) { r.IgnoreProto[fwlog.ProtoTCP] = true }, fmt.Sprintf(synLine, 22, "SYN"), Ignored},
		{"FW_MSG_SEARCH miss", func(r *Rules) { r.FWSearchAll = false; r.FWMsgSearch = []*regexp.Regexp{regexp.MustCompile("nothere")} }, fmt.Sprintf(synLine, 22, "SYN"), Ignored},
		{"FW_MSG_SEARCH hit", func(r *Rules) { r.FWSearchAll = false; r.FWMsgSearch = []*regexp.Regexp{regexp.MustCompile("DROP")} }, fmt.Sprintf(synLine, 22, "SYN"), Accepted},
		{"IGNORE_LOG_PREFIXES", func(r *Rules) { r.IgnoreLogPrefixes = prefixRe }, "Mar 11 20:35:11 fw kernel: IGNOREME IN=eth0 OUT= SRC=1.2.3.4 DST=5.6.7.8 LEN=28 TOS=0x00 PREC=0x00 TTL=40 ID=1 PROTO=UDP SPT=5000 DPT=53 LEN=8 ", Ignored},
		{"no chain", nil, "Mar 11 20:35:11 fw kernel: DROP IN= OUT= SRC=1.2.3.4 DST=5.6.7.8 LEN=28 TOS=0x00 PREC=0x00 TTL=40 ID=1 PROTO=UDP SPT=5000 DPT=53 LEN=8 ", Malformed},
		{"restrict-ip outside", func(r *Rules) { r.Restrict = netip.MustParsePrefix("10.0.0.0/8") }, fmt.Sprintf(synLine, 22, "SYN"), Ignored},
		{"restrict-ip dst inside", func(r *Rules) { r.Restrict = netip.MustParsePrefix("192.168.10.1/32") }, fmt.Sprintf(synLine, 22, "SYN"), Accepted},
		{"restrict-ip other family passes", func(r *Rules) { r.Restrict = netip.MustParsePrefix("2001:db8::/32") }, fmt.Sprintf(synLine, 22, "SYN"), Accepted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := DefaultRules()
			if tt.rules != nil {
				tt.rules(&r)
			}
			pl := newPipeline(r)
			if got := pl.Process([]byte(tt.line)); got != tt.want {
				t.Errorf("outcome %d, want %d", got, tt.want)
			}
		})
	}
}

func TestIgnoreProtocolsUsesProtocolKeys(t *testing.T) {
	tab, _ := ParseIgnoreProtocols("tcp, 2, 58", nil)
	if !tab[fwlog.ProtoTCP] || !tab[2] {
		t.Error("tcp or 2 not ignored")
	}
	// psad compares keys: ICMPv6's key is "icmp6", so "58" does not ignore it.
	if tab[fwlog.ProtoICMPv6] {
		t.Error("58 ignored ICMPv6")
	}
	if _, warn := ParseIgnoreProtocols("tcp, bad-name", nil); len(warn) != 1 {
		t.Errorf("warnings %q, want one for bad-name", warn)
	}
}

// TestPrefixCountedBeforeOtherChecks: psad counts a prefix even for lines
// it then ignores or finds malformed.
func TestPrefixCountedBeforeOtherChecks(t *testing.T) {
	pl := newPipeline(DefaultRules())
	pl.Process([]byte(fmt.Sprintf(synLine, 22, "ACK")))
	pl.Process([]byte("Mar 11 20:35:11 fw kernel: DROP IN= OUT= SRC=1.2.3.4 DST=5.6.7.8 PROTO=UDP"))
	if n := pl.Tracker.Counters.Prefix["DROP"]; n == nil || *n != 2 {
		t.Errorf("prefix counter %v, want 2", n)
	}
}

// TestParseAheadMatchesSequential runs the same log through Process and
// through ParseAhead + ProcessParsed and compares every counter.
func TestParseAheadMatchesSequential(t *testing.T) {
	var buf bytes.Buffer
	if err := loggen.Mixed(&buf, 20000, 7); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	seq := newPipeline(DefaultRules())
	logsrc.Each(bytes.NewReader(data), func(l []byte) bool { seq.Process(l); return true })
	par := newPipeline(DefaultRules())
	chunks, errf := ParseAhead[struct{}](bytes.NewReader(data), fwlog.Options{StripKernelTS: true, SIDMarker: []byte("SID")}, nil, nil, nil)
	for c := range chunks {
		for i := range c.Items {
			par.ProcessParsed(c.Items[i].Line, &c.Items[i].Pkt, c.Items[i].Err)
		}
		c.Release()
	}
	if err := errf(); err != nil {
		t.Fatal(err)
	}
	if seq.Stats != par.Stats {
		t.Fatalf("stats differ: %+v vs %+v", seq.Stats, par.Stats)
	}
	seq.Tracker.EndBatch()
	par.Tracker.EndBatch()
	if seq.Tracker.Sources() != par.Tracker.Sources() || seq.Tracker.Counters.Proto != par.Tracker.Counters.Proto ||
		seq.Tracker.Counters.TCPPort != par.Tracker.Counters.TCPPort {
		t.Fatal("tracker state differs")
	}
	seq.Tracker.EachSource(func(s *scan.Source) {
		o := par.Tracker.Source(s.Addr)
		if o == nil || o.DL != s.DL || o.Packets != s.Packets || len(o.Pairs()) != len(s.Pairs()) {
			t.Fatalf("source %v differs", s.Addr)
		}
	})
}

// benchLines are realistic inputs: the generator's busy-firewall mix and
// a SYN scan (the project's own sample logs).
func benchLines(b *testing.B, name string) [][]byte {
	var data []byte
	switch name {
	case "mixed":
		var buf bytes.Buffer
		if err := loggen.Mixed(&buf, 200000, 1); err != nil {
			b.Fatal(err)
		}
		data = buf.Bytes()
	default:
		var err error
		data, err = os.ReadFile(filepath.Join("..", "..", "testdata", "logs", name+".log"))
		if err != nil {
			b.Fatal(err)
		}
	}
	return bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
}

// BenchmarkPipeline measures parse + ignore rules + scan state per line
// on one core; the lines/s metric is the figure to compare with psad.
func BenchmarkPipeline(b *testing.B) {
	for _, name := range []string{"syn_scan_1000_1500", "ipv6_tcp_connect_nmap_default_scan", "mixed"} {
		b.Run(name, func(b *testing.B) {
			lines := benchLines(b, name)
			var size int
			for _, l := range lines {
				size += len(l) + 1
			}
			b.SetBytes(int64(size / len(lines)))
			b.ReportAllocs()
			// As in -A: no per-batch alert detail.
			set := scan.DefaultSettings()
			set.NoBatchDetail = true
			pl := New(fwlog.NewParser(fwlog.Options{StripKernelTS: true, SIDMarker: []byte("SID")}), DefaultRules(), scan.NewTracker(set))
			b.ResetTimer()
			// The state is kept across rounds over the input, as a long
			// scan or a busy day keeps adding to the same sources.
			for i := 0; i < b.N; i++ {
				pl.Process(lines[i%len(lines)])
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
		})
	}
}

// BenchmarkPipelineFull adds the whole signature set, ICMP type checks
// and passive OS fingerprinting (psad-go's built-in data) to
// BenchmarkPipeline.
func BenchmarkPipelineFull(b *testing.B) {
	cfg, err := config.Default()
	if err != nil {
		b.Fatal(err)
	}
	set0, err := cfg.Settings()
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"syn_scan_1000_1500", "ipv6_tcp_connect_nmap_default_scan", "mixed"} {
		b.Run(name, func(b *testing.B) {
			lines := benchLines(b, name)
			set := scan.DefaultSettings()
			set.NoBatchDetail = true
			tr := scan.NewTracker(set)
			eng, err := inspect.LoadSettings(&set0.Detect, set0.Embedded, inspect.Options{})
			if err != nil {
				b.Fatal(err)
			}
			tr.Inspect, tr.Fingerprint = eng.Inspect, eng.Fingerprint
			pl := New(fwlog.NewParser(fwlog.Options{StripKernelTS: true, SIDMarker: []byte("SID")}), DefaultRules(), tr)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				pl.Process(lines[i%len(lines)])
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
		})
	}
}

// BenchmarkParseOnly is the parser alone on the same inputs, for
// comparison with BenchmarkPipeline.
func BenchmarkParseOnly(b *testing.B) {
	for _, name := range []string{"syn_scan_1000_1500", "mixed"} {
		b.Run(name, func(b *testing.B) {
			lines := benchLines(b, name)
			p := fwlog.NewParser(fwlog.Options{StripKernelTS: true})
			var pkt fwlog.Packet
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				p.Parse(lines[i%len(lines)], &pkt)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
		})
	}
}

func TestWatchCountsRules(t *testing.T) {
	pl := New(fwlog.NewParser(fwlog.Options{}), DefaultRules(), nil)
	var tcp [65536 / 64]uint64
	tcp[22>>6] |= 1 << (22 & 63)
	pl.Rules.IgnoreTCP = &tcp
	src := netip.MustParseAddr("10.0.0.9")
	pl.Watch = &Watch{Src: src}
	line := func(s string, dpt int, flags string) []byte {
		return fmt.Appendf(nil, "Mar 11 20:35:11 fw kernel: DROP IN=eth0 OUT= SRC=%s DST=10.0.0.1 LEN=44 TOS=0x00 PREC=0x00 TTL=50 ID=1 PROTO=TCP SPT=4000 DPT=%d WINDOW=1024 RES=0x00 %s URGP=0", s, dpt, flags)
	}
	for _, l := range [][]byte{line("10.0.0.9", 22, "SYN"), line("10.0.0.9", 80, "ACK"), line("10.0.0.9", 80, "SYN"), line("10.0.0.8", 22, "SYN")} {
		pl.Process(l)
	}
	w := pl.Watch
	if w.Removed[RuleIgnorePorts] != 1 || w.Removed[RuleConntrack] != 1 || w.Accepted != 1 {
		t.Errorf("watch %+v", *w)
	}
}
