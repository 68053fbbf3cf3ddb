package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"syscall"

	"github.com/psadgo/psad/internal/analysis"
	"github.com/psadgo/psad/internal/argv"
	"github.com/psadgo/psad/internal/config"
	"github.com/psadgo/psad/internal/detect"
	"github.com/psadgo/psad/internal/psaddir"
	"github.com/psadgo/psad/internal/sig"
	"github.com/psadgo/psad/internal/sigtrace"
	"github.com/psadgo/psad/internal/sigupdate"
)

// loadSignatures builds the signature set the other modes would use with
// these settings and options (SIGS_FILE or --signatures, snort_rule_dl,
// $VARS, strictness), so --get-next-rule-id and --debug-sid talk about the
// very rules -A and the daemon match.
func loadSignatures(o *argv.Options, set *config.Settings, env Env) (*sig.Set, error) {
	do := detectOptions(o)
	do.NoSignatures = false
	do.NoICMPTypes, do.NoICMP6Types, do.NoPassiveOS, do.NoAutoDL = true, true, true, true
	do.Warn = func(w string) { fmt.Fprintf(env.Stderr, "[-] %s\n", w) }
	d, err := detect.Build(set, do)
	if err != nil {
		return nil, err
	}
	return d.Engines.Sigs, nil
}

// runNextRuleID is --get-next-rule-id: the first ID above every psad_id
// and sid in use, for someone adding a rule of their own.
func runNextRuleID(o *argv.Options, set *config.Settings, env Env) int {
	s, err := loadSignatures(o, set, env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "[*] %v\n", err)
		return 1
	}
	fmt.Fprintf(env.Stdout, "[+] Next available rule ID: %d\n", s.NextID())
	return 0
}

// runSigUpdate is --sig-update: install the newest signatures and make a
// running daemon read them.
func runSigUpdate(set *config.Settings, env Env) int {
	dest := set.Detect.SigsFile.Path
	so := sig.Options{Vars: set.Detect.Var, Strict: set.Detect.SnortSigStrict, PsadCompat: !set.Detect.SnortRuleSemantics}
	// The ipopts keywords a file may use come from IP_OPTS_FILE, as when
	// the daemon loads it (psad's own rules need its "lsrre").
	if p := set.Detect.IPOptsFile.Path; p != "" && !set.Embedded {
		opts, err := sig.LoadIPOptions(p)
		switch {
		case err == nil:
			so.IPOpts = opts
		case !errors.Is(err, fs.ErrNotExist):
			fmt.Fprintf(env.Stderr, "[*] %v\n", err)
			return 1
		}
	}
	res, err := sigupdate.Run(context.Background(), sigupdate.Request{
		URL: set.SigUpdate.URL, Dest: dest, ArchiveDir: set.SigUpdate.ArchiveDir, CAFile: set.SigUpdate.CAFile,
		Sig: so, Out: env.Stdout,
	})
	if err != nil {
		fmt.Fprintf(env.Stderr, "[*] %v\n", err)
		return 1
	}
	if res.Unchanged {
		fmt.Fprintf(env.Stdout, "[+] %s already holds these %d signatures; nothing replaced.\n", dest, res.Signatures)
		return 0
	}
	fmt.Fprintf(env.Stdout, "[+] New signature file %s has been put in place (%d signatures).\n", dest, res.Signatures)
	pid, err := psaddir.Running(set.Files.PidFile)
	if err != nil {
		fmt.Fprintf(env.Stderr, "[-] could not tell whether psad is running (%v); use 'psad -H' to load the new signatures.\n", err)
		return 1
	}
	if pid == 0 {
		fmt.Fprintln(env.Stdout, "[+] psad is not running; it loads the new signatures when it starts.")
		return 0
	}
	return signalDaemon(set, syscall.SIGHUP, env.Stdout, env.Stderr)
}

// applyLogServer applies -l/--log-server to the configuration, at start
// and on every reload: the logs come from firewalls elsewhere, so this
// host's ruleset says nothing about them and a block here would stop none
// of their traffic. It returns the start-up message saying so ("" without
// --log-server).
func applyLogServer(o *argv.Options, cfg *config.Config) string {
	if !o.LogServer {
		return ""
	}
	msg := "--log-server: the firewalls that log to this host are elsewhere, so the firewall check is skipped and nothing is blocked automatically"
	if cfg.Y("ENABLE_AUTO_IDS") {
		msg += " (ENABLE_AUTO_IDS Y is ignored)"
	}
	cfg.Set("ENABLE_AUTO_IDS", "N")
	cfg.Set("ENABLE_FW_LOGGING_CHECK", "N")
	return msg
}

// runDebugSID is -A with --debug-sid: the analysis as usual, then on
// stderr what the one signature made of every packet.
func runDebugSID(o *argv.Options, s analysis.Setup, env Env) int {
	set, err := loadSignatures(o, s.Settings, Env{Stderr: io.Discard})
	if err != nil {
		fmt.Fprintf(env.Stderr, "[*] %v\n", err)
		return 1
	}
	source := sig.DefaultName
	if p := s.Settings.Detect.SigsFile.Path; p != "" && !s.Settings.Embedded {
		source = p
	}
	if o.NoSignatures {
		set = nil
	}
	tr, err := sigtrace.New(set, o.DebugSID, source)
	if err != nil {
		fmt.Fprintf(env.Stderr, "[*] %v\n", err)
		return 1
	}
	s.Observe = tr.Observe
	code := runAnalysis(o, s, env)
	if code == 0 {
		if err := tr.Write(env.Stderr); err != nil {
			return 1
		}
	}
	return code
}
