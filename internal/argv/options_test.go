package argv

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
)

var optUpdate = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestOneLetterForms checks spec 1.1 table 4: which single letters work
// as prefixes of one option and which are ambiguous. New long options
// must keep it true.
func TestOneLetterForms(t *testing.T) {
	resolves := map[string]string{
		"A": "Analyze-msgs", "B": "Benchmark", "c": "config", "D": "Dump-conf",
		"e": "email-analysis", "F": "Flush", "h": "help", "H": "HUP",
		"i": "interface", "I": "Interval", "v": "verbose", "w": "whois-analysis",
		"K": "Kill", "L": "fw-list-auto", "m": "messages-file",
		"O": "Override-config", "r": "restrict-ip", "R": "Restart",
		"S": "Status", "t": "test-mode", "u": "use-store-file", "U": "USR1",
		"V": "Version", "X": "fw-del-chains", "j": "json",
		"l": "log-server", // explicit alias, ambiguous in psad 2.4.6
	}
	for letter, want := range resolves {
		e, msg := optLookup(letter)
		if e == nil {
			t.Errorf("-%s: %s, want --%s", letter, msg, want)
			continue
		}
		if e.def.name != want {
			t.Errorf("-%s resolves to --%s, want --%s", letter, e.def.name, want)
		}
	}
	for _, letter := range []string{"a", "C", "d", "g", "n", "p", "s", "f"} {
		if e, msg := optLookup(letter); e != nil || !strings.Contains(msg, "is ambiguous") {
			t.Errorf("-%s: got %v %q, want ambiguous", letter, e, msg)
		}
	}
	// Every other letter is unknown.
	for c := 'A'; c <= 'z'; c++ {
		l := string(c)
		if _, ok := resolves[l]; ok || strings.Contains("aCdgnpsf", l) || c > 'Z' && c < 'a' {
			continue
		}
		if e, msg := optLookup(l); e != nil || msg != "Unknown option: "+l {
			t.Errorf("-%s: got %v %q, want unknown", l, e, msg)
		}
	}
}

func TestParseArgs(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want func(o *Options)
	}{
		{"none", nil, func(o *Options) {}},
		{"two dashes and one", []string{"--Analyze-msgs", "-messages-file", "f"},
			func(o *Options) { o.Analyze = true; o.MessagesFile = "f" }},
		{"prefixes", []string{"--Anal", "--fw-list", "--Stat"},
			func(o *Options) { o.Analyze = true; o.FwListAuto = true; o.Status = true }},
		{"exact name wins", []string{"--CSV", "--gnuplot"},
			func(o *Options) { o.CSV = true; o.Gnuplot = true }},
		{"value after =", []string{"--status-dl=3", "-m=/var/log/x"},
			func(o *Options) { o.StatusDL = 3; o.MessagesFile = "/var/log/x" }},
		{"value may start with a dash", []string{"-m", "-A"},
			func(o *Options) { o.MessagesFile = "-A" }},
		{"value may contain =", []string{"--CSV-fields=src=x"},
			func(o *Options) { o.CSVFields = "src=x" }},
		{"last wins", []string{"-m", "a", "--messages-file", "b", "-I", "3", "-I", "7"},
			func(o *Options) { o.MessagesFile = "b"; o.Interval = 7 }},
		{"leftovers ignored", []string{"foo", "-A", "-", "bar"},
			func(o *Options) { o.Analyze = true }},
		{"double dash ends options", []string{"-A", "--", "-S", "--bogus"},
			func(o *Options) { o.Analyze = true }},
		{"integers", []string{"--packets", "0", "--CSV-max-lines", "+1_000", "--debug-sid", "-5"},
			func(o *Options) { o.PacketsSet = true; o.CSVMaxLines = 1000; o.DebugSID = -5 }},
		{"override list", []string{"-O", "a.conf,b.conf"},
			func(o *Options) { o.OverrideConfig = []string{"a.conf", "b.conf"} }},
		{"plot separator is a string", []string{"--plot-separator", ";"},
			func(o *Options) { o.PlotSeparator = ";" }},
		{"aliases", []string{"--analyze-write-data", "--analyze-fields", "SRC:1.2.3.4", "--List", "-X",
			"--no-passiveos", "--CSV-uniq-lines", "--no-port-lookup", "--gnuplot-legend-titls", "L1",
			"--gnuplot-xlabel", "XL"},
			func(o *Options) {
				o.AnalysisWriteData = true
				o.AnalysisFields = "SRC:1.2.3.4"
				o.FwListAuto = true
				o.FwDelChains = true
				o.NoPassiveOS = true
				o.CSVUniqueLines = true
				o.NoNetstat = true
				o.GnuplotLegendTitle = "L1"
				o.GnuplotXLabel = "XL"
			}},
		{"legend title", []string{"--gnuplot-legend-title", "L2", "--gnuplot-legend-tit", "L3"},
			func(o *Options) { o.GnuplotLegendTitle = "L3" }},
		{"aliases sharing a prefix are not ambiguous", []string{"--CSV-u", "--no-pass"},
			func(o *Options) { o.CSVUniqueLines = true; o.NoPassiveOS = true }},
		{"letters", []string{"-l", "-r", "10.0.0.0/8", "-t", "-u", "store", "-e", "-w", "-i", "eth0"},
			func(o *Options) {
				o.LogServer = true
				o.RestrictIP = "10.0.0.0/8"
				o.TestMode = true
				o.UseStoreFile = "store"
				o.EmailAnalysis = true
				o.WhoisAnalysis = true
				o.Interface = "eth0"
			}},
		{"head and own options", []string{"--reputation-feeds-u", "--reputation-feeds-l", "--no-reputation-feeds", "--max-sources", "500"},
			func(o *Options) {
				o.ReputationFeedsUpdate = true
				o.ReputationFeedsList = true
				o.NoReputationFeeds = true
				o.MaxSources = 500
			}},
		{"prefixes of config still mean -c next to --config-test", []string{"--conf", "/tmp/a.conf", "-co", "/tmp/b.conf", "--config-t"},
			func(o *Options) { o.Config = "/tmp/b.conf"; o.ConfigTest = true }},
		{"help records the config path", []string{"-c", "/tmp/a.conf", "-h", "-c", "/tmp/b.conf"},
			func(o *Options) { o.Help = true; o.HelpConfig = "/tmp/a.conf"; o.Config = "/tmp/b.conf" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := ParseArgs(tt.args)
			if len(errs) != 0 {
				t.Fatalf("errors: %q", errs)
			}
			want := &Options{PlotSeparator: ", "}
			tt.want(want)
			got.Given, got.optOrder, got.Args = nil, nil, nil
			if !reflect.DeepEqual(got, want) {
				t.Errorf("ParseArgs(%q)\n got %+v\nwant %+v", tt.args, *got, *want)
			}
		})
	}
}

func TestParseArgsGiven(t *testing.T) {
	o, errs := ParseArgs([]string{"--packets", "0", "-L", "--CSV-uniq-lines", "-A", "-l"})
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	want := []string{"packets", "fw-list-auto", "CSV-unique-lines", "Analyze-msgs", "log-server"}
	if !slices.Equal(o.optOrder, want) {
		t.Errorf("order %q, want %q", o.optOrder, want)
	}
	for _, n := range want {
		if !o.Given[n] {
			t.Errorf("Given[%q] not set", n)
		}
	}
	if len(o.Given) != len(want) {
		t.Errorf("Given = %v", o.Given)
	}
	if !o.PacketsSet || o.Packets != 0 {
		t.Errorf("Packets %d set %v", o.Packets, o.PacketsSet)
	}
}

func TestParseArgsErrors(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"--bogus"}, []string{"Unknown option: bogus"}},
		{[]string{"--bogus=1"}, []string{"Unknown option: bogus"}},
		{[]string{"--kill"}, []string{"Unknown option: kill"}}, // case sensitive
		{[]string{"--status"}, []string{"Option status is ambiguous (status-dl, status-ip, status-summary)"}},
		{[]string{"-AS"}, []string{"Unknown option: AS"}}, // no bundling
		{[]string{"--fw-search", "x"}, []string{"Unknown option: fw-search"}},
		{[]string{"-p"}, []string{"Option p is ambiguous (packets, passive-os-sigs, plot, plot-separator)"}},
		{[]string{"-d"}, []string{"Option d is ambiguous (debug, debug-sid, dns-analysis)"}},
		{[]string{"--CSV-"}, []string{"Option CSV- is ambiguous (CSV-end-line, CSV-fields, CSV-max-lines, CSV-neg-regex, CSV-regex, CSV-start-line, CSV-stdin, CSV-uniq-lines, CSV-unique-lines)"}},
		{[]string{"--no-p"}, []string{"Option no-p is ambiguous (no-passive-os, no-passiveos, no-port-lookup)"}},
		{[]string{"-m"}, []string{"Option messages-file requires an argument"}},
		{[]string{"--mess"}, []string{"Option messages-file requires an argument"}},
		{[]string{"--analyze-fields"}, []string{"Option analyze-fields requires an argument"}},
		{[]string{"--CSV-fields="}, []string{"Option CSV-fields requires an argument"}},
		{[]string{"-A=1"}, []string{"Option Analyze-msgs does not take an argument"}},
		{[]string{"-X=1"}, []string{"Option X does not take an argument"}},
		{[]string{"-l=y"}, []string{"Option log-server does not take an argument"}},
		{[]string{"--status-dl", "x"}, []string{`Value "x" invalid for option status-dl (number expected)`}},
		{[]string{"--packets=1.5"}, []string{`Value "1.5" invalid for option packets (number expected)`}},
		{[]string{"-I", "_"}, []string{`Value "_" invalid for option Interval (number expected)`}},
		{[]string{"--CSV-max-lines", "99999999999999999999"}, []string{`Value "99999999999999999999" invalid for option CSV-max-lines (number expected)`}},
		{[]string{"--bogus", "-A", "-p", "--status-dl", "q", "-S", "-m"}, []string{
			"Unknown option: bogus",
			"Option p is ambiguous (packets, passive-os-sigs, plot, plot-separator)",
			`Value "q" invalid for option status-dl (number expected)`,
			"Option messages-file requires an argument",
		}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, errs := ParseArgs(tt.args)
			if !slices.Equal(errs, tt.want) {
				t.Errorf("errors %q, want %q", errs, tt.want)
			}
		})
	}
}

// TestUnsupported: every psad 2.4.6 option is carried out; only the
// 3.0-dev reputation-feed actions are refused, with a reason.
func TestUnsupported(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, ""},
		{[]string{"-A", "-m", "f", "--analysis-fields", "SRC:1.2.3.4", "--no-rdns", "--no-whois",
			"--no-port-lookup", "--status-summary", "-c", "x", "-O", "y", "--packets", "5", "-i", "eth0",
			"--restrict-ip", "1.2.3.4", "--max-sources", "9", "-v", "--debug", "-t", "--no-passiveos",
			"--no-icmp6-types", "--signatures", "s", "--auto-dl", "a", "--snort-type", "scan"}, ""},
		{[]string{"--CSV", "--CSV-fields", "src", "--CSV-uniq-lines", "--CSV-max-lines", "3",
			"--CSV-start-line", "1", "--CSV-end-line", "4", "--CSV-regex", "x", "--CSV-neg-regex", "y",
			"--CSV-stdin", "--plot-separator", ";"}, ""},
		{[]string{"-B", "--packets", "10"}, ""},
		{[]string{"-h", "-V"}, ""},
		{[]string{"-A", "--analysis-write-data"}, ""},
		{[]string{"-A", "--plot", "f.png"}, ""},
		{[]string{"-A", "-e"}, ""},
		{[]string{"-A", "-w", "--dns-analysis"}, ""},
		{[]string{"--status-summary"}, ""},
		{[]string{"-A", "-S"}, ""},
		{[]string{"-m", "f", "-X", "-F"}, ""},
		{[]string{"--gnuplot-title", "t", "--gnuplot", "--gnuplot-3D", "--gnuplot-view", "60,30",
			"--gnuplot-file-prefix", "p", "--gnuplot-legend-titls", "l", "--gnuplot-xlabel", "x",
			"--gnuplot-x-range", "1:2", "--gnuplot-y-label", "y", "--gnuplot-y-range", "1:2",
			"--gnuplot-z-label", "z", "--gnuplot-z-range", "1:2", "--gnuplot-sort-style", "time",
			"--gnuplot-grayscale", "--gnuplot-interactive", "--gnuplot-graph-style", "dots",
			"--gnuplot-template", "t", "--gnuplot-dat-file", "d", "--gnuplot-plot-file", "g",
			"--gnuplot-png-file", "p", "--use-store-file", "s"}, ""},
		{[]string{"-L"}, ""},
		{[]string{"-I", "5"}, ""},
		{[]string{"-U"}, ""},
		{[]string{"--reputation-feeds-list"}, "reputation-feeds-list"},
		{[]string{"-K", "--reputation-feeds-update"}, "reputation-feeds-update"},
		{[]string{"--no-reputation-feeds"}, ""},
		{[]string{"--get-next-rule-id", "--debug-sid", "5", "--log-server", "-l"}, ""},
		{[]string{"-K"}, ""},
		{[]string{"-H", "--no-daemon"}, ""},
		{[]string{"--sig-update"}, ""},
		{[]string{"--fw-analyze", "--fw-file", "f"}, ""},
		{[]string{"--fw-dump", "--fw-include-ips"}, ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			o, errs := ParseArgs(tt.args)
			if len(errs) != 0 {
				t.Fatal(errs)
			}
			got, why := Unsupported(o)
			if got != tt.want {
				t.Errorf("Unsupported = %q, want %q", got, tt.want)
			}
			if (got == "") != (why == "") {
				t.Errorf("Unsupported = %q with reason %q", got, why)
			}
		})
	}
}

// TestOptionTable checks the declarations themselves: names unique, each
// kind has its setter.
func TestOptionTable(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range optNames {
		if seen[e.name] {
			t.Errorf("name %q declared twice", e.name)
		}
		seen[e.name] = true
		d := e.def
		if d.kind == optFlag && d.flag == nil || d.kind == optString && d.str == nil || d.kind == optInt && d.num == nil {
			t.Errorf("%s: no setter for its kind", d.name)
		}
	}
	if !slices.IsSortedFunc(optNames, func(a, b optEntry) int { return strings.Compare(a.name, b.name) }) {
		t.Error("optNames not sorted")
	}
}

func TestHelpGolden(t *testing.T) {
	for _, tt := range []struct{ file, config string }{
		{"help.golden", ""},
		{"help-config.golden", "/usr/local/etc/psad/a-rather-long-path-to-test-wrapping/psad.conf"},
	} {
		t.Run(tt.file, func(t *testing.T) {
			var b bytes.Buffer
			Help(&b, tt.config)
			path := filepath.Join("testdata", tt.file)
			if *optUpdate {
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("help differs from %s (run go test -update):\n%s", path, b.String())
			}
		})
	}
}

// TestHelpLayout checks spec 12.1 independently of the golden file.
func TestHelpLayout(t *testing.T) {
	var b bytes.Buffer
	Help(&b, "")
	text := b.String()
	if !strings.HasPrefix(text, "\npsad: the Port Scan Attack Detector\n\n[+] Version: 2.4.6\n") {
		t.Errorf("header: %q", text[:80])
	}
	if !strings.HasSuffix(text, ".\n\n") {
		t.Error("help must end with an empty line")
	}
	if !strings.Contains(text, "\nUsage: psad [options]\n\nOptions:\n\n") {
		t.Error("usage lines missing")
	}
	body := text[strings.Index(text, "Options:\n\n")+len("Options:\n\n"):]
	var cols []string
	groups := 1
	for _, l := range strings.Split(strings.TrimSuffix(body, "\n\n"), "\n") {
		if len(l) > 79 {
			t.Errorf("line reaches column 80: %q", l)
		}
		switch {
		case l == "":
			groups++
		case strings.HasPrefix(l, strings.Repeat(" ", 36)):
			// continuation
		default:
			width := 30
			if strings.HasPrefix(l, "    --snort-rdir") {
				width = 31
			}
			if len(l) < 4+width+2 || l[4+width:4+width+2] != "- " || !strings.HasPrefix(l, "    ") {
				t.Errorf("bad entry line %q", l)
				continue
			}
			cols = append(cols, strings.TrimRight(l[4:4+width], " "))
		}
	}
	if groups != 5 {
		t.Errorf("%d groups, want 5", groups)
	}
	want := []string{
		"-A,  --Analyze-msgs", "     --stdin", "-e,  --email-analysis", "-m,  --messages-file <file>",
		"-i,  --interface <intf>", "--sig-update", "-w,  --whois-analysis", "--dns-analysis",
		"--fw-analyze", "--fw-list-auto", "--List", "--fw-block-ip  <ip>", "--fw-rm-block-ip  <ip>",
		"--fw-file <rules file>", "--fw-del-chains", "-X", "--fw-dump", "--fw-include-ips",
		"--snort-rdir <rule dir>", "--debug,", "--debug-sid <sid>", "-D,  --Dump-conf",
		"-l,  --log-server", "-F,  --Flush", "-K,  --Kill", "-R,  --Restart", "-S,  --Status",
		"--restrict-ip <IP or net>", "--status-ip <IP address>", "--status-dl <dl>",
		"--status-summary", "--json", "--explain <IP address>", "-B,  --Benchmark", "--packets <number>", "-U,  --USR1", "-H,  --HUP",
		"--get-next-rule-id",
		"--plot <file>", "--gnuplot", "--gnuplot-graph-style", "--gnuplot-file-prefix", "--gnuplot-interactive",
		"--gnuplot-title", "--gnuplot-legend-title", "--gnuplot-x-label", "--gnuplot-x-range",
		"--gnuplot-y-label", "--gnuplot-y-range", "--gnuplot-z-label", "--gnuplot-z-range",
		"--gnuplot-sort-style", "--gnuplot-3D", "--gnuplot-view", "--gnuplot-grayscale",
		"--gnuplot-template <file>", "--gnuplot-dat-file", "--gnuplot-plot-file", "--gnuplot-png-file",
		"--CSV", "--CSV-fields <fields>", "--CSV-unique-lines", "--CSV-max-lines <num>",
		"--CSV-start-line <line>", "--CSV-end-line <line>", "--CSV-regex <regex>",
		"--CSV-neg-regex <regex>", "--plot-separator <str>",
		"--signatures <sigs file>", "--snort-type", "--passive-os-sigs <sigs file>",
		"--auto-dl <dl file>", "--analysis-write-data", "-c,  --config <config file>",
		"-O, --Override-config <str>", "--config-test", "-I,  --Interval <seconds>", "-v,  --verbose", "-V,  --Version",
		"--no-snort-sids", "--no-signatures", "--no-icmp-types", "--no-auto-dl", "--no-daemon",
		"--no-ipt-errors", "--no-whois", "--no-fwcheck", "--no-rdns", "--no-kmsgsd", "--no-netstat",
		"-h   --help",
	}
	if !slices.Equal(cols, want) {
		t.Errorf("option column:\n got %q\nwant %q", cols, want)
	}
	for _, p := range []string{"/etc/psad/psad.conf", "default 5"} {
		if !strings.Contains(text, p) {
			t.Errorf("help does not mention %q", p)
		}
	}
}

func TestPrintVersion(t *testing.T) {
	var b bytes.Buffer
	PrintVersion(&b)
	s := b.String()
	// psad's test suite takes the text after "psad v" up to whitespace.
	i := strings.Index(s, "psad v")
	if i < 0 || !strings.HasPrefix(s, "[+] ") || !strings.HasSuffix(s, "\n") {
		t.Fatalf("version line %q", s)
	}
	if v := strings.Fields(s[i+len("psad v"):])[0]; v != Version {
		t.Errorf("version %q", v)
	}
	// The build line comes second, so psad's one-line format stays first.
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[1], "    build: ") || !strings.HasSuffix(lines[1], runtime.Version()) {
		t.Errorf("version text %q", s)
	}
}
