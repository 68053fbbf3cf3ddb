// Package cli is psad's command line: it parses psad's options, loads the
// configuration and dispatches to a mode, writing only to the writers it
// is given so tests can capture everything.
package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"

	"github.com/psadgo/psad/internal/analysis"
	"github.com/psadgo/psad/internal/bench"
	"github.com/psadgo/psad/internal/config"
	"github.com/psadgo/psad/internal/csvout"
	"github.com/psadgo/psad/internal/fieldexpr"
	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/inspect"
	"github.com/psadgo/psad/internal/pipeline"
	"github.com/psadgo/psad/internal/protocols"
)

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
	o, errs := ParseArgs(args)
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
		Help(env.Stdout, cfg)
		return 0
	}
	if o.Version {
		PrintVersion(env.Stdout)
		return 0
	}
	if name := NotImplemented(o); name != "" {
		fmt.Fprintf(env.Stderr, "psad: not implemented yet: --%s\n", name)
		return 2
	}
	if o.EmailAnalysis && !o.Analyze {
		fmt.Fprintln(env.Stderr, "[*] Can only specify --email-analysis flag when run in --Analyze mode.")
		return 1
	}
	cfg, err := loadConfig(o, env.Stderr)
	if err != nil {
		fmt.Fprintf(env.Stderr, "[*] %v\n", err)
		return 1
	}
	if o.Signatures != "" {
		cfg.Set("SIGS_FILE", o.Signatures)
	}
	if o.AutoDL != "" {
		cfg.Set("AUTO_DL_FILE", o.AutoDL)
	}
	if o.PassiveOSSigs != "" {
		cfg.Set("POSF_FILE", o.PassiveOSSigs)
	}
	if o.SnortRdir != "" {
		cfg.Set("SNORT_RULES_DIR", o.SnortRdir)
	}
	input := o.MessagesFile
	if input == "" {
		input = cfg.Str("IPT_SYSLOG_FILE")
	}
	ov := pipeline.Overrides{
		Interface:  o.Interface,
		Restrict:   o.RestrictIP,
		NoSnortSID: o.NoSnortSids,
		MaxSources: o.MaxSources,
	}

	switch {
	case o.DumpConf:
		return runDumpConf(cfg, env.Stdout)
	case o.Status || o.Given["status-dl"] || o.Given["status-ip"] || o.StatusSummary && !o.Analyze:
		return runStatus(o, cfg, env)
	case o.Kill:
		return signalDaemon(cfg, syscall.SIGTERM, env.Stdout, env.Stderr)
	case o.HUP:
		return signalDaemon(cfg, syscall.SIGHUP, env.Stdout, env.Stderr)
	case o.Restart:
		return runRestart(o, cfg, env)
	case o.USR1:
		return signalDaemon(cfg, syscall.SIGUSR1, env.Stdout, env.Stderr)
	case !o.Analyze && !o.CSV && !o.Benchmark:
		return runDaemon(o, cfg, env)
	case o.Analyze:
		s := analysis.Setup{
			Config:       cfg,
			Input:        input,
			Packets:      o.Packets,
			Overrides:    ov,
			SummaryOnly:  o.StatusSummary,
			NoIPTErrors:  o.NoIPTErrors,
			NoAutoDL:     o.NoAutoDL,
			WriteData:    o.AnalysisWriteData,
			NoPortLookup: o.NoNetstat,
			Engines: inspect.Options{
				NoSignatures: o.NoSignatures, NoSnortSIDs: o.NoSnortSids, NoICMPTypes: o.NoICMPTypes,
				NoICMP6Types: o.NoICMP6Types, NoPassiveOS: o.NoPassiveOS, SnortType: o.SnortType,
			},
			AutoDLFile: o.AutoDL,
			Debug:      o.Debug || o.TestMode,
			Version:    Version,
			Stdout:     env.Stdout,
			Stderr:     env.Stderr,
		}
		if o.Stdin {
			s.Stdin = env.Stdin
		}
		if o.EmailAnalysis {
			m, to, from, err := mailer(cfg)
			if err != nil {
				fmt.Fprintf(env.Stderr, "[*] %v\n", err)
				return 1
			}
			s.Mailer, s.MailTo, s.MailFrom = m, to, from
		}
		if o.WhoisAnalysis || o.DNSAnalysis {
			s.DNSOn, s.WhoisOn = o.DNSAnalysis && !o.NoRDNS, o.WhoisAnalysis && !o.NoWhois
			s.Lookups = lookups(cfg, s.DNSOn, s.WhoisOn, nil)
		}
		if env.StderrTTY {
			s.Progress = env.Stderr
		}
		if o.AnalysisFields != "" {
			e, err := fieldexpr.Parse(o.AnalysisFields, true)
			if err != nil {
				fmt.Fprintln(env.Stderr, err)
				return 255
			}
			s.Fields = e
		}
		return analysis.Run(s)
	case o.CSV:
		return runCSV(o, cfg, input, ov, env)
	default:
		return bench.Run(bench.Setup{
			Config: cfg, Input: o.MessagesFile, Packets: o.Packets, PacketsSet: o.PacketsSet,
			Overrides: ov, Stdout: env.Stdout, Stderr: env.Stderr,
		})
	}
}

// loadConfig reads -O files and the main config. Without -c and without
// /etc/psad/psad.conf (a machine where psad was never installed) the
// embedded defaults are used, so -A works with no set-up.
func loadConfig(o *Options, errw io.Writer) (*config.Config, error) {
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

func runCSV(o *Options, cfg *config.Config, input string, ov pipeline.Overrides, env Env) int {
	rules, warn, err := pipeline.RulesFromConfig(cfg, protocols.Default(), ov)
	if err != nil {
		fmt.Fprintf(env.Stderr, "[*] %v\n", err)
		return 1
	}
	for _, w := range warn {
		fmt.Fprintf(env.Stderr, "[-] %s\n", w)
	}
	pl := pipeline.New(fwlog.NewParser(pipeline.ParserOptions(cfg, ov)), rules, nil)
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
	}, func(line []byte, p *fwlog.Packet) bool {
		out, _ := pl.Classify(line)
		if out != pipeline.Accepted {
			return false
		}
		*p = pl.Packet
		return true
	})
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return 255
	}
	return 0
}
