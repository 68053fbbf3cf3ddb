// Package argv is psad's command line as data: every option of psad
// 2.4.6 with its letters, aliases and argument kind, psad's parsing rules
// (one or two dashes, unique prefixes, case-sensitive letters), and the
// help and version text made from the same table, so the documentation
// cannot drift from what is parsed.
package argv

import (
	"sort"
	"strconv"
	"strings"
)

// Options holds every command-line option of psad 2.4.6 (operations spec
// 1.2, including the hidden ones and the --gnuplot-* family), the HEAD
// 3.0-dev additions and this rebuild's own options. Field values are the
// defaults when an option was not given; Given tells a given zero value
// from an absent option.
type Options struct {
	// Modes and actions (spec 1.2.1).
	Analyze           bool   // -A, --Analyze-msgs
	Stdin             bool   // --stdin
	EmailAnalysis     bool   // -e, --email-analysis
	MessagesFile      string // -m, --messages-file
	Interface         string // -i, --interface
	SigUpdate         bool   // --sig-update
	WhoisAnalysis     bool   // -w, --whois-analysis
	DNSAnalysis       bool   // --dns-analysis
	AnalysisWriteData bool   // --analysis-write-data, --analyze-write-data
	AnalysisFields    string // --analysis-fields, --analyze-fields
	AnalysisAutoBlock bool   // --analysis-auto-block
	FwAnalyze         bool   // --fw-analyze
	FwFile            string // --fw-file
	FwListAuto        bool   // --fw-list-auto, --List, -L
	FwBlockIP         string // --fw-block-ip
	FwRmBlockIP       string // --fw-rm-block-ip
	FwDelChains       bool   // --fw-del-chains, -X
	FwDump            bool   // --fw-dump
	FwIncludeIPs      bool   // --fw-include-ips
	DumpConf          bool   // -D, --Dump-conf
	LogServer         bool   // -l, --log-server
	Flush             bool   // -F, --Flush
	Kill              bool   // -K, --Kill
	Restart           bool   // -R, --Restart
	Status            bool   // -S, --Status
	StatusIP          string // --status-ip
	StatusDL          int    // --status-dl
	StatusSummary     bool   // --status-summary
	JSON              bool   // --json (psad-go: docs/json.md)
	Explain           string // --explain (psad-go)
	RestrictIP        string // -r, --restrict-ip
	Benchmark         bool   // -B, --Benchmark
	Packets           int    // --packets
	PacketsSet        bool   // --packets was given (even as 0)
	USR1              bool   // -U, --USR1
	HUP               bool   // -H, --HUP
	GetNextRuleID     bool   // --get-next-rule-id

	// CSV mode (spec 9).
	CSV            bool   // --CSV
	CSVFields      string // --CSV-fields
	CSVUniqueLines bool   // --CSV-unique-lines, --CSV-uniq-lines
	CSVMaxLines    int    // --CSV-max-lines
	CSVStartLine   int    // --CSV-start-line
	CSVEndLine     int    // --CSV-end-line
	CSVRegex       string // --CSV-regex
	CSVNegRegex    string // --CSV-neg-regex
	CSVStdin       bool   // --CSV-stdin
	// PlotSeparator is --plot-separator, a string option here (psad 2.4.6
	// declares it as a flag by mistake); default ", ".
	PlotSeparator string
	// Plot is --plot FILE (.png or .svg): with -A, also draw the traffic
	// of the log as a figure (not in psad).
	Plot string

	// Gnuplot mode (spec 9.5-9.7).
	Gnuplot            bool   // --gnuplot
	GnuplotGraphStyle  string // --gnuplot-graph-style
	GnuplotFilePrefix  string // --gnuplot-file-prefix
	GnuplotInteractive bool   // --gnuplot-interactive
	GnuplotTitle       string // --gnuplot-title
	GnuplotLegendTitle string // --gnuplot-legend-title, --gnuplot-legend-titls
	GnuplotXLabel      string // --gnuplot-x-label, --gnuplot-xlabel
	GnuplotXRange      string // --gnuplot-x-range
	GnuplotYLabel      string // --gnuplot-y-label
	GnuplotYRange      string // --gnuplot-y-range
	GnuplotZLabel      string // --gnuplot-z-label
	GnuplotZRange      string // --gnuplot-z-range
	GnuplotSortStyle   string // --gnuplot-sort-style
	Gnuplot3D          bool   // --gnuplot-3D
	GnuplotView        string // --gnuplot-view
	GnuplotGrayscale   bool   // --gnuplot-grayscale
	GnuplotTemplate    string // --gnuplot-template
	GnuplotDatFile     string // --gnuplot-dat-file
	GnuplotPlotFile    string // --gnuplot-plot-file
	GnuplotPNGFile     string // --gnuplot-png-file
	UseStoreFile       string // -u, --use-store-file (hidden)

	// Configuration (spec 1.2.2).
	Config string // -c, --config; "" when not given (psad: /etc/psad/psad.conf)
	// OverrideConfig is -O split on ','.
	OverrideConfig []string
	Interval       int    // -I, --Interval; 0 means not given
	Signatures     string // --signatures
	PassiveOSSigs  string // --passive-os-sigs
	AutoDL         string // --auto-dl
	SnortRdir      string // --snort-rdir
	SnortType      string // --snort-type
	LibDir         string // --lib-dir (hidden, meaningless for Go)

	// Feature switches (spec 1.2.3).
	NoSnortSids           bool // --no-snort-sids
	NoSignatures          bool // --no-signatures
	NoICMPTypes           bool // --no-icmp-types
	NoICMP6Types          bool // --no-icmp6-types
	NoAutoDL              bool // --no-auto-dl
	NoPassiveOS           bool // --no-passive-os, --no-passiveos
	NoDaemon              bool // --no-daemon
	NoIPTErrors           bool // --no-ipt-errors
	NoWhois               bool // --no-whois
	NoFwcheck             bool // --no-fwcheck
	NoRDNS                bool // --no-rdns
	NoKmsgsd              bool // --no-kmsgsd
	NoNetstat             bool // --no-netstat, --no-port-lookup
	NoReputationFeeds     bool // --no-reputation-feeds (HEAD 3.0-dev)
	ReputationFeedsUpdate bool // --reputation-feeds-update (HEAD 3.0-dev)
	ReputationFeedsList   bool // --reputation-feeds-list (HEAD 3.0-dev)

	// Diagnostics (spec 1.2.4).
	Debug    bool // --debug
	DebugSID int  // --debug-sid
	Verbose  bool // -v, --verbose
	TestMode bool // -t, --test-mode (hidden)
	Version  bool // -V, --Version
	Help     bool // -h, --help
	// HelpConfig is the value Config had when --help was read ("" if -c
	// came later or not at all), the path psad embeds in the -c and -O
	// help descriptions.
	HelpConfig string

	// MaxSources is --max-sources, this rebuild's cap on tracked scan
	// sources (0: use the built-in default).
	MaxSources int
	// ConfigTest is --config-test: check psad.conf and the files it
	// names, then exit, so a change can be tried before a restart.
	ConfigTest bool

	// Given holds the canonical long name (as in Canonical, without
	// dashes) of every option that appeared on the command line.
	Given map[string]bool

	// Args are the arguments as given, saved by the daemon in
	// PSAD_CMDLINE_FILE (shown by -S).
	Args []string

	optOrder []string // canonical names in first-appearance order
}

// optKind is the argument type of an option.
type optKind uint8

const (
	optFlag optKind = iota
	optString
	optInt
)

// optDef is one declared option: its canonical name, its extra names and
// how to store its value.
type optDef struct {
	name    string   // canonical long name
	aliases []string // other names that psad declares for the option
	// letters are single-letter names this rebuild declares explicitly
	// so that psad's one-letter prefixes keep working after new long
	// options were added; errors still name the canonical option, as
	// psad's prefix resolution would.
	letters []string
	kind    optKind
	flag    func(o *Options)
	str     func(o *Options, v string)
	num     func(o *Options, v int)
}

func optF(name string, set func(o *Options), aliases ...string) optDef {
	return optDef{name: name, aliases: aliases, kind: optFlag, flag: set}
}

func optS(name string, set func(o *Options, v string), aliases ...string) optDef {
	return optDef{name: name, aliases: aliases, kind: optString, str: set}
}

func optI(name string, set func(o *Options, v int), aliases ...string) optDef {
	return optDef{name: name, aliases: aliases, kind: optInt, num: set}
}

func optLetter(d optDef, letters ...string) optDef {
	d.letters = letters
	return d
}

// optDefs lists every option. Names are case sensitive.
var optDefs = []optDef{
	// 1.2.1 modes and actions
	optF("Analyze-msgs", func(o *Options) { o.Analyze = true }),
	optF("stdin", func(o *Options) { o.Stdin = true }),
	// An explicit letter keeps -e meaning --email-analysis next to --explain.
	optLetter(optF("email-analysis", func(o *Options) { o.EmailAnalysis = true }), "e"),
	// "m" keeps -m working next to --max-sources.
	optLetter(optS("messages-file", func(o *Options, v string) { o.MessagesFile = v }), "m"),
	optS("interface", func(o *Options, v string) { o.Interface = v }),
	optF("sig-update", func(o *Options) { o.SigUpdate = true }),
	optF("whois-analysis", func(o *Options) { o.WhoisAnalysis = true }),
	optF("dns-analysis", func(o *Options) { o.DNSAnalysis = true }),
	optF("analysis-write-data", func(o *Options) { o.AnalysisWriteData = true }, "analyze-write-data"),
	optS("analysis-fields", func(o *Options, v string) { o.AnalysisFields = v }, "analyze-fields"),
	optF("analysis-auto-block", func(o *Options) { o.AnalysisAutoBlock = true }),
	optF("fw-analyze", func(o *Options) { o.FwAnalyze = true }),
	optS("fw-file", func(o *Options, v string) { o.FwFile = v }),
	optF("fw-list-auto", func(o *Options) { o.FwListAuto = true }, "List"),
	optS("fw-block-ip", func(o *Options, v string) { o.FwBlockIP = v }),
	optS("fw-rm-block-ip", func(o *Options, v string) { o.FwRmBlockIP = v }),
	optF("fw-del-chains", func(o *Options) { o.FwDelChains = true }, "X"),
	optF("fw-dump", func(o *Options) { o.FwDump = true }),
	optF("fw-include-ips", func(o *Options) { o.FwIncludeIPs = true }),
	optF("Dump-conf", func(o *Options) { o.DumpConf = true }),
	// psad's help advertises -l, but there it is ambiguous with --lib-dir
	// (spec 1.1 QUIRK); the spec recommends the explicit alias.
	optLetter(optF("log-server", func(o *Options) { o.LogServer = true }), "l"),
	optF("Flush", func(o *Options) { o.Flush = true }),
	optF("Kill", func(o *Options) { o.Kill = true }),
	optF("Restart", func(o *Options) { o.Restart = true }),
	optF("Status", func(o *Options) { o.Status = true }),
	optS("status-ip", func(o *Options, v string) { o.StatusIP = v }),
	optI("status-dl", func(o *Options, v int) { o.StatusDL = v }),
	optF("status-summary", func(o *Options) { o.StatusSummary = true }),
	optF("json", func(o *Options) { o.JSON = true }),
	optS("explain", func(o *Options, v string) { o.Explain = v }),
	// "r" keeps -r working next to the HEAD --reputation-feeds-* options.
	optLetter(optS("restrict-ip", func(o *Options, v string) { o.RestrictIP = v }), "r"),
	optF("Benchmark", func(o *Options) { o.Benchmark = true }),
	optI("packets", func(o *Options, v int) { o.Packets = v; o.PacketsSet = true }),
	optF("USR1", func(o *Options) { o.USR1 = true }),
	optF("HUP", func(o *Options) { o.HUP = true }),
	optF("get-next-rule-id", func(o *Options) { o.GetNextRuleID = true }),

	// CSV and gnuplot
	optF("CSV", func(o *Options) { o.CSV = true }),
	optS("CSV-fields", func(o *Options, v string) { o.CSVFields = v }),
	optF("CSV-unique-lines", func(o *Options) { o.CSVUniqueLines = true }, "CSV-uniq-lines"),
	optI("CSV-max-lines", func(o *Options, v int) { o.CSVMaxLines = v }),
	optI("CSV-start-line", func(o *Options, v int) { o.CSVStartLine = v }),
	optI("CSV-end-line", func(o *Options, v int) { o.CSVEndLine = v }),
	optS("CSV-regex", func(o *Options, v string) { o.CSVRegex = v }),
	optS("CSV-neg-regex", func(o *Options, v string) { o.CSVNegRegex = v }),
	optF("CSV-stdin", func(o *Options) { o.CSVStdin = true }),
	optS("plot-separator", func(o *Options, v string) { o.PlotSeparator = v }),
	optS("plot", func(o *Options, v string) { o.Plot = v }),
	optF("gnuplot", func(o *Options) { o.Gnuplot = true }),
	optS("gnuplot-graph-style", func(o *Options, v string) { o.GnuplotGraphStyle = v }),
	optS("gnuplot-file-prefix", func(o *Options, v string) { o.GnuplotFilePrefix = v }),
	optF("gnuplot-interactive", func(o *Options) { o.GnuplotInteractive = true }),
	optS("gnuplot-title", func(o *Options, v string) { o.GnuplotTitle = v }),
	optS("gnuplot-legend-title", func(o *Options, v string) { o.GnuplotLegendTitle = v }, "gnuplot-legend-titls"),
	optS("gnuplot-x-label", func(o *Options, v string) { o.GnuplotXLabel = v }, "gnuplot-xlabel"),
	optS("gnuplot-x-range", func(o *Options, v string) { o.GnuplotXRange = v }),
	optS("gnuplot-y-label", func(o *Options, v string) { o.GnuplotYLabel = v }),
	optS("gnuplot-y-range", func(o *Options, v string) { o.GnuplotYRange = v }),
	optS("gnuplot-z-label", func(o *Options, v string) { o.GnuplotZLabel = v }),
	optS("gnuplot-z-range", func(o *Options, v string) { o.GnuplotZRange = v }),
	optS("gnuplot-sort-style", func(o *Options, v string) { o.GnuplotSortStyle = v }),
	optF("gnuplot-3D", func(o *Options) { o.Gnuplot3D = true }),
	optS("gnuplot-view", func(o *Options, v string) { o.GnuplotView = v }),
	optF("gnuplot-grayscale", func(o *Options) { o.GnuplotGrayscale = true }),
	optS("gnuplot-template", func(o *Options, v string) { o.GnuplotTemplate = v }),
	optS("gnuplot-dat-file", func(o *Options, v string) { o.GnuplotDatFile = v }),
	optS("gnuplot-plot-file", func(o *Options, v string) { o.GnuplotPlotFile = v }),
	optS("gnuplot-png-file", func(o *Options, v string) { o.GnuplotPNGFile = v }),
	optS("use-store-file", func(o *Options, v string) { o.UseStoreFile = v }),

	// 1.2.2 configuration
	// The prefixes of "config" are declared so that they keep meaning
	// -c now that --config-test shares them.
	optLetter(optS("config", func(o *Options, v string) { o.Config = v }), "c", "co", "con", "conf", "confi"),
	optS("Override-config", func(o *Options, v string) { o.OverrideConfig = strings.Split(v, ",") }),
	optI("Interval", func(o *Options, v int) { o.Interval = v }),
	optS("signatures", func(o *Options, v string) { o.Signatures = v }),
	optS("passive-os-sigs", func(o *Options, v string) { o.PassiveOSSigs = v }),
	optS("auto-dl", func(o *Options, v string) { o.AutoDL = v }),
	optS("snort-rdir", func(o *Options, v string) { o.SnortRdir = v }),
	optS("snort-type", func(o *Options, v string) { o.SnortType = v }),
	optS("lib-dir", func(o *Options, v string) { o.LibDir = v }),

	// 1.2.3 feature switches
	optF("no-snort-sids", func(o *Options) { o.NoSnortSids = true }),
	optF("no-signatures", func(o *Options) { o.NoSignatures = true }),
	optF("no-icmp-types", func(o *Options) { o.NoICMPTypes = true }),
	optF("no-icmp6-types", func(o *Options) { o.NoICMP6Types = true }),
	optF("no-auto-dl", func(o *Options) { o.NoAutoDL = true }),
	optF("no-passive-os", func(o *Options) { o.NoPassiveOS = true }, "no-passiveos"),
	optF("no-daemon", func(o *Options) { o.NoDaemon = true }),
	optF("no-ipt-errors", func(o *Options) { o.NoIPTErrors = true }),
	optF("no-whois", func(o *Options) { o.NoWhois = true }),
	optF("no-fwcheck", func(o *Options) { o.NoFwcheck = true }),
	optF("no-rdns", func(o *Options) { o.NoRDNS = true }),
	optF("no-kmsgsd", func(o *Options) { o.NoKmsgsd = true }),
	// HEAD 3.0-dev renamed --no-netstat to --no-port-lookup; accept both.
	optF("no-netstat", func(o *Options) { o.NoNetstat = true }, "no-port-lookup"),
	optF("no-reputation-feeds", func(o *Options) { o.NoReputationFeeds = true }),
	optF("reputation-feeds-update", func(o *Options) { o.ReputationFeedsUpdate = true }),
	optF("reputation-feeds-list", func(o *Options) { o.ReputationFeedsList = true }),

	// 1.2.4 diagnostics
	optF("debug", func(o *Options) { o.Debug = true }),
	optI("debug-sid", func(o *Options, v int) { o.DebugSID = v }),
	optF("verbose", func(o *Options) { o.Verbose = true }),
	optF("test-mode", func(o *Options) { o.TestMode = true }),
	optF("Version", func(o *Options) { o.Version = true }),
	optF("help", func(o *Options) { o.Help = true; o.HelpConfig = o.Config }),

	// this rebuild
	optI("max-sources", func(o *Options, v int) { o.MaxSources = v }),
	optF("config-test", func(o *Options) { o.ConfigTest = true }),
}

// optEntry is one declared name.
type optEntry struct {
	name string // the name as declared
	def  *optDef
	// display is the name used in error messages: the declared name,
	// except for this rebuild's letter aliases, which psad would have
	// resolved by prefix to the canonical name.
	display string
}

// optNames holds every declared name sorted in ASCII order, the order in
// which psad (Perl's Getopt::Long) lists ambiguity candidates.
var optNames = func() []optEntry {
	var t []optEntry
	for i := range optDefs {
		d := &optDefs[i]
		t = append(t, optEntry{d.name, d, d.name})
		for _, a := range d.aliases {
			t = append(t, optEntry{a, d, a})
		}
		for _, l := range d.letters {
			t = append(t, optEntry{l, d, d.name})
		}
	}
	sort.Slice(t, func(i, j int) bool { return t[i].name < t[j].name })
	return t
}()

// optLookup resolves a name as typed (without dashes) the way psad does:
// an exact name wins, otherwise the name must be a prefix of names that
// all belong to one option. On failure it returns the psad error line.
func optLookup(name string) (*optEntry, string) {
	var hits []*optEntry
	for i := range optNames {
		e := &optNames[i]
		if e.name == name {
			return e, ""
		}
		if strings.HasPrefix(e.name, name) {
			hits = append(hits, e)
		}
	}
	if len(hits) == 0 {
		return nil, "Unknown option: " + name
	}
	for _, h := range hits[1:] {
		if h.def != hits[0].def {
			names := make([]string, len(hits))
			for i, h := range hits {
				names[i] = h.name
			}
			return nil, "Option " + name + " is ambiguous (" + strings.Join(names, ", ") + ")"
		}
	}
	// All candidates are names of one option: psad continues with the
	// canonical name.
	for _, h := range hits {
		if h.name == h.def.name {
			return h, ""
		}
	}
	return hits[0], ""
}

// optParseInt accepts what psad accepts for integer options: an optional
// sign, digits and underscores (Getopt::Long's "[-+]?_*[0-9][0-9_]*").
func optParseInt(s string) (int, bool) {
	t := s
	if t != "" && (t[0] == '-' || t[0] == '+') {
		t = t[1:]
	}
	digits := false
	for i := 0; i < len(t); i++ {
		switch c := t[i]; {
		case c >= '0' && c <= '9':
			digits = true
		case c == '_' && (digits || strings.Trim(t[:i], "_") == ""):
		default:
			return 0, false
		}
	}
	if !digits {
		return 0, false
	}
	n, err := strconv.Atoi(strings.ReplaceAll(s, "_", ""))
	if err != nil {
		return 0, false
	}
	return n, true
}

// ParseArgs parses argv (without the program name) with psad's rules
// (operations spec 1.1): every option is long and may be written with one
// or two dashes, unique prefixes are accepted and exact names win, names
// are case sensitive, values follow '=' or come as the next argument,
// flags reject "=value", single letters are not bundled, the last
// occurrence wins, "--" ends the options and other non-option arguments
// are ignored.
//
// On errors it returns every psad-format error line (without the final
// "[*] See 'psad -h' for usage information" line, which the caller prints
// before exiting with status 255); the returned Options are then
// incomplete.
func ParseArgs(args []string) (*Options, []string) {
	o := &Options{
		Args:          append([]string(nil), args...),
		PlotSeparator: ", ",
		Given:         map[string]bool{},
	}
	var errs []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if len(a) < 2 || a[0] != '-' {
			continue // left-over argument, ignored like psad does
		}
		name := strings.TrimPrefix(a[1:], "-")
		var value string
		hasValue := false
		if k := strings.IndexByte(name, '='); k > 0 {
			name, value, hasValue = name[:k], name[k+1:], true
		}
		if name == "" {
			continue
		}
		e, msg := optLookup(name)
		if e == nil {
			errs = append(errs, msg)
			continue
		}
		d := e.def
		if d.kind == optFlag {
			if hasValue {
				errs = append(errs, "Option "+e.display+" does not take an argument")
				continue
			}
			d.flag(o)
		} else {
			if !hasValue {
				if i+1 >= len(args) {
					errs = append(errs, "Option "+e.display+" requires an argument")
					continue
				}
				i++
				value = args[i]
			} else if value == "" {
				errs = append(errs, "Option "+e.display+" requires an argument")
				continue
			}
			if d.kind == optString {
				d.str(o, value)
			} else {
				n, ok := optParseInt(value)
				if !ok {
					errs = append(errs, `Value "`+value+`" invalid for option `+e.display+" (number expected)")
					continue
				}
				d.num(o, n)
			}
		}
		if !o.Given[d.name] {
			o.Given[d.name] = true
			o.optOrder = append(o.optOrder, d.name)
		}
	}
	return o, errs
}

// optHeadOnly lists the options of psad's 3.0-dev development head that
// act on reputation feeds, a feature this release does not have. They
// parse, so a 3.0-dev command line fails with a clear reason rather than
// "Unknown option"; --no-reputation-feeds is not among them because
// turning off an absent feature is already true.
var optHeadOnly = map[string]bool{
	"reputation-feeds-update": true,
	"reputation-feeds-list":   true,
}

// Unsupported returns the canonical name (without dashes) of the first
// option on the command line that this release does not carry out, with
// the reason to show, or "" when every given option is supported.
func Unsupported(o *Options) (name, why string) {
	for _, n := range o.optOrder {
		if optHeadOnly[n] {
			return n, "reputation feeds are a psad 3.0-dev feature this release does not have"
		}
	}
	return "", ""
}
