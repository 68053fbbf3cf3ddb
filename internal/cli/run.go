// Package cli is psad's command line: it parses psad's options, loads the
// configuration and dispatches to a mode, writing only to the writers it
// is given so tests can capture everything.
package cli

import (
	"errors"
	"fmt"
	"github.com/psadgo/psad/internal/argv"
	"github.com/psadgo/psad/internal/respond"
	"github.com/psadgo/psad/internal/scan"
	"io"
	"io/fs"
	"os"
	"syscall"
	"time"

	"github.com/psadgo/psad/internal/analysis"
	"github.com/psadgo/psad/internal/bench"
	"github.com/psadgo/psad/internal/config"
	"github.com/psadgo/psad/internal/csvout"
	"github.com/psadgo/psad/internal/detect"
	"github.com/psadgo/psad/internal/fieldexpr"
	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/pipeline"
)

// Version is the psad release whose command line, files and output this
// build reproduces.
const Version = argv.Version

// DefaultConfig is where psad looks for its configuration.
const DefaultConfig = "/etc/psad/psad.conf"

// Env is the process environment a run sees.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// StderrTTY reports whether stderr is a terminal (live progress).
	StderrTTY bool
}

// Run executes psad with args (without the program name) and returns the
// exit status.
func Run(args []string, env Env) int {
	o, errs := argv.ParseArgs(args)
	if len(errs) > 0 {
		for _, e := range errs {
			fmt.Fprintln(env.Stderr, e)
		}
		fmt.Fprintln(env.Stderr, "[*] See 'psad -h' for usage information")
		return 255
	}
	if o.Help {
		cfg := o.HelpConfig
		if cfg == "" {
			cfg = DefaultConfig
		}
		argv.Help(env.Stdout, cfg)
		return 0
	}
	if o.Version {
		argv.PrintVersion(env.Stdout)
		return 0
	}
	if name, why := argv.Unsupported(o); name != "" {
		fmt.Fprintf(env.Stderr, "psad: --%s: %s\n", name, why)
		return 2
	}
	if o.EmailAnalysis && !o.Analyze {
		fmt.Fprintln(env.Stderr, "[*] Can only specify --email-analysis flag when run in --Analyze mode.")
		return 1
	}
	if msg := outputRefusal(o); msg != "" {
		fmt.Fprintln(env.Stderr, msg)
		return 1
	}
	cfg, err := loadConfig(o, env.Stderr)
	if err != nil {
		fmt.Fprintf(env.Stderr, "[*] %v\n", err)
		return 1
	}
	applyDataOptions(o, cfg)
	if o.DumpConf {
		return runDumpConf(cfg, env.Stdout)
	}
	if o.ConfigTest {
		return runConfigTest(o, cfg, env)
	}
	// Every mode checks the whole configuration first, so a mistake is
	// reported at once: -H refuses to send a reload the daemon would
	// refuse, and systemctl reload fails with it.
	set, err := cfg.Settings()
	if err != nil {
		fmt.Fprintf(env.Stderr, "[*] %v\n", err)
		return 1
	}
	if msg := pairingRefusal(o); msg != "" {
		fmt.Fprintln(env.Stderr, msg)
		return 1
	}
	if o.Given["debug-sid"] && !o.Analyze {
		fmt.Fprintf(env.Stderr, "psad: --debug-sid traces one signature over a log in analysis mode: psad -A -m <log> --debug-sid %d\n", o.DebugSID)
		return 2
	}
	status := statusMode(o)
	switch {
	case o.SigUpdate:
		return runSigUpdate(set, env)
	case o.GetNextRuleID:
		return runNextRuleID(o, set, env)
	case status && o.JSON:
		return runStatusJSON(o, set, env)
	case o.Explain != "" && !o.Analyze:
		return runExplainLive(o, set, env)
	case status:
		return runStatus(o, set, env)
	case o.FwAnalyze || o.FwFile != "" || o.FwDump:
		return runFwCheck(o, set, env)
	case o.FwBlockIP != "" || o.FwRmBlockIP != "" || o.FwListAuto || o.Flush:
		return respond.Run(respond.Command{BlockIP: o.FwBlockIP, UnblockIP: o.FwRmBlockIP, Flush: o.Flush, DelChains: o.FwDelChains, JSON: o.JSON},
			set, env.Stdout, env.Stderr)
	case o.Kill:
		return signalDaemon(set, syscall.SIGTERM, env.Stdout, env.Stderr)
	case o.HUP:
		return signalDaemon(set, syscall.SIGHUP, env.Stdout, env.Stderr)
	case o.Restart:
		return runRestart(o, set, env)
	case o.USR1:
		return signalDaemon(set, syscall.SIGUSR1, env.Stdout, env.Stderr)
	case o.Gnuplot:
		return runGnuplot(o, args, set, env)
	case !o.Analyze && !o.CSV && !o.Benchmark:
		return runDaemon(o, cfg, env)
	case o.Analyze:
		s := analysis.Setup{
			Settings:     set,
			Input:        inputPath(o, set),
			Packets:      o.Packets,
			Detect:       detectOptions(o),
			SummaryOnly:  o.StatusSummary,
			NoIPTErrors:  o.NoIPTErrors,
			WriteData:    o.AnalysisWriteData,
			Debug:        o.Debug || o.TestMode,
			Version:      Version,
			Stdout:       env.Stdout,
			Stderr:       env.Stderr,
			NoPortLookup: o.NoNetstat,
		}
		if o.Stdin {
			s.Stdin = env.Stdin
		}
		if o.JSON || o.Explain != "" {
			if code := analysisOutput(o, set, env, &s); code != 0 {
				return code
			}
		}
		if o.AnalysisAutoBlock && set.Block.AutoIDS {
			s.AutoBlock = func(now time.Time, srcs []*scan.Source) error {
				return respond.AnalysisAutoBlock(set, now, srcs, env.Stdout)
			}
		}
		if o.EmailAnalysis {
			m, to, from, err := mailer(&set.Alert)
			if err != nil {
				fmt.Fprintf(env.Stderr, "[*] %v\n", err)
				return 1
			}
			s.Mailer, s.MailTo, s.MailFrom = m, to, from
		}
		if o.WhoisAnalysis || o.DNSAnalysis {
			s.DNSOn, s.WhoisOn = o.DNSAnalysis && !o.NoRDNS, o.WhoisAnalysis && !o.NoWhois
			s.Lookups = lookups(&set.Alert, s.DNSOn, s.WhoisOn, nil)
		}
		if env.StderrTTY {
			s.Progress, s.Stdout = withProgress(env.Stderr, s.Stdout)
		}
		if o.AnalysisFields != "" {
			e, err := fieldexpr.Parse(o.AnalysisFields, true)
			if err != nil {
				fmt.Fprintln(env.Stderr, err)
				return 255
			}
			s.Fields = e
		}
		if o.Given["debug-sid"] {
			return runDebugSID(o, s, env)
		}
		return runAnalysis(o, s, env)
	case o.CSV:
		return runCSV(o, set, env)
	default:
		return bench.Run(bench.Setup{
			Settings: set, Input: o.MessagesFile, Packets: o.Packets, PacketsSet: o.PacketsSet,
			Detect: detectOptions(o), Stdout: env.Stdout, Stderr: env.Stderr,
		})
	}
}

// statusMode: --status-dl, --status-ip and --status-summary imply -S, as
// in psad (with -A, --status-summary is -A's own switch).
func statusMode(o *argv.Options) bool {
	return o.Status || o.Given["status-dl"] || o.Given["status-ip"] || o.StatusSummary && !o.Analyze
}

// outputRefusal names an output option given to a mode that cannot
// honour it, which would otherwise be ignored: without -A, --plot or
// --json would even start the daemon.
func outputRefusal(o *argv.Options) string {
	status := statusMode(o)
	switch {
	case o.Plot != "" && !o.Analyze:
		return "[*] --plot draws the packets of an -A run; the running daemon keeps no packet history to draw (use -A -m FILE --plot)."
	case o.JSON && o.Explain != "":
		return "[*] --explain writes plain text; drop --json."
	case o.JSON && !o.Analyze && !status && !o.FwListAuto:
		return "[*] --json works with -A, -S (and --status-dl, --status-ip, --status-summary) and --fw-list-auto."
	}
	return ""
}

// pairingRefusal gives psad's message for an option given without the
// one it only works with; without the check, -X alone or --no-kmsgsd
// would start the daemon.
func pairingRefusal(o *argv.Options) string {
	switch {
	case o.NoKmsgsd && !o.Debug:
		return "[*] The --no-kmsgsd option can only be used with --debug."
	case o.FwDelChains && !o.Flush:
		return "[*] The --fw-del-chains option can only be used with --Flush."
	}
	return ""
}

// inputPath is the log file the one-shot modes read: -m, else IPT_SYSLOG_FILE.
func inputPath(o *argv.Options, s *config.Settings) string {
	if o.MessagesFile != "" {
		return o.MessagesFile
	}
	return s.Inputs.IPTSyslogFile
}

// detectOptions collects the command-line switches that change detection.
func detectOptions(o *argv.Options) detect.Options {
	return detect.Options{
		Interface: o.Interface, Restrict: o.RestrictIP, NoSnortSID: o.NoSnortSids, MaxSources: o.MaxSources,
		NoSignatures: o.NoSignatures, NoICMPTypes: o.NoICMPTypes, NoICMP6Types: o.NoICMP6Types,
		NoPassiveOS: o.NoPassiveOS, SnortType: o.SnortType,
		NoAutoDL: o.NoAutoDL, AutoDLFile: o.AutoDL,
	}
}

// applyDataOptions puts the data-file options (-s, -a, --passive-os-sigs,
// --snort-rdir) into the configuration, at start and on every reload.
func applyDataOptions(o *argv.Options, cfg *config.Config) {
	for name, v := range map[string]string{"SIGS_FILE": o.Signatures, "AUTO_DL_FILE": o.AutoDL,
		"POSF_FILE": o.PassiveOSSigs, "SNORT_RULES_DIR": o.SnortRdir} {
		if v != "" {
			cfg.Set(name, v)
		}
	}
}

// loadConfig reads -O files and the main config. Without -c and without
// /etc/psad/psad.conf (a machine where psad was never installed) the
// embedded defaults are used, so -A works with no set-up.
func loadConfig(o *argv.Options, errw io.Writer) (*config.Config, error) {
	path := o.Config
	if path == "" {
		path = DefaultConfig
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			if len(o.OverrideConfig) > 0 {
				return config.LoadEmbeddedWith(o.OverrideConfig)
			}
			return config.Default()
		}
	}
	return config.Load(path, o.OverrideConfig)
}

// runCSV is --CSV: print fields of the packets the pipeline accepts. It
// builds no engines, since nothing is scored.
func runCSV(o *argv.Options, s *config.Settings, env Env) int {
	pl, err := selectPipeline(o, s, env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "[*] %v\n", err)
		return 1
	}
	input := inputPath(o, s)
	var r io.Reader
	if o.CSVStdin || o.Stdin {
		r = env.Stdin
	} else {
		f, err := os.Open(input)
		if err != nil {
			fmt.Fprintf(env.Stderr, "[*] Could not open %s: %v\n", input, err)
			return 1
		}
		defer f.Close()
		r = f
	}
	sep := o.PlotSeparator
	if sep == "" {
		sep = ", "
	}
	err = csvout.Run(env.Stdout, r, csvout.Settings{
		Fields: o.CSVFields, Regex: o.CSVRegex, NegRegex: o.CSVNegRegex, Unique: o.CSVUniqueLines,
		MaxLines: o.CSVMaxLines, StartLine: o.CSVStartLine, EndLine: o.CSVEndLine, Separator: sep,
	}, accepted(pl))
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return 255
	}
	return 0
}

// selectPipeline is the pipeline of --CSV and --gnuplot: psad's ignore
// rules without engines, since nothing is scored.
func selectPipeline(o *argv.Options, s *config.Settings, env Env) (*pipeline.Pipeline, error) {
	do := detectOptions(o)
	do.NoEngines = true
	do.Warn = func(w string) { fmt.Fprintf(env.Stderr, "[-] %s\n", w) }
	d, err := detect.Build(s, do)
	if err != nil {
		return nil, err
	}
	return d.NewPipeline(nil), nil
}

// accepted selects, for --CSV and --gnuplot, the lines that pass psad's
// ignore rules, parsed into p.
func accepted(pl *pipeline.Pipeline) func(line []byte, p *fwlog.Packet) bool {
	return func(line []byte, p *fwlog.Packet) bool {
		if out, _ := pl.Classify(line); out != pipeline.Accepted {
			return false
		}
		*p = pl.Packet
		return true
	}
}
