// Command psad-loggen writes the project's synthetic kernel firewall logs.
//
// Usage:
//
//	psad-loggen SCENARIO           write one scenario to standard output
//	psad-loggen -list              list the scenario names
//	psad-loggen -mixed N [-seed S] stream N lines of a busy firewall's log
//	psad-loggen -variants N [-seed S]
//	                               N lines of field spellings, one source each,
//	                               to compare what psad 2.4.6 and we accept
//	psad-loggen -dir DIR           write every scenario as DIR/<name>.log
//
// testdata/logs is produced with "psad-loggen -dir testdata/logs"; the
// loggen tests check that it is up to date.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/psadgo/psad/internal/loggen"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("psad-loggen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	list := fs.Bool("list", false, "list the scenario names")
	mixed := fs.Int("mixed", -1, "stream `N` lines of mixed firewall traffic")
	variants := fs.Int("variants", -1, "write `N` lines of field variants, each from its own source")
	seed := fs.Int64("seed", 1, "seed for -mixed and -variants")
	dir := fs.String("dir", "", "write every scenario as `DIR`/<name>.log")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: psad-loggen SCENARIO | -list | -mixed N [-seed S] | -variants N [-seed S] | -dir DIR")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	modes := fs.NArg()
	for _, set := range []bool{*list, *mixed >= 0, *variants >= 0, *dir != ""} {
		if set {
			modes++
		}
	}
	if modes != 1 || fs.NArg() > 1 {
		fs.Usage()
		return 2
	}
	if err := dispatch(stdout, *list, *mixed, *variants, *seed, *dir, fs.Arg(0)); err != nil {
		fmt.Fprintf(stderr, "psad-loggen: %v\n", err)
		return 1
	}
	return 0
}

func dispatch(stdout io.Writer, list bool, mixed, variants int, seed int64, dir, name string) error {
	switch {
	case list:
		for _, n := range loggen.Names() {
			if _, err := fmt.Fprintln(stdout, n); err != nil {
				return err
			}
		}
		return nil
	case mixed >= 0:
		return loggen.Mixed(stdout, mixed, seed)
	case variants >= 0:
		return loggen.Variants(stdout, variants, seed)
	case dir != "":
		for _, n := range loggen.Names() {
			if err := os.WriteFile(filepath.Join(dir, n+".log"), loggen.Scenarios[n](), 0o644); err != nil {
				return err
			}
		}
		return nil
	}
	f, ok := loggen.Scenarios[name]
	if !ok {
		return fmt.Errorf("unknown scenario %q (see -list)", name)
	}
	_, err := stdout.Write(f())
	return err
}
