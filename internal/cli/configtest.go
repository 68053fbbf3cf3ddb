package cli

import (
	"fmt"

	"github.com/psadgo/psad/internal/argv"
	"github.com/psadgo/psad/internal/config"
	"github.com/psadgo/psad/internal/detect"
)

// runConfigTest is --config-test: it goes as far as a daemon start goes
// in reading files (psad.conf and its overrides, the typed settings, and
// every data file the detection engine reads: signatures, auto_dl, ICMP
// types, p0f and posf, snort_rule_dl, protocols) and stops there, so an
// edit can be checked before a restart or reload without touching the
// running daemon, the firewall or any state. psad.conf warnings (unknown
// variables) are printed but do not fail the test; problems in the data
// files do.
func runConfigTest(o *argv.Options, cfg *config.Config, env Env) int {
	set, err := cfg.Settings()
	if err != nil {
		for _, w := range cfg.Warnings() {
			fmt.Fprintf(env.Stderr, "[-] %s\n", w)
		}
		fmt.Fprintf(env.Stderr, "[*] %v\n", err)
		return 1
	}
	for _, w := range set.Warnings {
		fmt.Fprintf(env.Stderr, "[-] %s\n", w)
	}
	// What Build skips or replaces in a data file (a bad line, a missing
	// file) the daemon only logs; here it fails the test, since the file
	// is then not what its author meant.
	var problems []string
	do := detectOptions(o)
	do.Warn = func(w string) { problems = append(problems, w) }
	if _, err := detect.Build(set, do); err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintf(env.Stderr, "[*] %s\n", p)
		}
		return 1
	}
	fmt.Fprintln(env.Stdout, "[+] psad.conf and companion files OK")
	return 0
}
